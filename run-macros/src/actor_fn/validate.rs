//! What the options and the signature mean, each misuse reported on its own tokens.

use proc_macro2::Span;
use syn::{
    FnArg, GenericParam, Pat, PatType, Path, Type, TypeReference, ext::IdentExt, spanned::Spanned,
};

use super::parse::Input;
use crate::{errors::Errors, krate, options, signature};

/// How the actor is interrupted besides its `Context` being marked.
pub(super) enum Interrupt {
    /// The body watches its `Context`.
    Context,
    /// The body takes no `Context`: dropping its future is the only way to stop it.
    Abort,
    /// `interrupt = path` or `interrupt = "path"`: the function called, and the span of the
    /// value as written.
    Call { span: Span, path: Path },
}

pub(super) struct ActorFn<'a> {
    pub(super) krate: Path,
    pub(super) name: String,
    pub(super) interrupt: Interrupt,
    /// Every parameter in order; the `Context` one is supplied by the group.
    pub(super) params: Vec<&'a PatType>,
    pub(super) context: Option<usize>,
    pub(super) input: &'a Input,
}

/// Option errors go to `errors` (the option then takes its default), signature errors to
/// `signature_errors` (nothing can be generated then).
pub(super) fn validate<'a>(
    input: &'a Input,
    errors: &mut Errors,
    signature_errors: &mut Errors,
) -> ActorFn<'a> {
    let settings = &input.settings;
    let krate = settings
        .get("crate")
        .and_then(|setting| errors.take(setting.lit_str("\"my_run\"").and_then(krate::parse)))
        .unwrap_or_else(krate::default_path);
    let sig = &input.item.sig;
    let name = settings
        .get("name")
        .and_then(|setting| errors.take(options::actor_name(setting)))
        .map_or_else(|| sig.ident.unraw().to_string(), |lit| lit.value());
    let call = settings
        .get("interrupt")
        .and_then(|setting| errors.take(setting.fn_path("stop")));

    let errors = signature_errors;
    signature::require_async(sig, "#[actor]", errors);
    signature::reject_unsafe(sig, "#[actor]", errors);
    for param in &sig.generics.params {
        if let GenericParam::Lifetime(lifetime) = param {
            errors.push(syn::Error::new(
                lifetime.span(),
                "an actor owns its arguments; expected no lifetime parameter",
            ));
        }
    }
    let mut params = Vec::new();
    let mut context = None;
    for arg in &sig.inputs {
        let FnArg::Typed(param) = arg else {
            errors.push(syn::Error::new(
                arg.span(),
                "`#[actor]` goes on a free function; expected no `self` parameter",
            ));
            continue;
        };
        if signature::is_context(param) {
            if context.is_some() {
                errors.push(syn::Error::new(
                    param.span(),
                    "a second `Context` parameter; an actor is given one `Context`",
                ));
                continue;
            }
            context = Some(params.len());
        } else {
            check_owned(&param.ty, errors);
            if let Pat::Ident(ident) = &*param.pat {
                if let Some(by_ref) = &ident.by_ref {
                    errors.push(syn::Error::new(
                        by_ref.span,
                        "an actor owns its arguments; expected a by-value binding",
                    ));
                }
            }
        }
        params.push(param);
    }

    let interrupt = match (call, context) {
        (Some((span, path)), _) => Interrupt::Call { span, path },
        (None, Some(_)) => Interrupt::Context,
        (None, None) => Interrupt::Abort,
    };
    ActorFn {
        krate,
        name,
        interrupt,
        params,
        context,
        input,
    }
}

/// The arguments are stored in the runner until it runs: they must be owned.
fn check_owned(ty: &Type, errors: &mut Errors) {
    match ty {
        Type::Reference(TypeReference {
            and_token,
            lifetime,
            ..
        }) if lifetime.as_ref().is_none_or(|lifetime| lifetime.ident != "static") => {
            errors.push(syn::Error::new(
                and_token.span,
                "an actor owns its arguments; expected an owned type or a `&'static` reference",
            ));
        }
        Type::ImplTrait(impl_trait) => errors.push(syn::Error::new(
            impl_trait.impl_token.span,
            "an actor stores its arguments; expected a named type or a generic parameter instead of `impl Trait`",
        )),
        _ => {}
    }
}
