//! Syntax only: the option list and the function, kept as written for their spans.

use proc_macro2::TokenStream;
use syn::ItemFn;

use crate::{errors::Errors, options::Settings};

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
    let item: ItemFn = syn::parse2(item).map_err(|error| {
        syn::Error::new(
            error.span(),
            "`#[actor]` goes on an `async fn` or, through `#[derive(Runner)]`, on a struct field; expected `async fn`",
        )
    })?;
    let settings = Settings::parse_tokens(args, OPTIONS, errors);
    let settings = errors.take(settings).unwrap_or_default();
    Ok(Input { settings, item })
}
