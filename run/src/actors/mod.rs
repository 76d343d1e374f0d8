//! Ready-made actors on the core: signals, a cancellation token, a background handle.

pub(crate) mod handle;
pub(crate) mod signals;
pub(crate) mod token;
