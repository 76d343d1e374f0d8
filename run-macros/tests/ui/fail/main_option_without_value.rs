#[run::main(signals)]
async fn main() {}
