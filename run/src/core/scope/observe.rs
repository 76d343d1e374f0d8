//! What observers read of a member: its name, its events, its phase, when it was first
//! polled, its restart record; and the layer that extends the scope (readiness).
//!
//! # Invariants
//!
//! - **Nothing gathered unobserved.** An event's data are gathered only when someone
//!   observes ([`Scope::observed`]); only an observed member has a start time, so a member's
//!   task carries no clock. A quiet member ([`ScopeConfig::quiet`](super::ScopeConfig::quiet))
//!   sends no event of its own.

use std::sync::Arc;

use tokio::time::Instant;

use super::{Scope, lock};
use crate::{
    core::{
        event::{self, Event},
        extension::Extension,
        status::RestartRecord,
    },
    error::Stuck,
    name::{ActorName, Leaf},
};

impl Scope {
    pub(crate) fn path(&self) -> Option<&Arc<str>> {
        self.path.as_ref()
    }

    pub(crate) fn name(&self, index: usize) -> ActorName {
        match self.slots.get(index) {
            Some(slot) => ActorName::new(self.path.clone(), slot.leaf.clone()),
            None => lock(&self.dynamic)
                .names
                .get(index - self.slots.len())
                .cloned()
                .flatten()
                .unwrap_or_else(|| ActorName::new(self.path.clone(), Leaf::Index(index))),
        }
    }

    /// When the scope was made.
    pub(crate) fn created(&self) -> Instant {
        self.created
    }

    /// Whether events are observed at all: if not, their data need not be gathered.
    pub(crate) fn observed(&self) -> bool {
        cfg!(feature = "tracing") || cfg!(feature = "metrics") || self.hook.is_some()
    }

    /// Emits an event about member `index`, inside its span: `report` is given the member's
    /// name and what to send the event to, and is not called when nobody observes.
    pub(crate) fn emit(&self, index: usize, report: impl FnOnce(&ActorName, &dyn Fn(&Event<'_>))) {
        if self.is_quiet(index) {
            return;
        }
        self.emit_unmuted(index, report);
    }

    /// Whether member `index` is quiet: it sends no events of its own, its supervisor reports
    /// for it.
    pub(crate) fn is_quiet(&self, index: usize) -> bool {
        !self.quiet.is_empty() && self.quiet.binary_search(&(index as u32)).is_ok()
    }

    /// [`emit`](Scope::emit), for a quiet member too: what its supervisor reports.
    pub(crate) fn emit_unmuted(
        &self,
        index: usize,
        report: impl FnOnce(&ActorName, &dyn Fn(&Event<'_>)),
    ) {
        if !self.observed() {
            return;
        }
        #[cfg(feature = "tracing")]
        let _span = self.slots.get(index).map(|slot| slot.span.enter());
        // Only a fixed member is counted (feature `metrics`): a child task's name is one per
        // request.
        #[cfg(feature = "metrics")]
        let counted = index < self.slots.len();
        report(&self.name(index), &|event| {
            event::emit(self.hook.as_ref(), event, self.incarnation);
            #[cfg(feature = "metrics")]
            if counted {
                crate::core::metrics::record(event);
            }
        });
    }

    /// Notes that observed member `index` was first polled now.
    pub(crate) fn note_started(&self, index: usize) {
        lock(&self.started).insert(index as u32, Instant::now());
    }

    /// When observed member `index` was first polled; forgets it.
    pub(crate) fn take_started(&self, index: usize) -> Option<Instant> {
        lock(&self.started).remove(&(index as u32))
    }

    /// Member `index`'s span: a fixed member's, made with its group (`INFO`); a child task's,
    /// made now at `DEBUG` (a server makes one per connection: disabled, it costs nothing).
    #[cfg(feature = "tracing")]
    pub(crate) fn span(&self, index: usize) -> tracing::Span {
        match self.slots.get(index) {
            Some(slot) => slot.span.clone(),
            None => tracing::debug_span!("actor", actor = %self.name(index)),
        }
    }

    /// Notes that member `index` is in `phase` now; a no-op for a dynamic member.
    pub(crate) fn set_phase(&self, index: usize, phase: std::borrow::Cow<'static, str>) {
        if let Some(slot) = self.slots.get(index) {
            slot.phase.set(phase);
        }
    }

    /// Member `index` as a stuck actor: its name, its last phase and its span.
    pub(crate) fn stuck(&self, index: usize) -> Stuck {
        #[allow(unused_mut)]
        let mut stuck = Stuck::named(self.name(index));
        if let Some(slot) = self.slots.get(index) {
            if let Some((phase, in_phase)) = slot.phase.get() {
                stuck.phase = Some(phase);
                stuck.in_phase = in_phase;
            }
            #[cfg(feature = "tracing")]
            {
                stuck.span = slot.span.clone();
            }
        }
        stuck
    }

    /// Keeps the restart record of supervised member `index`, for status snapshots.
    pub(crate) fn keep_restart_record(&self, index: usize, record: Arc<RestartRecord>) {
        lock(&self.restart_records).push((index as u32, record));
    }

    pub(crate) fn restart_record(&self, index: usize) -> Option<Arc<RestartRecord>> {
        lock(&self.restart_records)
            .iter()
            .find(|(of, _)| *of as usize == index)
            .map(|(_, record)| Arc::clone(record))
    }

    /// The layer above that extends this scope, if any.
    pub(crate) fn extension(&self) -> Option<&Arc<dyn Extension>> {
        self.extension.as_ref()
    }

    /// Fixed member `index` has been polled once; see [`Extension::first_polled`].
    pub(crate) fn first_polled(&self, index: usize) {
        if let Some(extension) = &self.extension {
            if index < self.slots.len() {
                extension.first_polled(index);
            }
        }
    }
}
