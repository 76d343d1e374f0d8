//! Procedural macros of the [`run-lifecycle`](https://docs.rs/run-lifecycle) lifecycle
//! framework: `#[run::main]`, `#[run::actor]` and `#[derive(run::Runner)]`.
//!
//! Use them through `run-lifecycle`, whose library is named `run`: it re-exports them and
//! documents them with examples.
//! Generated code reaches `run` through `::run`, or the path given by `crate = "..."`, and
//! uses only `run`'s public API plus its hidden `__private` module.
//!
//! Each macro is parsed (syntax, kept as written for spans), validated (meaning, one
//! diagnostic per misuse on the tokens at fault) and expanded, each step in its own module.

mod actor_fn;
mod duration;
mod errors;
mod krate;
mod main_fn;
mod options;
mod runner;
mod signature;
mod spans;

use proc_macro::TokenStream;

/// Runs an `async fn main` as the root actor of a group, beside a signal handler; see
/// `run::main`.
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    main_fn::main(args.into(), item.into()).into()
}

/// Turns an `async fn` into the constructor of a `Runner`; see `run::actor`.
#[proc_macro_attribute]
pub fn actor(args: TokenStream, item: TokenStream) -> TokenStream {
    actor_fn::actor(args.into(), item.into()).into()
}

/// Implements `Runner` for a struct whose `#[actor]` fields run as a group; see
/// `run::Runner`.
#[proc_macro_derive(Runner, attributes(actor, runner))]
pub fn derive_runner(item: TokenStream) -> TokenStream {
    runner::derive(item.into()).into()
}
