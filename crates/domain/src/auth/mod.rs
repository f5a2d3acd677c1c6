//! Authentication and authorization: API keys and their tokens, principals, roles and
//! the permission matrix.

mod api_key;
mod credentials;
mod permission;
mod principal;
mod role;
mod token;

pub use api_key::{ApiKey, ApiKeyDraft, ApiKeyId, NewApiKey};
pub use credentials::{AdminToken, AuthError, Credentials};
pub use permission::{
    Action, DataScope, Denial, Ownership, Resource, Viewer, can_view_tenant, platform_scope,
    tenant_viewer,
};
#[cfg(test)]
pub(crate) use principal::fixtures;
pub use principal::{KeyHolder, Principal};
pub use role::Role;
pub use token::{ApiKeyToken, RandomError, SecretHash};
