//! Pointing the compiler's own errors at the user's tokens.
//!
//! The compiler blames the tokens it type-checks; generated tokens carry the span of the
//! macro call unless they are given another. Respanning the tokens of a generated check
//! (a bound, a call) to the span of the option or type it comes from puts the error there.

use proc_macro2::{Group, Span, TokenStream, TokenTree};

/// `tokens`, every one of them (inside groups too) spanned at `span`.
pub(crate) fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|token| match token {
            TokenTree::Group(group) => {
                let mut respanned = Group::new(group.delimiter(), respan(group.stream(), span));
                respanned.set_span(span);
                TokenTree::Group(respanned)
            }
            mut token => {
                token.set_span(span);
                token
            }
        })
        .collect()
}
