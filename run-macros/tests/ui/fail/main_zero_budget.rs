#[run::main(shutdown_timeout = "0s")]
async fn main() {}
