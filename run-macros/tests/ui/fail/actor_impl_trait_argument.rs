#[run::actor]
async fn worker(name: impl std::fmt::Display + Send + 'static) {
    let _ = name.to_string();
}

fn main() {}
