#[run::main]
async fn main(ctx: run::Context, extra: u32) {
    let _ = (ctx, extra);
}
