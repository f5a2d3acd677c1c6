//! The `fabula` host as a child process: start it, wait for its `Serving` line, read its peak
//! memory, and kill it when done (also when dropped, e.g. on an error or a panic).

use std::collections::VecDeque;
use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStderr, Command};
use tokio::sync::oneshot;
use tokio::time::Instant;

use crate::serving::parse_serving_line;

/// How many of the child's most recent stderr lines are kept for error reports.
const STDERR_TAIL_LINES: usize = 200;

/// A host that did not come up, or whose state could not be read.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// The program could not be started.
    #[error("cannot start {program}: {source}")]
    Spawn {
        /// The program path.
        program: String,
        /// Why.
        source: std::io::Error,
    },
    /// The host exited before printing its `Serving` line.
    #[error("the host exited ({status}) before serving; its stderr:\n{stderr}")]
    Exited {
        /// Its exit status.
        status: String,
        /// The last lines it printed on stderr.
        stderr: String,
    },
    /// No `Serving` line within the time limit.
    #[error(
        "the host printed no `Serving http://...` line within {timeout:?}; its stderr:\n{stderr}"
    )]
    Timeout {
        /// The limit.
        timeout: Duration,
        /// The last lines it printed on stderr.
        stderr: String,
    },
    /// `/proc/<pid>/status` could not be read or has no `VmHWM`.
    #[error("cannot read the peak RSS of process {pid}: {reason}")]
    Rss {
        /// The host's process id.
        pid: u32,
        /// Why.
        reason: String,
    },
}

/// A running host process. Killed (SIGKILL) when dropped.
#[derive(Debug)]
pub struct HostProcess {
    child: Child,
    addr: SocketAddr,
    startup: Duration,
}

impl HostProcess {
    /// Spawns `program args...` (stdout discarded, stderr captured) and waits up to `timeout`
    /// for its `Serving http://ADDR` line on stderr.
    pub async fn start(
        program: &Path,
        args: &[OsString],
        timeout: Duration,
    ) -> Result<Self, HostError> {
        let spawned = Instant::now();
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|source| HostError::Spawn {
                program: program.display().to_string(),
                source,
            })?;
        let stderr = child.stderr.take().expect("stderr is piped");
        let tail = Arc::new(Mutex::new(VecDeque::new()));
        let (ready_tx, ready_rx) = oneshot::channel();
        tokio::spawn(drain_stderr(stderr, Arc::clone(&tail), ready_tx));

        let tail_text = || {
            tail.lock()
                .expect("stderr tail lock")
                .iter()
                .cloned()
                .collect::<Vec<_>>()
                .join("\n")
        };
        match tokio::time::timeout(timeout, ready_rx).await {
            Ok(Ok((addr, ready_at))) => Ok(Self {
                child,
                addr,
                startup: ready_at - spawned,
            }),
            // stderr closed without the line: the host is exiting.
            Ok(Err(_closed)) => {
                let status = exit_status(&mut child).await;
                Err(HostError::Exited {
                    status,
                    stderr: tail_text(),
                })
            }
            Err(_elapsed) => Err(HostError::Timeout {
                timeout,
                stderr: tail_text(),
            }),
        }
    }

    /// The address the host listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Time from spawning the process to reading its `Serving` line.
    pub fn startup(&self) -> Duration {
        self.startup
    }

    /// The process's peak resident set size (`VmHWM`), in KiB.
    pub fn peak_rss_kib(&self) -> Result<u64, HostError> {
        let pid = self.child.id().ok_or_else(|| HostError::Rss {
            pid: 0,
            reason: "the process has exited".into(),
        })?;
        let status =
            std::fs::read_to_string(format!("/proc/{pid}/status")).map_err(|e| HostError::Rss {
                pid,
                reason: e.to_string(),
            })?;
        parse_vm_hwm_kib(&status).ok_or_else(|| HostError::Rss {
            pid,
            reason: "no VmHWM line".into(),
        })
    }

    /// Kills the process and waits for it to exit.
    pub async fn stop(mut self) {
        // Killing fails only when it already exited; either way it is gone after `wait`.
        let _ = self.child.kill().await;
    }
}

impl Drop for HostProcess {
    fn drop(&mut self) {
        // `kill_on_drop` covers this too; being explicit keeps the guard's purpose visible.
        let _ = self.child.start_kill();
    }
}

/// Reads the child's stderr to the end: keeps the last lines in `tail` and reports the first
/// `Serving` line (address and time read) on `ready`. Keeps draining afterwards so the child
/// never blocks on a full pipe.
async fn drain_stderr(
    stderr: ChildStderr,
    tail: Arc<Mutex<VecDeque<String>>>,
    ready: oneshot::Sender<(SocketAddr, Instant)>,
) {
    let mut ready = Some(ready);
    let mut lines = BufReader::new(stderr).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if let Some(addr) = parse_serving_line(&line)
            && let Some(ready) = ready.take()
        {
            let _ = ready.send((addr, Instant::now()));
        }
        let mut tail = tail.lock().expect("stderr tail lock");
        if tail.len() == STDERR_TAIL_LINES {
            tail.pop_front();
        }
        tail.push_back(line);
    }
}

/// The exit status of a child whose stderr has closed, if it exits within a second.
async fn exit_status(child: &mut Child) -> String {
    match tokio::time::timeout(Duration::from_secs(1), child.wait()).await {
        Ok(Ok(status)) => status.to_string(),
        Ok(Err(e)) => format!("status unknown: {e}"),
        Err(_) => "closed its stderr but is still running".into(),
    }
}

/// The `VmHWM` value (peak RSS, KiB) from the text of `/proc/<pid>/status`.
pub fn parse_vm_hwm_kib(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let mut fields = line["VmHWM:".len()..].split_whitespace();
    let value = fields.next()?.parse().ok()?;
    (fields.next() == Some("kB")).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_vm_hwm() {
        let status =
            "Name:\tfabula\nVmPeak:\t  900000 kB\nVmHWM:\t   45312 kB\nVmRSS:\t   40000 kB\n";
        assert_eq!(parse_vm_hwm_kib(status), Some(45312));
        assert_eq!(parse_vm_hwm_kib("Name:\tx\nVmRSS:\t1 kB\n"), None);
        assert_eq!(parse_vm_hwm_kib("VmHWM:\t12 MB\n"), None);
    }

    #[tokio::test]
    async fn reports_stderr_when_the_host_exits_early() {
        let err = HostProcess::start(
            Path::new("sh"),
            &[
                "-c".into(),
                "echo 'error: no such manifest' >&2; exit 3".into(),
            ],
            Duration::from_secs(10),
        )
        .await
        .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("no such manifest"), "{text}");
        assert!(text.contains('3'), "{text}");
    }

    #[tokio::test]
    async fn waits_for_the_serving_line() {
        let host = HostProcess::start(
            Path::new("sh"),
            &[
                "-c".into(),
                "echo starting >&2; echo 'Serving http://127.0.0.1:4321 (test)' >&2; exec sleep 30"
                    .into(),
            ],
            Duration::from_secs(10),
        )
        .await
        .unwrap();
        assert_eq!(host.addr(), "127.0.0.1:4321".parse().unwrap());
        assert!(host.peak_rss_kib().unwrap() > 0);
        host.stop().await;
    }

    #[tokio::test]
    async fn times_out_without_a_serving_line() {
        let err = HostProcess::start(
            Path::new("sh"),
            &[
                "-c".into(),
                "echo still compiling >&2; exec sleep 30".into(),
            ],
            Duration::from_millis(300),
        )
        .await
        .unwrap_err();
        assert!(matches!(err, HostError::Timeout { .. }), "{err}");
        assert!(err.to_string().contains("still compiling"));
    }
}
