//! A snapshot of a running tree of actors: what a `/status` endpoint shows.
//!
//! Invariants: a snapshot only reads what the core keeps anyway (a member's flags, its
//! scope's start, the children it made) plus the restart records of supervised members, so a
//! group whose status is never read pays nothing for it; taking one locks each scope's
//! bookkeeping briefly and never an actor's hot path.

use std::{
    fmt,
    sync::{Arc, Mutex, PoisonError, Weak},
    time::Duration,
};

use crate::{
    context::Context,
    core::{scope::Scope, status::Phase},
    name::{ActorName, Leaf},
};

/// Where an actor is in its life, in a [`Status`] snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum ActorState {
    /// Running, not interrupted.
    Running,
    /// Interrupted, not yet returned.
    Stopping,
    /// Ended and waiting to start again: its backoff, or siblings restarted with it.
    Restarting,
    /// Returned for good.
    Exited,
}

impl fmt::Display for ActorState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ActorState::Running => "running",
            ActorState::Stopping => "stopping",
            ActorState::Restarting => "restarting",
            ActorState::Exited => "exited",
        })
    }
}

/// One actor in a [`Status`] snapshot, with the actors of the groups it runs.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct ActorStatus {
    /// The actor's path.
    #[cfg_attr(feature = "serde", serde(serialize_with = "as_string"))]
    pub name: ActorName,
    /// Where it is in its life.
    pub state: ActorState,
    /// How long its current incarnation has run; `None` while it restarts and once it has
    /// exited. `Display` shows it in whole milliseconds, and so does the JSON (feature
    /// `serde`), as a number field `uptime_ms` (`null` when `None`).
    #[cfg_attr(
        feature = "serde",
        serde(rename = "uptime_ms", serialize_with = "as_millis")
    )]
    pub uptime: Option<Duration>,
    /// How many times it was restarted.
    pub restarts: u32,
    /// The error its last restart followed, if that was a failure.
    pub last_error: Option<String>,
    /// The actors of the groups it runs ([`Context::group`]), in the order they were added,
    /// then its child tasks ([`Context::spawn`], [`Context::supervise`]). A group it runs
    /// under a name of its own ([`Context::group_named`], a derived struct with
    /// `#[runner(name = "...")]` run from its body) is one entry here, a
    /// [`group`](ActorStatus::group), whose children are that group's actors: every level of
    /// the paths shows once.
    pub children: Vec<ActorStatus>,
    /// Whether this entry is a named group rather than an actor: a level of the tree (such as
    /// `main/app` above `main/app/http`) made by the actor above it. Its state is that
    /// actor's, its uptime how long the group has run; it has no restarts nor error of its
    /// own. `Display` marks it `(group)`.
    pub group: bool,
}

/// A snapshot of a running tree: its top group's actors, each with the actors of the groups
/// it runs. `Display` prints one line per actor, indented by depth.
///
/// The snapshot holds each actor's last error text, which can carry a host name, a file path
/// or a connection string: serve it to operators only (an admin port on loopback, the logs),
/// and [`without_errors`](Status::without_errors) to anything that may face the outside.
///
/// ```
/// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
/// use run::{ActorState, Context, Group};
/// use tokio::sync::oneshot;
///
/// let (send, seen) = oneshot::channel();
/// let mut group = Group::named("app");
/// group
///     .spawn(|ctx: Context| async move {
///         let mut nested = ctx.group_named("http");
///         nested.spawn(|conn: Context| conn.into_interrupted()).name("listener");
///         nested.run().await
///     })
///     .name("server");
/// group
///     .spawn(move |ctx: Context| async move {
///         tokio::task::yield_now().await; // let the server start its group
///         send.send(ctx.status().to_string()).unwrap();
///         Ok::<_, std::io::Error>(())
///     })
///     .name("reporter");
/// group.run().await.unwrap();
/// assert_eq!(
///     seen.await.unwrap(),
///     "app/server: running, up 0ns\n  \
///        app/server/http (group): running, up 0ns\n    \
///          app/server/http/listener: running, up 0ns\n\
///      app/reporter: running, up 0ns\n"
/// );
/// # }
/// ```
#[derive(Debug, Clone, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Status {
    /// The top group's actors, in the order they were added.
    pub actors: Vec<ActorStatus>,
}

impl Status {
    /// The actor at `path`, at any depth.
    pub fn find(&self, path: &str) -> Option<&ActorStatus> {
        fn walk<'s>(actors: &'s [ActorStatus], path: &str) -> Option<&'s ActorStatus> {
            actors.iter().find_map(|actor| {
                if actor.name == path {
                    Some(actor)
                } else {
                    walk(&actor.children, path)
                }
            })
        }
        walk(&self.actors, path)
    }

    /// The same snapshot without error texts: states, uptimes and restarts only, at every
    /// depth. For anything that may face the outside (a public `/health` page, a dashboard
    /// shared beyond the operators): an error's text can carry a host name, a file path or a
    /// connection string. The full snapshot is for the operators (an admin port on loopback)
    /// and the logs.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// use run::{Backoff, Context, Group, Restart, RestartPolicy};
    /// use tokio::sync::oneshot;
    ///
    /// let (send, seen) = oneshot::channel();
    /// let mut group = Group::named("app");
    /// let failed = AtomicBool::new(false);
    /// group
    ///     .supervise(move || {
    ///         let fail = !failed.swap(true, Ordering::Relaxed); // the first run fails
    ///         move |ctx: Context| async move {
    ///             if fail {
    ///                 return Err(std::io::Error::other("no route to db.internal:5432"));
    ///             }
    ///             ctx.interrupted().await;
    ///             Ok(())
    ///         }
    ///     })
    ///     .name("db")
    ///     .restart(RestartPolicy::new(Restart::OnFailure).backoff(Backoff::none()));
    /// group
    ///     .spawn(move |ctx: Context| async move {
    ///         tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    ///         let status = ctx.status();
    ///         send.send((status.to_string(), status.without_errors().to_string())).unwrap();
    ///     })
    ///     .name("reporter");
    /// group.run().await.unwrap();
    /// let (full, public) = seen.await.unwrap();
    /// assert_eq!(
    ///     full,
    ///     "app/db: running, up 1s, 1 restarts, last error: actor `app/db` failed: no route to \
    ///      db.internal:5432\napp/reporter: running, up 1s\n"
    /// );
    /// assert_eq!(public, "app/db: running, up 1s, 1 restarts\napp/reporter: running, up 1s\n");
    /// # }
    /// ```
    #[must_use]
    pub fn without_errors(mut self) -> Self {
        fn clear(actors: &mut [ActorStatus]) {
            for actor in actors {
                actor.last_error = None;
                clear(&mut actor.children);
            }
        }
        clear(&mut self.actors);
        self
    }

    fn of(scope: &Scope) -> Self {
        Self {
            actors: actors_of(scope),
        }
    }
}

fn actors_of(scope: &Scope) -> Vec<ActorStatus> {
    (0..scope.fixed_count())
        .map(|index| actor_of(scope, index))
        .collect()
}

fn actor_of(scope: &Scope, index: usize) -> ActorStatus {
    let record = scope.restart_record(index);
    let exited = scope.has_exited(index);
    let state = if exited {
        ActorState::Exited
    } else if record
        .as_ref()
        .is_some_and(|record| record.phase() == Phase::Restarting)
    {
        ActorState::Restarting
    } else if scope.is_interrupted(index) {
        ActorState::Stopping
    } else {
        ActorState::Running
    };
    let since = record
        .as_ref()
        .map_or_else(|| scope.created(), |record| record.since());
    let mut children: Vec<ActorStatus> = scope
        .children_of(index)
        .iter()
        .flat_map(|child| match record {
            // An incarnation: its one member is this actor; show what that one runs.
            Some(_) => (0..child.fixed_count())
                .flat_map(|inner| actor_of(child, inner).children)
                .collect::<Vec<_>>(),
            None => group_of(scope, index, child, state),
        })
        .collect();
    children.extend(
        scope
            .child_tasks_of(index)
            .into_iter()
            .map(|child| actor_of(scope, child)),
    );
    ActorStatus {
        name: scope.name(index),
        state,
        uptime: (state == ActorState::Running || state == ActorState::Stopping)
            .then(|| since.elapsed()),
        restarts: record.as_ref().map_or(0, |record| record.restarts()),
        last_error: record
            .as_ref()
            .and_then(|record| record.last_error())
            .map(|error| error.report().to_string()),
        children,
        group: false,
    }
}

/// What the group `child`, run by actor `index` of `scope` (in `state`), adds to that actor's
/// children: its actors, under one entry for the group when it has a name of its own (its
/// path is not the actor's), so that its level of the paths shows.
fn group_of(scope: &Scope, index: usize, child: &Scope, state: ActorState) -> Vec<ActorStatus> {
    let actors = actors_of(child);
    let Some(path) = child.path() else {
        return actors;
    };
    if scope.name(index) == **path {
        return actors;
    }
    let name = match path.rsplit_once('/') {
        Some((parent, leaf)) => ActorName::new(Some(parent.into()), Leaf::Shared(leaf.into())),
        None => ActorName::new(None, Leaf::Shared(Arc::clone(path))),
    };
    vec![ActorStatus {
        name,
        state,
        uptime: (state == ActorState::Running || state == ActorState::Stopping)
            .then(|| child.created().elapsed()),
        restarts: 0,
        last_error: None,
        children: actors,
        group: true,
    }]
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn write(f: &mut fmt::Formatter<'_>, actors: &[ActorStatus], depth: usize) -> fmt::Result {
            for actor in actors {
                let group = if actor.group { " (group)" } else { "" };
                write!(
                    f,
                    "{:indent$}{}{group}: {}",
                    "",
                    actor.name,
                    actor.state,
                    indent = depth * 2
                )?;
                if let Some(uptime) = actor.uptime {
                    // Whole milliseconds: a status line is read by people.
                    let uptime = Duration::from_millis(uptime.as_millis() as u64);
                    write!(f, ", up {uptime:?}")?;
                }
                if actor.restarts > 0 {
                    write!(f, ", {} restarts", actor.restarts)?;
                }
                if let Some(error) = &actor.last_error {
                    write!(f, ", last error: {error}")?;
                }
                writeln!(f)?;
                write(f, &actor.children, depth + 1)?;
            }
            Ok(())
        }
        write(f, &self.actors, 0)
    }
}

#[cfg(feature = "serde")]
fn as_string<S: serde::Serializer>(name: &ActorName, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(name)
}

/// An uptime in whole milliseconds: a number any JSON reader takes, unlike a `Duration`'s
/// `{"secs", "nanos"}`.
#[cfg(feature = "serde")]
#[allow(clippy::ref_option)] // the signature `serialize_with` asks for
fn as_millis<S: serde::Serializer>(
    uptime: &Option<Duration>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match uptime {
        Some(uptime) => {
            serializer.serialize_u64(u64::try_from(uptime.as_millis()).unwrap_or(u64::MAX))
        }
        None => serializer.serialize_none(),
    }
}

/// Reads the status of a group once it runs; made with [`Group::status_handle`](crate::Group::status_handle)
/// before [`run`](crate::Group::run) consumes the group. Cloning is cheap.
#[derive(Clone, Default)]
pub struct StatusHandle {
    scope: Arc<Mutex<Weak<Scope>>>,
}

impl StatusHandle {
    pub(crate) fn attach(&self, scope: &Arc<Scope>) {
        *self.scope.lock().unwrap_or_else(PoisonError::into_inner) = Arc::downgrade(scope);
    }

    /// The group's status now: empty before it runs and after it has returned.
    pub fn snapshot(&self) -> Status {
        let scope = self
            .scope
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .upgrade();
        scope.map_or_else(Status::default, |scope| Status::of(&scope))
    }
}

impl fmt::Debug for StatusHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StatusHandle").finish_non_exhaustive()
    }
}

impl Context {
    /// A snapshot of the whole tree this actor runs in, from its top group down: for a
    /// `/status` endpoint on an operator's port (it holds error texts; see [`Status`]).
    pub fn status(&self) -> Status {
        Status::of(&self.member().scope.root())
    }
}

#[cfg(all(test, feature = "serde"))]
mod tests {
    use crate::{Context, Group};

    #[tokio::test(start_paused = true)]
    async fn a_snapshot_serializes_with_names_as_paths() {
        let mut group = Group::named("app");
        group
            .spawn(|ctx: Context| async move {
                tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
                let json = serde_json::to_string(&ctx.status()).unwrap();
                assert_eq!(
                    json,
                    r#"{"actors":[{"name":"app/reporter","state":"running","uptime_ms":1500,"restarts":0,"last_error":null,"children":[],"group":false}]}"#
                );
            })
            .name("reporter");
        group.run().await.unwrap();
    }
}
