//! What the struct and its options mean, each misuse reported on its own tokens.

use std::time::Duration;

use quote::format_ident;
use syn::{Data, Ident, LitStr, Member, Path, Type};

use super::parse::{Input, RESTART_OPTIONS};
use crate::{duration, errors::Errors, krate, options, options::Settings};

pub(super) struct ActorField {
    /// The `name` option, else the field's name; `None` for a tuple field without a name,
    /// which keeps the runner's own name.
    pub(super) name: Option<String>,
    /// `interrupt = "method"`: the literal (for spans) and the method's name.
    pub(super) interrupt: Option<(LitStr, Ident)>,
    /// The `ExitPolicy` variant.
    pub(super) exit: Option<Ident>,
    pub(super) stage: Option<u32>,
    pub(super) timeout: Option<Duration>,
    /// `restart = "on_failure"` or `"always"`, with its intensity and backoff: the field is
    /// restartable (its type must be `Clone`).
    pub(super) restart: Option<RestartField>,
    /// `after = "db"` or `after = ["db", "cache"]`: the names, each with its own span.
    pub(super) after: Vec<LitStr>,
    pub(super) ready_when_told: bool,
}

/// A restartable field's policy, checked: `None` keeps the runtime's default.
pub(super) struct RestartField {
    /// The `Restart` variant, spanned on the literal.
    pub(super) kind: Ident,
    pub(super) max_restarts: Option<u32>,
    pub(super) within: Option<Duration>,
    /// `(initial, max)`.
    pub(super) backoff: Option<(Duration, Duration)>,
}

pub(super) struct Field<'a> {
    pub(super) member: Member,
    pub(super) ty: &'a Type,
    /// The local the field is moved into.
    pub(super) binding: Ident,
    /// `None` for a data field.
    pub(super) actor: Option<ActorField>,
    /// A data field marked `#[actor(skip)]`: not checked for being a `Runner`.
    pub(super) skipped: bool,
}

pub(super) struct Derived<'a> {
    pub(super) krate: Path,
    pub(super) name: Option<LitStr>,
    /// The `Strategy` variant, spanned on the literal.
    pub(super) strategy: Option<Ident>,
    pub(super) fields: Vec<Field<'a>>,
    pub(super) input: &'a Input,
}

/// Option errors go to `errors` (the option then takes its default), shape errors to
/// `shape_errors` (only a stub can be generated then).
pub(super) fn validate<'a>(
    input: &'a Input,
    errors: &mut Errors,
    shape_errors: &mut Errors,
) -> Derived<'a> {
    let item = &input.item;
    let krate = input
        .settings
        .get("crate")
        .and_then(|setting| errors.take(setting.lit_str("\"my_run\"").and_then(krate::parse)))
        .unwrap_or_else(krate::default_path);
    let name = input
        .settings
        .get("name")
        .and_then(|setting| errors.take(options::actor_name(setting)));
    let strategy = input.settings.get("strategy").and_then(|setting| {
        errors.take(setting.lit_choice(
            "strategy",
            "one_for_all",
            &[
                ("one_for_one", "OneForOne"),
                ("one_for_all", "OneForAll"),
                ("rest_for_one", "RestForOne"),
            ],
        ))
    });

    let mut fields = Vec::new();
    match &item.data {
        Data::Struct(data) => {
            for (index, (field, settings)) in data.fields.iter().zip(&input.fields).enumerate() {
                let member = match &field.ident {
                    Some(ident) => Member::Named(ident.clone()),
                    None => Member::Unnamed(index.into()),
                };
                let skipped = settings
                    .as_ref()
                    .is_some_and(|settings| skip(settings, errors));
                let actor = settings
                    .as_ref()
                    .filter(|_| !skipped)
                    .map(|settings| actor_field(settings, field.ident.as_ref(), errors));
                fields.push(Field {
                    member,
                    ty: &field.ty,
                    binding: format_ident!("__field{index}"),
                    actor,
                    skipped,
                });
            }
            check_order(&fields, errors);
            if !fields.iter().any(|field| field.actor.is_some()) {
                shape_errors.push(syn::Error::new(
                    item.ident.span(),
                    "no field is marked `#[actor]`; expected at least one actor field, such as `#[actor] http: Http`",
                ));
            }
        }
        Data::Enum(data) => shape_errors.push(syn::Error::new(
            data.enum_token.span,
            "`Runner` can be derived for a struct only; expected a struct with `#[actor]` fields",
        )),
        Data::Union(data) => shape_errors.push(syn::Error::new(
            data.union_token.span,
            "`Runner` can be derived for a struct only; expected a struct with `#[actor]` fields",
        )),
    }
    Derived {
        krate,
        name,
        strategy,
        fields,
        input,
    }
}

/// Whether the field is `#[actor(skip)]`: data, though its type may be a `Runner`. `skip`
/// goes alone.
fn skip(settings: &Settings, errors: &mut Errors) -> bool {
    let Some(setting) = settings.get("skip") else {
        return false;
    };
    match errors.take(setting.lit_bool()) {
        Some(lit) if lit.value => {}
        Some(lit) => {
            errors.push(syn::Error::new(
                lit.span(),
                "expected a bare `skip`: `#[actor(skip)]` keeps the field as data",
            ));
            return false;
        }
        None => return false,
    }
    for other in super::parse::FIELD_OPTIONS
        .iter()
        .filter(|option| **option != "skip")
    {
        if let Some(other) = settings.get(other) {
            errors.push(syn::Error::new(
                other.key.span(),
                format!(
                    "`{}` does not go with `skip`: a skipped field is data, not an actor",
                    other.key
                ),
            ));
        }
    }
    true
}

fn actor_field(settings: &Settings, ident: Option<&Ident>, errors: &mut Errors) -> ActorField {
    let name = match settings.get("name") {
        Some(setting) => errors
            .take(options::actor_name(setting))
            .map(|lit| lit.value()),
        None => None,
    }
    .or_else(|| ident.map(|ident| syn::ext::IdentExt::unraw(ident).to_string()));
    let interrupt = settings.get("interrupt").and_then(|setting| {
        errors.take(setting.lit_str("\"shutdown\"").and_then(|lit| {
            let method = lit.parse::<Ident>().map_err(|_| {
                syn::Error::new(
                    lit.span(),
                    format!(
                        "invalid interrupt {:?}; expected the name of a method of the field's type, such as \"shutdown\"",
                        lit.value()
                    ),
                )
            })?;
            Ok((lit.clone(), method))
        }))
    });
    let exit = settings.get("exit").and_then(|setting| {
        errors.take(setting.lit_choice(
            "exit policy",
            "task",
            &[
                ("service", "Service"),
                ("task", "Task"),
                ("sidecar", "Sidecar"),
            ],
        ))
    });
    let stage = settings.get("stage").and_then(|setting| {
        errors.take(setting.lit_int("2").and_then(|lit| {
            lit.base10_parse::<u32>().map_err(|_| {
                syn::Error::new(
                    lit.span(),
                    format!(
                        "invalid stage `{lit}`; expected an integer from 0 to {}: 1 is the default, 0 goes before it",
                        u32::MAX
                    ),
                )
            })
        }))
    });
    let timeout = settings
        .get("timeout")
        .and_then(|setting| errors.take(setting.lit_str("\"10s\"").and_then(duration::parse)));
    let restart = restart_field(settings, errors);
    if let (Some(_), Some(setting)) = (&restart, settings.get("interrupt")) {
        errors.push(syn::Error::new(
            setting.key.span(),
            "`interrupt` does not go with `restart`: each incarnation of a restartable actor is interrupted through its runner's own interrupt",
        ));
    }
    let after = settings
        .get("after")
        .and_then(|setting| errors.take(after_names(setting)))
        .unwrap_or_default();
    let ready_when_told = settings
        .get("ready_when_told")
        .and_then(|setting| errors.take(setting.lit_bool().map(|lit| lit.value)))
        .unwrap_or(false);
    ActorField {
        name,
        interrupt: interrupt.filter(|_| restart.is_none()),
        exit,
        stage,
        timeout,
        restart,
        after,
        ready_when_told,
    }
}

/// The `restart` option and the options that go with it; those given without a restart are
/// reported on their keys.
fn restart_field(settings: &Settings, errors: &mut Errors) -> Option<RestartField> {
    let kind = settings.get("restart").and_then(|setting| {
        errors.take(setting.lit_choice(
            "restart policy",
            "on_failure",
            &[
                ("never", "Never"),
                ("on_failure", "OnFailure"),
                ("always", "Always"),
            ],
        ))
    });
    let Some(kind) = kind.filter(|kind| kind != "Never") else {
        for option in RESTART_OPTIONS {
            if let Some(setting) = settings.get(option) {
                errors.push(syn::Error::new(
                    setting.key.span(),
                    format!(
                        "`{option}` needs a restart: add `restart = \"on_failure\"` or `restart = \"always\"`"
                    ),
                ));
            }
        }
        return None;
    };
    let max_restarts = settings.get("max_restarts").and_then(|setting| {
        errors.take(setting.lit_int("3").and_then(|lit| {
            lit.base10_parse::<u32>().map_err(|_| {
                syn::Error::new(
                    lit.span(),
                    format!(
                        "invalid max_restarts `{lit}`; expected an integer from 0 to {}",
                        u32::MAX
                    ),
                )
            })
        }))
    });
    let within = settings.get("within").and_then(|setting| {
        errors.take(setting.lit_str("\"10s\"").and_then(|lit| {
            let within = duration::parse(lit)?;
            if within.is_zero() {
                return Err(syn::Error::new(
                    lit.span(),
                    "a zero `within` period allows no restart at all; expected a period such as \"10s\"",
                ));
            }
            Ok(within)
        }))
    });
    let backoff = settings.get("backoff").and_then(|setting| {
        errors.take(
            setting
                .lit_str("\"100ms..5s\"")
                .and_then(duration::parse_range),
        )
    });
    Some(RestartField {
        kind,
        max_restarts,
        within,
        backoff,
    })
}

/// `after = "db"` or `after = ["db", "cache"]`.
fn after_names(setting: &options::Setting) -> syn::Result<Vec<LitStr>> {
    const EXPECTED: &str = "expected the name of another actor field, such as `after = \"db\"`, or a list, such as `after = [\"db\", \"cache\"]`";
    let lit = |expr: &syn::Expr| match expr {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(lit),
            ..
        }) => Ok(lit.clone()),
        other => Err(syn::Error::new_spanned(other, EXPECTED)),
    };
    match &setting.value {
        syn::Expr::Array(array) => array.elems.iter().map(lit).collect(),
        other => Ok(vec![lit(other)?]),
    }
}

/// Checks every `after` name against the actor fields' names, and the graph for a cycle;
/// each error is on the name that is wrong (for a cycle, the name that closes it).
pub(super) fn check_order(fields: &[Field<'_>], errors: &mut Errors) {
    let actors: Vec<&ActorField> = fields
        .iter()
        .filter_map(|field| field.actor.as_ref())
        .collect();
    let names: Vec<&str> = actors
        .iter()
        .filter_map(|actor| actor.name.as_deref())
        .collect();
    // Per actor (by position in `actors`): the actors it starts after, with the name's literal.
    let mut edges: Vec<Vec<(usize, &LitStr)>> = vec![Vec::new(); actors.len()];
    for (at, actor) in actors.iter().enumerate() {
        for lit in &actor.after {
            let wanted = lit.value();
            let found: Vec<usize> = (actors.iter().enumerate())
                .filter(|(_, other)| other.name.as_deref() == Some(wanted.as_str()))
                .map(|(other, _)| other)
                .collect();
            if found.is_empty() {
                errors.push(syn::Error::new(
                    lit.span(),
                    format!(
                        "unknown actor {wanted:?} in `after`; expected the name of another actor field of this struct: {}",
                        names
                            .iter()
                            .map(|name| format!("{name:?}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
            edges[at].extend(found.into_iter().map(|other| (other, lit)));
        }
    }
    // A depth-first search; an edge back to an actor on the path closes a cycle.
    let mut state = vec![0u8; actors.len()]; // 0 unseen, 1 on the path, 2 done
    for root in 0..actors.len() {
        if state[root] == 0 {
            visit(root, &edges, &mut state, errors);
        }
    }
}

fn visit(at: usize, edges: &[Vec<(usize, &LitStr)>], state: &mut [u8], errors: &mut Errors) {
    state[at] = 1;
    for &(next, lit) in &edges[at] {
        match state[next] {
            0 => visit(next, edges, state, errors),
            1 if next == at => errors.push(syn::Error::new(
                lit.span(),
                format!(
                    "`after = {:?}` names the actor itself; expected the name of another actor field",
                    lit.value()
                ),
            )),
            1 => errors.push(syn::Error::new(
                lit.span(),
                format!(
                    "`after = {:?}` closes a cycle in the start order; expected actors that start after others without coming back to themselves",
                    lit.value()
                ),
            )),
            _ => {}
        }
    }
    state[at] = 2;
}
