//! A minimal HTTP/1.1 client over hyper: parse a target URL, open keep-alive connections and
//! send single requests.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{HOST, HeaderMap, HeaderValue};
use hyper::{Method, Request, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// The request body type used everywhere in this crate.
pub type Body = Full<Bytes>;

/// A URL that cannot be benchmarked.
#[derive(Debug, thiserror::Error)]
pub enum UrlError {
    /// Not a valid URI.
    #[error("invalid URL {url:?}: {source}")]
    Invalid {
        /// The URL as given.
        url: String,
        /// Why it does not parse.
        source: hyper::http::uri::InvalidUri,
    },
    /// Only `http://` is supported.
    #[error("unsupported URL {0:?}: only http://host[:port]/path is supported")]
    Unsupported(String),
}

/// A failed request or connection.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The TCP connection could not be opened.
    #[error("connect to {addr}: {source}")]
    Connect {
        /// `host:port` connected to.
        addr: String,
        /// The socket error.
        source: std::io::Error,
    },
    /// The HTTP exchange failed (handshake, request, or reading the response).
    #[error("http: {0}")]
    Http(#[from] hyper::Error),
}

/// Where requests go: a parsed `http://` URL.
#[derive(Debug, Clone)]
pub struct Target {
    /// Host (without IPv6 brackets) and port to connect to.
    host: String,
    /// TCP port.
    port: u16,
    /// Value of the `Host` header.
    host_header: HeaderValue,
    /// Origin-form request target: path and query.
    path: Uri,
}

impl Target {
    /// Parses an `http://host[:port][/path][?query]` URL (port 80 when absent).
    pub fn parse(url: &str) -> Result<Self, UrlError> {
        let uri: Uri = url.parse().map_err(|source| UrlError::Invalid {
            url: url.to_owned(),
            source,
        })?;
        let unsupported = || UrlError::Unsupported(url.to_owned());
        if uri.scheme_str() != Some("http") {
            return Err(unsupported());
        }
        let authority = uri.authority().ok_or_else(unsupported)?;
        if authority.as_str().contains('@') {
            return Err(unsupported());
        }
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']');
        let path_and_query = uri.path_and_query().map_or("/", |p| p.as_str());
        Ok(Self {
            host: host.to_owned(),
            port: authority.port_u16().unwrap_or(80),
            host_header: HeaderValue::from_str(authority.as_str()).map_err(|_| unsupported())?,
            path: path_and_query.parse().map_err(|_| unsupported())?,
        })
    }

    /// Opens one keep-alive HTTP/1.1 connection (`TCP_NODELAY`) and returns its request handle.
    /// The connection is driven by a spawned task that ends when the handle is dropped.
    pub async fn connect(&self) -> Result<SendRequest<Body>, ClientError> {
        let connect_error = |source| ClientError::Connect {
            addr: format!("{}:{}", self.host, self.port),
            source,
        };
        let stream = TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(connect_error)?;
        stream.set_nodelay(true).map_err(connect_error)?;
        let (sender, connection) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            // A broken connection shows up as an error on the next request through `sender`.
            let _ = connection.await;
        });
        Ok(sender)
    }

    /// Builds a request for this target: `Host` set unless `headers` has one.
    pub fn request(&self, method: &Method, headers: &HeaderMap, body: Bytes) -> Request<Body> {
        let mut request = Request::new(Full::new(body));
        *request.method_mut() = method.clone();
        *request.uri_mut() = self.path.clone();
        *request.headers_mut() = headers.clone();
        if !request.headers().contains_key(HOST) {
            request.headers_mut().insert(HOST, self.host_header.clone());
        }
        request
    }
}

/// Sends `request` on a ready connection and reads the whole response body, discarding it.
/// Returns the status.
pub async fn exchange(
    sender: &mut SendRequest<Body>,
    request: Request<Body>,
) -> Result<StatusCode, ClientError> {
    let response = sender.send_request(request).await?;
    let status = response.status();
    let mut body = response.into_body();
    while let Some(frame) = body.frame().await {
        frame?;
    }
    Ok(status)
}

/// Sends `request` on a ready connection and returns the status and the whole body.
pub async fn exchange_collect(
    sender: &mut SendRequest<Body>,
    request: Request<Body>,
) -> Result<(StatusCode, Bytes), ClientError> {
    let response = sender.send_request(request).await?;
    let status = response.status();
    let body = response.into_body().collect().await?.to_bytes();
    Ok((status, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_http_urls() {
        let t = Target::parse("http://127.0.0.1:3000/kv?x=1").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("127.0.0.1", 3000));
        assert_eq!(t.host_header, "127.0.0.1:3000");
        assert_eq!(t.path, "/kv?x=1");

        let t = Target::parse("http://localhost").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("localhost", 80));
        assert_eq!(t.path, "/");

        let t = Target::parse("http://[::1]:8080/").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("::1", 8080));
        assert_eq!(t.host_header, "[::1]:8080");
    }

    #[test]
    fn rejects_other_urls() {
        for bad in [
            "https://example.com/",
            "/hello",
            "example.com:80",
            "http://u:p@h/",
        ] {
            assert!(Target::parse(bad).is_err(), "{bad:?} should be rejected");
        }
        assert!(matches!(
            Target::parse("http://a b"),
            Err(UrlError::Invalid { .. })
        ));
    }

    #[test]
    fn request_sets_host_unless_given() {
        let t = Target::parse("http://127.0.0.1:9/x").unwrap();
        let r = t.request(&Method::GET, &HeaderMap::new(), Bytes::new());
        assert_eq!(r.headers()[HOST], "127.0.0.1:9");
        assert_eq!(r.uri(), "/x");

        let mut headers = HeaderMap::new();
        headers.insert(HOST, HeaderValue::from_static("example.test"));
        let r = t.request(&Method::POST, &headers, Bytes::new());
        assert_eq!(r.headers()[HOST], "example.test");
        assert_eq!(r.method(), Method::POST);
    }
}
