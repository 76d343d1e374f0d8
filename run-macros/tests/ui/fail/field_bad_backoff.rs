use run::{Context, Runner};

#[derive(Clone)]
struct Worker;

impl Runner for Worker {
    type Error = std::io::Error;

    async fn run(self, ctx: Context) -> Result<(), Self::Error> {
        ctx.interrupted().await;
        Ok(())
    }
}

#[derive(Runner)]
struct App {
    #[actor(restart = "always", backoff = "100ms-5s")]
    worker: Worker,
}

fn main() {}
