//! `fermyon:spin/sqlite@2.0.0`: labelled databases, Spin's permission rules, bound parameters.
//! (Skeleton: being implemented.)

use std::collections::BTreeMap;
use std::path::Path;

use crate::manifest::Component;
use crate::runtime_config::RuntimeConfig;
use crate::state::InstanceState;

/// App-wide SQLite state: the configured databases, checked at start-up.
pub struct SqliteFactor;

/// One instance's view: the labels its component may open, and its open connections.
pub struct SqliteInstance;

/// An open database, as the guest's `connection` resource.
pub struct ConnectionHandle;

impl SqliteFactor {
    /// Opens the configured stores and checks every component's labels against them.
    pub fn new(
        _rc: &RuntimeConfig,
        _state_dir: &Path,
        _components: &BTreeMap<String, Component>,
    ) -> anyhow::Result<Self> {
        Ok(SqliteFactor)
    }

    /// The per-instance state for `component_id` (cheap).
    pub fn instance(&self, _component_id: &str) -> SqliteInstance {
        SqliteInstance
    }
}

/// Adds the interface to the linker.
pub fn add_to_linker(_linker: &mut wasmtime::component::Linker<InstanceState>) -> anyhow::Result<()> {
    Ok(())
}
