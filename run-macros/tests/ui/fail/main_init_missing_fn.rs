#[run::main(init = "setup_logs")]
async fn main() {}
