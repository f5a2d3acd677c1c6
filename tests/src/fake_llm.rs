//! A fake OpenAI-compatible server for the tests, on loopback in this process (hyper): each
//! request is answered by a handler from the prompt it carries, and every prompt is recorded.
//!
//! ```no_run
//! use fabula_tests::fake_llm::{FakeLlm, Prompt, Reply, scripted};
//!
//! // By prompt: chapter 2 finds the backend overloaded.
//! let by_prompt = FakeLlm::start(|prompt: &Prompt| match prompt.chapter() {
//!     Some(2) => Reply::status(503, "overloaded"),
//!     _ => Reply::completion("Once upon a time."),
//! });
//! // In order: a rate limit, then completions.
//! let in_order = FakeLlm::start(scripted(
//!     [Reply::error(429, "slow down").header("retry-after", "1")],
//!     Reply::completion("after the wait"),
//! ));
//! ```

use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::sync::oneshot;

/// The prompt tokens every [`Reply::completion`] reports.
pub const PROMPT_TOKENS: u64 = 42;
/// The completion tokens every [`Reply::completion`] reports.
pub const COMPLETION_TOKENS: u64 = 7;
/// The model every [`Reply::completion`] says answered.
pub const SERVED_MODEL: &str = "served-model";

/// One request as the fake server saw it.
#[derive(Debug, Clone)]
pub struct Prompt {
    /// The HTTP method.
    pub method: String,
    /// The request path.
    pub path: String,
    /// The `Authorization` header, if any.
    pub authorization: Option<String>,
    /// The body as JSON (`null` if it was not JSON).
    pub body: Value,
    /// The template id from the system message's first line, `Task: <name>@<version>`
    /// (empty if there is none).
    pub task: String,
    /// Every message's content, in order.
    pub messages: Vec<String>,
    /// When it arrived.
    pub at: Instant,
}

impl Prompt {
    /// The prompt of a request with these parts, arrived now.
    fn new(method: String, path: String, authorization: Option<String>, body: Value) -> Self {
        let messages: Vec<String> = body["messages"]
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
        Prompt {
            method,
            path,
            authorization,
            body,
            task,
            messages,
            at: Instant::now(),
        }
    }

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

/// What the fake server answers one request with: a status, headers and a body, after an
/// optional delay.
#[derive(Debug, Clone)]
pub struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
    delay: Duration,
}

impl Reply {
    /// A 200 chat completion of `text` (finish reason `stop`) from [`SERVED_MODEL`], with
    /// usage [`PROMPT_TOKENS`] and [`COMPLETION_TOKENS`].
    pub fn completion(text: &str) -> Reply {
        let body = json!({
            "id": "chatcmpl-fake", "object": "chat.completion", "model": SERVED_MODEL,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                         "finish_reason": "stop"}],
            "usage": {"prompt_tokens": PROMPT_TOKENS, "completion_tokens": COMPLETION_TOKENS,
                      "total_tokens": PROMPT_TOKENS + COMPLETION_TOKENS}
        });
        Reply::status(200, &body.to_string())
    }

    /// Any status with `body` (sent as `application/json`, whatever it holds).
    pub fn status(status: u16, body: &str) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: body.to_owned(),
            delay: Duration::ZERO,
        }
    }

    /// `status` with an OpenAI error envelope carrying `message`.
    pub fn error(status: u16, message: &str) -> Reply {
        let body = json!({"error": {"message": message, "type": "invalid_request_error"}});
        Reply::status(status, &body.to_string())
    }

    /// A 200 whose body is not a usable completion (cut off, wrong shape).
    pub fn malformed(body: &str) -> Reply {
        Reply::status(200, body)
    }

    /// This reply with one more header, e.g. `("retry-after", "2")`.
    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// This reply, sent after `delay` (to make a client time out).
    pub fn after(mut self, delay: Duration) -> Reply {
        self.delay = delay;
        self
    }

    fn into_response(self) -> Response<Full<Bytes>> {
        let mut response = Response::builder()
            .status(self.status)
            .header("content-type", "application/json");
        for (name, value) in &self.headers {
            response = response.header(name, value);
        }
        response
            .body(Full::new(Bytes::from(self.body)))
            .expect("a valid response")
    }
}

/// Replies given in order, each once.
pub struct Script {
    replies: Mutex<VecDeque<Reply>>,
}

impl Script {
    /// A script of `replies`.
    pub fn new(replies: impl IntoIterator<Item = Reply>) -> Script {
        Script {
            replies: Mutex::new(replies.into_iter().collect()),
        }
    }

    /// The next reply; `None` once every reply was given.
    pub fn next(&self) -> Option<Reply> {
        self.replies.lock().expect("script").pop_front()
    }
}

/// A handler answering the first requests with `replies`, in order, then every later one
/// with `fallback`.
pub fn scripted(
    replies: impl IntoIterator<Item = Reply>,
    fallback: Reply,
) -> impl Fn(&Prompt) -> Reply + Send + Sync + 'static {
    let script = Script::new(replies);
    move |_: &Prompt| script.next().unwrap_or_else(|| fallback.clone())
}

/// How the server answers.
type Handler = Arc<dyn Fn(&Prompt) -> Reply + Send + Sync>;
/// Every prompt seen, in order.
type Log = Arc<Mutex<Vec<Prompt>>>;

/// An OpenAI-compatible server on `127.0.0.1`, answering any request with its handler's
/// reply to the request's prompt. Stopped when dropped.
pub struct FakeLlm {
    addr: SocketAddr,
    prompts: Log,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl FakeLlm {
    /// Starts the server on its own thread.
    pub fn start(handler: impl Fn(&Prompt) -> Reply + Send + Sync + 'static) -> FakeLlm {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("addr");
        let prompts: Log = Arc::default();
        let (stop, stopped) = oneshot::channel();
        let (handler, log): (Handler, Log) = (Arc::new(handler), prompts.clone());
        let thread = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime")
                .block_on(serve(listener, handler, log, stopped));
        });
        FakeLlm {
            addr,
            prompts,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT`, for the `llm_api_origin` variable.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every prompt seen so far, in order of arrival.
    pub fn prompts(&self) -> Vec<Prompt> {
        self.prompts.lock().expect("prompts").clone()
    }
}

impl Drop for FakeLlm {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Accepts connections until `stopped`, serving each with HTTP/1.1.
async fn serve(
    listener: std::net::TcpListener,
    handler: Handler,
    log: Log,
    mut stopped: oneshot::Receiver<()>,
) {
    let listener = tokio::net::TcpListener::from_std(listener).expect("a tokio listener");
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => continue,
            },
            _ = &mut stopped => return,
        };
        let (handler, log) = (handler.clone(), log.clone());
        tokio::spawn(async move {
            let service = service_fn(move |request| answer(request, handler.clone(), log.clone()));
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// Records the request's prompt and sends the handler's reply to it.
async fn answer(
    request: Request<Incoming>,
    handler: Handler,
    log: Log,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let prompt = read_prompt(request).await;
    log.lock().expect("prompts").push(prompt.clone());
    let reply = handler(&prompt);
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    Ok(reply.into_response())
}

/// The request's prompt (its body read whole).
async fn read_prompt(request: Request<Incoming>) -> Prompt {
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    let authorization = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let bytes = request
        .into_body()
        .collect()
        .await
        .map(|body| body.to_bytes())
        .unwrap_or_default();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Prompt::new(method, path, authorization, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompts_give_their_task_and_fields() {
        let body = json!({"messages": [
            {"role": "system", "content": "Task: chapter@1\nWrite."},
            {"role": "user", "content": "Title: T\nChapter number: 3\n"}
        ]});
        let prompt = Prompt::new("POST".into(), "/".into(), None, body);
        assert_eq!(prompt.task, "chapter@1");
        assert_eq!(prompt.chapter(), Some(3));
        assert_eq!(prompt.field("Title"), Some("T"));
        assert_eq!(prompt.field("Nope"), None);
        let unknown = Prompt::new("GET".into(), "/".into(), None, Value::Null);
        assert_eq!((unknown.task.as_str(), unknown.chapter()), ("", None));
    }

    #[test]
    fn a_script_replies_in_order_then_falls_back() {
        let handler = scripted(
            [Reply::status(503, "a"), Reply::status(429, "b")],
            Reply::status(200, "c"),
        );
        let prompt = Prompt::new("POST".into(), "/".into(), None, Value::Null);
        let statuses: Vec<u16> = (0..4).map(|_| handler(&prompt).status).collect();
        assert_eq!(statuses, [503, 429, 200, 200]);
    }
}
