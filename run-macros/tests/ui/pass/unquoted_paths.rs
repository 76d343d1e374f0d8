//! `init`, `hook` and an `#[actor]`'s `interrupt` name their function by its path, written as
//! is or in a string.
#![deny(warnings)]

use run::{actor, Cause};

mod logs {
    pub fn setup() {}
}

fn on_event(_: &run::Event<'_>) {}

fn stopper(_: &u32) -> impl FnOnce(&Cause) + Send + 'static {
    |_| ()
}

#[actor(interrupt = stopper)]
async fn server(port: u32) {
    let _ = port;
}

#[actor(interrupt = "stopper")]
async fn quoted(port: u32) {
    let _ = port;
}

#[run::main(init = logs::setup, hook = on_event, flavor = "current_thread", signals = false)]
async fn main() {
    let _ = (server(1), quoted(2));
}
