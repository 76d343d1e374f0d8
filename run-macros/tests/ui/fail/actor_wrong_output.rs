#[run::actor]
async fn worker() -> u32 {
    7
}

fn main() {}
