#[run::actor(interrupt = "stop")]
async fn worker(port: u16) {
    let _ = port;
}

fn stop(port: u16) -> run::Interrupt {
    let _ = port;
    run::Interrupt::Abort
}

fn main() {}
