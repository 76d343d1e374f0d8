//! The one way the core tells a layer above it (readiness, in `deploy/`) what happens in a
//! scope, without knowing that layer: a scope may carry one extension, set when it is made.
//!
//! Invariants: a scope without an extension pays one branch at each call site, nothing more
//! (no allocation, lock or atomic); the calls are made from the task where the thing
//! happens, and never while a lock of the scope is held.

use std::{any::Any, sync::Arc};

/// What a layer above the core learns about a scope it extends.
pub(crate) trait Extension: Send + Sync + 'static {
    /// Fixed member `index`'s execute has been polled for the first time (whatever that poll
    /// returned): whatever it set up synchronously, such as a nested group, exists now.
    fn first_polled(&self, index: usize);
    /// The run loop has seen the stop; the interrupts come next (after a drain, if any).
    fn stop_began(&self);
    /// The drain, if any, is over: the interrupts are being delivered.
    fn interrupts_began(&self);
    /// A scope of one member is made under member `index` to run it once more (a restartable
    /// actor's [incarnation](super::incarnation)): the extension that scope carries, if any.
    fn incarnation(self: Arc<Self>, index: usize) -> Option<Arc<dyn Extension>>;
    /// The run of the scope this extends has ended (an incarnation's; a group's face tells its
    /// layer itself).
    fn ended(&self);
    /// The extension itself, to downcast to the layer's own type.
    fn as_any(&self) -> &dyn Any;
    /// The same, shared.
    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync>;
}
