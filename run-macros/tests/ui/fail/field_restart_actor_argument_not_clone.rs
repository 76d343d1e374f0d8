use run::{actor, Context, Runner};

/// A connection that cannot be cloned.
struct Connection;

#[actor]
async fn cache(url: String, conn: Connection, ctx: Context) {
    drop((url, conn));
    ctx.interrupted().await;
}

#[derive(Runner)]
struct App {
    #[actor(restart = "on_failure")]
    cache: Cache,
}

fn main() {}
