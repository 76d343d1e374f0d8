#[run::actor]
async fn worker(name: &str) {
    let _ = name;
}

fn main() {
    // The one error is the signature's: the uses compile against a stub.
    let mut group = run::Group::new();
    group.spawn(worker("x"));
}
