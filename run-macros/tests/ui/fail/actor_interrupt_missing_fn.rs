#[run::actor(interrupt = "stop")]
async fn worker(port: u16) {
    let _ = port;
}

fn main() {}
