//! Helpers for the book routes' tests (`tests/books.rs`): epubcheck.

use std::path::Path;
use std::process::Command;

/// The command that runs epubcheck, if it is on `PATH` (as `crates/export`'s tests find
/// it): Debian installs it as a symlink to a jar, which runs via `java -jar`.
pub fn epubcheck() -> Option<Command> {
    let path = std::env::var_os("PATH")?;
    let found = std::env::split_paths(&path)
        .map(|dir| dir.join("epubcheck"))
        .find(|candidate| candidate.is_file())?;
    let target = std::fs::canonicalize(&found).unwrap_or(found);
    Some(if target.extension().is_some_and(|ext| ext == "jar") {
        let mut java = Command::new("java");
        java.arg("-jar").arg(target);
        java
    } else {
        Command::new(target)
    })
}

/// Runs epubcheck on `file` (warnings fail too). `None` when epubcheck is not installed;
/// otherwise whether it passed, and its report.
pub fn run_epubcheck(file: &Path) -> Option<(bool, String)> {
    let output = epubcheck()?
        .args(["--failonwarnings", "--locale", "en"])
        .arg(file)
        .output()
        .expect("run epubcheck");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let passed = output.status.success() && report.contains("No errors or warnings detected");
    Some((passed, report))
}
