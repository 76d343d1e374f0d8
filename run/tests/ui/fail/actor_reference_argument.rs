#[run::actor]
async fn worker(name: &str) {
    let _ = name;
}

fn main() {}
