#[run::main]
async fn main(ctx: String) {
    let _ = ctx;
}
