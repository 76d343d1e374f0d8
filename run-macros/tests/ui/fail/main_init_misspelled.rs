// The compiler hints `init = setup_logs`, unquoted: a form the macro takes.
fn setup_logs() {}

#[run::main(init = "setup_log")]
async fn main() {}
