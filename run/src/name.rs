//! Actor names and the paths they form in nested groups.
//!
//! A name costs no allocation when it is a `&'static str` (a literal or a type-derived name)
//! or an index: the group's own path is shared by all its actors.

use std::{borrow::Cow, fmt, sync::Arc};

/// The last segment of an actor's path.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Leaf {
    Static(&'static str),
    Shared(Arc<str>),
    /// No name was given or derived: shown as `actor-N`, N the position in add order.
    Index(usize),
}

impl Leaf {
    /// Turns a given or derived name into a leaf; an empty name falls back to the index.
    #[inline]
    pub(crate) fn new(name: Cow<'static, str>, index: usize) -> Self {
        match name {
            Cow::Borrowed("") => Leaf::Index(index),
            Cow::Borrowed(name) => Leaf::Static(name),
            Cow::Owned(name) if name.is_empty() => Leaf::Index(index),
            Cow::Owned(name) => Leaf::Shared(name.into()),
        }
    }
}

impl fmt::Display for Leaf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Leaf::Static(name) => f.write_str(name),
            Leaf::Shared(name) => f.write_str(name),
            Leaf::Index(index) => write!(f, "actor-{index}"),
        }
    }
}

/// The name of an actor: its path through the groups that contain it, such as
/// `app/http/accept`.
///
/// Names come from [`ActorOptions::name`](crate::ActorOptions::name), else from
/// [`Runner::name`](crate::Runner::name) (by default the type's name), else from the actor's
/// position: `actor-0`, `actor-1`, ... A group's path is its own name when it runs at the top
/// (see [`Group::named`](crate::Group::named)) and its actor name when it runs inside another group.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let mut app = run::Group::named("app");
/// let mut http = run::Group::new();
/// http.spawn(|ctx: run::Context| async move {
///     assert_eq!(ctx.name(), "app/http/accept");
///     Ok::<_, std::io::Error>(())
/// })
/// .name("accept");
/// app.spawn(http).name("http");
/// app.run().await.unwrap();
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ActorName {
    group: Option<Arc<str>>,
    leaf: Leaf,
}

impl ActorName {
    pub(crate) fn new(group: Option<Arc<str>>, leaf: Leaf) -> Self {
        Self { group, leaf }
    }

    /// The group's path and the leaf.
    pub(crate) fn into_parts(self) -> (Option<Arc<str>>, Leaf) {
        (self.group, self.leaf)
    }

    /// The path of the group the actor belongs to, if that group has one.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use run::{Context, Group};
    /// use tokio::sync::oneshot;
    ///
    /// let (send, name) = oneshot::channel();
    /// let mut http = Group::new();
    /// http.spawn(|ctx: Context| async move {
    ///     send.send(ctx.name()).unwrap();
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .name("accept");
    /// let mut app = Group::named("app");
    /// app.spawn(http).name("http");
    /// app.run().await.unwrap();
    ///
    /// let name = name.await.unwrap();
    /// assert_eq!(name.group(), Some("app/http"));
    /// assert_eq!(name.leaf(), "accept");
    /// # }
    /// ```
    pub fn group(&self) -> Option<&str> {
        self.group.as_deref()
    }

    /// The actor's own name, the last segment of its path.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use run::{Context, Group};
    /// use tokio::sync::oneshot;
    ///
    /// let (send, name) = oneshot::channel();
    /// let mut group = Group::new(); // no path of its own
    /// group.spawn(|ctx: Context| async move {
    ///     send.send(ctx.name()).unwrap();
    ///     Ok::<_, std::io::Error>(())
    /// });
    /// group.run().await.unwrap();
    ///
    /// let name = name.await.unwrap();
    /// assert_eq!(name.leaf(), "actor-0"); // a closure has no name: numbered
    /// assert_eq!(name.group(), None);
    /// assert_eq!(name, "actor-0");
    /// # }
    /// ```
    pub fn leaf(&self) -> Cow<'_, str> {
        match &self.leaf {
            Leaf::Static(name) => Cow::Borrowed(name),
            Leaf::Shared(name) => Cow::Borrowed(name),
            Leaf::Index(_) => Cow::Owned(self.leaf.to_string()),
        }
    }
}

impl fmt::Display for ActorName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(group) = &self.group {
            write!(f, "{group}/")?;
        }
        self.leaf.fmt(f)
    }
}

impl PartialEq<str> for ActorName {
    fn eq(&self, other: &str) -> bool {
        let leaf = match &self.group {
            None => other,
            Some(group) => match other
                .strip_prefix(&**group)
                .and_then(|rest| rest.strip_prefix('/'))
            {
                Some(rest) => rest,
                None => return false,
            },
        };
        *self.leaf() == *leaf
    }
}

impl PartialEq<&str> for ActorName {
    fn eq(&self, other: &&str) -> bool {
        *self == **other
    }
}

/// The name a type gives its actors by default: the type's own name without module path or
/// generic arguments (`my_app::Http<T>` → `Http`); empty for closures and async blocks, whose
/// names say nothing.
pub(crate) fn type_leaf<T: ?Sized>() -> &'static str {
    leaf_of_type_name(std::any::type_name::<T>())
}

/// The last path segment of a type name, without its generic arguments; empty when that
/// segment is a closure or async block (`{{closure}}`). Only the last segment counts: a fn or
/// type declared inside an async body keeps its name.
fn leaf_of_type_name(full: &'static str) -> &'static str {
    // A name ending in `}` ends in a closure or async block segment: known empty without a
    // scan. That is every closure actor, so `Group::spawn` of one costs no scan.
    if full.ends_with('}') {
        return "";
    }
    let bytes = full.as_bytes();
    let (mut start, mut end, mut depth) = (0, full.len(), 0_usize);
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            b'<' => {
                if depth == 0 {
                    end = at;
                }
                depth += 1;
            }
            b'>' => depth = depth.saturating_sub(1),
            b':' if depth == 0 && bytes.get(at + 1) == Some(&b':') => {
                start = at + 2;
                end = full.len();
                at += 1;
            }
            _ => {}
        }
        at += 1;
    }
    let leaf = &full[start..end.max(start)];
    if leaf.starts_with('{') { "" } else { leaf }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Http<T>(T);

    #[test]
    fn type_leaf_strips_path_and_generics() {
        assert_eq!(type_leaf::<Http<Vec<u8>>>(), "Http");
        assert_eq!(type_leaf::<u8>(), "u8");
        let closure = || ();
        fn leaf_of<T>(_: &T) -> &'static str {
            type_leaf::<T>()
        }
        assert_eq!(leaf_of(&closure), "");
        let _ = Http(closure);
    }

    #[test]
    fn only_the_last_segment_counts() {
        assert_eq!(leaf_of_type_name("app::main::{{closure}}::fetch"), "fetch");
        assert_eq!(leaf_of_type_name("app::serve<u8>::{{closure}}"), "");
        assert_eq!(
            leaf_of_type_name("app::main::{{closure}}::Http<app::X<u8>>"),
            "Http"
        );
        assert_eq!(leaf_of_type_name("app::f::{async_block#0}"), "");
        assert_eq!(leaf_of_type_name("app::f::{{closure}}::{{closure}}"), "");
        assert_eq!(leaf_of_type_name("app::Wrap<app::f::{{closure}}>"), "Wrap");
        assert_eq!(leaf_of_type_name("Http<alloc::vec::Vec<u8>>"), "Http");
        assert_eq!(leaf_of_type_name("u8"), "u8");
    }

    #[test]
    fn paths_compare_with_strings() {
        let name = ActorName::new(Some("app/http".into()), Leaf::Static("accept"));
        assert_eq!(name, "app/http/accept");
        assert_ne!(name, "app/http");
        assert_ne!(name, "app/httpx/accept");
        assert_eq!(name.to_string(), "app/http/accept");
        let indexed = ActorName::new(None, Leaf::Index(3));
        assert_eq!(indexed, "actor-3");
        assert_eq!(indexed.group(), None);
    }

    #[test]
    fn empty_names_fall_back_to_the_index() {
        assert_eq!(Leaf::new(Cow::Borrowed(""), 2), Leaf::Index(2));
        assert_eq!(Leaf::new(Cow::Owned(String::new()), 1), Leaf::Index(1));
        assert_eq!(
            Leaf::new(Cow::Owned("w".into()), 1),
            Leaf::Shared("w".into())
        );
    }
}
