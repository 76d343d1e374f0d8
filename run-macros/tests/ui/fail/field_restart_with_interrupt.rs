use run::{Context, Runner};

#[derive(Clone)]
struct Worker;

impl Worker {
    fn shutdown(&self) -> run::Interrupt {
        run::Interrupt::Abort
    }
}

impl Runner for Worker {
    type Error = std::io::Error;

    async fn run(self, ctx: Context) -> Result<(), Self::Error> {
        ctx.interrupted().await;
        Ok(())
    }
}

#[derive(Runner)]
struct App {
    #[actor(restart = "on_failure", interrupt = "shutdown")]
    worker: Worker,
}

fn main() {}
