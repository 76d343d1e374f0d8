//! The path generated code uses to reach the `run` crate: `::run` unless `crate = "..."`
//! renames it (the dependency was renamed, or the macro is used inside `run` itself).

use syn::{LitStr, Path};

/// The path named by a `crate = "..."` literal, or an error on the literal.
pub(crate) fn parse(lit: &LitStr) -> syn::Result<Path> {
    lit.parse::<Path>().map_err(|_| {
        syn::Error::new(
            lit.span(),
            format!(
                "invalid crate path {:?}; expected a path to the `run` crate, such as \"::run\" or \"my_run\"",
                lit.value()
            ),
        )
    })
}

/// `::run`.
pub(crate) fn default_path() -> Path {
    syn::parse_quote!(::run)
}
