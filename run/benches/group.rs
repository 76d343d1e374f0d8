//! Placeholder: the fan-out benchmark lands with issue 2.
fn main() {}
