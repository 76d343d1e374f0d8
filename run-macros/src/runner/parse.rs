//! Syntax only: the struct, its `#[runner(...)]` options and each field's `#[actor(...)]`
//! options, kept as written for their spans.

use proc_macro2::TokenStream;
use syn::{Attribute, DeriveInput, Meta};

use crate::{errors::Errors, options::Settings};

pub(super) const CONTAINER_OPTIONS: &[&str] = &["name", "crate", "strategy"];
pub(super) const FIELD_OPTIONS: &[&str] = &[
    "name",
    "interrupt",
    "exit",
    "stage",
    "timeout",
    "restart",
    "max_restarts",
    "within",
    "backoff",
    "after",
    "ready_when_told",
    "skip",
];
/// The options that only go with `restart = "on_failure"` or `"always"`.
pub(super) const RESTART_OPTIONS: &[&str] = &["max_restarts", "within", "backoff"];

pub(super) struct Input {
    pub(super) item: DeriveInput,
    pub(super) settings: Settings,
    /// Per field of a struct, in order: its `#[actor]` options, `None` for a data field.
    pub(super) fields: Vec<Option<Settings>>,
}

pub(super) fn parse(item: TokenStream, errors: &mut Errors) -> syn::Result<Input> {
    let item: DeriveInput = syn::parse2(item)?;
    let settings = attribute(&item.attrs, "runner", CONTAINER_OPTIONS, errors).unwrap_or_default();
    let fields = match &item.data {
        syn::Data::Struct(data) => data
            .fields
            .iter()
            .map(|field| attribute(&field.attrs, "actor", FIELD_OPTIONS, errors))
            .collect(),
        _ => Vec::new(),
    };
    Ok(Input {
        item,
        settings,
        fields,
    })
}

/// The options of the `#[name]` attribute among `attrs`: `None` without one, empty for a bare
/// `#[name]`. A second such attribute or a `#[name = ...]` is an error.
fn attribute(
    attrs: &[Attribute],
    name: &str,
    known: &[&str],
    errors: &mut Errors,
) -> Option<Settings> {
    let mut found: Option<Settings> = None;
    for attr in attrs.iter().filter(|attr| attr.path().is_ident(name)) {
        if found.is_some() {
            errors.push(syn::Error::new_spanned(
                attr,
                format!("repeated `#[{name}]` attribute; put all its options in one"),
            ));
            continue;
        }
        let settings = match &attr.meta {
            Meta::Path(_) => Settings::default(),
            Meta::List(list) => {
                let settings = Settings::parse_tokens(list.tokens.clone(), known, errors);
                errors.take(settings).unwrap_or_default()
            }
            Meta::NameValue(meta) => {
                errors.push(syn::Error::new(
                    meta.eq_token.span,
                    format!("expected `#[{name}]` or `#[{name}(option = value, ...)]`"),
                ));
                Settings::default()
            }
        };
        found = Some(settings);
    }
    found
}
