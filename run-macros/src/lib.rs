//! Procedural macros of the [`run`](https://docs.rs/run) lifecycle framework.
//!
//! Use them through the `run` crate, which re-exports them.
