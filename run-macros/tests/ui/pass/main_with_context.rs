#![deny(warnings)]

#[run::main(worker_threads = 2, shutdown_timeout = "5s")]
async fn main(ctx: run::Context) -> Result<(), std::io::Error> {
    assert_eq!(ctx.name(), "main");
    Ok(())
}
