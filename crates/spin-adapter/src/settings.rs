//! The platform settings every API component reads from its Spin variables.
//!
//! | variable | meaning |
//! |---|---|
//! | `admin_token` | the operator's bootstrap token (secret); blank disables it |
//! | `tier_limits` | JSON override of the per-tier rate limits; blank keeps the defaults |
//! | `audit_retention_days` | days audit entries are kept; blank means 90 |
//!
//! An invalid `tier_limits` or `audit_retention_days` is logged as an error and the
//! default is used, so a typo never takes the API down or disables rate limiting.

use fabula_domain::audit::Retention;
use fabula_domain::auth::AdminToken;
use fabula_domain::rate_limit::LimitTable;

use crate::log::{Level, log};

/// The settings of one request.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The operator's bootstrap token.
    pub admin_token: AdminToken,
    /// Rate limits per tier.
    pub limits: LimitTable,
    /// How long audit entries are kept.
    pub retention: Retention,
}

impl Settings {
    /// Reads the component's variables; problems are logged under `request_id`.
    pub fn load(request_id: &str) -> Self {
        Self {
            admin_token: AdminToken::new(variable("admin_token")),
            limits: parsed(request_id, "tier_limits", LimitTable::parse),
            retention: parsed(request_id, "audit_retention_days", Retention::parse),
        }
    }
}

/// A variable's value; `None` when the component has no such variable.
fn variable(name: &str) -> Option<String> {
    spin_sdk::variables::get(name).ok()
}

/// A variable parsed with `parse` (blank or absent: its default); an invalid value is
/// logged and replaced by the default.
fn parsed<T: Default, E: std::fmt::Display>(
    request_id: &str,
    name: &str,
    parse: impl Fn(&str) -> Result<T, E>,
) -> T {
    let text = variable(name).unwrap_or_default();
    parse(&text).unwrap_or_else(|e| {
        log(
            Level::Error,
            request_id,
            format_args!("variable `{name}`: {e}; using the default"),
        );
        T::default()
    })
}
