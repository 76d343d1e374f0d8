#[run::main(shutdown_timeout = "30 seconds")]
async fn main() {}
