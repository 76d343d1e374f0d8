//! The generated `Runner` impl. For
//! `struct App { #[actor(interrupt = "shutdown")] http: Http, config: Config }`:
//!
//! ```text
//! impl Runner for App where Http: Runner, Config: Send + 'static {
//!     type Error = run::Error;
//!     fn run(self, ctx: Context) -> impl Future<..> + Send {
//!         let Self { http: field0, config: field1 } = self;
//!         let mut group = ctx.group();
//!         let interrupt = into_interrupt(<Http>::shutdown(&field0));
//!         group.spawn(field0).name("http").interrupt(interrupt);
//!         async move { let result = group.run().await; drop((field1,)); result }
//!     }
//! }
//! ```
//!
//! The actor fields run as the actors of a child group of the runner's `Context`, in
//! declaration order; the data fields live until that group has returned.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{WhereClause, spanned::Spanned};

use super::validate::{Derived, Field};
use crate::{duration, spans};

pub(super) fn expand(derived: &Derived<'_>) -> TokenStream {
    let krate = &derived.krate;
    let item = &derived.input.item;
    let ident = &item.ident;
    let (impl_generics, ty_generics, _) = item.generics.split_for_impl();
    let where_clause = bounds(derived);

    let members = derived.fields.iter().map(|field| &field.member);
    let bindings = derived.fields.iter().map(|field| &field.binding);
    let spawns = derived
        .fields
        .iter()
        .filter_map(|field| spawn(derived, field));
    let data: Vec<_> = derived
        .fields
        .iter()
        .filter(|field| field.actor.is_none())
        .map(|field| &field.binding)
        .collect();
    let keep_data = if data.is_empty() {
        quote!()
    } else {
        quote!(::core::mem::drop((#(#data,)*));)
    };
    let checks = unmarked_runner_checks(derived);
    // With `#[runner(name)]`, the name shows however the struct is run (spawned, or inline
    // from another actor's body); without one, its fields are the actor's children.
    let group = match &derived.name {
        Some(name) => quote!(#krate::__private::derived_group(&__ctx, #name)),
        None => quote!(__ctx.group()),
    };
    let group = match &derived.strategy {
        Some(strategy) => quote!(#group.strategy(#krate::Strategy::#strategy)),
        None => group,
    };
    let name = derived.name.as_ref().map(|name| {
        quote! {
            fn name(&self) -> ::std::borrow::Cow<'static, str> {
                ::std::borrow::Cow::Borrowed(#name)
            }
        }
    });

    quote! {
        #[automatically_derived]
        impl #impl_generics #krate::Runner for #ident #ty_generics #where_clause {
            type Error = #krate::Error;

            fn run(
                self,
                __ctx: #krate::Context,
            ) -> impl ::core::future::Future<
                Output = ::core::result::Result<(), #krate::Error>,
            > + ::core::marker::Send {
                let Self { #(#members: #bindings),* } = self;
                let mut __group = #group;
                #(#spawns)*
                async move {
                    let __result = __group.run().await;
                    #keep_data
                    __result
                }
            }

            #name
        }

        #checks
    }
}

/// For each unmarked field whose type does not depend on the struct's generic parameters: a
/// constant that fails to compile, on the field, if its type is a `Runner` (a runner that is
/// not marked `#[actor]` would silently never run). An inherent constant whose impl requires
/// `Runner` wins over a trait's default when the bound holds, and is skipped when it does not.
fn unmarked_runner_checks(derived: &Derived<'_>) -> TokenStream {
    let krate = &derived.krate;
    let generics: Vec<String> = derived
        .input
        .item
        .generics
        .params
        .iter()
        .filter_map(|param| match param {
            syn::GenericParam::Type(param) => Some(param.ident.to_string()),
            syn::GenericParam::Const(param) => Some(param.ident.to_string()),
            syn::GenericParam::Lifetime(_) => None,
        })
        .collect();
    let checks = derived
        .fields
        .iter()
        .enumerate()
        .filter(|(_, field)| field.actor.is_none() && !field.skipped)
        .filter(|(_, field)| !mentions(field.ty, &generics))
        .map(|(index, field)| {
            let ty = field.ty;
            let check = quote::format_ident!("__Unmarked{index}");
            let message = format!(
                "field `{}` is a `Runner` but has no `#[actor]`: mark it `#[actor]` to run it, or `#[actor(skip)]` to keep it as data",
                match &field.member {
                    syn::Member::Named(ident) => syn::ext::IdentExt::unraw(ident).to_string(),
                    syn::Member::Unnamed(index) => index.index.to_string(),
                }
            );
            let fail = spans::respan(quote!(::core::panic!(#message)), ty.span());
            let read = spans::respan(quote!(#check::<#ty>::CHECK), ty.span());
            quote! {
                struct #check<T: ?::core::marker::Sized>(::core::marker::PhantomData<T>);
                impl<T: ?::core::marker::Sized> __NotARunner for #check<T> {}
                impl<T: ?::core::marker::Sized + #krate::Runner> #check<T> {
                    const CHECK: () = #fail;
                }
                let _: () = #read;
            }
        })
        .collect::<Vec<_>>();
    if checks.is_empty() {
        return TokenStream::new();
    }
    quote! {
        #[allow(non_camel_case_types, dead_code, clippy::all, clippy::pedantic)]
        const _: () = {
            trait __NotARunner {
                const CHECK: () = ();
            }
            #(#checks)*
        };
    }
}

/// Whether `ty` names one of `generics` anywhere in its tokens.
fn mentions(ty: &syn::Type, generics: &[String]) -> bool {
    fn walk(tokens: proc_macro2::TokenStream, generics: &[String]) -> bool {
        tokens.into_iter().any(|token| match token {
            proc_macro2::TokenTree::Ident(ident) => generics.iter().any(|g| ident == g),
            proc_macro2::TokenTree::Group(group) => walk(group.stream(), generics),
            _ => false,
        })
    }
    !generics.is_empty() && walk(quote!(#ty), generics)
}

/// The struct's own where clause plus, on each field's type: `Runner` for an actor field,
/// `Send + 'static` for a data field. They make generic structs work, and put the error for
/// a field that is not a runner on that field's type.
fn bounds(derived: &Derived<'_>) -> WhereClause {
    let krate = &derived.krate;
    let mut where_clause = derived
        .input
        .item
        .generics
        .where_clause
        .clone()
        .unwrap_or_else(|| syn::parse_quote!(where));
    for field in &derived.fields {
        let ty = field.ty;
        let restartable = field
            .actor
            .as_ref()
            .is_some_and(|actor| actor.restart.is_some());
        let bound = if restartable {
            quote!(#ty: #krate::Runner + #krate::__private::RestartableField)
        } else if field.actor.is_some() {
            quote!(#ty: #krate::Runner)
        } else {
            quote!(#ty: ::core::marker::Send + 'static)
        };
        let bound = spans::respan(bound, ty.span());
        where_clause.predicates.push(syn::parse_quote!(#bound));
    }
    where_clause
}

fn spawn(derived: &Derived<'_>, field: &Field<'_>) -> Option<TokenStream> {
    let krate = &derived.krate;
    let actor = field.actor.as_ref()?;
    let binding = &field.binding;
    let ty = field.ty;
    let mut options = TokenStream::new();
    if let Some(name) = &actor.name {
        options.extend(quote!(.name(#name)));
    }
    if let Some(exit) = &actor.exit {
        options.extend(quote!(.exit(#krate::ExitPolicy::#exit)));
    }
    if let Some(stage) = actor.stage {
        options.extend(quote!(.stage(#stage)));
    }
    if let Some(timeout) = actor.timeout {
        let timeout = duration::expand(timeout);
        options.extend(quote!(.timeout(#timeout)));
    }
    for after in &actor.after {
        options.extend(quote!(.after(#after)));
    }
    if actor.ready_when_told {
        options.extend(quote!(.ready_when_told()));
    }
    let interrupt = actor.interrupt.as_ref().map(|(lit, method)| {
        // Spanned on the literal: a missing method or a wrong signature is reported there.
        let call = quote!(#krate::__private::into_interrupt(<#ty>::#method(&#binding)));
        let call = spans::respan(call, lit.span());
        options.extend(quote!(.interrupt(__interrupt)));
        quote!(let __interrupt = #call;)
    });
    if let Some(restart) = &actor.restart {
        let kind = &restart.kind;
        let mut policy = quote!(#krate::RestartPolicy::new(#krate::Restart::#kind));
        if let Some(max) = restart.max_restarts {
            policy.extend(quote!(.max_restarts(#max)));
        }
        if let Some(within) = restart.within {
            let within = duration::expand(within);
            policy.extend(quote!(.within(#within)));
        }
        if let Some((initial, max)) = restart.backoff {
            let (initial, max) = (duration::expand(initial), duration::expand(max));
            policy.extend(quote!(.backoff(#krate::Backoff::new(#initial, #max))));
        }
        return Some(quote! {
            __group
                .supervise(#krate::__private::remake(#binding))
                #options
                .restart(#policy);
        });
    }
    Some(quote! {
        #interrupt
        __group.spawn(#binding)#options;
    })
}

/// A `Runner` impl that does nothing, for a type the derive refused: its uses then compile,
/// and the derive's own error is the only one.
pub(super) fn stub(derived: &Derived<'_>) -> TokenStream {
    let krate = &derived.krate;
    let item = &derived.input.item;
    let ident = &item.ident;
    let (impl_generics, ty_generics, where_clause) = item.generics.split_for_impl();
    let mut where_clause = where_clause
        .cloned()
        .unwrap_or_else(|| syn::parse_quote!(where));
    where_clause
        .predicates
        .push(syn::parse_quote!(Self: ::core::marker::Send + 'static));
    quote! {
        #[automatically_derived]
        impl #impl_generics #krate::Runner for #ident #ty_generics #where_clause {
            type Error = #krate::Error;

            fn run(
                self,
                _: #krate::Context,
            ) -> impl ::core::future::Future<
                Output = ::core::result::Result<(), #krate::Error>,
            > + ::core::marker::Send {
                ::core::future::ready(::core::result::Result::Ok(()))
            }
        }
    }
}
