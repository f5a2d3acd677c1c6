//! Composition on tiny hand-written components: a consumer importing
//! `fabula:test/answer@0.1.0` (`get: func() -> u32`) and providers exporting it.

use std::collections::BTreeSet;
use std::path::PathBuf;

use super::graph::{Loaded, compose};
use super::*;
use crate::dependencies::{Dependency, DependencyName, DependencySource, Inherit};

const ANSWER: &str = "fabula:test/answer@0.1.0";

/// Imports `fabula:test/answer@0.1.0` and exports `run`, which returns `get()`.
const CONSUMER: &str = r#"(component
  (import "fabula:test/answer@0.1.0" (instance $a (export "get" (func (result u32)))))
  (core func $get (canon lower (func $a "get")))
  (core module $m
    (import "a" "get" (func $get (result i32)))
    (func (export "run") (result i32) call $get))
  (core instance $i (instantiate $m (with "a" (instance (export "get" (func $get))))))
  (func (export "run") (result u32) (canon lift (core func $i "run"))))"#;

/// A provider exporting `get` (returning 42) as `export_name`, importing `extra_import` (an
/// empty instance) if given.
fn provider(export_name: &str, result_type: &str, extra_import: Option<&str>) -> Vec<u8> {
    let import = extra_import
        .map(|name| format!("(import \"{name}\" (instance))"))
        .unwrap_or_default();
    let (core_result, value) = match result_type {
        "u64" => ("i64", "i64.const 42"),
        _ => ("i32", "i32.const 42"),
    };
    wat::parse_str(format!(
        r#"(component
  {import}
  (core module $m (func (export "get") (result {core_result}) {value}))
  (core instance $i (instantiate $m))
  (func $get (result {result_type}) (canon lift (core func $i "get")))
  (instance $inst (export "get" (func $get)))
  (export "{export_name}" (instance $inst)))"#
    ))
    .unwrap()
}

fn consumer() -> Vec<u8> {
    wat::parse_str(CONSUMER).unwrap()
}

fn dependency(name: &str, export: Option<&str>, inherit: Inherit) -> Dependency {
    Dependency {
        name: DependencyName::parse(name).unwrap(),
        source: DependencySource::Path(PathBuf::from("dep.wasm")),
        export: export.map(str::to_owned),
        inherit,
    }
}

fn nothing() -> Inherit {
    Inherit::Only(BTreeSet::new())
}

/// Instantiates a composed component with no host imports and calls `run`.
fn run(wasm: &[u8]) -> u32 {
    let engine = wasmtime::Engine::default();
    let component = wasmtime::component::Component::new(&engine, wasm).unwrap();
    let linker = wasmtime::component::Linker::<()>::new(&engine);
    let mut store = wasmtime::Store::new(&engine, ());
    let instance = linker.instantiate(&mut store, &component).unwrap();
    let run = instance
        .get_typed_func::<(), (u32,)>(&mut store, "run")
        .unwrap();
    run.call(&mut store, ()).unwrap().0
}

#[test]
fn a_dependency_satisfies_the_import_it_is_named_after() {
    for name in [
        ANSWER,
        "fabula:test/answer",
        "fabula:test",
        "fabula:test@0.1.0",
    ] {
        let dep = dependency(name, None, nothing());
        let wasm = compose(
            "app",
            consumer(),
            vec![Loaded {
                dependency: &dep,
                wasm: provider(ANSWER, "u32", None),
            }],
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(run(&wasm), 42, "{name}");
    }
}

#[test]
fn export_names_the_export_to_use() {
    let dep = dependency(ANSWER, Some("other:pkg/answers@2.0.0"), nothing());
    let wasm = compose(
        "app",
        consumer(),
        vec![Loaded {
            dependency: &dep,
            wasm: provider("other:pkg/answers@2.0.0", "u32", None),
        }],
    )
    .unwrap();
    assert_eq!(run(&wasm), 42);
}

#[test]
fn a_dependency_matching_no_import_is_refused() {
    let dep = dependency("fabula:other/answer@0.1.0", None, nothing());
    let err = compose(
        "app",
        consumer(),
        vec![Loaded {
            dependency: &dep,
            wasm: provider(ANSWER, "u32", None),
        }],
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "component `app`: dependency `fabula:other/answer@0.1.0` matches no import of the \
         component (its non-host imports: `fabula:test/answer@0.1.0`)"
    );
}

#[test]
fn a_missing_export_names_component_dependency_and_import() {
    let dep = dependency(ANSWER, None, nothing());
    let err = compose(
        "app",
        consumer(),
        vec![Loaded {
            dependency: &dep,
            wasm: provider("fabula:test/other@0.1.0", "u32", None),
        }],
    )
    .unwrap_err();
    assert!(matches!(err, ComposeError::MissingExport { .. }), "{err}");
    let message = err.to_string();
    for needle in [
        "component `app`",
        "does not export `fabula:test/answer@0.1.0`",
        "import `fabula:test/answer@0.1.0`",
        "it exports: `fabula:test/other@0.1.0`",
    ] {
        assert!(message.contains(needle), "{needle}: {message}");
    }
}

#[test]
fn an_export_of_the_wrong_type_is_refused() {
    let dep = dependency(ANSWER, None, nothing());
    let err = compose(
        "app",
        consumer(),
        vec![Loaded {
            dependency: &dep,
            wasm: provider(ANSWER, "u64", None),
        }],
    )
    .unwrap_err();
    assert!(
        matches!(err, ComposeError::IncompatibleExport { .. }),
        "{err}"
    );
}

#[test]
fn two_dependencies_for_one_import_conflict() {
    let a = dependency(ANSWER, None, nothing());
    let b = dependency("fabula:test", None, nothing());
    let err = compose(
        "app",
        consumer(),
        vec![
            Loaded {
                dependency: &a,
                wasm: provider(ANSWER, "u32", None),
            },
            Loaded {
                dependency: &b,
                wasm: provider(ANSWER, "u32", None),
            },
        ],
    )
    .unwrap_err();
    assert!(matches!(err, ComposeError::Conflict { .. }), "{err}");
}

#[test]
fn a_capability_import_needs_inheritance() {
    let outgoing = "wasi:http/outgoing-handler@0.2.6";
    let compose_with = |inherit: Inherit| {
        let dep = dependency(ANSWER, None, inherit);
        compose(
            "app",
            consumer(),
            vec![Loaded {
                dependency: &dep,
                wasm: provider(ANSWER, "u32", Some(outgoing)),
            }],
        )
    };
    let err = compose_with(nothing()).unwrap_err();
    assert!(
        matches!(
            err,
            ComposeError::CapabilityNotInherited {
                capability: Capability::AllowedOutboundHosts,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains(outgoing), "{err}");
    let only_variables = Inherit::Only([Capability::Variables].into());
    assert!(compose_with(only_variables).is_err());
    let only_outbound = Inherit::Only([Capability::AllowedOutboundHosts].into());
    let composed = compose_with(only_outbound).unwrap();
    let all = compose_with(Inherit::All).unwrap();
    assert_eq!(
        composed, all,
        "composition does not depend on what is inherited"
    );
}

#[test]
fn a_file_that_is_not_a_component_is_named() {
    let dep = dependency(ANSWER, None, nothing());
    let err = compose(
        "app",
        consumer(),
        vec![Loaded {
            dependency: &dep,
            wasm: b"not wasm".to_vec(),
        }],
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("dependency `fabula:test/answer@0.1.0` is not a valid Wasm component"),
        "{err}"
    );
}

#[test]
fn imports_outside_the_host_namespaces_are_reported() {
    assert!(
        check_host_imports(
            "app",
            ["wasi:http/types@0.2.6", "fermyon:spin/variables@2.0.0"]
        )
        .is_ok()
    );
    let err = check_host_imports("app", ["wasi:cli/stdout@0.2.6", ANSWER]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "component `app` imports `fabula:test/answer@0.1.0`, which neither the Fabula host nor a \
         dependency provides: add it to [component.app.dependencies]"
    );
}

#[test]
fn component_wasm_reads_and_composes_from_the_manifest() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("app.wasm"), consumer()).unwrap();
    std::fs::write(
        dir.path().join("provider.wasm"),
        provider(ANSWER, "u32", None),
    )
    .unwrap();
    let manifest_with = |dependency: &str| {
        let text = format!(
            "spin_manifest_version = 2\n[application]\nname = \"t\"\n\
             [component.app]\nsource = \"app.wasm\"\n\
             [component.app.dependencies]\n\"{ANSWER}\" = {dependency}\n\
             [component.provider]\nsource = \"provider.wasm\"\n"
        );
        Manifest::parse(&text, Path::new("spin.toml"), dir.path().to_owned()).unwrap()
    };
    for dependency in [
        "{ path = \"provider.wasm\" }",
        "{ component = \"provider\" }",
    ] {
        let wasm = component_wasm(&manifest_with(dependency), "app").unwrap();
        assert_eq!(run(&wasm), 42, "{dependency}");
    }
    let err = component_wasm(&manifest_with("{ path = \"missing.wasm\" }"), "app").unwrap_err();
    assert!(
        err.to_string()
            .starts_with("component `app`: cannot read dependency `fabula:test/answer@0.1.0`"),
        "{err}"
    );
    let plain = component_wasm(&manifest_with("{ path = \"provider.wasm\" }"), "provider").unwrap();
    assert_eq!(
        plain,
        provider(ANSWER, "u32", None),
        "no dependencies: as is"
    );
}
