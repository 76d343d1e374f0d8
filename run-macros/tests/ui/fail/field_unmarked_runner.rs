use run::{Context, Runner};

struct Worker;

impl Runner for Worker {
    type Error = std::io::Error;

    async fn run(self, _ctx: Context) -> Result<(), Self::Error> {
        Ok(())
    }
}

#[derive(Runner)]
struct App {
    #[actor]
    http: Worker,
    worker: Worker, // a runner that would never run
    #[actor(skip)]
    spare: Worker, // kept as data, on purpose
    port: u16,
}

fn main() {}
