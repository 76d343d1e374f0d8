#[run::main]
async fn main<T>() {}
