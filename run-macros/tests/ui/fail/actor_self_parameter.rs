struct App;

impl App {
    #[run::actor]
    async fn worker(self) {}
}

fn main() {}
