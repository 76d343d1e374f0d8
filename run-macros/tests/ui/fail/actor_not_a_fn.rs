#[run::actor]
struct Worker;

fn main() {}
