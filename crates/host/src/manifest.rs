//! `spin.toml` (manifest v2): parsing into typed values and the start-up checks Spin makes.
//!
//! Unknown keys are rejected, as Spin rejects them, so a manifest that runs here runs under
//! `spin up` too. Every error names the place in the manifest it comes from.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::dependencies::{self, Dependency};
use crate::routes::RoutePattern;

/// A manifest that failed to load or failed a start-up check.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// The file could not be read.
    #[error("cannot read manifest {path}: {source}")]
    Read {
        /// The manifest path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The TOML is malformed or does not fit the v2 schema.
    #[error("invalid manifest {path}: {message}")]
    Parse {
        /// The manifest path.
        path: PathBuf,
        /// What the parser said, with line and column.
        message: String,
    },
    /// The manifest parsed but breaks one of Spin's rules.
    #[error("invalid manifest {path}: {place}: {message}")]
    Invalid {
        /// The manifest path.
        path: PathBuf,
        /// Where in the manifest, e.g. `trigger.http[2]` or `component.stories-api`.
        place: String,
        /// What is wrong.
        message: String,
    },
}

/// A loaded, checked `spin.toml`.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// Folder holding `spin.toml`; relative paths in the manifest are relative to it.
    pub app_dir: PathBuf,
    /// `[application]`.
    pub application: Application,
    /// `[variables]`: the application variables.
    pub variables: BTreeMap<String, VariableDecl>,
    /// `[[trigger.http]]`, in manifest order.
    pub http_triggers: Vec<HttpTrigger>,
    /// `[[trigger.redis]]`, in manifest order.
    pub redis_triggers: Vec<RedisTrigger>,
    /// `[component.<id>]`, by id.
    pub components: BTreeMap<String, Component>,
    /// The checked `[component.<id>.dependencies]` of each component that has some, by id.
    pub dependencies: BTreeMap<String, Vec<Dependency>>,
}

/// `[application]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Application {
    /// Application name.
    pub name: String,
    /// Application version.
    #[serde(default)]
    pub version: Option<String>,
    /// Authors.
    #[serde(default)]
    pub authors: Vec<String>,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// `[application.trigger.*]` settings.
    #[serde(default)]
    pub trigger: ApplicationTriggers,
}

/// `[application.trigger]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplicationTriggers {
    /// `[application.trigger.redis]`.
    #[serde(default)]
    pub redis: Option<RedisAppConfig>,
    /// `[application.trigger.http]`.
    #[serde(default)]
    pub http: Option<HttpAppConfig>,
}

/// `[application.trigger.redis]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedisAppConfig {
    /// Default Redis address for Redis triggers; may hold `{{ variable }}` templates.
    pub address: String,
}

/// `[application.trigger.http]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpAppConfig {
    /// Base path (Spin 1 compatibility; Spin 2 apps leave it at `/`).
    #[serde(default)]
    pub base: Option<String>,
}

/// An application variable in `[variables]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariableDecl {
    /// Value used when no provider gives one.
    #[serde(default)]
    pub default: Option<String>,
    /// Start-up fails if no provider gives a value.
    #[serde(default)]
    pub required: bool,
    /// The value is never logged.
    #[serde(default)]
    pub secret: bool,
}

/// `[[trigger.http]]`.
#[derive(Debug, Clone)]
pub struct HttpTrigger {
    /// Position in the manifest, for error messages (`trigger.http[i]`).
    pub index: usize,
    /// The parsed route, or `None` for `route = { private = true }`.
    pub route: Option<RoutePattern>,
    /// The component serving the route.
    pub component: String,
}

/// `[[trigger.redis]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedisTrigger {
    /// Channel to subscribe to; may hold templates.
    pub channel: String,
    /// The component handling messages.
    pub component: String,
    /// Overrides `[application.trigger.redis] address`; may hold templates.
    #[serde(default)]
    pub address: Option<String>,
}

/// `[component.<id>]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Component {
    /// The Wasm file, relative to the app folder (or a registry/URL source, unsupported here).
    pub source: ComponentSource,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Hosts outbound HTTP/Redis may reach, in Spin's syntax; may hold templates.
    #[serde(default)]
    pub allowed_outbound_hosts: Vec<String>,
    /// Key-value store labels the component may open.
    #[serde(default)]
    pub key_value_stores: Vec<String>,
    /// SQLite database labels the component may open.
    #[serde(default)]
    pub sqlite_databases: Vec<String>,
    /// LLM models the component may use.
    #[serde(default)]
    pub ai_models: Vec<String>,
    /// Environment variables visible to the component.
    #[serde(default)]
    pub environment: BTreeMap<String, String>,
    /// Files mounted into the component (accepted, mapped read-only).
    #[serde(default)]
    pub files: Vec<toml::Value>,
    /// Files excluded from `files`.
    #[serde(default)]
    pub exclude_files: Vec<String>,
    /// Component variables: name → template over application variables.
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    /// `[component.x.build]`.
    #[serde(default)]
    pub build: Option<BuildConfig>,
    /// `[component.x.dependencies]` as written: component composition (Spin ≥ 3), checked
    /// and typed into [`Manifest::dependencies`].
    #[serde(default)]
    pub dependencies: BTreeMap<String, toml::Value>,
    /// Grant the component's capabilities to all its dependencies (`None`: not written,
    /// which matters because Spin refuses it next to per-dependency `inherit_configuration`).
    #[serde(default)]
    pub dependencies_inherit_configuration: Option<bool>,
    /// `[component.x.tool]` settings for other tools; ignored.
    #[serde(default)]
    pub tool: Option<toml::Value>,
}

/// Where a component's Wasm comes from.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ComponentSource {
    /// A local file, relative to the app folder.
    Local(String),
    /// A remote source (`{ url, digest }` or `{ registry, package, version }`).
    Remote(toml::Table),
}

/// `[component.x.build]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BuildConfig {
    /// The shell command `build` runs.
    pub command: BuildCommand,
    /// Folder to run it in, relative to the app folder.
    #[serde(default)]
    pub workdir: Option<String>,
    /// Globs `spin watch` watches.
    #[serde(default)]
    pub watch: Vec<String>,
}

/// A build command: one shell line, or several run in order.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum BuildCommand {
    /// One command.
    One(String),
    /// Several commands, run in order.
    Many(Vec<String>),
}

impl BuildCommand {
    /// The commands to run, in order.
    pub fn commands(&self) -> Vec<&str> {
        match self {
            BuildCommand::One(c) => vec![c.as_str()],
            BuildCommand::Many(cs) => cs.iter().map(String::as_str).collect(),
        }
    }
}

impl Component {
    /// The local Wasm path, resolved against the app folder.
    pub fn source_path(&self, app_dir: &Path) -> Option<PathBuf> {
        match &self.source {
            ComponentSource::Local(p) => Some(app_dir.join(p)),
            ComponentSource::Remote(_) => None,
        }
    }
}

/// The raw shape of the file, before checks.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    spin_manifest_version: toml::Value,
    application: Application,
    #[serde(default)]
    variables: BTreeMap<String, VariableDecl>,
    #[serde(default)]
    trigger: RawTriggers,
    #[serde(default)]
    component: BTreeMap<String, Component>,
}

#[derive(Default, Deserialize)]
struct RawTriggers {
    #[serde(default)]
    http: Vec<RawHttpTrigger>,
    #[serde(default)]
    redis: Vec<RedisTrigger>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHttpTrigger {
    route: RawRoute,
    component: String,
    #[serde(default)]
    #[allow(
        dead_code,
        reason = "accepted for Spin compatibility; Fabula only runs `spin` executors"
    )]
    executor: Option<toml::Value>,
    #[serde(default)]
    id: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawRoute {
    Path(String),
    Private { private: bool },
}

impl Manifest {
    /// Reads, parses and checks the manifest at `path`.
    pub fn load(path: &Path) -> Result<Self, ManifestError> {
        let text = std::fs::read_to_string(path).map_err(|source| ManifestError::Read {
            path: path.to_owned(),
            source,
        })?;
        let app_dir = path
            .parent()
            .map(|p| {
                if p.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    p
                }
            })
            .unwrap_or(Path::new("."))
            .to_path_buf();
        Self::parse(&text, path, app_dir)
    }

    /// Parses and checks manifest text; `path` is only used in error messages.
    pub fn parse(text: &str, path: &Path, app_dir: PathBuf) -> Result<Self, ManifestError> {
        let raw: RawManifest = toml::from_str(text).map_err(|e| ManifestError::Parse {
            path: path.to_owned(),
            message: e.to_string().trim_end().to_owned(),
        })?;
        let invalid = |place: String, message: String| ManifestError::Invalid {
            path: path.to_owned(),
            place,
            message,
        };
        if raw.spin_manifest_version.as_integer() != Some(2)
            && raw.spin_manifest_version.as_str() != Some("2")
        {
            return Err(invalid(
                "spin_manifest_version".into(),
                format!("expected 2, found {}", raw.spin_manifest_version),
            ));
        }
        for (name, decl) in &raw.variables {
            check_variable_name(name).map_err(|m| invalid(format!("variables.{name}"), m))?;
            if decl.required && decl.default.is_some() {
                return Err(invalid(
                    format!("variables.{name}"),
                    "a variable cannot be both `required` and have a `default`".into(),
                ));
            }
        }
        for (id, component) in &raw.component {
            let place = || format!("component.{id}");
            check_component_id(id).map_err(|m| invalid(place(), m))?;
            for name in component.variables.keys() {
                check_variable_name(name)
                    .map_err(|m| invalid(format!("component.{id}.variables.{name}"), m))?;
            }
            if let ComponentSource::Remote(_) = component.source {
                return Err(invalid(
                    format!("component.{id}.source"),
                    "only local file sources are supported by the Fabula host".into(),
                ));
            }
        }

        let mut dependencies = BTreeMap::new();
        for (id, component) in &raw.component {
            if component.dependencies.is_empty() {
                continue;
            }
            let resolved = dependencies::resolve(&app_dir, &raw.component, id)
                .map_err(|e| invalid(format!("component.{id}.dependencies"), e.to_string()))?;
            dependencies.insert(id.clone(), resolved);
        }

        let mut http_triggers = Vec::with_capacity(raw.trigger.http.len());
        let mut claimed: HashMap<String, usize> = HashMap::new();
        for (index, t) in raw.trigger.http.into_iter().enumerate() {
            let place = format!("trigger.http[{index}]");
            if !raw.component.contains_key(&t.component) {
                return Err(invalid(
                    place,
                    format!("component `{}` is not defined in [component]", t.component),
                ));
            }
            let _ = t.id;
            let route = match t.route {
                RawRoute::Private { private: true } => None,
                RawRoute::Private { private: false } => {
                    return Err(invalid(
                        place,
                        "route `{ private = false }` is not valid".into(),
                    ));
                }
                RawRoute::Path(route) => {
                    let pattern = RoutePattern::parse(&route)
                        .map_err(|e| invalid(place.clone(), e.to_string()))?;
                    if let Some(first) = claimed.insert(pattern.canonical(), index) {
                        return Err(invalid(
                            place,
                            format!("route `{route}` is already claimed by trigger.http[{first}]"),
                        ));
                    }
                    Some(pattern)
                }
            };
            http_triggers.push(HttpTrigger {
                index,
                route,
                component: t.component,
            });
        }
        for (index, t) in raw.trigger.redis.iter().enumerate() {
            let place = format!("trigger.redis[{index}]");
            if !raw.component.contains_key(&t.component) {
                return Err(invalid(
                    place,
                    format!("component `{}` is not defined in [component]", t.component),
                ));
            }
            if t.address.is_none() && raw.application.trigger.redis.is_none() {
                return Err(invalid(
                    place,
                    "no `address` here and no [application.trigger.redis] address".into(),
                ));
            }
        }

        Ok(Manifest {
            app_dir,
            application: raw.application,
            variables: raw.variables,
            http_triggers,
            redis_triggers: raw.trigger.redis,
            components: raw.component,
            dependencies,
        })
    }

    /// Ids of the components some trigger uses (the ones the host must load).
    pub fn triggered_components(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = self
            .http_triggers
            .iter()
            .map(|t| t.component.as_str())
            .chain(self.redis_triggers.iter().map(|t| t.component.as_str()))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }
}

/// Spin's rule for variable names: lowercase ASCII letters, digits and `_`, starting with a letter.
pub fn check_variable_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "variable name `{name}` must be lowercase letters, digits and `_`, starting with a letter"
        ))
    }
}

/// Spin's rule for component ids: kebab-case words of lowercase letters and digits.
fn check_component_id(id: &str) -> Result<(), String> {
    let ok = !id.is_empty()
        && id.split('-').all(|w| {
            !w.is_empty()
                && w.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
        && id.starts_with(|c: char| c.is_ascii_lowercase());
    if ok {
        Ok(())
    } else {
        Err(format!(
            "component id `{id}` must be kebab-case (e.g. `stories-api`)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Manifest, ManifestError> {
        Manifest::parse(text, Path::new("spin.toml"), PathBuf::from("."))
    }

    const HEAD: &str = "spin_manifest_version = 2\n[application]\nname = \"t\"\n";

    #[test]
    fn parses_the_project_manifest() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../spin.toml");
        let m = Manifest::load(&path).expect("spin.toml must load");
        assert!(m.components.contains_key("stories-api"));
        assert!(m.http_triggers.iter().any(|t| t.component == "health"));
    }

    #[test]
    fn rejects_unknown_keys_like_spin() {
        let err = parse(&format!(
            "{HEAD}[component.a]\nsource = \"a.wasm\"\nsurprise = 1\n"
        ))
        .unwrap_err()
        .to_string();
        assert!(err.contains("surprise"), "{err}");
    }

    #[test]
    fn names_the_trigger_with_an_unknown_component() {
        let err = parse(&format!(
            "{HEAD}[[trigger.http]]\nroute = \"/a\"\ncomponent = \"ghost\"\n"
        ))
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("trigger.http[0]") && err.contains("ghost"),
            "{err}"
        );
    }

    #[test]
    fn missing_source_is_an_error() {
        let err = parse(&format!("{HEAD}[component.a]\nkey_value_stores = []\n"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("source"), "{err}");
    }

    #[test]
    fn a_route_claimed_twice_is_an_error() {
        let text = format!(
            "{HEAD}[[trigger.http]]\nroute = \"/a/...\"\ncomponent = \"a\"\n\
             [[trigger.http]]\nroute = \"/a/...\"\ncomponent = \"a\"\n\
             [component.a]\nsource = \"a.wasm\"\n"
        );
        let err = parse(&text).unwrap_err().to_string();
        assert!(
            err.contains("trigger.http[1]") && err.contains("trigger.http[0]"),
            "{err}"
        );
    }

    #[test]
    fn dependencies_are_checked_and_typed_at_parse() {
        let base = format!(
            "{HEAD}[component.a]\nsource = \"a.wasm\"\n[component.p]\nsource = \"p.wasm\"\n"
        );
        let ok = parse(&format!(
            "{base}[component.a.dependencies]\n\"x:y/z@1.0.0\" = {{ component = \"p\" }}\n"
        ))
        .unwrap();
        assert_eq!(ok.dependencies["a"].len(), 1);
        assert!(!ok.dependencies.contains_key("p"));
        let err = parse(&format!(
            "{base}[component.a.dependencies]\n\"x:y/z@1.0.0\" = {{ url = \"https://e/p.wasm\", digest = \"sha256:0\" }}\n"
        ))
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with("invalid manifest spin.toml: component.a.dependencies: `x:y/z@1.0.0`: URL dependencies are not supported"),
            "{err}"
        );
    }

    #[test]
    fn bad_names_are_rejected() {
        assert!(check_variable_name("api_key").is_ok());
        assert!(check_variable_name("Api").is_err());
        assert!(check_variable_name("1x").is_err());
        assert!(check_component_id("stories-api").is_ok());
        assert!(check_component_id("Stories").is_err());
        assert!(check_component_id("a--b").is_err());
    }
}
