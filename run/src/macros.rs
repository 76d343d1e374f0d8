//! The macros of `run-macros`, re-exported with their documentation.

#[doc(inline)]
pub use run_macros::main;

#[doc(inline)]
pub use run_macros::actor;

#[doc(inline)]
pub use run_macros::Runner;
