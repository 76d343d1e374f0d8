#[run::actor]
async fn worker(first: run::Context, second: run::Context) {
    let _ = (first, second);
}

fn main() {}
