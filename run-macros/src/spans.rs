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

/// [`respan`], except that each `__path` ident is replaced by `path` with its own spans: a
/// path written unquoted (`init = setup_logs`) keeps the span of each of its segments, so the
/// compiler's hint for a misspelled segment is right; a path parsed from a string already
/// carries the string's span.
pub(crate) fn respan_with_path(tokens: TokenStream, span: Span, path: &syn::Path) -> TokenStream {
    respan(tokens, span)
        .into_iter()
        .flat_map(|token| match token {
            TokenTree::Ident(ident) if ident == "__path" => quote::quote!(#path),
            TokenTree::Group(group) => {
                let mut replaced = Group::new(
                    group.delimiter(),
                    respan_with_path(group.stream(), span, path),
                );
                replaced.set_span(group.span());
                TokenStream::from(TokenTree::Group(replaced))
            }
            token => TokenStream::from(token),
        })
        .collect()
}
