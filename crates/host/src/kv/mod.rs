//! `fermyon:spin/key-value@2.0.0`: labelled stores, Spin's permission rules and table layout.
//! (Skeleton: being implemented.)

use std::collections::BTreeMap;
use std::path::Path;

use crate::manifest::Component;
use crate::runtime_config::RuntimeConfig;
use crate::state::InstanceState;

/// App-wide key-value state: the configured stores, checked at start-up.
pub struct KvFactor;

/// One instance's view: the labels its component may open, and its open stores.
pub struct KvInstance;

/// An open store, as the guest's `store` resource.
pub struct StoreHandle;

impl KvFactor {
    /// Opens the configured stores and checks every component's labels against them.
    pub fn new(
        _rc: &RuntimeConfig,
        _state_dir: &Path,
        _components: &BTreeMap<String, Component>,
    ) -> anyhow::Result<Self> {
        Ok(KvFactor)
    }

    /// The per-instance state for `component_id` (cheap).
    pub fn instance(&self, _component_id: &str) -> KvInstance {
        KvInstance
    }
}

/// Adds the interface to the linker.
pub fn add_to_linker(_linker: &mut wasmtime::component::Linker<InstanceState>) -> anyhow::Result<()> {
    Ok(())
}
