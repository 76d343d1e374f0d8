#[run::main]
fn main() {}
