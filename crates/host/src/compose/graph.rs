//! The composition itself, with `wac-graph` as Spin's `spin-compose` does it: each dependency
//! is matched to the consumer's imports by name, its export (the import's name, or `export`)
//! must be a subtype of the import, and the composed component re-exports everything the
//! consumer exports. Imports nothing satisfies stay imports of the result (the host's).

use std::collections::{BTreeMap, HashSet};

use wac_graph::types::{Package, SubtypeChecker};
use wac_graph::{CompositionGraph, EncodeOptions, NodeId};

use super::ComposeError;
use super::capabilities;
use crate::dependencies::Dependency;

/// A dependency with its Wasm.
pub struct Loaded<'a> {
    /// The manifest entry.
    pub dependency: &'a Dependency,
    /// Its component bytes.
    pub wasm: Vec<u8>,
}

/// A dependency registered and instantiated in the graph.
struct Placed<'a> {
    dependency: &'a Dependency,
    instance: NodeId,
    world: wac_graph::types::WorldId,
}

/// Composes `consumer` (component `component_id`) with `dependencies`.
pub fn compose(
    component_id: &str,
    consumer: Vec<u8>,
    dependencies: Vec<Loaded<'_>>,
) -> Result<Vec<u8>, ComposeError> {
    let mut graph = CompositionGraph::new();
    let invalid = |what: String, e: anyhow::Error| ComposeError::InvalidWasm {
        component: component_id.to_owned(),
        what,
        reason: format!("{e:#}"),
    };
    let package = Package::from_bytes(component_id, None, consumer, graph.types_mut())
        .map_err(|e| invalid("its source".into(), e))?;
    let world = package.ty();
    let package = graph
        .register_package(package)
        .map_err(|e| graph_error(component_id, e))?;
    let instance = graph.instantiate(package);
    let imports: Vec<String> = graph.types()[world].imports.keys().cloned().collect();

    let mut by_import: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut placed = Vec::with_capacity(dependencies.len());
    for (index, loaded) in dependencies.into_iter().enumerate() {
        let dependency = loaded.dependency;
        let name = dependency.name.to_string();
        let matched: Vec<&String> = imports
            .iter()
            .filter(|import| dependency.name.matches_import(import))
            .collect();
        if matched.is_empty() {
            return Err(ComposeError::UnmatchedDependency {
                component: component_id.to_owned(),
                dependency: name,
                imports: custom_imports(&imports),
            });
        }
        let dep_package = Package::from_bytes(
            &format!("fabula:dependency{index}"),
            None,
            loaded.wasm,
            graph.types_mut(),
        )
        .map_err(|e| invalid(format!("dependency `{name}`"), e))?;
        let dep_world = dep_package.ty();
        check_capabilities(component_id, dependency, &graph, dep_world)?;
        let dep_package = graph
            .register_package(dep_package)
            .map_err(|e| graph_error(component_id, e))?;
        for import in matched {
            by_import.entry(import.clone()).or_default().push(index);
        }
        placed.push(Placed {
            dependency,
            instance: graph.instantiate(dep_package),
            world: dep_world,
        });
    }

    let mut cache = HashSet::new();
    for (import, indexes) in by_import {
        if let [a, b, ..] = indexes[..] {
            return Err(ComposeError::Conflict {
                component: component_id.to_owned(),
                import,
                dependencies: [a, b]
                    .iter()
                    .map(|&i| placed[i].dependency.name.to_string())
                    .collect(),
            });
        }
        let dep = &placed[indexes[0]];
        let export = dep
            .dependency
            .export
            .clone()
            .unwrap_or_else(|| import.clone());
        let dep_name = dep.dependency.name.to_string();
        let Some(&export_kind) = graph.types()[dep.world].exports.get(&export) else {
            return Err(ComposeError::MissingExport {
                component: component_id.to_owned(),
                dependency: dep_name,
                import,
                export,
                exports: graph.types()[dep.world].exports.keys().cloned().collect(),
            });
        };
        let import_kind = graph.types()[world].imports[&import];
        SubtypeChecker::new(&mut cache)
            .is_subtype(export_kind, graph.types(), import_kind, graph.types())
            .map_err(|e| ComposeError::IncompatibleExport {
                component: component_id.to_owned(),
                dependency: dep_name,
                import: import.clone(),
                export: export.clone(),
                reason: format!("{e:#}"),
            })?;
        let node = graph
            .alias_instance_export(dep.instance, &export)
            .map_err(|e| graph_error(component_id, e))?;
        graph
            .set_instantiation_argument(instance, &import, node)
            .map_err(|e| graph_error(component_id, e))?;
    }

    let exports: Vec<String> = graph.types()[world].exports.keys().cloned().collect();
    for export in exports {
        let node = graph
            .alias_instance_export(instance, &export)
            .map_err(|e| graph_error(component_id, e))?;
        graph
            .export(node, &export)
            .map_err(|e| graph_error(component_id, e))?;
    }
    graph
        .encode(EncodeOptions::default())
        .map_err(|e| graph_error(component_id, e))
}

/// Refuses a dependency that imports a capability interface it does not inherit: this host
/// cannot plug a deny adapter into it as Spin does (see docs/configuration.md).
fn check_capabilities(
    component_id: &str,
    dependency: &Dependency,
    graph: &CompositionGraph,
    dep_world: wac_graph::types::WorldId,
) -> Result<(), ComposeError> {
    for import in graph.types()[dep_world].imports.keys() {
        if let Some(capability) = capabilities::needed_by(import)
            && !dependency.inherit.allows(capability)
        {
            return Err(ComposeError::CapabilityNotInherited {
                component: component_id.to_owned(),
                dependency: dependency.name.to_string(),
                import: import.clone(),
                capability,
            });
        }
    }
    Ok(())
}

/// The imports worth listing in an error: the ones the host does not provide.
fn custom_imports(imports: &[String]) -> Vec<String> {
    imports
        .iter()
        .filter(|i| !super::host_namespace(i))
        .cloned()
        .collect()
}

fn graph_error(
    component_id: &str,
    e: impl std::error::Error + Send + Sync + 'static,
) -> ComposeError {
    ComposeError::Graph {
        component: component_id.to_owned(),
        reason: format!("{:#}", anyhow::Error::new(e)),
    }
}
