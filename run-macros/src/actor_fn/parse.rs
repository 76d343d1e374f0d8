//! Syntax only: the option list and the function, kept as written for their spans.

use proc_macro2::TokenStream;
use syn::ItemFn;

use crate::{
    errors::Errors,
    options::{self, Settings},
};

pub(super) const OPTIONS: &[&str] = &["name", "interrupt", "crate"];

pub(super) struct Input {
    pub(super) settings: Settings,
    pub(super) item: ItemFn,
}

pub(super) fn parse(
    args: TokenStream,
    item: TokenStream,
    errors: &mut Errors,
) -> syn::Result<Input> {
    let (settings, item) = options::parse_fn_attribute(
        args,
        item,
        OPTIONS,
        "`#[actor]` goes on an `async fn` or, through `#[derive(Runner)]`, on a struct field; expected `async fn`",
        errors,
    )?;
    Ok(Input { settings, item })
}
