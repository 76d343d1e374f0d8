#[run::actor(interrupt = "stop()")]
async fn worker() {}

fn main() {}
