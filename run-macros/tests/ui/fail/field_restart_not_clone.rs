use run::{Context, Runner};

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
    #[actor(restart = "on_failure")]
    worker: Worker,
}

fn main() {}
