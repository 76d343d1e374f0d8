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
    #[actor(name = "db")]
    database: Server,
    #[actor(after = ["db", "cahce"])]
    http: Server,
    #[actor(after = "database")]
    admin: Server,
}

fn main() {}
