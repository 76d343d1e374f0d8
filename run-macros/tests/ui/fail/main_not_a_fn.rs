#[run::main]
struct Main;

fn main() {}
