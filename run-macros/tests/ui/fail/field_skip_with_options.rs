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
    #[actor(skip, stage = 2)]
    spare: Worker,
}

fn main() {}
