#![deny(warnings)]

// `actor` (the attribute macro) and `Runner` (trait and derive) are all in scope: the
// field attribute `#[actor]` still means the derive's helper.
use run::*;

#[actor(name = "tick")]
async fn ticker(period: std::time::Duration, ctx: Context) {
    while !ctx.is_interrupted() {
        let _ = period;
        ctx.interrupted().await;
    }
}

#[derive(Runner)]
struct App {
    #[actor(stage = 2, timeout = "5s")]
    ticker: Ticker,
}

#[main(signals = false)]
async fn main(ctx: Context) -> Result<(), Error> {
    let app = App {
        ticker: ticker(std::time::Duration::from_secs(1)),
    };
    let mut group = ctx.group();
    group.spawn(app);
    group.spawn(|_ctx: Context| async { Ok::<_, std::io::Error>(()) });
    group.run().await
}
