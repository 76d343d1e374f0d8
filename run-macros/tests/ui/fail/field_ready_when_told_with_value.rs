use run::{Context, Runner};

struct Server;

impl Runner for Server {
    type Error = std::io::Error;

    async fn run(self, ctx: Context) -> Result<(), Self::Error> {
        ctx.set_ready();
        ctx.interrupted().await;
        Ok(())
    }
}

#[derive(Runner)]
struct App {
    #[actor(ready_when_told = "yes")]
    db: Server,
}

fn main() {}
