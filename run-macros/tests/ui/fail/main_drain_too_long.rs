#[run::main(shutdown_timeout = "10s", drain = "10s")]
async fn main() {}
