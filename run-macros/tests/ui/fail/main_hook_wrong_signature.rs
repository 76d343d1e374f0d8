fn on_event(_event: &str) {}

#[run::main(hook = "on_event")]
async fn main() {}
