//! One blocking POST over wasi:http with request-option timeouts: the [`Transport`] of the
//! retry loop.

use std::time::{Duration, SystemTime};

use fabula_llm_openai::{Failure, HttpReply, LlmError, Transport, split_url};
use wasi::http::outgoing_handler;
use wasi::http::types::{
    ErrorCode, Fields, IncomingBody, Method, OutgoingBody, OutgoingRequest, RequestOptions, Scheme,
};
use wasi::io::streams::StreamError;

use crate::config::Config;

/// Longest answer read: more is treated as a broken backend.
const MAX_BODY: usize = 16 << 20;
/// Longest connect timeout.
const MAX_CONNECT: Duration = Duration::from_secs(10);

/// wasi:http transport to the configured endpoint.
pub struct WasiTransport<'a> {
    config: &'a Config,
}

impl<'a> WasiTransport<'a> {
    /// A transport for `config`.
    pub fn new(config: &'a Config) -> Self {
        WasiTransport { config }
    }

    fn post(&self, body: &[u8]) -> Result<HttpReply, Failure> {
        let (scheme, authority, path) = split_url(&self.config.url).ok_or_else(|| Failure {
            error: LlmError::Unavailable(format!(
                "llm_api_origin must be an http(s) URL, not {}",
                self.config.url
            )),
            retryable: false,
        })?;
        let mut headers = vec![
            ("content-type".to_owned(), b"application/json".to_vec()),
            ("accept".to_owned(), b"application/json".to_vec()),
        ];
        if let Some(key) = &self.config.api_key {
            headers.push((
                "authorization".to_owned(),
                format!("Bearer {key}").into_bytes(),
            ));
        }
        let fields = Fields::from_list(&headers)
            .map_err(|e| fixed(format!("invalid request header: {e:?}")))?;
        let request = OutgoingRequest::new(fields);
        let scheme = if scheme.eq_ignore_ascii_case("https") {
            Scheme::Https
        } else {
            Scheme::Http
        };
        request
            .set_method(&Method::Post)
            .and_then(|()| request.set_scheme(Some(&scheme)))
            .and_then(|()| request.set_authority(Some(authority)))
            .and_then(|()| request.set_path_with_query(Some(path)))
            .map_err(|()| fixed(format!("cannot address {}", self.config.url)))?;
        let outgoing_body = request
            .body()
            .map_err(|()| fixed("cannot open the request body".into()))?;

        let options = RequestOptions::new();
        let nanos = |d: Duration| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        // A host may not support every option; the ones it accepts still apply.
        let _ = options.set_connect_timeout(Some(nanos(self.config.timeout.min(MAX_CONNECT))));
        let _ = options.set_first_byte_timeout(Some(nanos(self.config.timeout)));
        let _ = options.set_between_bytes_timeout(Some(nanos(self.config.timeout)));

        let future = outgoing_handler::handle(request, Some(options)).map_err(http_failure)?;
        {
            let stream = outgoing_body
                .write()
                .map_err(|()| fixed("cannot write the request body".into()))?;
            for chunk in body.chunks(4096) {
                stream
                    .blocking_write_and_flush(chunk)
                    .map_err(|e| stream_failure("sending the request", e))?;
            }
        }
        OutgoingBody::finish(outgoing_body, None).map_err(http_failure)?;

        let response = loop {
            match future.get() {
                Some(Ok(Ok(response))) => break response,
                Some(Ok(Err(code))) => return Err(http_failure(code)),
                Some(Err(())) => return Err(Failure::unavailable("response already taken")),
                None => future.subscribe().block(),
            }
        };
        let status = response.status();
        let retry_after = response
            .headers()
            .get(&"retry-after".to_owned())
            .into_iter()
            .next()
            .map(|v| String::from_utf8_lossy(&v).into_owned());
        let incoming = response
            .consume()
            .map_err(|()| Failure::unavailable("cannot read the response body"))?;
        let mut bytes = Vec::new();
        {
            let stream = incoming
                .stream()
                .map_err(|()| Failure::unavailable("cannot read the response body"))?;
            loop {
                match stream.blocking_read(64 << 10) {
                    Ok(chunk) => bytes.extend_from_slice(&chunk),
                    Err(StreamError::Closed) => break,
                    Err(e) => return Err(stream_failure("reading the response", e)),
                }
                if bytes.len() > MAX_BODY {
                    return Err(Failure::unavailable("response body over 16 MiB"));
                }
            }
        }
        drop(IncomingBody::finish(incoming));
        Ok(HttpReply {
            status,
            retry_after,
            body: bytes,
        })
    }
}

impl Transport for WasiTransport<'_> {
    fn send(&mut self, body: &[u8]) -> Result<HttpReply, Failure> {
        self.post(body)
    }

    fn sleep(&mut self, delay: Duration) {
        std::thread::sleep(delay);
    }

    fn jitter(&mut self) -> f64 {
        // 53 random bits → [0, 1).
        (wasi::random::insecure::get_insecure_random_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A failure another attempt cannot fix (a malformed request or configuration).
fn fixed(message: String) -> Failure {
    Failure {
        error: LlmError::Unavailable(message),
        retryable: false,
    }
}

/// A wasi:http error: a denied host or an invalid URL is permanent; the rest (timeouts,
/// refused connections, DNS, protocol errors) may pass.
fn http_failure(code: ErrorCode) -> Failure {
    let permanent = matches!(
        code,
        ErrorCode::HttpRequestDenied | ErrorCode::HttpRequestUriInvalid
    );
    let message = match code {
        ErrorCode::HttpRequestDenied => {
            "outbound request denied: add llm_api_origin to allowed_outbound_hosts".to_owned()
        }
        ErrorCode::ConnectionTimeout
        | ErrorCode::ConnectionReadTimeout
        | ErrorCode::ConnectionWriteTimeout
        | ErrorCode::HttpResponseTimeout => format!("timed out: {code:?}"),
        other => format!("HTTP transport error: {other:?}"),
    };
    Failure {
        error: LlmError::Unavailable(message),
        retryable: !permanent,
    }
}

fn stream_failure(what: &str, error: StreamError) -> Failure {
    let detail = match error {
        StreamError::LastOperationFailed(e) => e.to_debug_string(),
        StreamError::Closed => "stream closed".to_owned(),
    };
    Failure::unavailable(format!("{what}: {detail}"))
}
