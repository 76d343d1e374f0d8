//! `#[actor]` on an `async fn`: parse, validate, expand into a constructor returning a
//! generated `Runner` struct that holds the arguments.
//!
//! On error: a bad option is reported and replaced by its default, so the runner is still
//! generated and its uses compile; a bad signature is reported and a stub is emitted in its
//! place (the constructor without the `Context` parameter, a runner that does nothing), so
//! that its uses compile too and the signature's error is the only one. A generic function
//! or a method is emitted as written.

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
    } else if input.item.sig.generics.params.is_empty() && input.item.sig.receiver().is_none() {
        expand::stub(&actor)
    } else {
        item
    };
    let errors = errors.into_compile_errors();
    let signature_errors = signature_errors.into_compile_errors();
    quote!(#expanded #errors #signature_errors)
}
