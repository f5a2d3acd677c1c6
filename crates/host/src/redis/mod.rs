//! `fermyon:spin/redis@2.0.0` (outbound) and the Redis trigger. (Skeleton.)

use crate::state::InstanceState;

/// One instance's Redis connections.
pub struct RedisInstance;

/// An open connection, as the guest's `connection` resource.
pub struct ConnectionHandle;

/// Adds the interface to the linker.
pub fn add_to_linker(_linker: &mut wasmtime::component::Linker<InstanceState>) -> anyhow::Result<()> {
    Ok(())
}
