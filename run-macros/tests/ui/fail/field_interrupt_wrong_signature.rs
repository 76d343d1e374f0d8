use run::{Context, Runner};

struct Http;

impl Http {
    fn shutdown(&self) -> u32 {
        0
    }
}

impl Runner for Http {
    type Error = std::io::Error;

    async fn run(self, ctx: Context) -> Result<(), Self::Error> {
        ctx.interrupted().await;
        Ok(())
    }
}

#[derive(Runner)]
struct App {
    #[actor(interrupt = "shutdown")]
    http: Http,
}

fn main() {}
