//! What the options and the signature mean, each misuse reported on its own tokens.

use std::time::Duration;

use proc_macro2::Span;
use syn::{FnArg, LitInt, LitStr, PatType, Path, spanned::Spanned};

use super::parse::Input;
use crate::{duration, errors::Errors, krate, signature};

pub(super) enum Flavor {
    MultiThread { worker_threads: Option<LitInt> },
    CurrentThread,
}

pub(super) struct Main<'a> {
    pub(super) krate: Path,
    pub(super) flavor: Flavor,
    pub(super) shutdown_timeout: Option<Duration>,
    /// `drain = "5s"`: how long the app keeps serving, not ready, after the first signal.
    pub(super) drain: Option<Duration>,
    /// `drain_env = "NAME"`: the drain from that environment variable, when it is set.
    pub(super) drain_env: Option<LitStr>,
    pub(super) startup_timeout: Option<Duration>,
    pub(super) signals: Option<bool>,
    /// `reload = false`: SIGHUP does not reload (and so terminates the process).
    pub(super) reload: Option<bool>,
    /// `init = path` (or `"path"`): a function called inside the runtime before the root
    /// group is made; with the span of the value as written.
    pub(super) init: Option<(Span, Path)>,
    /// `hook = path` (or `"path"`): the root group's event hook.
    pub(super) hook: Option<(Span, Path)>,
    /// The body's `Context` parameter, if it takes one.
    pub(super) context: Option<&'a PatType>,
    pub(super) input: &'a Input,
}

pub(super) fn validate<'a>(input: &'a Input, errors: &mut Errors) -> Main<'a> {
    let settings = &input.settings;
    let krate = settings
        .get("crate")
        .and_then(|setting| errors.take(setting.lit_str("\"my_run\"").and_then(krate::parse)))
        .unwrap_or_else(krate::default_path);

    let worker_threads = settings
        .get("worker_threads")
        .and_then(|setting| errors.take(positive(setting.lit_int("4"))));
    let flavor = match settings.get("flavor") {
        None => Some("multi_thread".to_string()),
        Some(setting) => errors.take(setting.lit_str("\"current_thread\"").and_then(|lit| {
            match lit.value().as_str() {
                flavor @ ("multi_thread" | "current_thread") => Ok(flavor.to_string()),
                other => Err(syn::Error::new(
                    lit.span(),
                    format!(
                        "unknown flavor {other:?}; expected \"multi_thread\" or \"current_thread\""
                    ),
                )),
            }
        })),
    };
    let flavor = match flavor.as_deref() {
        Some("current_thread") => {
            if let Some(setting) = settings.get("worker_threads") {
                errors.push(syn::Error::new(
                    setting.key.span(),
                    "`worker_threads` needs the multi-thread runtime; remove it or use `flavor = \"multi_thread\"`",
                ));
            }
            Flavor::CurrentThread
        }
        _ => Flavor::MultiThread { worker_threads },
    };

    let shutdown_timeout = settings
        .get("shutdown_timeout")
        .and_then(|setting| errors.take(setting.lit_str("\"30s\"").and_then(duration::parse)));
    if let (Some(timeout), Some(setting)) = (shutdown_timeout, settings.get("shutdown_timeout")) {
        if timeout.is_zero() {
            errors.push(syn::Error::new(
                setting.value.span(),
                "a shutdown budget of zero leaves no time to stop; expected a duration such as \"30s\"",
            ));
        }
    }
    let drain = settings
        .get("drain")
        .and_then(|setting| errors.take(setting.lit_str("\"5s\"").and_then(duration::parse)));
    if let (Some(drain), Some(setting)) = (drain, settings.get("drain")) {
        // The default shutdown timeout of `run::__private::MainConfig`.
        let timeout = shutdown_timeout.unwrap_or(Duration::from_secs(30));
        if drain >= timeout {
            errors.push(syn::Error::new(
                setting.value.span(),
                format!(
                    "the drain ({drain:?}) does not fit in the shutdown timeout ({timeout:?}); expected a drain shorter than `shutdown_timeout`, which it counts against"
                ),
            ));
        }
    }
    let drain_env = settings
        .get("drain_env")
        .and_then(|setting| errors.take(setting.lit_str("\"SERVICE_DRAIN\"").and_then(env_name)))
        .cloned();
    let startup_timeout = settings
        .get("startup_timeout")
        .and_then(|setting| errors.take(setting.lit_str("\"60s\"").and_then(duration::parse)));
    let signals = settings
        .get("signals")
        .and_then(|setting| errors.take(setting.lit_bool().map(|lit| lit.value)));
    let reload = settings
        .get("reload")
        .and_then(|setting| errors.take(setting.lit_bool().map(|lit| lit.value)));

    let init = settings
        .get("init")
        .and_then(|setting| errors.take(setting.fn_path("setup_logs")));
    let hook = settings
        .get("hook")
        .and_then(|setting| errors.take(setting.fn_path("on_event")));

    let sig = &input.item.sig;
    signature::require_async(sig, "#[run::main]", errors);
    signature::reject_unsafe(sig, "#[run::main]", errors);
    if let Some(param) = sig.generics.params.first() {
        errors.push(syn::Error::new(
            param.span(),
            "`#[run::main]` takes no generic parameters; expected `async fn main()`",
        ));
    } else if let Some(where_clause) = &sig.generics.where_clause {
        errors.push(syn::Error::new(
            where_clause.where_token.span,
            "`#[run::main]` takes no `where` clause; expected `async fn main()`",
        ));
    }
    let mut context = None;
    for (index, arg) in sig.inputs.iter().enumerate() {
        match arg {
            FnArg::Typed(param) if index == 0 => context = Some(param),
            FnArg::Typed(param) => errors.push(syn::Error::new(
                param.span(),
                "unexpected parameter; `#[run::main]` takes at most one, a `run::Context`",
            )),
            FnArg::Receiver(receiver) => errors.push(syn::Error::new(
                receiver.span(),
                "`#[run::main]` goes on a free function; expected no parameter or a `run::Context`",
            )),
        }
    }
    if let Some(variadic) = &sig.variadic {
        errors.push(syn::Error::new(
            variadic.span(),
            "unexpected variadic parameter; `#[run::main]` takes at most a `run::Context`",
        ));
    }

    Main {
        krate,
        flavor,
        shutdown_timeout,
        drain,
        drain_env,
        startup_timeout,
        signals,
        reload,
        init,
        hook,
        context,
        input,
    }
}

fn positive(lit: syn::Result<&LitInt>) -> syn::Result<LitInt> {
    let lit = lit?;
    match lit.base10_parse::<usize>() {
        Ok(value) if value > 0 && lit.suffix().is_empty() => Ok(lit.clone()),
        _ => Err(syn::Error::new(
            lit.span(),
            format!(
                "invalid thread count `{lit}`; expected a positive integer without suffix, such as `4`"
            ),
        )),
    }
}

/// An environment variable's name: not empty, without `=` or NUL (which no name can hold).
fn env_name(lit: &LitStr) -> syn::Result<&LitStr> {
    let name = lit.value();
    if name.is_empty() || name.contains(['=', '\0']) {
        return Err(syn::Error::new(
            lit.span(),
            format!(
                "invalid environment variable name {name:?}; expected a name without `=`, such as \"SERVICE_DRAIN\""
            ),
        ));
    }
    Ok(lit)
}
