//! Syntax only: the option list and the function, kept as written for their spans.

use crate::{errors::Errors, options};
use proc_macro2::TokenStream;

pub(super) const OPTIONS: &[&str] = &[
    "flavor",
    "worker_threads",
    "shutdown_timeout",
    "drain",
    "drain_env",
    "startup_timeout",
    "signals",
    "reload",
    "init",
    "hook",
    "crate",
];

pub(super) use crate::options::FnAttribute as Input;

/// Parses the function first: if it is not one, nothing else is worth reporting. A syntax
/// error in the options is recorded and the options count as empty.
pub(super) fn parse(
    args: TokenStream,
    item: TokenStream,
    errors: &mut Errors,
) -> syn::Result<Input> {
    options::parse_fn_attribute(
        args,
        item,
        OPTIONS,
        "`#[run::main]` goes on an `async fn`; expected `async fn main() { ... }`",
        errors,
    )
}
