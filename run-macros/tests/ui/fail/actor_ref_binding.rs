#[run::actor]
async fn worker(ref name: String) {
    let _ = name;
}

fn main() {}
