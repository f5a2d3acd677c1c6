//! Logs: component stdout/stderr in `<state_dir>/logs/<component>_stdout.txt` and
//! `_stderr.txt` (Spin's names), and one JSON access-log line per HTTP request.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

use anyhow::Context as _;
use serde::Serialize;
use wasmtime_wasi::cli::OutputFile;

/// Where one component's stdout and stderr go; cloned cheaply into every instance.
#[derive(Clone)]
pub struct ComponentLogs {
    /// The component's stdout file.
    pub stdout: OutputFile,
    /// The component's stderr file.
    pub stderr: OutputFile,
}

impl ComponentLogs {
    /// Opens (appending) `<log_dir>/<id>_stdout.txt` and `<log_dir>/<id>_stderr.txt`.
    pub fn open(log_dir: &Path, component_id: &str) -> anyhow::Result<Self> {
        std::fs::create_dir_all(log_dir)
            .with_context(|| format!("cannot create log folder {}", log_dir.display()))?;
        let open = |suffix: &str| -> anyhow::Result<OutputFile> {
            let path = log_dir.join(format!("{component_id}_{suffix}.txt"));
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .with_context(|| format!("cannot open {}", path.display()))?;
            Ok(OutputFile::new(file))
        };
        Ok(ComponentLogs {
            stdout: open("stdout")?,
            stderr: open("stderr")?,
        })
    }
}

/// One request, as written to the access log.
#[derive(Debug, Serialize)]
pub struct AccessRecord<'a> {
    /// RFC 3339 time the response headers were ready.
    pub time: String,
    /// The request id (`x-request-id`).
    pub request_id: &'a str,
    /// HTTP method.
    pub method: &'a str,
    /// Request path (no query string: queries may carry secrets).
    pub path: &'a str,
    /// The matched route, if any.
    pub route: Option<&'a str>,
    /// The component that served it, if any.
    pub component: Option<&'a str>,
    /// Response status.
    pub status: u16,
    /// Time to response headers, in milliseconds.
    pub duration_ms: f64,
}

/// The access log: JSON lines to stdout, to a file, or nowhere.
pub struct AccessLog {
    sink: Option<Mutex<Box<dyn Write + Send>>>,
}

impl AccessLog {
    /// Parses `-` (stdout), `off`, or a file path.
    pub fn open(target: &str) -> anyhow::Result<Self> {
        let sink: Option<Box<dyn Write + Send>> = match target {
            "off" => None,
            "-" => Some(Box::new(std::io::stdout())),
            path => Some(Box::new(
                OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .with_context(|| format!("cannot open access log {path}"))?,
            )),
        };
        Ok(AccessLog {
            sink: sink.map(Mutex::new),
        })
    }

    /// Writes one line; a failed write is dropped rather than failing the request.
    pub fn record(&self, record: &AccessRecord<'_>) {
        let Some(sink) = &self.sink else { return };
        let Ok(mut line) = serde_json::to_vec(record) else {
            return;
        };
        line.push(b'\n');
        if let Ok(mut sink) = sink.lock() {
            let _ = sink.write_all(&line);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_log_writes_one_json_line_per_record() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("access.log");
        let log = AccessLog::open(path.to_str().unwrap()).unwrap();
        for status in [200, 404] {
            log.record(&AccessRecord {
                time: "t".into(),
                request_id: "r1",
                method: "GET",
                path: "/x",
                route: None,
                component: None,
                status,
                duration_ms: 1.5,
            });
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1]["status"], 404);
        assert_eq!(lines[0]["request_id"], "r1");
    }

    #[test]
    fn component_logs_use_spins_file_names() {
        let dir = tempfile::tempdir().unwrap();
        ComponentLogs::open(dir.path(), "stories-api").unwrap();
        assert!(dir.path().join("stories-api_stdout.txt").exists());
        assert!(dir.path().join("stories-api_stderr.txt").exists());
    }
}
