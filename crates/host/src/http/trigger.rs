//! The HTTP trigger: a hyper server that routes each request to its component the way Spin
//! does, sets Spin's `spin-*` request headers, runs the component in a fresh instance under
//! its time limit, and writes one access-log line.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;
use wasmtime_wasi_http::WasiHttpView;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;

use crate::app::App;
use crate::engine::TimeLimitExceeded;
use crate::logs::{AccessLog, AccessRecord};
use crate::routes::{RouteMatch, RoutePattern, Router};

/// The request-id header, read from the client or set by the host.
pub const REQUEST_ID: &str = "x-request-id";

/// Routes and serves HTTP requests for one app.
pub struct HttpTrigger {
    app: Arc<App>,
    router: Router<Arc<str>>,
    access_log: AccessLog,
}

/// The route a request matched.
struct Matched<'a> {
    pattern: &'a RoutePattern,
    component: &'a Arc<str>,
    found: RouteMatch,
}

impl HttpTrigger {
    /// Builds the router from the manifest's `[[trigger.http]]` entries.
    pub fn new(app: Arc<App>, access_log: AccessLog) -> Self {
        let routes = app
            .manifest
            .http_triggers
            .iter()
            .filter_map(|t| {
                t.route
                    .clone()
                    .map(|r| (r, Arc::<str>::from(t.component.as_str())))
            })
            .collect();
        HttpTrigger {
            app,
            router: Router::new(routes),
            access_log,
        }
    }

    /// Accepts connections until `shutdown` turns true.
    pub async fn serve(
        self: Arc<Self>,
        listener: TcpListener,
        mut shutdown: watch::Receiver<bool>,
    ) -> anyhow::Result<()> {
        loop {
            let (stream, client) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(pair) => pair,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        continue;
                    }
                },
                _ = shutdown.changed() => return Ok(()),
            };
            let _ = stream.set_nodelay(true);
            let trigger = self.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req| {
                    let trigger = trigger.clone();
                    async move { Ok::<_, std::convert::Infallible>(trigger.handle(req, client).await) }
                });
                if let Err(e) = http1::Builder::new()
                    .keep_alive(true)
                    .serve_connection(TokioIo::new(stream), service)
                    .await
                {
                    tracing::debug!(error = %e, %client, "connection closed with an error");
                }
            });
        }
    }

    /// Handles one request end to end; never fails (errors become 404/500 responses).
    pub async fn handle(
        &self,
        mut req: Request<Incoming>,
        client: SocketAddr,
    ) -> Response<HyperOutgoingBody> {
        let started = Instant::now();
        let request_id = ensure_request_id(&mut req);
        let method = req.method().to_string();
        let path = req.uri().path().to_owned();
        let matched = self
            .router
            .route(&path)
            .map(|(pattern, component, found)| Matched {
                pattern,
                component,
                found,
            });
        let response = match &matched {
            None => error_response(
                StatusCode::NOT_FOUND,
                "not_found",
                &format!("no route matches {path}"),
                &request_id,
            ),
            Some(m) => {
                set_spin_headers(&mut req, m, client);
                self.run_component(m.component, req, &request_id).await
            }
        };
        self.access_log.record(&AccessRecord {
            time: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            request_id: &request_id,
            method: &method,
            path: &path,
            route: matched.as_ref().map(|m| m.pattern.raw()),
            component: matched.as_ref().map(|m| m.component.as_ref()),
            status: response.status().as_u16(),
            duration_ms: started.elapsed().as_secs_f64() * 1000.0,
        });
        response
    }

    async fn run_component(
        &self,
        id: &str,
        req: Request<Incoming>,
        request_id: &str,
    ) -> Response<HyperOutgoingBody> {
        match self.try_run_component(id, req).await {
            Ok(response) => response,
            Err(e) => {
                let timed_out = e.downcast_ref::<TimeLimitExceeded>().is_some()
                    || e.chain().any(|c| c.is::<TimeLimitExceeded>());
                tracing::error!(component = id, request_id, error = ?e, "component failed");
                if timed_out {
                    error_response(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "component_timeout",
                        &format!(
                            "component `{id}` ran past its time limit of {:?}",
                            self.app.request_timeout
                        ),
                        request_id,
                    )
                } else {
                    error_response(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "component_failed",
                        &format!("component `{id}` failed while handling the request"),
                        request_id,
                    )
                }
            }
        }
    }

    async fn try_run_component(
        &self,
        id: &str,
        req: Request<Incoming>,
    ) -> anyhow::Result<Response<HyperOutgoingBody>> {
        let component = self
            .app
            .component(id)
            .ok_or_else(|| anyhow::anyhow!("component `{id}` is not loaded"))?;
        let pre = component
            .http
            .clone()
            .ok_or_else(|| anyhow::anyhow!("component `{id}` has no HTTP handler"))?;
        let time_limit = self.app.request_timeout;
        let mut store = self.app.new_store(component, time_limit);
        let incoming = store
            .data_mut()
            .http()
            .new_incoming_request(Scheme::Http, req)?;
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let outparam = store.data_mut().http().new_response_outparam(sender)?;
        let task = tokio::spawn(async move {
            let run = async {
                let proxy = pre.instantiate_async(&mut store).await?;
                proxy
                    .wasi_http_incoming_handler()
                    .call_handle(&mut store, incoming, outparam)
                    .await
            };
            match tokio::time::timeout(time_limit, run).await {
                Ok(result) => result.map_err(anyhow::Error::from),
                Err(_) => Err(anyhow::Error::new(TimeLimitExceeded(time_limit))),
            }
        });
        match receiver.await {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(code)) => anyhow::bail!("component `{id}` answered with error code {code:?}"),
            Err(_) => match task.await {
                Ok(Ok(())) => anyhow::bail!("component `{id}` returned without setting a response"),
                Ok(Err(e)) => Err(e),
                Err(join) => Err(anyhow::Error::new(join)),
            },
        }
    }
}

/// Keeps a well-formed client `x-request-id`, or sets a new one; returns it.
fn ensure_request_id<B>(req: &mut Request<B>) -> String {
    let valid = |v: &str| {
        (1..=128).contains(&v.len())
            && v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    };
    if let Some(id) = req.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok())
        && valid(id)
    {
        return id.to_owned();
    }
    let id = uuid::Uuid::new_v4().to_string();
    req.headers_mut().insert(
        REQUEST_ID,
        HeaderValue::from_str(&id).expect("uuid is a valid header value"),
    );
    id
}

/// Sets the headers Spin's HTTP trigger gives a component.
fn set_spin_headers<B>(req: &mut Request<B>, m: &Matched<'_>, client: SocketAddr) {
    let host = req
        .headers()
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost")
        .to_owned();
    let path_and_query = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/")
        .to_owned();
    let mut set = |name: &str, value: &str| {
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            req.headers_mut().insert(n, v);
        }
    };
    set("spin-full-url", &format!("http://{host}{path_and_query}"));
    set("spin-path-info", &m.found.path_info);
    set("spin-matched-route", m.pattern.raw());
    set("spin-component-route", &m.pattern.without_wildcard());
    set("spin-raw-component-route", m.pattern.raw());
    set("spin-base-path", "/");
    set("spin-client-addr", &client.to_string());
    for (name, value) in &m.found.params {
        set(
            &format!("spin-path-match-{}", name.to_lowercase().replace('_', "-")),
            value,
        );
    }
}

/// A JSON error in Fabula's envelope, produced by the host itself.
pub fn error_response(
    status: StatusCode,
    code: &str,
    message: &str,
    request_id: &str,
) -> Response<HyperOutgoingBody> {
    let body = serde_json::json!({
        "error": { "code": code, "message": message, "request_id": request_id }
    });
    Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, "application/json")
        .header(REQUEST_ID, request_id)
        .body(
            Full::new(Bytes::from(body.to_string()))
                .map_err(|never| match never {})
                .boxed_unsync(),
        )
        .expect("static response parts are valid")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_id_is_kept_when_valid_and_replaced_when_not() {
        let mut req = Request::builder()
            .header(REQUEST_ID, "abc-123")
            .body(())
            .unwrap();
        assert_eq!(ensure_request_id(&mut req), "abc-123");
        let mut req = Request::builder()
            .header(REQUEST_ID, "bad id!")
            .body(())
            .unwrap();
        let id = ensure_request_id(&mut req);
        assert_ne!(id, "bad id!");
        assert_eq!(req.headers()[REQUEST_ID], id.as_str());
    }

    #[test]
    fn spin_headers_follow_the_matched_route() {
        let pattern = RoutePattern::parse("/users/:user_id/...").unwrap();
        let found = pattern.matches("/users/7/posts").unwrap();
        let component: Arc<str> = Arc::from("c");
        let m = Matched {
            pattern: &pattern,
            component: &component,
            found,
        };
        let mut req = Request::builder()
            .uri("/users/7/posts?x=1")
            .header("host", "example.test:3000")
            .body(())
            .unwrap();
        set_spin_headers(&mut req, &m, "127.0.0.1:5000".parse().unwrap());
        let h = |n: &str| req.headers()[n].to_str().unwrap().to_owned();
        assert_eq!(
            h("spin-full-url"),
            "http://example.test:3000/users/7/posts?x=1"
        );
        assert_eq!(h("spin-path-info"), "/posts");
        assert_eq!(h("spin-matched-route"), "/users/:user_id/...");
        assert_eq!(h("spin-component-route"), "/users/:user_id");
        assert_eq!(h("spin-path-match-user-id"), "7");
        assert_eq!(h("spin-client-addr"), "127.0.0.1:5000");
    }
}
