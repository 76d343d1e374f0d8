#[run::main(shutdown_timeout = 30)]
async fn main() {}
