#[run::main(signals = "no")]
async fn main() {}
