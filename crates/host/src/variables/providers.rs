//! Where application-variable values come from, in Spin's order: `--variable`, then each
//! `[[variables_provider]]`, then the implicit environment provider. (The manifest default,
//! the last resort, is applied by the caller.)

use std::cell::OnceCell;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use crate::runtime_config::{RuntimeConfig, VariablesProviderConfig};

/// The environment-variable prefix when a provider names none.
pub const DEFAULT_ENV_PREFIX: &str = "SPIN_VARIABLE";
/// The dotenv file read when a provider names none (relative to the current folder, as in Spin).
const DEFAULT_DOTENV: &str = ".env";

/// A provider that failed to give a value.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// The dotenv file exists but cannot be read or parsed. The message never quotes the
    /// file's lines (they may hold secrets).
    #[error("{source_name}: cannot read dotenv file {path}: {message}")]
    Dotenv {
        /// Which provider.
        source_name: String,
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

/// One source of values.
pub enum Source {
    /// `--variable name=value` (later repeats win).
    Cli(HashMap<String, String>),
    /// `[[variables_provider]] type = "static"`.
    Static {
        /// Position in the runtime config.
        index: usize,
        /// name → value.
        values: BTreeMap<String, String>,
    },
    /// `[[variables_provider]] type = "env"` (`index` `Some`), or the implicit provider Spin
    /// always adds after the configured ones (`index` `None`).
    Env {
        /// Position in the runtime config, `None` for the implicit provider.
        index: Option<usize>,
        /// `<prefix>_<NAME>`.
        prefix: String,
        /// The dotenv file, read at most once and only when the environment lacks a name.
        dotenv_path: PathBuf,
        /// The dotenv file's variables, once read.
        dotenv: OnceCell<HashMap<String, String>>,
    },
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Cli(_) => write!(f, "--variable"),
            Source::Static { index, .. } => write!(f, "variables_provider[{index}] (static)"),
            Source::Env {
                index: Some(index), ..
            } => write!(f, "variables_provider[{index}] (env)"),
            Source::Env {
                index: None,
                prefix,
                ..
            } => write!(f, "the environment ({prefix}_*)"),
        }
    }
}

impl Source {
    fn env(index: Option<usize>, prefix: Option<&str>, dotenv_path: Option<&Path>) -> Self {
        Source::Env {
            index,
            prefix: prefix.unwrap_or(DEFAULT_ENV_PREFIX).to_owned(),
            dotenv_path: dotenv_path.unwrap_or(Path::new(DEFAULT_DOTENV)).to_owned(),
            dotenv: OnceCell::new(),
        }
    }

    /// The sources for an app, highest priority first.
    pub fn all(rc: &RuntimeConfig, cli: &[(String, String)]) -> Vec<Source> {
        let mut sources = vec![Source::Cli(cli.iter().cloned().collect())];
        for (index, provider) in rc.variables_providers.iter().enumerate() {
            sources.push(match provider {
                VariablesProviderConfig::Env {
                    prefix,
                    dotenv_path,
                } => Source::env(Some(index), prefix.as_deref(), dotenv_path.as_deref()),
                VariablesProviderConfig::Static { values } => Source::Static {
                    index,
                    values: values.clone(),
                },
            });
        }
        sources.push(Source::env(None, None, None));
        sources
    }

    /// The value this source gives `name`, if any. `env` reads the process environment.
    pub fn get(
        &self,
        name: &str,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Option<String>, ProviderError> {
        match self {
            Source::Cli(values) => Ok(values.get(name).cloned()),
            Source::Static { values, .. } => Ok(values.get(name).cloned()),
            Source::Env {
                prefix,
                dotenv_path,
                dotenv,
                ..
            } => {
                let key = env_key(prefix, name);
                if let Some(value) = env(&key) {
                    return Ok(Some(value));
                }
                let file = match dotenv.get() {
                    Some(file) => file,
                    None => {
                        let loaded =
                            read_dotenv(dotenv_path).map_err(|message| ProviderError::Dotenv {
                                source_name: self.to_string(),
                                path: dotenv_path.clone(),
                                message,
                            })?;
                        dotenv.get_or_init(|| loaded)
                    }
                };
                Ok(file.get(&key).cloned())
            }
        }
    }
}

/// `<PREFIX>_<NAME>`, or just `<NAME>` for an empty prefix.
fn env_key(prefix: &str, name: &str) -> String {
    let name = name.to_ascii_uppercase();
    if prefix.is_empty() {
        name
    } else {
        format!("{prefix}_{name}")
    }
}

/// A missing file is empty; anything else wrong is an error that does not quote the file.
fn read_dotenv(path: &Path) -> Result<HashMap<String, String>, String> {
    let iter = match dotenvy::from_path_iter(path) {
        Ok(iter) => iter,
        Err(dotenvy::Error::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(HashMap::new());
        }
        Err(e) => return Err(describe_dotenv_error(&e)),
    };
    iter.map(|item| item.map_err(|e| describe_dotenv_error(&e)))
        .collect()
}

fn describe_dotenv_error(e: &dotenvy::Error) -> String {
    match e {
        dotenvy::Error::LineParse(_, index) => {
            format!("malformed line (parse error at character {index})")
        }
        // The other errors (I/O, environment) never quote the file.
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn env_source(prefix: Option<&str>, dotenv: &Path) -> Source {
        Source::env(Some(0), prefix, Some(dotenv))
    }

    #[test]
    fn env_uses_prefix_and_upper_case_name() {
        let source = env_source(None, Path::new("/nonexistent/.env"));
        let env = |k: &str| (k == "SPIN_VARIABLE_API_KEY").then(|| "k1".to_owned());
        assert_eq!(source.get("api_key", &env).unwrap().as_deref(), Some("k1"));
        assert_eq!(source.get("other", &env).unwrap(), None);

        let custom = env_source(Some("MYAPP"), Path::new("/nonexistent/.env"));
        let env = |k: &str| (k == "MYAPP_API_KEY").then(|| "k2".to_owned());
        assert_eq!(custom.get("api_key", &env).unwrap().as_deref(), Some("k2"));

        let bare = env_source(Some(""), Path::new("/nonexistent/.env"));
        let env = |k: &str| (k == "API_KEY").then(|| "k3".to_owned());
        assert_eq!(bare.get("api_key", &env).unwrap().as_deref(), Some("k3"));
    }

    #[test]
    fn env_falls_back_to_the_dotenv_file_and_the_environment_wins() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vars.env");
        std::fs::write(
            &path,
            "# comment\nSPIN_VARIABLE_A=from_file\nSPIN_VARIABLE_B=\"quoted b\"\n",
        )
        .unwrap();
        let source = env_source(None, &path);
        let env = |k: &str| (k == "SPIN_VARIABLE_A").then(|| "from_env".to_owned());
        assert_eq!(source.get("a", &env).unwrap().as_deref(), Some("from_env"));
        assert_eq!(source.get("b", &env).unwrap().as_deref(), Some("quoted b"));
        assert_eq!(
            source.get("a", &no_env).unwrap().as_deref(),
            Some("from_file")
        );
        assert_eq!(source.get("c", &no_env).unwrap(), None);
    }

    #[test]
    fn a_malformed_dotenv_file_is_an_error_that_does_not_quote_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env");
        std::fs::write(&path, "SPIN_VARIABLE_A='hunter2\n").unwrap();
        let err = env_source(None, &path)
            .get("a", &no_env)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("variables_provider[0] (env)") && err.contains(".env"),
            "{err}"
        );
        assert!(!err.contains("hunter2"), "{err}");
    }

    #[test]
    fn the_implicit_env_provider_is_always_last() {
        let rc = RuntimeConfig {
            variables_providers: vec![VariablesProviderConfig::Static {
                values: BTreeMap::from([("a".to_owned(), "s".to_owned())]),
            }],
            ..RuntimeConfig::default()
        };
        let names: Vec<String> = Source::all(&rc, &[])
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            names,
            [
                "--variable",
                "variables_provider[0] (static)",
                "the environment (SPIN_VARIABLE_*)"
            ]
        );
    }
}
