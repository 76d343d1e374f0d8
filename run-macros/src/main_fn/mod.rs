//! `#[run::main]`: parse the options and the `async fn`, validate them, expand into a plain
//! `fn main` that hands the body to `run::__private::run_main`.

mod expand;
mod parse;
mod validate;

use proc_macro2::TokenStream;

use crate::errors::Errors;

pub(crate) fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let input = match parse::parse(args, item.clone(), &mut errors) {
        Ok(input) => input,
        Err(error) => {
            errors.push(error);
            return expand::with_errors(item, errors);
        }
    };
    let main = validate::validate(&input, &mut errors);
    match errors.finish(main) {
        Ok(main) => expand::expand(&main),
        Err(error) => expand::stub(&input.item, &error),
    }
}
