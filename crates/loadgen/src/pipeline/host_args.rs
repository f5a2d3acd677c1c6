//! How the pipeline benchmark starts `fabula up`: its arguments, and whether the host can
//! publish to the sweeper's channel itself.

use std::ffi::OsString;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::process::Command;

/// Fabula's own manifest, relative to the repository root.
pub const APP_MANIFEST: &str = "spin.toml";
/// The channel that runs the sweeper when anything is published to it.
const SWEEP_CHANNEL: &str = "fabula.sweep";

/// `fabula up` arguments: Fabula's manifest on an ephemeral loopback port, no access log, a
/// fresh state directory, the operator token, and the periodic sweep when `sweep_every` is set.
pub fn up_args(
    state_dir: &Path,
    admin_token: &str,
    sweep_every: Option<Duration>,
) -> Vec<OsString> {
    let mut args: Vec<OsString> = [
        "up",
        "-f",
        APP_MANIFEST,
        "--listen",
        "127.0.0.1:0",
        "--access-log",
        "off",
    ]
    .map(OsString::from)
    .into();
    args.extend(["--state-dir".into(), state_dir.as_os_str().to_owned()]);
    args.extend([
        "--variable".into(),
        format!("admin_token={admin_token}").into(),
    ]);
    if let Some(every) = sweep_every {
        args.extend([
            "--publish-every".into(),
            format!("{SWEEP_CHANNEL}={}", duration_arg(every)).into(),
        ]);
    }
    args
}

/// A duration as the host's flags take it: whole seconds as `5s`, anything else as `ms`.
fn duration_arg(d: Duration) -> String {
    if d.subsec_nanos() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis().max(1))
    }
}

/// Whether `fabula up --help` lists `--publish-every` (hosts before it simply do not sweep
/// periodically; the benchmark does not need it).
pub async fn supports_publish_every(fabula: &Path) -> bool {
    let output = Command::new(fabula)
        .args(["up", "--help"])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .await;
    output.is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("--publish-every"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn joined(args: &[OsString]) -> String {
        args.iter()
            .map(|a| a.to_str().unwrap())
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn arguments_follow_the_cli_contract() {
        let args = up_args(Path::new("/tmp/s"), "t0k", Some(Duration::from_secs(5)));
        assert_eq!(
            joined(&args),
            "up -f spin.toml --listen 127.0.0.1:0 --access-log off --state-dir /tmp/s \
             --variable admin_token=t0k --publish-every fabula.sweep=5s"
        );
        let args = up_args(Path::new("/tmp/s"), "t0k", None);
        assert!(!joined(&args).contains("--publish-every"));
    }

    #[test]
    fn durations_for_the_host() {
        assert_eq!(duration_arg(Duration::from_secs(30)), "30s");
        assert_eq!(duration_arg(Duration::from_millis(1500)), "1500ms");
        assert_eq!(duration_arg(Duration::from_micros(10)), "1ms");
    }

    #[tokio::test]
    async fn a_program_without_the_flag_does_not_sweep() {
        assert!(!supports_publish_every(Path::new("true")).await);
        assert!(!supports_publish_every(Path::new("/nonexistent/fabula")).await);
    }
}
