//! Which imports need which capability: the interfaces through which a dependency could use
//! the consumer's configuration (Spin's `inherit_configuration` keys).

use crate::dependencies::Capability;

/// The capability an import needs, or `None` for imports that need none (WASI CLI, clocks,
/// random, HTTP types, custom interfaces…).
///
/// `environment` and `files` map to no import here: every composed component shares the
/// consumer's environment, and this host mounts no files (see docs/configuration.md).
pub fn needed_by(import: &str) -> Option<Capability> {
    let (package, rest) = import.split_once('/')?;
    let interface = rest.split_once('@').map_or(rest, |(i, _)| i);
    match (package, interface) {
        ("wasi:http", "outgoing-handler")
        | ("fermyon:spin", "redis" | "mqtt" | "postgres" | "mysql") => {
            Some(Capability::AllowedOutboundHosts)
        }
        ("fermyon:spin", "key-value") | ("wasi:keyvalue", _) => Some(Capability::KeyValueStores),
        ("fermyon:spin", "sqlite") => Some(Capability::SqliteDatabases),
        ("fermyon:spin", "llm") => Some(Capability::AiModels),
        ("fermyon:spin", "variables" | "config") | ("wasi:config", _) => {
            Some(Capability::Variables)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capability_interfaces_are_recognised() {
        for (import, capability) in [
            (
                "wasi:http/outgoing-handler@0.2.6",
                Some(Capability::AllowedOutboundHosts),
            ),
            (
                "fermyon:spin/redis@2.0.0",
                Some(Capability::AllowedOutboundHosts),
            ),
            (
                "fermyon:spin/key-value@2.0.0",
                Some(Capability::KeyValueStores),
            ),
            (
                "wasi:keyvalue/atomics@0.2.0-draft2",
                Some(Capability::KeyValueStores),
            ),
            (
                "fermyon:spin/sqlite@2.0.0",
                Some(Capability::SqliteDatabases),
            ),
            ("fermyon:spin/llm@2.0.0", Some(Capability::AiModels)),
            ("fermyon:spin/variables@2.0.0", Some(Capability::Variables)),
            ("wasi:http/types@0.2.6", None),
            ("wasi:cli/environment@0.2.6", None),
            ("fabula:llm/text-generation@0.1.0", None),
            ("plain-name", None),
        ] {
            assert_eq!(needed_by(import), capability, "{import}");
        }
    }
}
