#[run::actor]
async fn worker<'a>(name: std::borrow::Cow<'a, str>) {
    let _ = name;
}

fn main() {}
