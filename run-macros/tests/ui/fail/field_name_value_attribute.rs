use run::{Context, Runner};

struct Http;

impl Http {
    fn shutdown(&self) -> run::Interrupt {
        run::Interrupt::Abort
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
    #[actor = "http"]
    http: Http,
}

fn main() {}
