//! Syntax only: the option list and the function, kept as written for their spans.

use crate::{errors::Errors, options};
use proc_macro2::TokenStream;

pub(super) const OPTIONS: &[&str] = &["name", "interrupt", "crate"];

pub(super) use crate::options::FnAttribute as Input;

pub(super) fn parse(
    args: TokenStream,
    item: TokenStream,
    errors: &mut Errors,
) -> syn::Result<Input> {
    options::parse_fn_attribute(
        args,
        item,
        OPTIONS,
        "`#[actor]` goes on an `async fn` or, through `#[derive(Runner)]`, on a struct field; expected `async fn`",
        errors,
    )
}
