#![deny(warnings)]

use std::fmt::Debug;

use run::{Context, Runner};

struct Worker<T>(T);

impl<T: Debug + Send + 'static> Runner for Worker<T> {
    type Error = std::io::Error;

    async fn run(self, ctx: Context) -> Result<(), Self::Error> {
        ctx.interrupted().await;
        drop(self.0);
        Ok(())
    }
}

#[derive(Runner)]
struct Pair<A, B: Runner, const N: usize>
where
    A: Runner,
{
    #[actor]
    first: A,
    #[actor(exit = "sidecar")]
    second: B,
    label: [u8; N],
}

#[run::actor]
async fn generic<T: Debug + Send + 'static, const N: usize>(value: T, ctx: Context) {
    let _ = ([0u8; N], value);
    ctx.interrupted().await;
}

fn main() {
    let pair: Pair<Worker<u8>, Generic<String, 3>, 2> = Pair {
        first: Worker(1),
        second: generic::<String, 3>(String::new()),
        label: *b"ok",
    };
    assert_eq!(pair.name(), "Pair");
    assert_eq!(pair.label.len(), 2);
}
