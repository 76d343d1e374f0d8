#[run::main(drain = "1s", drain_env = "SERVICE=DRAIN")]
async fn main() {}
