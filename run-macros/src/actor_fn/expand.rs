//! The generated constructor, runner struct and `Runner` impl. For
//! `#[actor] async fn ticker(period: Duration, ctx: Context) -> io::Result<()>`:
//!
//! ```text
//! fn ticker(period: Duration) -> Ticker { Ticker(period, PhantomData) }
//! struct Ticker(Duration, PhantomData<..>);
//! impl Runner for Ticker {
//!     type Error = BoxError;
//!     fn run(self, ctx: Context) -> impl Future<..> + Send {
//!         async fn ticker(period: Duration, ctx: Context) -> io::Result<()> { body }
//!         let Self(arg0, ..) = self;
//!         async move { into_result(ticker(arg0, ctx).await) }
//!     }
//!     fn name(&self) -> Cow<'static, str> { Cow::Borrowed("ticker") }
//!     // With `interrupt = "stop"`: `into_interrupt(stop(&self.0))`.
//!     fn interrupt(&mut self) -> Interrupt { Interrupt::Context }
//! }
//! ```
//!
//! The interrupt is the runner's own (`Runner::interrupt`), so every group delivers it
//! through the runtime's one interrupt path: the macro adds none of its own.
//!
//! The user's function is kept unchanged as an inner item: `?`, `return` and the output type
//! mean what they say, and errors in the body point at the body.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::{
    Attribute, GenericParam, Ident, ReturnType, Visibility, ext::IdentExt, spanned::Spanned,
};

use super::validate::{ActorFn, Interrupt};
use crate::spans;

pub(super) fn expand(actor: &ActorFn<'_>) -> TokenStream {
    let krate = &actor.krate;
    let item = &actor.input.item;
    let vis = &item.vis;
    let ident = &item.sig.ident;
    let runner = runner_ident(ident);
    let generics = &item.sig.generics;
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    let name = &actor.name;

    let cfgs: Vec<&Attribute> = item
        .attrs
        .iter()
        .filter(|attr| attr.path().is_ident("cfg"))
        .collect();
    let inner_attrs: Vec<&Attribute> = item
        .attrs
        .iter()
        .filter(|attr| {
            [
                "cfg", "cfg_attr", "allow", "warn", "deny", "forbid", "expect",
            ]
            .iter()
            .any(|kept| attr.path().is_ident(kept))
        })
        .collect();
    let mut inner = item.clone();
    inner.attrs.clear();
    inner.vis = Visibility::Inherited;

    let stored: Vec<_> = actor
        .params
        .iter()
        .enumerate()
        .filter(|(index, _)| Some(*index) != actor.context)
        .map(|(index, param)| (format_ident!("__arg{index}"), param))
        .collect();
    let stored_idents: Vec<&Ident> = stored.iter().map(|(ident, _)| ident).collect();
    let stored_types = stored.iter().map(|(_, param)| &param.ty);
    let constructor_params = stored
        .iter()
        .map(|(ident, param)| {
            let ty = &param.ty;
            quote!(#ident: #ty)
        })
        .collect::<Vec<_>>();
    let call_args = actor.params.iter().enumerate().map(|(index, _)| {
        if Some(index) == actor.context {
            quote!(__ctx)
        } else {
            let ident = format_ident!("__arg{index}");
            quote!(#ident)
        }
    });

    let type_params: Vec<&Ident> = generics
        .params
        .iter()
        .filter_map(|param| match param {
            GenericParam::Type(param) => Some(&param.ident),
            _ => None,
        })
        .collect();
    let turbofish_params: Vec<&Ident> = generics
        .params
        .iter()
        .filter_map(|param| match param {
            GenericParam::Type(param) => Some(&param.ident),
            GenericParam::Const(param) => Some(&param.ident),
            GenericParam::Lifetime(_) => None,
        })
        .collect();
    let turbofish = if turbofish_params.is_empty() {
        quote!()
    } else {
        quote!(::<#(#turbofish_params),*>)
    };

    // A wrong output type is reported once, on the return type.
    let output_span = match &item.sig.output {
        ReturnType::Default => ident.span(),
        ReturnType::Type(_, ty) => ty.span(),
    };
    let output = spans::respan(quote!(__output), output_span);
    let stored_fields = (0..stored.len()).map(syn::Index::from);
    let interrupt = match &actor.interrupt {
        Interrupt::Context => quote!(#krate::Interrupt::Context),
        Interrupt::Abort => quote!(#krate::Interrupt::Abort),
        Interrupt::Call { span, path } => {
            // Spanned on the value: a missing function or a wrong signature is reported
            // there.
            let call = quote!(#krate::__private::into_interrupt(__path(#(&self.#stored_fields),*)));
            spans::respan_with_path(call, *span, path)
        }
    };

    let clone = clone_impl(actor, &runner, &stored, &cfgs);

    let doc = format!(
        " The actor made by [`{}`]: a `Runner` that runs its body with the arguments it was given.",
        ident.unraw()
    );
    let attrs = &item.attrs;
    quote! {
        #(#attrs)*
        #[must_use = "an actor does nothing until it is spawned in a group"]
        #vis fn #ident #impl_generics (#(#constructor_params),*) -> #runner #ty_generics #where_clause {
            #runner(#(#stored_idents,)* ::core::marker::PhantomData)
        }

        #(#cfgs)*
        #[doc = #doc]
        #[must_use = "an actor does nothing until it is spawned in a group"]
        #vis struct #runner #generics (
            #(#stored_types,)*
            ::core::marker::PhantomData<fn() -> (#(#type_params,)*)>,
        ) #where_clause;

        #(#cfgs)*
        #[automatically_derived]
        impl #impl_generics #krate::Runner for #runner #ty_generics #where_clause {
            type Error = #krate::BoxError;

            fn run(
                self,
                __ctx: #krate::Context,
            ) -> impl ::core::future::Future<
                Output = ::core::result::Result<(), Self::Error>,
            > + ::core::marker::Send {
                #(#inner_attrs)*
                // `async` is what `#[actor]` asks for, even of a body that never awaits.
                #[allow(clippy::unused_async)]
                #inner
                let Self(#(#stored_idents,)* _) = self;
                async move {
                    let __output = #ident #turbofish (#(#call_args),*).await;
                    #krate::__private::into_result(#output)
                }
            }

            fn name(&self) -> ::std::borrow::Cow<'static, str> {
                ::std::borrow::Cow::Borrowed(#name)
            }

            fn interrupt(&mut self) -> #krate::Interrupt {
                #interrupt
            }
        }

        #clone
    }
}

/// `Clone` for the runner when its stored arguments are `Clone`, so that it can be a
/// restartable field (`#[actor(restart = "...")]`, which makes a new clone per incarnation).
///
/// Each argument's bound is higher-ranked (`for<'__a> Arg: Clone`): a bound on a concrete
/// type that does not hold would otherwise be refused where the impl is written, even when
/// no one clones the runner. The higher-ranked bound moves the check to the use, and its
/// tokens are spanned at the argument's type, so a restartable field whose actor captures a
/// non-`Clone` argument is reported as that argument not being `Clone`.
fn clone_impl(
    actor: &ActorFn<'_>,
    runner: &Ident,
    stored: &[(Ident, &&syn::PatType)],
    cfgs: &[&Attribute],
) -> TokenStream {
    let generics = &actor.input.item.sig.generics;
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    let mut where_clause = where_clause
        .cloned()
        .unwrap_or_else(|| syn::parse_quote!(where));
    for (_, param) in stored {
        let ty = &param.ty;
        let bound = quote_spanned!(ty.span()=> for<'__a> #ty: ::core::clone::Clone);
        where_clause.predicates.push(syn::parse_quote!(#bound));
    }
    let fields = (0..stored.len()).map(syn::Index::from);
    quote! {
        #(#cfgs)*
        #[automatically_derived]
        #[allow(clippy::all, clippy::pedantic)]
        impl #impl_generics ::core::clone::Clone for #runner #ty_generics #where_clause {
            fn clone(&self) -> Self {
                #runner(
                    #(::core::clone::Clone::clone(&self.#fields),)*
                    ::core::marker::PhantomData,
                )
            }
        }
    }
}

/// What stands for an actor whose signature was refused: the constructor (without the
/// `Context` parameter) and a runner that does nothing, so that the uses of both compile and
/// the signature's error is the only one.
pub(super) fn stub(actor: &ActorFn<'_>) -> TokenStream {
    let krate = &actor.krate;
    let item = &actor.input.item;
    let vis = &item.vis;
    let ident = &item.sig.ident;
    let runner = runner_ident(ident);
    let types = actor
        .params
        .iter()
        .enumerate()
        .filter(|(index, _)| Some(*index) != actor.context)
        .map(|(_, param)| &param.ty);
    quote! {
        #[allow(clippy::all, clippy::pedantic)]
        #vis fn #ident(#(_: #types),*) -> #runner {
            #runner
        }

        #[allow(clippy::all, clippy::pedantic)]
        #[derive(Clone)]
        #vis struct #runner;

        #[automatically_derived]
        impl #krate::Runner for #runner {
            type Error = #krate::BoxError;

            fn run(
                self,
                _: #krate::Context,
            ) -> impl ::core::future::Future<
                Output = ::core::result::Result<(), Self::Error>,
            > + ::core::marker::Send {
                ::core::future::ready(::core::result::Result::Ok(()))
            }
        }
    }
}

/// `ticker` → `Ticker`, `http_server` → `HttpServer`, spanned like the function's name.
fn runner_ident(ident: &Ident) -> Ident {
    let name: String = ident
        .unraw()
        .to_string()
        .split('_')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_uppercase().chain(chars).collect()
            })
        })
        .collect();
    Ident::new(&name, ident.span())
}

#[cfg(test)]
mod tests {
    use super::runner_ident;
    use proc_macro2::Span;
    use syn::Ident;

    #[test]
    fn runner_names_are_camel_case() {
        let camel = |name: &str| runner_ident(&Ident::new(name, Span::call_site())).to_string();
        assert_eq!(camel("ticker"), "Ticker");
        assert_eq!(camel("http_server"), "HttpServer");
        assert_eq!(camel("_private__thing_"), "PrivateThing");
        assert_eq!(camel("Already"), "Already");
    }
}
