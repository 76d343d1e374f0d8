#[run::main(init = 3)]
async fn main() {}
