//! Fabula's benchmark driver (`fabula-bench`).
//!
//! - [`load`]: N concurrent keep-alive HTTP/1.1 connections, closed loop, against one URL for a
//!   fixed time after a warm-up; every latency goes into an HDR histogram ([`stats`]).
//! - [`suite`]: the standard figures for `docs/performance.md`: starts the `fabula` host as a
//!   child process ([`host`]) on the conformance fixture app and on the real app, measures
//!   start-up time, drives the benchmark routes and reports peak RSS as Markdown.
//! - [`pipeline`]: novel generation jobs end to end on the real app, per chapter count, with a
//!   fitted growth line; its API calls go through [`api`].
//!
//! The `fabula-bench` binary is a thin command-line layer over these modules.

pub mod api;
pub mod args;
pub mod client;
pub mod host;
pub mod load;
pub mod pipeline;
pub mod serving;
pub mod stats;
pub mod suite;
