//! `allowed_outbound_hosts`: Spin's syntax for which hosts a component may reach. (Skeleton.)

/// A component's parsed `allowed_outbound_hosts`.
#[derive(Debug, Clone, Default)]
pub struct AllowedHosts;

impl AllowedHosts {
    /// Whether a connection to `scheme://host:port` is allowed (`port` `None` = scheme default).
    pub fn allows(&self, _scheme: &str, _host: &str, _port: Option<u16>) -> bool {
        false
    }
}
