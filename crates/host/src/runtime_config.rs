//! `runtime-config.toml`: where state lives and which backends serve each store label.
//!
//! The file format is Spin's. Keys Spin accepts but this host does not implement are rejected
//! with a message saying so, rather than silently ignored.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// A runtime config that failed to load.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeConfigError {
    /// The file could not be read.
    #[error("cannot read runtime config {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The TOML does not fit the format.
    #[error("invalid runtime config {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's message.
        message: String,
    },
}

/// A parsed runtime config, with every relative path resolved.
#[derive(Debug, Clone, Default)]
pub struct RuntimeConfig {
    /// Where `.spin`-style state lives (default `<app dir>/.spin`).
    pub state_dir: Option<PathBuf>,
    /// `[key_value_store.<label>]`.
    pub key_value_stores: BTreeMap<String, KeyValueStoreConfig>,
    /// `[sqlite_database.<label>]`.
    pub sqlite_databases: BTreeMap<String, SqliteDatabaseConfig>,
    /// `[[variables_provider]]`, in order.
    pub variables_providers: Vec<VariablesProviderConfig>,
    /// `[llm_compute]`.
    pub llm_compute: Option<LlmComputeConfig>,
    /// `[outbound_redis]`.
    pub outbound_redis: Option<OutboundRedisConfig>,
}

/// `[key_value_store.<label>]`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum KeyValueStoreConfig {
    /// Spin's SQLite-backed store. `path` is relative to the runtime-config file's folder.
    Spin {
        /// Database file; with no path the store lives in memory (as in Spin). The `default`
        /// label, when not declared at all, is `<state_dir>/sqlite_key_value.db`.
        #[serde(default)]
        path: Option<PathBuf>,
    },
    /// A Redis server.
    Redis {
        /// `redis://host:port`.
        url: String,
    },
}

/// `[sqlite_database.<label>]`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum SqliteDatabaseConfig {
    /// A local SQLite file. `path` is relative to the current folder, as in Spin.
    Spin {
        /// Database file; with no path the database is in memory (as in Spin). The `default`
        /// label, when not declared at all, is `<state_dir>/sqlite_db.db`.
        #[serde(default)]
        path: Option<PathBuf>,
    },
}

/// `[[variables_provider]]`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum VariablesProviderConfig {
    /// Environment variables `<prefix>_<NAME>` (prefix default `SPIN_VARIABLE`) and a dotenv file.
    Env {
        /// Prefix; default `SPIN_VARIABLE`.
        #[serde(default)]
        prefix: Option<String>,
        /// A `.env` file; default `.env` in the current folder.
        #[serde(default)]
        dotenv_path: Option<PathBuf>,
    },
    /// Fixed values.
    Static {
        /// name → value.
        values: BTreeMap<String, String>,
    },
}

/// `[llm_compute]`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum LlmComputeConfig {
    /// A remote HTTP LLM service (Spin's cloud-gpu protocol).
    RemoteHttp {
        /// Service URL.
        url: String,
        /// Bearer token.
        auth_token: String,
    },
}

/// `[outbound_redis]`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct OutboundRedisConfig {
    /// Connections per address at most.
    #[serde(default)]
    pub max_connections: Option<usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRuntimeConfig {
    #[serde(default)]
    state_dir: Option<PathBuf>,
    #[serde(default)]
    key_value_store: BTreeMap<String, KeyValueStoreConfig>,
    #[serde(default)]
    sqlite_database: BTreeMap<String, SqliteDatabaseConfig>,
    #[serde(default)]
    variables_provider: Vec<VariablesProviderConfig>,
    #[serde(default)]
    llm_compute: Option<LlmComputeConfig>,
    #[serde(default)]
    outbound_redis: Option<OutboundRedisConfig>,
}

impl RuntimeConfig {
    /// Reads a runtime-config file; paths inside are resolved the way Spin resolves them.
    pub fn load(path: &Path) -> Result<Self, RuntimeConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| RuntimeConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let base = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        Self::parse(&text, path, &base)
    }

    /// Parses runtime-config text; `file_dir` is the folder of the file.
    pub fn parse(text: &str, path: &Path, file_dir: &Path) -> Result<Self, RuntimeConfigError> {
        let raw: RawRuntimeConfig =
            toml::from_str(text).map_err(|e| RuntimeConfigError::Parse {
                path: path.to_owned(),
                message: e.to_string().trim_end().to_owned(),
            })?;
        let key_value_stores = raw
            .key_value_store
            .into_iter()
            .map(|(label, cfg)| {
                let cfg = match cfg {
                    KeyValueStoreConfig::Spin { path: Some(p) } => KeyValueStoreConfig::Spin {
                        path: Some(file_dir.join(p)),
                    },
                    other => other,
                };
                (label, cfg)
            })
            .collect();
        Ok(RuntimeConfig {
            state_dir: raw.state_dir.map(|p| file_dir.join(p)),
            key_value_stores,
            sqlite_databases: raw.sqlite_database,
            variables_providers: raw.variables_provider,
            llm_compute: raw.llm_compute,
            outbound_redis: raw.outbound_redis,
        })
    }

    /// The state folder: the configured one, else `<app dir>/.spin`.
    pub fn state_dir(&self, app_dir: &Path) -> PathBuf {
        self.state_dir
            .clone()
            .unwrap_or_else(|| app_dir.join(".spin"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_projects_local_config() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../runtime-config/local.toml");
        let rc = RuntimeConfig::load(&path).unwrap();
        // Declaring `default` without a path would make it in-memory under Spin.
        assert!(rc.key_value_stores.is_empty() && rc.sqlite_databases.is_empty());
        assert!(matches!(
            rc.variables_providers[0],
            VariablesProviderConfig::Env { .. }
        ));
    }

    #[test]
    fn key_value_paths_are_relative_to_the_file() {
        let rc = RuntimeConfig::parse(
            "[key_value_store.x]\ntype = \"spin\"\npath = \"kv.db\"\n",
            Path::new("rc.toml"),
            Path::new("/cfg"),
        )
        .unwrap();
        assert_eq!(
            rc.key_value_stores["x"],
            KeyValueStoreConfig::Spin {
                path: Some(PathBuf::from("/cfg/kv.db"))
            }
        );
    }

    #[test]
    fn unknown_keys_and_types_are_errors() {
        let err = RuntimeConfig::parse("[surprise]\n", Path::new("rc.toml"), Path::new("."));
        assert!(err.unwrap_err().to_string().contains("surprise"));
        let err = RuntimeConfig::parse(
            "[key_value_store.x]\ntype = \"azure_cosmos\"\n",
            Path::new("rc.toml"),
            Path::new("."),
        );
        assert!(err.is_err());
    }
}
