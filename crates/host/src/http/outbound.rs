//! Outbound HTTP (`wasi:http/outgoing-handler`): the component's `allowed_outbound_hosts` policy
//! and timeouts, as [`WasiHttpHooks`] for wasmtime-wasi-http.
//!
//! A request to a host the component may not reach fails at once with `HTTP-request-denied`
//! (the guest sees an error, never a hang) and a warning naming the component and the origin.
//! An allowed request goes through wasmtime-wasi-http's `default_send_request`, with the
//! guest's `request-options` timeouts (connect, first byte, between bytes) and this host's
//! defaults for the ones it did not set. That sender applies no limit to the TLS handshake,
//! so the whole wait for the response head is also bounded by connect + first-byte timeout.
//!
//! Requests to the app itself (Spin's self requests) use host `self.alt`
//! (`http://self.alt/path`) and need `http://self` (or `http://self.alt`) in
//! `allowed_outbound_hosts`; they are sent to the address given by
//! [`OutboundHttp::with_self_addr`]. A relative URL (no authority) is refused by
//! wasmtime-wasi-http itself (`HTTP-request-URI-invalid`) before it reaches these hooks.
//! Spin's service chaining (`http://<component>.spin.internal`) is not supported: such a
//! request fails with an internal error saying so.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http::uri::{Authority, Scheme, Uri};
use http_body_util::BodyExt as _;
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks};

use crate::outbound_networking::AllowedHosts;

/// Time allowed to open a connection (TCP and TLS), unless the guest sets one.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Time allowed from sending the request to the response head, unless the guest sets one.
pub const DEFAULT_FIRST_BYTE_TIMEOUT: Duration = Duration::from_secs(60);
/// Time allowed between two frames of the response body, unless the guest sets one.
pub const DEFAULT_BETWEEN_BYTES_TIMEOUT: Duration = Duration::from_secs(60);

/// The host that marks a request to the app itself.
const SELF_HOST: &str = "self.alt";
/// The domain of Spin's service chaining, which this host does not implement.
const SERVICE_CHAINING_SUFFIX: &str = ".spin.internal";

/// The future `send_request` returns, as [`WasiHttpHooks`] wants it.
type SendFuture = Box<
    dyn Future<
            Output = wasmtime_wasi_http::Result<(
                http::Response<WasiBody>,
                Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
            )>,
        > + Send,
>;

/// Outbound HTTP hooks for one instance: its component and that component's allowed hosts.
#[derive(Debug, Clone)]
pub struct OutboundHttp {
    component_id: Arc<str>,
    allowed: Arc<AllowedHosts>,
    self_addr: Option<SocketAddr>,
}

impl OutboundHttp {
    /// Hooks enforcing `allowed` for `component_id`; self requests fail until
    /// [`OutboundHttp::with_self_addr`] is given.
    pub fn new(component_id: Arc<str>, allowed: Arc<AllowedHosts>) -> Self {
        OutboundHttp {
            component_id,
            allowed,
            self_addr: None,
        }
    }

    /// Sends self requests (`http://self.alt/…`) to the app's own HTTP listener at `addr`
    /// (an unspecified address such as `0.0.0.0` is reached through loopback).
    pub fn with_self_addr(mut self, addr: SocketAddr) -> Self {
        let mut addr = addr;
        if addr.ip().is_unspecified() {
            let loopback = match addr {
                SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
            };
            addr.set_ip(loopback);
        }
        self.self_addr = Some(addr);
        self
    }

    /// Checks the request against the policy and points self requests at the app.
    fn prepare(&self, request: &mut http::Request<WasiBody>) -> Result<(), Error> {
        let uri = request.uri();
        let scheme = uri.scheme_str().unwrap_or("https").to_ascii_lowercase();
        let host = uri.host().unwrap_or_default().to_ascii_lowercase();
        if host.is_empty() || host == SELF_HOST {
            return self.prepare_self_request(request);
        }
        if !self.allowed.allows(&scheme, &host, uri.port_u16()) {
            let origin = match uri.port_u16() {
                Some(port) => format!("{scheme}://{host}:{port}"),
                None => format!("{scheme}://{host}"),
            };
            tracing::warn!(
                component = %self.component_id,
                origin = %origin,
                "outbound HTTP request denied: add the origin to the component's allowed_outbound_hosts"
            );
            return Err(Error::HttpRequestDenied);
        }
        if host.ends_with(SERVICE_CHAINING_SUFFIX) {
            return Err(Error::InternalError(Some(format!(
                "service chaining (`{host}`) is not supported by the Fabula host"
            ))));
        }
        Ok(())
    }

    fn prepare_self_request(&self, request: &mut http::Request<WasiBody>) -> Result<(), Error> {
        if !self.allowed.allows_self_requests() {
            tracing::warn!(
                component = %self.component_id,
                "outbound HTTP self request denied: add `http://self` to the component's allowed_outbound_hosts"
            );
            return Err(Error::HttpRequestDenied);
        }
        let Some(addr) = self.self_addr else {
            tracing::warn!(
                component = %self.component_id,
                "outbound HTTP self request failed: this trigger has no HTTP listener to send it to"
            );
            return Err(Error::HttpRequestUriInvalid);
        };
        let authority: Authority = addr
            .to_string()
            .parse()
            .map_err(|_| Error::InternalError(Some(format!("bad self address {addr}"))))?;
        let mut parts = request.uri().clone().into_parts();
        parts.scheme = Some(Scheme::HTTP);
        parts.authority = Some(authority.clone());
        if parts.path_and_query.is_none() {
            parts.path_and_query = Some(http::uri::PathAndQuery::from_static("/"));
        }
        *request.uri_mut() = Uri::from_parts(parts).map_err(|_| Error::HttpRequestUriInvalid)?;
        let host = http::HeaderValue::from_str(authority.as_str())
            .map_err(|_| Error::InternalError(Some(format!("bad self address {addr}"))))?;
        request.headers_mut().insert(http::header::HOST, host);
        Ok(())
    }
}

/// The guest's timeouts where it set them, this host's defaults elsewhere.
fn with_default_timeouts(options: Option<RequestOptions>) -> RequestOptions {
    let options = options.unwrap_or_default();
    RequestOptions {
        connect_timeout: options.connect_timeout.or(Some(DEFAULT_CONNECT_TIMEOUT)),
        first_byte_timeout: options
            .first_byte_timeout
            .or(Some(DEFAULT_FIRST_BYTE_TIMEOUT)),
        between_bytes_timeout: options
            .between_bytes_timeout
            .or(Some(DEFAULT_BETWEEN_BYTES_TIMEOUT)),
    }
}

/// The longest wait for a response head: connecting (TCP and TLS) plus the first byte.
fn head_deadline(options: &RequestOptions) -> Duration {
    options.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT)
        + options
            .first_byte_timeout
            .unwrap_or(DEFAULT_FIRST_BYTE_TIMEOUT)
}

impl WasiHttpHooks for OutboundHttp {
    fn send_request(
        &mut self,
        mut request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        fut: Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
    ) -> SendFuture {
        // As in wasmtime-wasi-http's default hooks: request-side errors are not reported here.
        drop(fut);
        if let Err(denied) = self.prepare(&mut request) {
            return Box::new(std::future::ready(Err(denied)));
        }
        let options = with_default_timeouts(options);
        let head_limit = head_deadline(&options);
        Box::new(async move {
            let sent = wasmtime_wasi_http::default_send_request(request, Some(options));
            let (response, io) = tokio::time::timeout(head_limit, sent)
                .await
                .map_err(|_| Error::ConnectionTimeout)??;
            Ok((
                response.map(|body| body.boxed_unsync()),
                Box::new(io) as Box<dyn Future<Output = _> + Send>,
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use std::pin::Pin;

    use bytes::Bytes;
    use http_body_util::Empty;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    use tokio::net::TcpListener;

    use super::*;

    fn hooks(patterns: &[&str]) -> OutboundHttp {
        let patterns: Vec<String> = patterns.iter().map(|p| (*p).to_owned()).collect();
        let allowed = AllowedHosts::parse(&patterns).unwrap();
        OutboundHttp::new(Arc::from("web"), Arc::new(allowed))
    }

    fn request(uri: &str) -> http::Request<WasiBody> {
        let body = Empty::<Bytes>::new()
            .map_err(|never| match never {})
            .boxed_unsync();
        let uri: Uri = uri.parse().unwrap();
        let host = uri.authority().map(|a| a.to_string()).unwrap_or_default();
        http::Request::builder()
            .uri(uri)
            .header(http::header::HOST, host)
            .body(body)
            .unwrap()
    }

    /// Sends through the hook; a denial must come back at once, so a short limit suffices.
    async fn send(
        hooks: &mut OutboundHttp,
        req: http::Request<WasiBody>,
        options: Option<RequestOptions>,
    ) -> wasmtime_wasi_http::Result<http::Response<WasiBody>> {
        let fut = hooks.send_request(req, options, Box::new(async { Ok(()) }));
        let limit = Duration::from_secs(5);
        let (response, io) = tokio::time::timeout(limit, Pin::from(fut))
            .await
            .expect("no hang")?;
        tokio::spawn(Pin::from(io));
        Ok(response)
    }

    /// A one-shot HTTP server on loopback; returns its address and the request head it got.
    async fn one_shot_server(reply: bool) -> (SocketAddr, tokio::task::JoinHandle<String>) {
        one_shot_server_sending(if reply {
            b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok"
        } else {
            b""
        })
        .await
    }

    /// A one-shot server on loopback that reads a request head, writes `reply`, then stalls.
    async fn one_shot_server_sending(
        reply: &'static [u8],
    ) -> (SocketAddr, tokio::task::JoinHandle<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut head = Vec::new();
            let mut buf = [0u8; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = stream.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                head.extend_from_slice(&buf[..n]);
            }
            stream.write_all(reply).await.unwrap();
            if !reply.ends_with(b"ok") {
                tokio::time::sleep(Duration::from_secs(30)).await;
            }
            String::from_utf8_lossy(&head).into_owned()
        });
        (addr, task)
    }

    #[tokio::test]
    async fn a_host_not_allowed_is_denied_at_once() {
        let mut h = hooks(&["https://api.example.com"]);
        for uri in [
            "https://evil.example.com/x",
            "http://api.example.com/x",
            "https://api.example.com:8443/x",
            "http://127.0.0.1:9/x",
        ] {
            let err = send(&mut h, request(uri), None).await.unwrap_err();
            assert!(matches!(err, Error::HttpRequestDenied), "{uri}: {err:?}");
        }
        let mut nothing = OutboundHttp::new(Arc::from("web"), Arc::default());
        let err = send(&mut nothing, request("https://api.example.com/"), None)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::HttpRequestDenied), "{err:?}");
    }

    #[tokio::test]
    async fn an_allowed_host_is_reached() {
        let (addr, server) = one_shot_server(true).await;
        let mut h = hooks(&[&format!("http://127.0.0.1:{}", addr.port())]);
        let response = send(&mut h, request(&format!("http://{addr}/path?q=1")), None)
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&body[..], b"ok");
        assert!(
            server
                .await
                .unwrap()
                .starts_with("GET /path?q=1 HTTP/1.1\r\n")
        );
    }

    #[tokio::test]
    async fn the_guests_timeouts_are_used() {
        let (addr, _server) = one_shot_server(false).await;
        let mut h = hooks(&["http://127.0.0.1:*"]);
        let options = RequestOptions {
            first_byte_timeout: Some(Duration::from_millis(200)),
            ..RequestOptions::default()
        };
        let err = send(&mut h, request(&format!("http://{addr}/")), Some(options))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::ConnectionReadTimeout), "{err:?}");
    }

    #[tokio::test]
    async fn the_guests_between_bytes_timeout_is_used() {
        let (addr, _server) =
            one_shot_server_sending(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nab").await;
        let mut h = hooks(&["http://127.0.0.1:*"]);
        let options = RequestOptions {
            between_bytes_timeout: Some(Duration::from_millis(200)),
            ..RequestOptions::default()
        };
        let response = send(&mut h, request(&format!("http://{addr}/")), Some(options))
            .await
            .unwrap();
        let started = std::time::Instant::now();
        let err = tokio::time::timeout(Duration::from_secs(5), response.into_body().collect())
            .await
            .expect("the body read ends")
            .unwrap_err();
        assert!(matches!(err, Error::ConnectionReadTimeout), "{err:?}");
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[tokio::test]
    async fn a_stalled_tls_handshake_is_bounded_by_connect_and_first_byte() {
        // The server accepts TCP, reads the ClientHello and never answers.
        let (addr, _server) = one_shot_server_sending(b"").await;
        let mut h = hooks(&["https://127.0.0.1:*"]);
        let options = RequestOptions {
            connect_timeout: Some(Duration::from_millis(150)),
            first_byte_timeout: Some(Duration::from_millis(150)),
            ..RequestOptions::default()
        };
        let started = std::time::Instant::now();
        let err = send(&mut h, request(&format!("https://{addr}/")), Some(options))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::ConnectionTimeout), "{err:?}");
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn unset_timeouts_get_the_hosts_defaults() {
        let guest = RequestOptions {
            connect_timeout: Some(Duration::from_secs(1)),
            ..RequestOptions::default()
        };
        assert_eq!(
            with_default_timeouts(Some(guest)),
            RequestOptions {
                connect_timeout: Some(Duration::from_secs(1)),
                first_byte_timeout: Some(DEFAULT_FIRST_BYTE_TIMEOUT),
                between_bytes_timeout: Some(DEFAULT_BETWEEN_BYTES_TIMEOUT),
            }
        );
        assert_eq!(
            with_default_timeouts(None).connect_timeout,
            Some(DEFAULT_CONNECT_TIMEOUT)
        );
    }

    #[tokio::test]
    async fn self_requests_need_permission_and_go_to_the_app() {
        let mut denied = hooks(&["https://api.example.com"]);
        let err = send(&mut denied, request("http://self.alt/x"), None)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::HttpRequestDenied), "{err:?}");

        let mut no_listener = hooks(&["http://self"]);
        let err = send(&mut no_listener, request("http://self.alt/x"), None)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::HttpRequestUriInvalid), "{err:?}");

        let (addr, server) = one_shot_server(true).await;
        let unspecified = SocketAddr::from(([0, 0, 0, 0], addr.port()));
        let mut h = hooks(&["http://self"]).with_self_addr(unspecified);
        let response = send(&mut h, request("http://self.alt/api/items?x=1"), None)
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let head = server.await.unwrap().to_ascii_lowercase();
        assert!(
            head.starts_with("get /api/items?x=1 http/1.1\r\n"),
            "{head}"
        );
        assert!(
            head.contains(&format!("host: 127.0.0.1:{}\r\n", addr.port())),
            "{head}"
        );
    }

    #[tokio::test]
    async fn service_chaining_fails_with_a_clear_error() {
        let mut h = hooks(&["http://*.spin.internal"]);
        let err = send(&mut h, request("http://other.spin.internal/"), None)
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::InternalError(Some(ref m)) if m.contains("not supported")),
            "{err:?}"
        );
    }
}
