use run::{Context, Runner};

struct Server;

impl Runner for Server {
    type Error = std::io::Error;

    async fn run(self, ctx: Context) -> Result<(), Self::Error> {
        ctx.interrupted().await;
        Ok(())
    }
}

#[derive(Runner)]
struct App {
    #[actor(after = "cache")]
    db: Server,
    #[actor(after = "db")]
    cache: Server,
    #[actor(after = "http")]
    http: Server,
}

fn main() {}
