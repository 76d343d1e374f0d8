#[run::main]
async unsafe fn main() {}
