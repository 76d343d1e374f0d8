//! The generated `fn main`: it keeps the user's function, unchanged, as an inner item, and
//! hands it to `run::__private::run_main` with the options.
//!
//! ```text
//! #[attrs] fn main() -> ::std::process::ExitCode {
//!     async fn main(ctx: run::Context) -> Result<(), E> { body }
//!     ::run::__private::run_main(::run::__private::MainConfig::new().current_thread(), main)
//! }
//! ```

use proc_macro2::TokenStream;
use quote::quote;
use syn::{ItemFn, ReturnType, Visibility, spanned::Spanned};

use super::validate::{Flavor, Main};
use crate::{duration, errors::Errors, spans};

pub(super) fn expand(main: &Main<'_>) -> TokenStream {
    let krate = &main.krate;
    let item = &main.input.item;
    let attrs = &item.attrs;
    let vis = &item.vis;
    let ident = &item.sig.ident;

    let mut inner = item.clone();
    inner.attrs.clear();
    inner.vis = Visibility::Inherited;

    let mut config = quote!(#krate::__private::MainConfig::new());
    match &main.flavor {
        Flavor::CurrentThread => config.extend(quote!(.current_thread())),
        Flavor::MultiThread {
            worker_threads: Some(threads),
        } => config.extend(quote!(.worker_threads(#threads))),
        Flavor::MultiThread {
            worker_threads: None,
        } => {}
    }
    if let Some(timeout) = main.shutdown_timeout {
        let timeout = duration::expand(timeout);
        config.extend(quote!(.shutdown_timeout(#timeout)));
    }
    if let Some(drain) = main.drain {
        let drain = duration::expand(drain);
        config.extend(quote!(.drain(#drain)));
    }
    if let Some(name) = &main.drain_env {
        config.extend(quote!(.drain_env(#name)));
    }
    if let Some(timeout) = main.startup_timeout {
        let timeout = duration::expand(timeout);
        config.extend(quote!(.startup_timeout(#timeout)));
    }
    if let Some(signals) = main.signals {
        config.extend(quote!(.signals(#signals)));
    }
    if let Some(reload) = main.reload {
        config.extend(quote!(.reload(#reload)));
    }
    // Spanned on the literals: a missing function or a wrong signature is reported there.
    if let Some((span, path)) = &main.init {
        let init = spans::respan_with_path(quote!(.init(__path)), *span, path);
        config.extend(init);
    }
    if let Some((span, path)) = &main.hook {
        let hook = spans::respan_with_path(quote!(.hook(__path)), *span, path);
        config.extend(hook);
    }

    // A wrong `Context` type is reported on the parameter's type, a wrong output type on the
    // return type: the tokens the compiler blames carry those spans.
    let call = match main.context {
        Some(param) => {
            let ctx = spans::respan(quote!(__ctx), param.ty.span());
            quote!(#ident(#ctx))
        }
        None => {
            config.extend(quote!(.without_context()));
            quote!(#ident())
        }
    };
    let output_span = match &item.sig.output {
        ReturnType::Default => item.sig.ident.span(),
        ReturnType::Type(_, ty) => ty.span(),
    };
    let output = spans::respan(quote!(__output), output_span);
    let body = quote! {
        move |__ctx: #krate::Context| async move {
            let __output = #call.await;
            #krate::__private::into_result(#output)
        }
    };

    quote! {
        #(#attrs)*
        #vis fn #ident() -> ::std::process::ExitCode {
            // `async` is what `#[run::main]` asks for, even of a body that never awaits.
            #[allow(clippy::unused_async)]
            #inner
            #krate::__private::run_main(#config, #body)
        }
    }
}

/// What is emitted when the function is fine but something else is not: a `fn main` with
/// the same name that does nothing, so that the only errors are the macro's own.
pub(super) fn stub(item: &ItemFn, error: &syn::Error) -> TokenStream {
    let attrs = &item.attrs;
    let vis = &item.vis;
    let ident = &item.sig.ident;
    let error = error.to_compile_error();
    quote! {
        #(#attrs)*
        #vis fn #ident() {}
        #error
    }
}

/// The item as written plus the errors, when it could not even be parsed.
pub(super) fn with_errors(item: TokenStream, errors: Errors) -> TokenStream {
    let error = errors
        .finish(())
        .err()
        .map(|error| error.to_compile_error());
    quote!(#item #error)
}
