//! `#[derive(Runner)]`: parse the struct and its `#[actor]` fields, validate the options,
//! expand into a `Runner` impl that runs the actor fields as a group.
//!
//! On error: a bad option is reported and replaced by its default, so the impl is still
//! generated; a struct that cannot be a runner (an enum, no actor field) gets a stub impl, so
//! that its uses do not fail too.

mod expand;
mod parse;
mod validate;

use proc_macro2::TokenStream;
use quote::quote;

use crate::errors::Errors;

pub(crate) fn derive(item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let input = match parse::parse(item, &mut errors) {
        Ok(input) => input,
        Err(error) => return error.to_compile_error(),
    };
    let mut shape_errors = Errors::default();
    let runner = validate::validate(&input, &mut errors, &mut shape_errors);
    let expanded = if shape_errors.is_empty() {
        expand::expand(&runner)
    } else {
        expand::stub(&runner)
    };
    let errors = errors.into_compile_errors();
    let shape_errors = shape_errors.into_compile_errors();
    quote!(#expanded #errors #shape_errors)
}
