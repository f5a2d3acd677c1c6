//! `[component.<id>.dependencies]` (Spin ≥ 3): the typed form of a component's dependencies,
//! checked as Spin checks them, including Spin 4's per-dependency `inherit_configuration`.
//!
//! A dependency is named like the imports it satisfies (`pkg:name/iface@1.0.0`, `pkg:name`,
//! `pkg:name@1.0.0`, or a plain `kebab-name`) and comes from a local file (`{ path = … }`) or
//! another component of the app (`{ component = … }`, which may hold nothing but its source
//! and build settings). Registry and URL sources are refused: this host never downloads.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use semver::Version;

use crate::manifest::Component;

/// Why a component's dependencies are not acceptable.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DependencyError {
    /// The dependency name is neither a package/interface name nor a kebab-case name.
    #[error("`{name}` is not a valid dependency name: {reason}")]
    InvalidName {
        /// The name as written.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A registry source (a version string or `{ version, registry, package }`).
    #[error(
        "`{name}`: registry dependencies are not supported by the Fabula host; build the dependency and use `path` or `component`"
    )]
    Registry {
        /// The dependency name.
        name: String,
    },
    /// A `{ url, digest }` source.
    #[error(
        "`{name}`: URL dependencies are not supported by the Fabula host; download the file, check its digest, and use `path`"
    )]
    Url {
        /// The dependency name.
        name: String,
    },
    /// The value is not a table, or a key has the wrong type.
    #[error("`{name}`: {message}")]
    Malformed {
        /// The dependency name.
        name: String,
        /// What is wrong.
        message: String,
    },
    /// An `inherit_configuration` entry that is not a capability Spin knows.
    #[error(
        "`{name}`: unknown configuration `{capability}` in `inherit_configuration` (expected one of {})",
        Capability::ALL.map(|c| format!("`{c}`")).join(", ")
    )]
    UnknownCapability {
        /// The dependency name.
        name: String,
        /// The entry as written.
        capability: String,
    },
    /// `dependencies_inherit_configuration` on the component and `inherit_configuration` on a
    /// dependency: Spin refuses the mix.
    #[error(
        "component `{component}` specifies both `dependencies_inherit_configuration` and per-dependency `inherit_configuration` (on `{name}`); these are mutually exclusive, use one or the other"
    )]
    BothInheritForms {
        /// The consumer.
        component: String,
        /// The first dependency with its own `inherit_configuration`.
        name: String,
    },
    /// `{ component = "x" }` names no component of the app.
    #[error("`{name}`: component `{target}` is not defined in [component]")]
    UnknownComponent {
        /// The dependency name.
        name: String,
        /// The referenced component id.
        target: String,
    },
    /// `{ component = "x" }` names the consumer itself.
    #[error("`{name}`: a component cannot be its own dependency")]
    SelfReference {
        /// The dependency name.
        name: String,
    },
    /// `{ component = "x" }` names a component that has its own permissions or resources,
    /// which would not apply once composed (Spin's rule).
    #[error(
        "`{name}`: dependencies may not have their own resources or permissions; component `{target}` specifies: {}",
        fields.join(", ")
    )]
    DependencyWithPermissions {
        /// The dependency name.
        name: String,
        /// The referenced component id.
        target: String,
        /// The offending manifest keys.
        fields: Vec<&'static str>,
    },
}

/// A capability a dependency may inherit from the component that uses it (Spin 4's keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Capability {
    /// `allowed_outbound_hosts`: outbound HTTP and Redis.
    AllowedOutboundHosts,
    /// `key_value_stores`.
    KeyValueStores,
    /// `sqlite_databases`.
    SqliteDatabases,
    /// `ai_models`.
    AiModels,
    /// `variables`.
    Variables,
    /// `environment`: environment variables.
    Environment,
    /// `files`: mounted files.
    Files,
}

impl Capability {
    /// Every capability, in Spin's documented order.
    pub const ALL: [Capability; 7] = [
        Capability::AllowedOutboundHosts,
        Capability::KeyValueStores,
        Capability::SqliteDatabases,
        Capability::AiModels,
        Capability::Variables,
        Capability::Environment,
        Capability::Files,
    ];

    /// The manifest key naming this capability.
    pub fn key(self) -> &'static str {
        match self {
            Capability::AllowedOutboundHosts => "allowed_outbound_hosts",
            Capability::KeyValueStores => "key_value_stores",
            Capability::SqliteDatabases => "sqlite_databases",
            Capability::AiModels => "ai_models",
            Capability::Variables => "variables",
            Capability::Environment => "environment",
            Capability::Files => "files",
        }
    }

    fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.key() == key)
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// What a dependency inherits from the component that uses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inherit {
    /// Everything (`inherit_configuration = true`, or `dependencies_inherit_configuration`).
    All,
    /// Only these (empty: nothing, Spin's default).
    Only(BTreeSet<Capability>),
}

impl Inherit {
    /// Whether the dependency may use `capability`.
    pub fn allows(&self, capability: Capability) -> bool {
        match self {
            Inherit::All => true,
            Inherit::Only(set) => set.contains(&capability),
        }
    }
}

/// The name of a dependency: which imports of the component it satisfies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DependencyName {
    /// A plain kebab-case name, matching the import of that exact name.
    Plain(String),
    /// `ns:pkg`, optionally `/interface` and `@version`, matching interface imports.
    Package {
        /// `ns:pkg`.
        package: String,
        /// The interface, if named: only imports of that interface match.
        interface: Option<String>,
        /// The version, if given: only imports of exactly that version match.
        version: Option<Version>,
    },
}

impl DependencyName {
    /// Parses a dependency name as Spin does.
    pub fn parse(name: &str) -> Result<Self, String> {
        if !name.contains([':', '/']) {
            check_kebab(name)?;
            return Ok(DependencyName::Plain(name.to_owned()));
        }
        let (rest, version) = match name.split_once('@') {
            Some((rest, version)) => (
                rest,
                Some(Version::parse(version).map_err(|e| format!("bad version `{version}`: {e}"))?),
            ),
            None => (name, None),
        };
        let (package, interface) = match rest.split_once('/') {
            Some((package, interface)) => {
                check_kebab(interface)?;
                (package, Some(interface.to_owned()))
            }
            None => (rest, None),
        };
        let (namespace, pkg) = package
            .split_once(':')
            .ok_or_else(|| format!("package `{package}` must be `namespace:name`"))?;
        check_kebab(namespace)?;
        check_kebab(pkg)?;
        Ok(DependencyName::Package {
            package: package.to_owned(),
            interface,
            version,
        })
    }

    /// Whether this dependency satisfies the component import named `import`.
    pub fn matches_import(&self, import: &str) -> bool {
        match self {
            DependencyName::Plain(name) => name == import,
            DependencyName::Package {
                package,
                interface,
                version,
            } => {
                let Some((import_package, rest)) = import.split_once('/') else {
                    return false;
                };
                let (import_interface, import_version) = match rest.split_once('@') {
                    Some((i, v)) => match Version::parse(v) {
                        Ok(v) => (i, Some(v)),
                        Err(_) => return false,
                    },
                    None => (rest, None),
                };
                import_package == package
                    && interface.as_deref().is_none_or(|i| i == import_interface)
                    && version
                        .as_ref()
                        .is_none_or(|v| Some(v) == import_version.as_ref())
            }
        }
    }
}

impl fmt::Display for DependencyName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DependencyName::Plain(name) => f.write_str(name),
            DependencyName::Package {
                package,
                interface,
                version,
            } => {
                f.write_str(package)?;
                if let Some(interface) = interface {
                    write!(f, "/{interface}")?;
                }
                if let Some(version) = version {
                    write!(f, "@{version}")?;
                }
                Ok(())
            }
        }
    }
}

/// Where a dependency's Wasm comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DependencySource {
    /// `{ path = "x.wasm" }`, resolved against the app folder.
    Path(PathBuf),
    /// `{ component = "id" }`: that component's source, resolved against the app folder.
    Component {
        /// The referenced component.
        id: String,
        /// Its Wasm file.
        path: PathBuf,
    },
}

impl DependencySource {
    /// The Wasm file to read.
    pub fn path(&self) -> &Path {
        match self {
            DependencySource::Path(path) | DependencySource::Component { path, .. } => path,
        }
    }
}

/// One checked dependency of a component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependency {
    /// The name, as in the manifest.
    pub name: DependencyName,
    /// The Wasm it comes from.
    pub source: DependencySource,
    /// The export satisfying the import, if not the import's own name.
    pub export: Option<String>,
    /// The capabilities it inherits from the component.
    pub inherit: Inherit,
}

/// The manifest keys a dependency entry may have.
const KNOWN_KEYS: [&str; 8] = [
    "path",
    "component",
    "url",
    "digest",
    "version",
    "registry",
    "package",
    "export",
];

/// Checks the dependencies of component `id` among `components` and returns them typed, in
/// manifest (name) order. Paths are resolved against `app_dir`.
pub fn resolve(
    app_dir: &Path,
    components: &BTreeMap<String, Component>,
    id: &str,
) -> Result<Vec<Dependency>, DependencyError> {
    let component = &components[id];
    let mut out = Vec::with_capacity(component.dependencies.len());
    for (name, value) in &component.dependencies {
        let parsed =
            DependencyName::parse(name).map_err(|reason| DependencyError::InvalidName {
                name: name.clone(),
                reason,
            })?;
        let entry = parse_entry(name, value)?;
        if entry.inherit.is_some() && component.dependencies_inherit_configuration.is_some() {
            return Err(DependencyError::BothInheritForms {
                component: id.to_owned(),
                name: name.clone(),
            });
        }
        let inherit = match entry.inherit {
            Some(inherit) => inherit,
            None if component.dependencies_inherit_configuration == Some(true) => Inherit::All,
            None => Inherit::Only(BTreeSet::new()),
        };
        let source = match entry.source {
            Source::Path(path) => DependencySource::Path(app_dir.join(path)),
            Source::Component(target) => component_source(app_dir, components, id, name, target)?,
        };
        out.push(Dependency {
            name: parsed,
            source,
            export: entry.export,
            inherit,
        });
    }
    Ok(out)
}

enum Source {
    Path(String),
    Component(String),
}

struct Entry {
    source: Source,
    export: Option<String>,
    inherit: Option<Inherit>,
}

fn parse_entry(name: &str, value: &toml::Value) -> Result<Entry, DependencyError> {
    let malformed = |message: String| DependencyError::Malformed {
        name: name.to_owned(),
        message,
    };
    let table = match value {
        toml::Value::String(_) => {
            return Err(DependencyError::Registry {
                name: name.to_owned(),
            });
        }
        toml::Value::Table(table) => table,
        other => {
            return Err(malformed(format!(
                "expected a table such as `{{ path = \"dep.wasm\" }}`, found {}",
                other.type_str()
            )));
        }
    };
    for key in table.keys() {
        if !KNOWN_KEYS.contains(&key.as_str()) && key != "inherit_configuration" {
            return Err(malformed(format!("unknown key `{key}`")));
        }
    }
    if table.contains_key("url") || table.contains_key("digest") {
        return Err(DependencyError::Url {
            name: name.to_owned(),
        });
    }
    if ["version", "registry", "package"]
        .iter()
        .any(|k| table.contains_key(*k))
    {
        return Err(DependencyError::Registry {
            name: name.to_owned(),
        });
    }
    let string = |key: &str| -> Result<Option<String>, DependencyError> {
        match table.get(key) {
            None => Ok(None),
            Some(toml::Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(malformed(format!(
                "`{key}` must be a string, found {}",
                other.type_str()
            ))),
        }
    };
    let source = match (string("path")?, string("component")?) {
        (Some(path), None) => Source::Path(path),
        (None, Some(id)) => Source::Component(id),
        (Some(_), Some(_)) => {
            return Err(malformed(
                "give either `path` or `component`, not both".into(),
            ));
        }
        (None, None) => {
            return Err(malformed(
                "no source: give `path = \"dep.wasm\"` or `component = \"<id>\"`".into(),
            ));
        }
    };
    let inherit = table
        .get("inherit_configuration")
        .map(|v| parse_inherit(name, v))
        .transpose()?;
    Ok(Entry {
        source,
        export: string("export")?,
        inherit,
    })
}

fn parse_inherit(name: &str, value: &toml::Value) -> Result<Inherit, DependencyError> {
    match value {
        toml::Value::Boolean(true) => Ok(Inherit::All),
        toml::Value::Boolean(false) => Ok(Inherit::Only(BTreeSet::new())),
        toml::Value::Array(items) => items
            .iter()
            .map(|item| {
                let key = item.as_str().ok_or_else(|| DependencyError::Malformed {
                    name: name.to_owned(),
                    message: "`inherit_configuration` entries must be strings".into(),
                })?;
                Capability::from_key(key).ok_or_else(|| DependencyError::UnknownCapability {
                    name: name.to_owned(),
                    capability: key.to_owned(),
                })
            })
            .collect::<Result<_, _>>()
            .map(Inherit::Only),
        other => Err(DependencyError::Malformed {
            name: name.to_owned(),
            message: format!(
                "`inherit_configuration` must be true, false or a list of configuration keys, found {}",
                other.type_str()
            ),
        }),
    }
}

/// `{ component = "target" }`: the target must exist, not be the consumer, and hold nothing
/// that composition would silently drop (Spin's rule).
fn component_source(
    app_dir: &Path,
    components: &BTreeMap<String, Component>,
    consumer: &str,
    name: &str,
    target: String,
) -> Result<DependencySource, DependencyError> {
    if target == consumer {
        return Err(DependencyError::SelfReference {
            name: name.to_owned(),
        });
    }
    let Some(component) = components.get(&target) else {
        return Err(DependencyError::UnknownComponent {
            name: name.to_owned(),
            target,
        });
    };
    let fields: Vec<&'static str> = [
        ("ai_models", component.ai_models.is_empty()),
        (
            "allowed_outbound_hosts",
            component.allowed_outbound_hosts.is_empty(),
        ),
        ("dependencies", component.dependencies.is_empty()),
        ("files", component.files.is_empty()),
        ("key_value_stores", component.key_value_stores.is_empty()),
        ("sqlite_databases", component.sqlite_databases.is_empty()),
        ("variables", component.variables.is_empty()),
    ]
    .into_iter()
    .filter_map(|(field, empty)| (!empty).then_some(field))
    .collect();
    if !fields.is_empty() {
        return Err(DependencyError::DependencyWithPermissions {
            name: name.to_owned(),
            target,
            fields,
        });
    }
    let Some(path) = component.source_path(app_dir) else {
        return Err(DependencyError::Malformed {
            name: name.to_owned(),
            message: format!("component `{target}` has no local Wasm file"),
        });
    };
    Ok(DependencySource::Component { id: target, path })
}

/// Spin's kebab-case rule for names: words of lowercase letters and digits joined by `-`,
/// each word starting with a letter.
fn check_kebab(word: &str) -> Result<(), String> {
    let ok = !word.is_empty()
        && word.split('-').all(|w| {
            w.starts_with(|c: char| c.is_ascii_lowercase())
                && w.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        });
    if ok {
        Ok(())
    } else {
        Err(format!("`{word}` is not kebab-case"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> DependencyName {
        DependencyName::parse(s).unwrap()
    }

    #[test]
    fn names_match_imports_as_in_spin() {
        for (dep, imports) in [
            ("foo:bar/baz@0.1.0", vec!["foo:bar/baz@0.1.0"]),
            ("foo:bar/baz", vec!["foo:bar/baz@0.1.0", "foo:bar/baz"]),
            ("foo:bar", vec!["foo:bar/baz@0.1.0", "foo:bar/baz"]),
            ("foo:bar@0.1.0", vec!["foo:bar/baz@0.1.0"]),
            ("foo-bar", vec!["foo-bar"]),
        ] {
            for import in imports {
                assert!(name(dep).matches_import(import), "{dep} vs {import}");
            }
        }
        for (dep, imports) in [
            (
                "foo:bar/baz@0.1.0",
                vec!["foo:bar/baz", "foo:bar/baz@0.1.1"],
            ),
            ("foo:bar/baz", vec!["foo:bar/bub", "foo:bar/bub@0.1.0"]),
            ("foo:bar", vec!["foo:bub/bib"]),
            ("foo:bar@0.1.0", vec!["foo:bar/baz"]),
            ("foo:bar/baz", vec!["foo:bar/baz-bub", "foo-bar"]),
        ] {
            for import in imports {
                assert!(!name(dep).matches_import(import), "{dep} vs {import}");
            }
        }
    }

    #[test]
    fn bad_names_are_rejected() {
        for bad in [
            "Foo",
            "foo:Bar",
            "foo/bar",
            "foo:bar@x",
            "foo:bar/Baz",
            ":bar",
        ] {
            assert!(DependencyName::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            name("fabula:llm/text-generation@0.1.0").to_string(),
            "fabula:llm/text-generation@0.1.0"
        );
    }

    fn components(extra: &str) -> BTreeMap<String, Component> {
        #[derive(serde::Deserialize)]
        struct Doc {
            component: BTreeMap<String, Component>,
        }
        let text = format!(
            "[component.app]\nsource = \"app.wasm\"\n{extra}\n\
             [component.provider]\nsource = \"provider.wasm\"\n"
        );
        toml::from_str::<Doc>(&text).unwrap().component
    }

    fn deps(extra: &str) -> Result<Vec<Dependency>, DependencyError> {
        resolve(Path::new("/app"), &components(extra), "app")
    }

    const DEP: &str = "[component.app.dependencies]\n\"fabula:llm/text-generation@0.1.0\"";

    #[test]
    fn path_and_component_sources_resolve_against_the_app_folder() {
        let by_path = deps(&format!("{DEP} = {{ path = \"p.wasm\" }}")).unwrap();
        assert_eq!(
            by_path[0].source,
            DependencySource::Path("/app/p.wasm".into())
        );
        assert_eq!(by_path[0].inherit, Inherit::Only(BTreeSet::new()));
        let by_component = deps(&format!(
            "{DEP} = {{ component = \"provider\", export = \"x:y/z@1.0.0\" }}"
        ))
        .unwrap();
        assert_eq!(
            by_component[0].source,
            DependencySource::Component {
                id: "provider".into(),
                path: "/app/provider.wasm".into()
            }
        );
        assert_eq!(by_component[0].export.as_deref(), Some("x:y/z@1.0.0"));
    }

    #[test]
    fn inheritance_comes_from_either_form() {
        let all = deps(&format!(
            "dependencies_inherit_configuration = true\n{DEP} = {{ path = \"p.wasm\" }}"
        ))
        .unwrap();
        assert_eq!(all[0].inherit, Inherit::All);
        let some = deps(&format!(
            "{DEP} = {{ path = \"p.wasm\", inherit_configuration = [\"allowed_outbound_hosts\", \"variables\"] }}"
        ))
        .unwrap();
        assert!(some[0].inherit.allows(Capability::Variables));
        assert!(!some[0].inherit.allows(Capability::KeyValueStores));
    }

    #[test]
    fn both_inherit_forms_are_refused() {
        let err = deps(&format!(
            "dependencies_inherit_configuration = true\n{DEP} = {{ path = \"p.wasm\", inherit_configuration = true }}"
        ))
        .unwrap_err();
        assert!(matches!(err, DependencyError::BothInheritForms { .. }));
        assert!(err.to_string().contains("mutually exclusive"), "{err}");
    }

    #[test]
    fn remote_sources_are_refused_clearly() {
        let url = deps(&format!(
            "{DEP} = {{ url = \"https://x/y.wasm\", digest = \"sha256:00\" }}"
        ))
        .unwrap_err();
        assert!(
            url.to_string()
                .contains("URL dependencies are not supported")
        );
        let registry = deps(&format!("{DEP} = \"0.1.0\"")).unwrap_err();
        assert!(matches!(registry, DependencyError::Registry { .. }));
        let package = deps(&format!(
            "{DEP} = {{ version = \"0.1.0\", registry = \"r.io\" }}"
        ))
        .unwrap_err();
        assert!(matches!(package, DependencyError::Registry { .. }));
    }

    #[test]
    fn malformed_entries_are_refused() {
        for (entry, needle) in [
            ("{ path = \"p.wasm\", colour = 1 }", "unknown key `colour`"),
            ("{ export = \"x\" }", "no source"),
            ("{ path = \"a\", component = \"provider\" }", "not both"),
            ("{ path = 3 }", "must be a string"),
            ("{ path = \"p\", inherit_configuration = 1 }", "true, false"),
            (
                "{ path = \"p\", inherit_configuration = [\"disks\"] }",
                "`disks`",
            ),
        ] {
            let err = deps(&format!("{DEP} = {entry}")).unwrap_err().to_string();
            assert!(err.contains(needle), "{entry}: {err}");
        }
    }

    #[test]
    fn component_references_are_checked() {
        let err = deps(&format!("{DEP} = {{ component = \"ghost\" }}")).unwrap_err();
        assert!(matches!(err, DependencyError::UnknownComponent { .. }));
        let err = deps(&format!("{DEP} = {{ component = \"app\" }}")).unwrap_err();
        assert!(matches!(err, DependencyError::SelfReference { .. }));
        let mut comps = components(&format!("{DEP} = {{ component = \"provider\" }}"));
        let provider = comps.get_mut("provider").unwrap();
        provider.allowed_outbound_hosts = vec!["https://example.com".into()];
        provider.key_value_stores = vec!["default".into()];
        let err = resolve(Path::new("/app"), &comps, "app").unwrap_err();
        assert_eq!(
            err.to_string(),
            "`fabula:llm/text-generation@0.1.0`: dependencies may not have their own resources or \
             permissions; component `provider` specifies: allowed_outbound_hosts, key_value_stores"
        );
    }
}
