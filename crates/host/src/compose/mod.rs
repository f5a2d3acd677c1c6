//! Component dependencies at load time: a component with `[component.<id>.dependencies]` is
//! composed with them (as Spin does, with `wac-graph`) and the composed component is what the
//! host compiles, caches and pre-instantiates.
//!
//! A composed dependency runs inside the consumer, so whatever it imports from the host it
//! uses with the consumer's configuration: that is Spin's "inherit configuration". A
//! dependency that does not inherit a capability but imports its interface is refused (Spin
//! would plug a deny adapter in instead; see docs/configuration.md).

mod capabilities;
mod graph;

use std::path::{Path, PathBuf};

use crate::dependencies::Capability;
use crate::manifest::Manifest;

/// Why a component could not be composed with its dependencies.
#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    /// A Wasm file could not be read.
    #[error("component `{component}`: cannot read {what} {} (run `fabula build` first?): {error}", path.display())]
    Read {
        /// The consumer.
        component: String,
        /// `its source` or `dependency `name``.
        what: String,
        /// The file.
        path: PathBuf,
        /// The I/O error.
        error: std::io::Error,
    },
    /// A file is not a valid component.
    #[error("component `{component}`: {what} is not a valid Wasm component: {reason}")]
    InvalidWasm {
        /// The consumer.
        component: String,
        /// `its source` or `dependency `name``.
        what: String,
        /// What the parser said.
        reason: String,
    },
    /// A dependency name that matches none of the consumer's imports.
    #[error(
        "component `{component}`: dependency `{dependency}` matches no import of the component (its non-host imports: {})",
        list(imports)
    )]
    UnmatchedDependency {
        /// The consumer.
        component: String,
        /// The dependency name.
        dependency: String,
        /// The consumer's imports the host does not provide.
        imports: Vec<String>,
    },
    /// Two dependencies match the same import.
    #[error(
        "component `{component}`: import `{import}` is matched by several dependencies: {}",
        list(dependencies)
    )]
    Conflict {
        /// The consumer.
        component: String,
        /// The import.
        import: String,
        /// The dependencies matching it.
        dependencies: Vec<String>,
    },
    /// The dependency has no export of the required name.
    #[error(
        "component `{component}`: dependency `{dependency}` does not export `{export}` to satisfy import `{import}` (it exports: {})",
        list(exports)
    )]
    MissingExport {
        /// The consumer.
        component: String,
        /// The dependency name.
        dependency: String,
        /// The import to satisfy.
        import: String,
        /// The export looked for.
        export: String,
        /// What the dependency exports.
        exports: Vec<String>,
    },
    /// The export's type does not fit the import's.
    #[error(
        "component `{component}`: dependency `{dependency}` exports `{export}`, which is not compatible with import `{import}`: {reason}"
    )]
    IncompatibleExport {
        /// The consumer.
        component: String,
        /// The dependency name.
        dependency: String,
        /// The import.
        import: String,
        /// The export.
        export: String,
        /// The type checker's explanation.
        reason: String,
    },
    /// The dependency imports a capability interface it does not inherit.
    #[error(
        "component `{component}`: dependency `{dependency}` imports `{import}`, which needs `{capability}`, but it does not inherit it; \
         the Fabula host cannot deny a capability to a composed dependency as Spin does, so it refuses it: \
         set `inherit_configuration = true` (or a list with \"{capability}\") on the dependency, \
         or `dependencies_inherit_configuration = true` on the component"
    )]
    CapabilityNotInherited {
        /// The consumer.
        component: String,
        /// The dependency name.
        dependency: String,
        /// The capability import.
        import: String,
        /// The capability it needs.
        capability: Capability,
    },
    /// The component imports interfaces neither the host nor a dependency provides.
    #[error(
        "component `{component}` imports {}, which neither the Fabula host nor a dependency provides: \
         add it to [component.{component}.dependencies]",
        list(imports)
    )]
    UnsatisfiedImports {
        /// The component.
        component: String,
        /// The imports left over.
        imports: Vec<String>,
    },
    /// Building or encoding the composition failed.
    #[error("component `{component}`: composing its dependencies failed: {reason}")]
    Graph {
        /// The consumer.
        component: String,
        /// What wac-graph said.
        reason: String,
    },
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        return "none".into();
    }
    items
        .iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether an import belongs to a namespace the host implements (`wasi:*`, `fermyon:spin/*`).
pub fn host_namespace(import: &str) -> bool {
    import.starts_with("wasi:") || import.starts_with("fermyon:spin/")
}

/// The Wasm of component `id`: its source as is, or composed with its dependencies.
pub fn component_wasm(manifest: &Manifest, id: &str) -> Result<Vec<u8>, ComposeError> {
    let component = &manifest.components[id];
    let path =
        component
            .source_path(&manifest.app_dir)
            .ok_or_else(|| ComposeError::InvalidWasm {
                component: id.to_owned(),
                what: "its source".into(),
                reason: "not a local file".into(),
            })?;
    let source = read(id, "its source", &path)?;
    let Some(dependencies) = manifest.dependencies.get(id) else {
        return Ok(source);
    };
    let loaded = dependencies
        .iter()
        .map(|dependency| {
            let what = format!("dependency `{}`", dependency.name);
            Ok(graph::Loaded {
                dependency,
                wasm: read(id, &what, dependency.source.path())?,
            })
        })
        .collect::<Result<Vec<_>, ComposeError>>()?;
    let started = std::time::Instant::now();
    let composed = graph::compose(id, source, loaded)?;
    tracing::debug!(
        component = id,
        elapsed = ?started.elapsed(),
        bytes = composed.len(),
        "composed dependencies"
    );
    Ok(composed)
}

/// Fails, naming them, when `imports` holds interfaces outside the host's namespaces: an
/// import a dependency should have satisfied, or a typo.
pub fn check_host_imports<'a>(
    id: &str,
    imports: impl IntoIterator<Item = &'a str>,
) -> Result<(), ComposeError> {
    let left: Vec<String> = imports
        .into_iter()
        .filter(|i| !host_namespace(i))
        .map(str::to_owned)
        .collect();
    if left.is_empty() {
        Ok(())
    } else {
        Err(ComposeError::UnsatisfiedImports {
            component: id.to_owned(),
            imports: left,
        })
    }
}

fn read(id: &str, what: &str, path: &Path) -> Result<Vec<u8>, ComposeError> {
    std::fs::read(path).map_err(|error| ComposeError::Read {
        component: id.to_owned(),
        what: what.to_owned(),
        path: path.to_owned(),
        error,
    })
}

#[cfg(test)]
mod tests;
