#[run::actor(name = "http/accept")]
async fn worker() {}

fn main() {}
