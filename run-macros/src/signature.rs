//! Checks on function signatures shared by `#[run::main]` and `#[actor]`.

use syn::{PatType, Signature, Type};

use crate::errors::Errors;

/// `async` is required: the body becomes an actor's future.
pub(crate) fn require_async(sig: &Signature, attribute: &str, errors: &mut Errors) {
    if sig.asyncness.is_none() {
        errors.push(syn::Error::new(
            sig.fn_token.span,
            format!("`{attribute}` goes on an `async fn`; add `async` before `fn`"),
        ));
    }
}

/// `unsafe` is refused: the generated code would call the body without an `unsafe` block.
pub(crate) fn reject_unsafe(sig: &Signature, attribute: &str, errors: &mut Errors) {
    if let syn::Safety::Unsafe(unsafety) = &sig.safety {
        errors.push(syn::Error::new(
            unsafety.span,
            format!("`{attribute}` cannot go on an `unsafe fn`; expected a safe `async fn`"),
        ));
    }
}

/// Whether a parameter is the actor's `Context`: its type is a path ending in `Context`
/// (`Context`, `run::Context`, `::run::Context`). The compiler then checks it is the right
/// one, as the group passes a `run::Context` there.
pub(crate) fn is_context(param: &PatType) -> bool {
    match &*param.ty {
        Type::Path(path) => {
            path.qself.is_none()
                && path
                    .path
                    .segments
                    .last()
                    .is_some_and(|last| last.ident == "Context" && last.arguments.is_none())
        }
        _ => false,
    }
}
