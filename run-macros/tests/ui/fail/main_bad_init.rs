#[run::main(init = "setup logs")]
async fn main() {}
