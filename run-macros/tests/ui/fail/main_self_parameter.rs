struct App;

impl App {
    #[run::main]
    async fn main(&self) {}
}

fn main() {}
