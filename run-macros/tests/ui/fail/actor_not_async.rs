#[run::actor]
fn worker(ctx: run::Context) {
    let _ = ctx;
}

fn main() {}
