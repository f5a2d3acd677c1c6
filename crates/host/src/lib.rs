//! Fabula's local Spin host: loads a `spin.toml` app and runs its components on wasmtime,
//! implementing the Spin host interfaces the components import.
//!
//! The modules follow Spin's own split into factors: one module per host interface
//! ([`kv`], [`sqlite`], [`variables`], [`redis`], [`llm`], [`http`]), plus the manifest and
//! runtime-config models, the engine, and the triggers.

pub mod app;
pub mod bindings;
pub mod builder;
pub mod compose;
pub mod dependencies;
pub mod engine;
pub mod http;
pub mod kv;
pub mod llm;
pub mod logs;
pub mod manifest;
pub mod outbound_networking;
pub mod publish_every;
pub mod redis;
pub mod routes;
pub mod runtime_config;
pub mod serve;
pub mod sqlite;
pub mod state;
pub mod variables;
