//! Helpers for the book routes' tests (`tests/books.rs`): the app's manifest with other
//! component sources, a fake OpenAI-compatible server that answers the pipeline's prompts
//! with canned texts, and epubcheck.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::{Value, json};

use crate::{TestAppBuilder, repo_root};

// --- the manifest ----------------------------------------------------------------------

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

    /// The patched manifest's path.
    pub fn path(&self) -> &Path {
        &self.path
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

// --- the fake OpenAI-compatible server ---------------------------------------------------

/// One chat request as the fake server saw it.
#[derive(Debug, Clone)]
pub struct Prompt {
    /// The template id from the system message's first line, `Task: <name>@<version>`.
    pub task: String,
    /// Every message's content, in order.
    pub messages: Vec<String>,
}

impl Prompt {
    /// The value of a `Label: value` line of any message, trimmed.
    pub fn field(&self, label: &str) -> Option<&str> {
        let prefix = format!("{label}:");
        self.messages
            .iter()
            .flat_map(|m| m.lines())
            .find_map(|line| line.strip_prefix(prefix.as_str()))
            .map(str::trim)
    }

    /// The chapter the prompt is about (`Chapter number: N`).
    pub fn chapter(&self) -> Option<u32> {
        self.field("Chapter number")?.parse().ok()
    }
}

/// What the fake server answers: `Ok(text)` becomes a completion, `Err(message)` a 400.
pub type Answer = Box<dyn Fn(&Prompt) -> Result<String, String> + Send + Sync>;

/// An OpenAI-compatible `POST …/chat/completions` server on loopback, in this process:
/// each request is answered by `answer` from its prompt; every task asked is recorded.
/// Stopped when dropped.
pub struct FakeLlm {
    addr: SocketAddr,
    tasks: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl FakeLlm {
    /// Starts the server.
    pub fn start(answer: Answer) -> FakeLlm {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("addr");
        let tasks: Arc<Mutex<Vec<String>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let answer = Arc::new(answer);
        let (seen, stopped) = (tasks.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !stopped.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let (answer, seen) = (answer.clone(), seen.clone());
                        std::thread::spawn(move || serve(stream, &answer, &seen));
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(5));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        FakeLlm {
            addr,
            tasks,
            stop,
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT`, for the `llm_api_origin` variable.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The tasks asked so far, in order.
    pub fn tasks(&self) -> Vec<String> {
        self.tasks.lock().expect("tasks").clone()
    }
}

impl Drop for FakeLlm {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Answers one request on `stream` and closes it.
fn serve(mut stream: TcpStream, answer: &Answer, seen: &Mutex<Vec<String>>) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let Some(body) = read_request_body(&mut stream) else {
        return;
    };
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let messages: Vec<String> = request["messages"]
        .as_array()
        .map(|all| {
            all.iter()
                .map(|m| m["content"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default();
    let task = messages
        .first()
        .and_then(|system| system.lines().next())
        .and_then(|line| line.strip_prefix("Task:"))
        .map(|task| task.trim().to_owned())
        .unwrap_or_default();
    seen.lock().expect("tasks").push(task.clone());
    let (status, body) = match answer(&Prompt { task, messages }) {
        Ok(text) => (
            "200 OK",
            json!({
                "id": "chatcmpl-fake", "object": "chat.completion", "model": "fake-model",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                             "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 100, "completion_tokens": 50, "total_tokens": 150}
            }),
        ),
        Err(message) => (
            "400 Bad Request",
            json!({"error": {"message": message, "type": "invalid_request_error"}}),
        ),
    };
    let body = body.to_string();
    let head = format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         connection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body.as_bytes());
    let _ = stream.flush();
}

/// Reads a request's head and its body (`content-length` or chunked).
fn read_request_body(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut raw = Vec::new();
    let head_end = loop {
        if let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        read_more(stream, &mut raw)?;
    };
    let head = String::from_utf8_lossy(&raw[..head_end]).to_ascii_lowercase();
    let header = |name: &str| {
        head.lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.trim().to_owned())
    };
    if header("transfer-encoding:").is_some_and(|v| v.contains("chunked")) {
        return read_chunked(stream, raw.split_off(head_end));
    }
    let length: usize = header("content-length:")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    while raw.len() < head_end + length {
        read_more(stream, &mut raw)?;
    }
    Some(raw[head_end..head_end + length].to_vec())
}

/// Decodes a chunked body, `raw` being what was read after the head.
fn read_chunked(stream: &mut TcpStream, mut raw: Vec<u8>) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    let mut at = 0;
    loop {
        let line_end = loop {
            if let Some(end) = raw[at..].windows(2).position(|w| w == b"\r\n") {
                break at + end;
            }
            read_more(stream, &mut raw)?;
        };
        let size_text = String::from_utf8_lossy(&raw[at..line_end]).into_owned();
        let size_text = size_text.split(';').next().unwrap_or("").trim().to_owned();
        let size = usize::from_str_radix(&size_text, 16).ok()?;
        at = line_end + 2;
        if size == 0 {
            return Some(body);
        }
        while raw.len() < at + size + 2 {
            read_more(stream, &mut raw)?;
        }
        body.extend_from_slice(&raw[at..at + size]);
        at += size + 2;
    }
}

/// Appends what the stream has next to `raw`; `None` at its end or on an error.
fn read_more(stream: &mut TcpStream, raw: &mut Vec<u8>) -> Option<()> {
    let mut chunk = [0u8; 16 * 1024];
    let n = stream.read(&mut chunk).ok()?;
    if n == 0 {
        return None;
    }
    raw.extend_from_slice(&chunk[..n]);
    Some(())
}

// --- epubcheck -------------------------------------------------------------------------

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

    #[test]
    fn prompts_give_their_fields() {
        let prompt = Prompt {
            task: "chapter@1".into(),
            messages: vec![
                "Task: chapter@1\nWrite.".into(),
                "Title: T\nChapter number: 3\n".into(),
            ],
        };
        assert_eq!(prompt.chapter(), Some(3));
        assert_eq!(prompt.field("Title"), Some("T"));
        assert_eq!(prompt.field("Nope"), None);
    }
}
