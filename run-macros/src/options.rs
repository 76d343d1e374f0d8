//! `key = value` option lists, shared by every macro.
//!
//! Invariants: keys are checked against the macro's list as they are read, so an unknown or
//! repeated key is reported on the key itself; values are kept as written (`syn::Expr`) for
//! the validation step to check their kind and to point at them.

use proc_macro2::Span;
use syn::{
    Expr, ExprLit, ExprPath, Ident, Lit, LitBool, LitInt, LitStr, Token,
    ext::IdentExt,
    parse::{ParseStream, Parser},
    spanned::Spanned,
};

use crate::errors::Errors;

/// The options that may be written alone, as flags: `skip` means `skip = true`.
const FLAGS: &[&str] = &["skip", "ready_when_told"];

/// One option as written: `key = value`.
pub(crate) struct Setting {
    pub(crate) key: Ident,
    pub(crate) value: Expr,
}

impl Setting {
    /// The value as a string literal, or an error on the value saying what was expected.
    pub(crate) fn lit_str(&self, example: &str) -> syn::Result<&LitStr> {
        match &self.value {
            Expr::Lit(ExprLit {
                lit: Lit::Str(lit), ..
            }) => Ok(lit),
            other => Err(syn::Error::new(
                other.span(),
                format!(
                    "expected a string literal, such as `{} = {example}`",
                    self.key
                ),
            )),
        }
    }

    /// The value as an integer literal, or an error on the value saying what was expected.
    pub(crate) fn lit_int(&self, example: &str) -> syn::Result<&LitInt> {
        match &self.value {
            Expr::Lit(ExprLit {
                lit: Lit::Int(lit), ..
            }) => Ok(lit),
            other => Err(syn::Error::new(
                other.span(),
                format!("expected an integer, such as `{} = {example}`", self.key),
            )),
        }
    }

    /// The value as the path of a function, written as a path (`init = setup_logs`) or as
    /// a string literal holding one (`init = "setup_logs"`), with the span of the value as
    /// written; or an error on the value saying what was expected. `example` is the path
    /// shown in that error, unquoted.
    pub(crate) fn fn_path(&self, example: &str) -> syn::Result<(Span, syn::Path)> {
        let expected = || {
            format!(
                "expected the path of a function, such as `{key} = {example}` or `{key} = \"{example}\"`",
                key = self.key
            )
        };
        match &self.value {
            Expr::Path(ExprPath {
                attrs,
                qself: None,
                path,
                ..
            }) if attrs.is_empty() => Ok((path.span(), path.clone())),
            Expr::Lit(ExprLit {
                lit: Lit::Str(lit), ..
            }) => {
                let path = lit.parse::<syn::Path>().map_err(|_| {
                    syn::Error::new(
                        lit.span(),
                        format!("invalid {} {:?}; {}", self.key, lit.value(), expected()),
                    )
                })?;
                Ok((lit.span(), path))
            }
            other => Err(syn::Error::new(other.span(), expected())),
        }
    }

    /// The value as one of `choices` (`(as written, variant)`): the variant's name, spanned
    /// on the literal; or an error on the literal naming every choice:
    /// `unknown exit policy "daemon"; expected "service", "task" or "sidecar"`. `example` is
    /// the value shown when the value is not even a string.
    pub(crate) fn lit_choice(
        &self,
        what: &str,
        example: &str,
        choices: &[(&str, &str)],
    ) -> syn::Result<Ident> {
        let lit = self.lit_str(&format!("\"{example}\""))?;
        let value = lit.value();
        match choices.iter().find(|(written, _)| *written == value) {
            Some((_, variant)) => Ok(Ident::new(variant, lit.span())),
            None => {
                let quoted: Vec<String> = choices
                    .iter()
                    .map(|(written, _)| format!("\"{written}\""))
                    .collect();
                let (last, rest) = quoted.split_last().expect("at least one choice");
                Err(syn::Error::new(
                    lit.span(),
                    format!(
                        "unknown {what} {value:?}; expected {} or {last}",
                        rest.join(", ")
                    ),
                ))
            }
        }
    }

    /// The value as `true` or `false`, or an error on the value saying what was expected.
    pub(crate) fn lit_bool(&self) -> syn::Result<&LitBool> {
        match &self.value {
            Expr::Lit(ExprLit {
                lit: Lit::Bool(lit),
                ..
            }) => Ok(lit),
            other => Err(syn::Error::new(
                other.span(),
                format!("expected `true` or `false`, such as `{} = false`", self.key),
            )),
        }
    }
}

/// The options of one attribute, each known key at most once.
#[derive(Default)]
pub(crate) struct Settings {
    settings: Vec<Setting>,
}

impl Settings {
    /// The setting of `key`, if it was given.
    pub(crate) fn get(&self, key: &str) -> Option<&Setting> {
        self.settings.iter().find(|setting| setting.key == key)
    }

    /// Parses `key = value, ...` (a trailing comma allowed). Unknown and repeated keys are
    /// collected into `errors` and skipped, so that the other options still count; a syntax
    /// error stops the parse.
    pub(crate) fn parse(
        input: ParseStream<'_>,
        known: &[&str],
        errors: &mut Errors,
    ) -> syn::Result<Self> {
        let mut settings = Settings::default();
        while !input.is_empty() {
            let key = input.call(Ident::parse_any).map_err(|error| {
                syn::Error::new(
                    error.span(),
                    format!("expected an option name: one of {}", list(known)),
                )
            })?;
            let value: Expr = if FLAGS.iter().any(|flag| key == flag && known.contains(flag))
                && !input.peek(Token![=])
            {
                // A flag: `#[actor(skip)]` reads as `skip = true`.
                syn::parse_quote_spanned!(key.span()=> true)
            } else if !input.peek(Token![=]) {
                return Err(syn::Error::new(
                    key.span(),
                    format!("expected `{key} = ...`: every option takes a value"),
                ));
            } else {
                input.parse::<Token![=]>()?;
                input.parse()?
            };
            if !known.iter().any(|known| key == known) {
                errors.push(syn::Error::new(
                    key.span(),
                    format!("unknown option `{key}`; expected one of {}", list(known)),
                ));
            } else if settings.get(&key.to_string()).is_some() {
                errors.push(syn::Error::new(
                    key.span(),
                    format!("repeated option `{key}`; each option can be given once"),
                ));
            } else {
                settings.settings.push(Setting { key, value });
            }
            if input.is_empty() {
                break;
            }
            input.parse::<Token![,]>()?;
        }
        Ok(settings)
    }

    /// [`Settings::parse`] on a whole token stream, such as an attribute macro's arguments.
    pub(crate) fn parse_tokens(
        tokens: proc_macro2::TokenStream,
        known: &[&str],
        errors: &mut Errors,
    ) -> syn::Result<Self> {
        (|input: ParseStream<'_>| Settings::parse(input, known, errors)).parse2(tokens)
    }
}

/// `` `a`, `b`, `c` ``
fn list(known: &[&str]) -> String {
    known
        .iter()
        .map(|key| format!("`{key}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A `name = "..."` value: an actor's name is one segment of a path, so it cannot be empty
/// nor contain `/`.
/// An attribute macro's input when it goes on a function: its options and the function, as
/// written.
pub(crate) struct FnAttribute {
    pub(crate) settings: Settings,
    pub(crate) item: syn::ItemFn,
}

/// The syntax of an attribute macro on a function: the function first (if it is not one,
/// `not_a_fn` is the one error worth reporting), then the options, whose syntax errors go to
/// `errors` and leave the options empty.
pub(crate) fn parse_fn_attribute(
    args: proc_macro2::TokenStream,
    item: proc_macro2::TokenStream,
    known: &[&str],
    not_a_fn: &str,
    errors: &mut Errors,
) -> syn::Result<FnAttribute> {
    let item: syn::ItemFn =
        syn::parse2(item).map_err(|error| syn::Error::new(error.span(), not_a_fn))?;
    let settings = Settings::parse_tokens(args, known, errors);
    let settings = errors.take(settings).unwrap_or_default();
    Ok(FnAttribute { settings, item })
}

pub(crate) fn actor_name(setting: &Setting) -> syn::Result<LitStr> {
    let lit = setting.lit_str("\"http\"")?;
    let name = lit.value();
    if name.is_empty() || name.contains('/') {
        return Err(syn::Error::new(
            lit.span(),
            format!(
                "invalid actor name {name:?}; expected a non-empty name without `/`, such as \"http\""
            ),
        ));
    }
    Ok(lit.clone())
}
