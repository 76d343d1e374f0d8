#[run::actor]
async fn worker<'a>(name: &'a str) {
    let _ = name;
}

fn main() {}
