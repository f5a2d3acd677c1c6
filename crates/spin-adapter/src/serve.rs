//! The component entry point: read the request (bounded), run the handler, render any
//! error as a JSON envelope, stamp `x-request-id` on every response, log one line.
//!
//! A handler may also answer with a [`Reply::Streamed`] response: its head is sent first,
//! then its body chunk by chunk as they are produced (e.g. Server-Sent Events).

use std::time::Instant;

use futures::{SinkExt, StreamExt};
use spin_sdk::http::{
    Fields, IncomingRequest, OutgoingResponse, Request, Response, ResponseOutparam,
};

use crate::ApiError;
use crate::json::DEFAULT_BODY_LIMIT;
use crate::log::{Level, log};
use crate::request_id::{REQUEST_ID_HEADER, resolve_request_id};

/// A component's handler: the whole request in, a response or an [`ApiError`] out.
pub type EntryHandler = fn(Request) -> Result<Response, ApiError>;

/// A body produced while it is sent: each item is one chunk, written (and flushed) before
/// the next is asked for. Producing a chunk may block (e.g. to poll for news).
pub type BodyChunks = Box<dyn Iterator<Item = Vec<u8>>>;

/// What a handler answers.
pub enum Reply {
    /// A whole response.
    Whole(Response),
    /// A response head (status and headers; its body is ignored) and a body streamed
    /// after it. Ends when the chunks end or the client goes away.
    Streamed(Response, BodyChunks),
}

impl From<Response> for Reply {
    fn from(response: Response) -> Self {
        Self::Whole(response)
    }
}

/// Declares the component's HTTP export, running `handler` through [`serve`]:
/// `fabula_spin::http_entry!(handle);` with `fn handle(req: Request) -> Result<Response, ApiError>`.
///
/// The component crate must depend on `spin-sdk` (the export macro refers to it).
#[macro_export]
macro_rules! http_entry {
    ($handler:path) => {
        #[::spin_sdk::http_component]
        async fn fabula_http_entry(
            request: ::spin_sdk::http::IncomingRequest,
            response_out: ::spin_sdk::http::ResponseOutparam,
        ) {
            $crate::serve(request, response_out, $handler).await
        }
    };
}

/// Serves one request: bodies over [`DEFAULT_BODY_LIMIT`] get 413 before the handler
/// runs; the handler sees the resolved request id in its `x-request-id` header.
pub async fn serve(incoming: IncomingRequest, out: ResponseOutparam, handler: EntryHandler) {
    serve_reply(incoming, out, |request| handler(request).map(Reply::Whole)).await;
}

/// [`serve`] for a handler that may stream its response body ([`Reply::Streamed`]).
pub async fn serve_reply(
    incoming: IncomingRequest,
    out: ResponseOutparam,
    handler: impl FnOnce(Request) -> Result<Reply, ApiError>,
) {
    let started = Instant::now();
    let method = incoming.method();
    let uri = incoming.uri();
    let headers = incoming.headers().entries();
    let request_id = resolve_request_id(header(&headers, REQUEST_ID_HEADER));
    let declared_length = header(&headers, "content-length")
        .and_then(|v| std::str::from_utf8(v).ok())
        .and_then(|v| v.trim().parse::<u64>().ok());

    let result = match read_body(incoming, declared_length, DEFAULT_BODY_LIMIT).await {
        Ok(body) => {
            let mut request = Request::builder()
                .method(method.clone())
                .uri(uri.as_str())
                .headers(headers)
                .body(body)
                .build();
            request.set_header(REQUEST_ID_HEADER, request_id.as_str());
            handler(request)
        }
        Err(error) => Err(error),
    };
    let (response, chunks) = match result {
        Ok(Reply::Streamed(head, chunks)) => (finish(Ok(head), &request_id), Some(chunks)),
        Ok(Reply::Whole(response)) => (finish(Ok(response), &request_id), None),
        Err(error) => (finish(Err(error), &request_id), None),
    };
    let status = *response.status();
    match chunks {
        None => send(out, response, &request_id).await,
        Some(chunks) => stream(out, response, chunks, &request_id).await,
    }
    log(
        Level::Info,
        &request_id,
        format_args!(
            "{method} {uri} -> {status} in {}ms",
            started.elapsed().as_millis()
        ),
    );
}

fn header<'h>(headers: &'h [(String, Vec<u8>)], name: &str) -> Option<&'h [u8]> {
    headers
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_slice())
}

/// Reads the whole body, refusing (413) as soon as it is known to exceed `limit`.
async fn read_body(
    incoming: IncomingRequest,
    declared_length: Option<u64>,
    limit: usize,
) -> Result<Vec<u8>, ApiError> {
    if declared_length.is_some_and(|n| n > limit as u64) {
        return Err(ApiError::payload_too_large(limit));
    }
    let mut stream = std::pin::pin!(incoming.into_body_stream());
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::invalid_json("request body could not be read completely")
                .with_detail(e.to_debug_string())
        })?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::payload_too_large(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The response to send: the handler's, or the rendered error (its detail logged).
fn finish(result: Result<Response, ApiError>, request_id: &str) -> Response {
    match result {
        Ok(mut response) => {
            response.set_header(REQUEST_ID_HEADER, request_id);
            response
        }
        Err(error) => {
            if let Some(detail) = error.detail() {
                let level = if error.status() >= 500 {
                    Level::Error
                } else {
                    Level::Warn
                };
                log(
                    level,
                    request_id,
                    format_args!("{}: {detail}", error.code()),
                );
            }
            error.to_response(request_id)
        }
    }
}

async fn send(out: ResponseOutparam, mut response: Response, request_id: &str) {
    let body = std::mem::take(response.body_mut());
    let (outgoing, body) = match OutgoingResponse::try_from(response) {
        Ok(outgoing) => (outgoing, body),
        Err(e) => {
            log(
                Level::Error,
                request_id,
                format_args!("unsendable response: {e}"),
            );
            let fallback = ApiError::internal("unsendable response").to_response(request_id);
            let outgoing = OutgoingResponse::new(Fields::new());
            // 500 is always a valid status code.
            let _ = outgoing.set_status_code(500);
            (outgoing, fallback.into_body())
        }
    };
    if let Err(e) = out.set_with_body(outgoing, body).await {
        log(
            Level::Error,
            request_id,
            format_args!("could not send the response: {e}"),
        );
    }
}

/// Sends `head`, then every chunk as it is produced, until the chunks end or a write
/// fails (the client went away).
async fn stream(out: ResponseOutparam, mut head: Response, chunks: BodyChunks, request_id: &str) {
    head.body_mut().clear();
    let outgoing = match OutgoingResponse::try_from(head) {
        Ok(outgoing) => outgoing,
        Err(e) => {
            log(
                Level::Error,
                request_id,
                format_args!("unsendable response: {e}"),
            );
            return send(
                out,
                ApiError::internal("unsendable response").to_response(request_id),
                request_id,
            )
            .await;
        }
    };
    let mut body = outgoing.take_body();
    out.set(outgoing);
    for chunk in chunks {
        if let Err(e) = body.send(chunk).await {
            log(
                Level::Debug,
                request_id,
                format_args!("stream ended by the client: {e}"),
            );
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finish_stamps_the_request_id_on_success_and_error() {
        let ok = finish(Ok(Response::new(200, "hi")), "abc");
        assert_eq!(
            ok.header(REQUEST_ID_HEADER).and_then(|v| v.as_str()),
            Some("abc")
        );

        let err = finish(Err(ApiError::not_found("gone")), "abc");
        assert_eq!(*err.status(), 404);
        assert_eq!(
            err.header(REQUEST_ID_HEADER).and_then(|v| v.as_str()),
            Some("abc")
        );
        let body: serde_json::Value = serde_json::from_slice(err.body()).unwrap();
        assert_eq!(body["error"]["request_id"], "abc");
    }

    #[test]
    fn header_lookup_ignores_case() {
        let headers = vec![("X-Request-Id".to_owned(), b"r1".to_vec())];
        assert_eq!(header(&headers, "x-request-id"), Some(&b"r1"[..]));
        assert_eq!(header(&headers, "content-length"), None);
    }
}
