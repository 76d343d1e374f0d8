#[run::actor]
async unsafe fn worker() {}

fn main() {}
