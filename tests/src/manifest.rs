//! The app's manifest with other component sources, for tests that swap a component (e.g.
//! provider-openai for the offline provider).

use std::path::{Path, PathBuf};

use crate::{TestAppBuilder, repo_root};

/// A copy of the repository's `spin.toml` in a temporary folder (removed when dropped),
/// with every local component source made absolute so it still resolves from there, and
/// pointed at the wasm target folder the harness builds into (`$CARGO_TARGET_DIR`, else
/// `target/`).
pub struct PatchedManifest {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl PatchedManifest {
    /// The app's manifest with the `source` of each `(component id, wasm file name)` in
    /// `swaps` replaced, e.g. `[("llm-provider", "provider_openai.wasm")]`. Panics if a
    /// component is not in the manifest.
    pub fn fabula(swaps: &[(&str, &str)]) -> Self {
        let original = repo_root().join("spin.toml");
        let text = std::fs::read_to_string(&original).expect("read spin.toml");
        let patched = patch_sources(&text, &wasm_target_dir(), swaps);
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = dir.path().join("spin.toml");
        std::fs::write(&path, patched).expect("write the patched manifest");
        PatchedManifest { _dir: dir, path }
    }

    /// A builder for the app this manifest describes.
    pub fn builder(&self) -> TestAppBuilder {
        TestAppBuilder::new(self.path.clone())
    }
}

/// Where `cargo build --target wasm32-wasip2` (run from the repository root, as
/// [`crate::ensure_wasm_built`] does) puts the components' target folder.
fn wasm_target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => repo_root().join(dir),
        _ => repo_root().join("target"),
    }
}

/// `manifest` with every `source = "target/…"` rebased onto `target` and the sources of
/// the `swaps` components replaced by `target/wasm32-wasip2/component/<file>`.
fn patch_sources(manifest: &str, target: &Path, swaps: &[(&str, &str)]) -> String {
    let components = target.join("wasm32-wasip2/component");
    let quoted = |path: PathBuf| {
        let text = path
            .to_string_lossy()
            .replace('\\', "\\\\")
            .replace('"', "\\\"");
        format!("source = \"{text}\"")
    };
    let mut section = String::new();
    let mut swapped = Vec::new();
    let mut out = String::with_capacity(manifest.len() + 1024);
    for line in manifest.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            section = trimmed.to_owned();
        }
        let swap = swaps
            .iter()
            .find(|(id, _)| section == format!("[component.{id}]"));
        let replaced = match (trimmed.strip_prefix("source = \""), swap) {
            (Some(_), Some((id, file))) => {
                swapped.push(*id);
                Some(quoted(components.join(file)))
            }
            (Some(rest), None) => rest
                .strip_prefix("target/")
                .and_then(|rest| rest.strip_suffix('"'))
                .map(|relative| quoted(target.join(relative))),
            (None, _) => None,
        };
        out.push_str(replaced.as_deref().unwrap_or(line));
        out.push('\n');
    }
    for (id, _) in swaps {
        assert!(
            swapped.contains(id),
            "no source of component {id} in spin.toml"
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_rebased_and_swapped() {
        let manifest = "[component.a]\nsource = \"target/wasm32-wasip2/component/a.wasm\"\n\
                        [component.a.build]\ncommand = \"x\"\n\
                        [component.llm-provider]\nsource = \"target/wasm32-wasip2/component/offline.wasm\"\n\
                        [component.b]\nsource = \"elsewhere/b.wasm\"\n";
        let patched = patch_sources(
            manifest,
            Path::new("/t"),
            &[("llm-provider", "provider_openai.wasm")],
        );
        assert_eq!(
            patched,
            "[component.a]\nsource = \"/t/wasm32-wasip2/component/a.wasm\"\n\
             [component.a.build]\ncommand = \"x\"\n\
             [component.llm-provider]\nsource = \"/t/wasm32-wasip2/component/provider_openai.wasm\"\n\
             [component.b]\nsource = \"elsewhere/b.wasm\"\n"
        );
    }
}
