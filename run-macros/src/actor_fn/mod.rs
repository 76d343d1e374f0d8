//! `#[actor]` on an `async fn`: parse, validate, expand into a constructor returning a
//! generated `Runner` struct that holds the arguments.
//!
//! On error: a bad option is reported and replaced by its default, so the runner is still
//! generated and its uses compile; a bad signature is reported and the function is emitted
//! as written.

mod expand;
mod parse;
mod validate;

use proc_macro2::TokenStream;
use quote::quote;

use crate::errors::Errors;

pub(crate) fn actor(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let input = match parse::parse(args, item.clone(), &mut errors) {
        Ok(input) => input,
        Err(error) => {
            errors.push(error);
            let errors = errors.into_compile_errors();
            return quote!(#item #errors);
        }
    };
    let mut signature_errors = Errors::default();
    let actor = validate::validate(&input, &mut errors, &mut signature_errors);
    let expanded = if signature_errors.is_empty() {
        expand::expand(&actor)
    } else {
        item
    };
    let errors = errors.into_compile_errors();
    let signature_errors = signature_errors.into_compile_errors();
    quote!(#expanded #errors #signature_errors)
}
