#[run::actor(nam = "w")]
async fn worker() {}

fn main() {}
