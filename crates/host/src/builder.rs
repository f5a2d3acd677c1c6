//! `fabula build`: runs each component's `[component.x.build] command`, as `spin build` does.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context as _, bail};

use crate::manifest::Manifest;

/// Runs the build commands of `only` (or of every component with a build section), in
/// manifest order, stopping at the first failure.
pub fn build(manifest: &Manifest, only: &[String]) -> anyhow::Result<()> {
    for id in only {
        if !manifest.components.contains_key(id) {
            bail!("no component `{id}` in the manifest");
        }
    }
    let selected: Vec<_> = manifest
        .components
        .iter()
        .filter(|(id, _)| only.is_empty() || only.contains(id))
        .filter_map(|(id, c)| c.build.as_ref().map(|b| (id, b)))
        .collect();
    let total = selected.len();
    for (n, (id, build)) in selected.into_iter().enumerate() {
        let dir = match &build.workdir {
            Some(w) => manifest.app_dir.join(w),
            None => manifest.app_dir.clone(),
        };
        for command in build.command.commands() {
            eprintln!(
                "[{}/{total}] Building component {id} with `{command}`",
                n + 1
            );
            let started = Instant::now();
            run_shell(command, &dir)
                .with_context(|| format!("building component `{id}` failed"))?;
            eprintln!(
                "[{}/{total}] Built {id} in {:.1}s",
                n + 1,
                started.elapsed().as_secs_f64()
            );
        }
    }
    eprintln!("Finished building all components");
    Ok(())
}

fn run_shell(command: &str, dir: &Path) -> anyhow::Result<()> {
    let status = Command::new("sh")
        .arg("-c")
        .arg(command)
        .current_dir(dir)
        .status()
        .with_context(|| format!("cannot run `{command}`"))?;
    if !status.success() {
        bail!("`{command}` exited with {status}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn manifest(dir: &Path, command: &str) -> Manifest {
        let text = format!(
            "spin_manifest_version = 2\n[application]\nname = \"t\"\n\
             [component.a]\nsource = \"a.wasm\"\n[component.a.build]\ncommand = \"{command}\"\n"
        );
        Manifest::parse(&text, Path::new("spin.toml"), PathBuf::from(dir)).unwrap()
    }

    #[test]
    fn runs_commands_in_the_app_folder() {
        let dir = tempfile::tempdir().unwrap();
        build(&manifest(dir.path(), "touch built"), &[]).unwrap();
        assert!(dir.path().join("built").exists());
    }

    #[test]
    fn a_failing_command_names_the_component() {
        let dir = tempfile::tempdir().unwrap();
        let err = build(&manifest(dir.path(), "exit 3"), &[]).unwrap_err();
        assert!(format!("{err:#}").contains("component `a`"), "{err:#}");
    }

    #[test]
    fn unknown_component_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert!(build(&manifest(dir.path(), "true"), &["nope".into()]).is_err());
    }
}
