//! Tenants: their ids (the scope every stored record belongs to), tiers and records.

mod id;
mod model;
mod tier;

pub use id::{InvalidTenantId, TenantId};
pub use model::{NewTenant, Tenant};
pub use tier::Tier;
