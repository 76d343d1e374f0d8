//! Turning panics into [`Error::Panic`].
//!
//! `catch_unwind` gives the payload but not the location, which only the panic hook sees. So
//! the first group to run installs a hook that records each panic's location in a thread-local
//! slot and then calls the hook that was there before (the default one prints the panic the
//! moment it happens). [`catch`] reads that slot after a caught unwind: every panic overwrites
//! it before it unwinds, so what it reads is always the location of the panic it caught. A
//! hook installed later by the application replaces ours; locations are then unknown.

use std::{
    any::Any,
    cell::RefCell,
    future::Future,
    panic::{self, AssertUnwindSafe},
    pin::Pin,
    sync::Once,
    task::{Context, Poll},
};

use crate::{
    error::{Error, PanicLocation, PanicPayload},
    name::ActorName,
};

thread_local! {
    static LAST_LOCATION: RefCell<Option<PanicLocation>> = const { RefCell::new(None) };
}

/// Installs the location-recording panic hook, once per process.
pub(crate) fn install_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let location = info.location().map(|at| PanicLocation {
                file: at.file().into(),
                line: at.line(),
                column: at.column(),
            });
            // `try_with`: the hook may run while this thread's locals are being destroyed.
            let _ = LAST_LOCATION.try_with(|slot| *slot.borrow_mut() = location);
            previous(info);
        }));
    });
}

/// A caught panic, not yet attributed to an actor.
pub(crate) struct Panicked {
    payload: Box<dyn Any + Send + 'static>,
    location: Option<PanicLocation>,
}

impl Panicked {
    /// A panic caught elsewhere (a task's, by tokio), with its location if this thread's
    /// hook recorded it.
    pub(crate) fn from_payload(payload: Box<dyn Any + Send + 'static>) -> Self {
        Self {
            payload,
            location: LAST_LOCATION
                .try_with(|slot| slot.borrow_mut().take())
                .ok()
                .flatten(),
        }
    }

    pub(crate) fn into_error(self, actor: ActorName) -> Error {
        let message = match self.payload.downcast_ref::<&'static str>() {
            Some(message) => (*message).to_owned(),
            None => match self.payload.downcast_ref::<String>() {
                Some(message) => message.clone(),
                None => "Box<dyn Any>".to_owned(),
            },
        };
        Error::Panic {
            actor,
            message,
            location: self.location,
            payload: PanicPayload::new(self.payload),
        }
    }
}

/// Calls `f`, catching a panic.
pub(crate) fn catch<R>(f: impl FnOnce() -> R) -> Result<R, Panicked> {
    panic::catch_unwind(AssertUnwindSafe(f)).map_err(|payload| Panicked {
        payload,
        location: LAST_LOCATION
            .try_with(|slot| slot.borrow_mut().take())
            .ok()
            .flatten(),
    })
}

pin_project_lite::pin_project! {
    /// A future that catches panics of the future it wraps.
    pub(crate) struct CatchUnwind<F> {
        #[pin]
        inner: F,
    }
}

impl<F> CatchUnwind<F> {
    pub(crate) fn new(inner: F) -> Self {
        Self { inner }
    }
}

impl<F: Future> Future for CatchUnwind<F> {
    type Output = Result<F::Output, Panicked>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.project().inner;
        match catch(|| inner.poll(cx)) {
            Ok(poll) => poll.map(Ok),
            Err(panicked) => Poll::Ready(Err(panicked)),
        }
    }
}
