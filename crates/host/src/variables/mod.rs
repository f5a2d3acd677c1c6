//! `fermyon:spin/variables@2.0.0`: application and component variables. (Skeleton.)

use crate::state::InstanceState;

/// App-wide variables: every component variable resolved at start-up.
pub struct VariablesFactor;

/// One instance's variables.
pub struct VariablesInstance;

impl VariablesFactor {
    /// The per-instance state for `component_id` (cheap).
    pub fn instance(&self, _component_id: &str) -> VariablesInstance {
        VariablesInstance
    }
}

/// Adds the interface to the linker.
pub fn add_to_linker(_linker: &mut wasmtime::component::Linker<InstanceState>) -> anyhow::Result<()> {
    Ok(())
}
