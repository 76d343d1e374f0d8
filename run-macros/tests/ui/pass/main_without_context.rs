#![deny(warnings)]

#[run::main(flavor = "current_thread", signals = false)]
async fn main() {
    let answer = async { 42 }.await;
    assert_eq!(answer, 42);
}
