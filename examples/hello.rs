//! The smallest app: a server that runs until a oneshot loader fails.
fn main() {}
