#[run::main(signals = false, signals = true)]
async fn main() {}
