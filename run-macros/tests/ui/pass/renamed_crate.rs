#![deny(warnings)]

extern crate run as my_run;

use my_run::{Context, Runner};

#[my_run::actor(crate = "my_run")]
async fn worker(ctx: Context) -> Result<(), std::io::Error> {
    ctx.interrupted().await;
    Ok(())
}

#[derive(my_run::Runner)]
#[runner(crate = "my_run", name = "app")]
struct App {
    #[actor]
    worker: Worker,
}

#[my_run::main(crate = "my_run", signals = false)]
async fn main() {
    let app = App { worker: worker() };
    assert_eq!(app.name(), "app");
}
