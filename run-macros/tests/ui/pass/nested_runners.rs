#![deny(warnings)]

use run::{Context, Runner};

#[run::actor]
async fn leaf(ctx: Context) {
    ctx.interrupted().await;
}

#[derive(Runner)]
struct Inner {
    #[actor]
    leaf: Leaf,
}

#[derive(Runner)]
#[runner(name = "outer")]
struct Outer {
    #[actor]
    inner: Inner,
    #[actor(name = "other", timeout = "1s")]
    other: Leaf,
}

#[run::main(flavor = "current_thread", signals = false)]
async fn main() -> Result<(), run::Error> {
    let outer = Outer {
        inner: Inner { leaf: leaf() },
        other: leaf(),
    };
    let mut group = run::Group::new();
    group.spawn(outer);
    group.spawn(|_ctx: Context| async { Ok::<_, std::io::Error>(()) });
    group.run().await
}
