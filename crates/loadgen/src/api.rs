//! JSON calls to Fabula's HTTP API over one keep-alive connection, with a bearer token:
//! send a request, check the status, read the JSON answer.

use std::net::SocketAddr;

use bytes::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue};
use hyper::{Method, StatusCode};
use serde_json::Value;

use crate::client::{self, Body, ClientError, Target};

/// A call that failed or did not answer as expected.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The path does not make a valid URL with the server's address.
    #[error("{method} {path}: not a valid request path")]
    Path {
        /// The request method.
        method: Method,
        /// The path.
        path: String,
    },
    /// The connection or the HTTP exchange failed.
    #[error("{method} {path}: {source}")]
    Request {
        /// The request method.
        method: Method,
        /// The path.
        path: String,
        /// Why.
        source: ClientError,
    },
    /// The server answered with another status, or without the expected JSON.
    #[error("{method} {path}: expected {expected}, got {status}: {body}")]
    Unexpected {
        /// The request method.
        method: Method,
        /// The path.
        path: String,
        /// What was expected: a status, and a JSON field when one was asked for.
        expected: String,
        /// The response status.
        status: StatusCode,
        /// The response body (lossy UTF-8).
        body: String,
    },
}

/// A client of one Fabula server, authenticated with a bearer token. Keeps one keep-alive
/// connection and reopens it when the server has closed it between requests.
#[derive(Debug)]
pub struct ApiClient {
    addr: SocketAddr,
    headers: HeaderMap,
    connection: Option<SendRequest<Body>>,
}

impl ApiClient {
    /// A client of the server at `addr` sending `Authorization: Bearer <token>`.
    pub fn new(addr: SocketAddr, token: &str) -> Self {
        let mut headers = bearer(token);
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        Self {
            addr,
            headers,
            connection: None,
        }
    }

    /// Sends `method path` with an optional JSON body; returns the status and the raw body.
    pub async fn send(
        &mut self,
        method: Method,
        path: &str,
        json: Option<&Value>,
    ) -> Result<(StatusCode, Bytes), ApiError> {
        let target =
            Target::parse(&format!("http://{}{path}", self.addr)).map_err(|_| ApiError::Path {
                method: method.clone(),
                path: path.to_owned(),
            })?;
        let request_error = |source| ApiError::Request {
            method: method.clone(),
            path: path.to_owned(),
            source,
        };
        // A connection the server closed after the previous response is reopened.
        if let Some(sender) = self.connection.as_mut()
            && sender.ready().await.is_err()
        {
            self.connection = None;
        }
        let sender = match self.connection {
            Some(ref mut sender) => sender,
            None => self
                .connection
                .insert(target.connect().await.map_err(request_error)?),
        };
        let body = json.map_or_else(Bytes::new, |v| Bytes::from(v.to_string()));
        let request = target.request(&method, &self.headers, body);
        let result = client::exchange_collect(sender, request).await;
        if result.is_err() {
            self.connection = None;
        }
        result.map_err(request_error)
    }

    /// Sends the request and returns the JSON body of an `expected` response.
    pub async fn expect_json(
        &mut self,
        method: Method,
        path: &str,
        json: Option<&Value>,
        expected: StatusCode,
    ) -> Result<Value, ApiError> {
        let (status, body) = self.send(method.clone(), path, json).await?;
        json_if(status, &body, expected).ok_or_else(|| ApiError::Unexpected {
            method,
            path: path.to_owned(),
            expected: expected.to_string(),
            status,
            body: String::from_utf8_lossy(&body).into_owned(),
        })
    }

    /// `POST path` with a JSON body; expects `expected` (201 or 202) with a JSON string
    /// `field`, and returns that string (an id, a key).
    pub async fn post_for_field(
        &mut self,
        path: &str,
        json: &Value,
        expected: StatusCode,
        field: &str,
    ) -> Result<String, ApiError> {
        let (status, body) = self.send(Method::POST, path, Some(json)).await?;
        json_if(status, &body, expected)
            .and_then(|value| Some(value.get(field)?.as_str()?.to_owned()))
            .ok_or_else(|| ApiError::Unexpected {
                method: Method::POST,
                path: path.to_owned(),
                expected: format!("{expected} with a JSON string `{field}`"),
                status,
                body: String::from_utf8_lossy(&body).into_owned(),
            })
    }
}

/// The JSON body of a response whose status is `expected`.
fn json_if(status: StatusCode, body: &[u8], expected: StatusCode) -> Option<Value> {
    if status != expected {
        return None;
    }
    serde_json::from_slice(body).ok()
}

/// `Authorization: Bearer <token>`.
pub fn bearer(token: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let value =
        HeaderValue::from_str(&format!("Bearer {token}")).expect("tokens are printable ASCII");
    headers.insert(AUTHORIZATION, value);
    headers
}

/// As the operator (`admin_token`): creates a tenant of `tier` and a `user` API key of it.
/// Returns the key.
pub async fn create_tenant_key(
    addr: SocketAddr,
    admin_token: &str,
    name: &str,
    tier: &str,
) -> Result<String, ApiError> {
    let mut operator = ApiClient::new(addr, admin_token);
    let tenant = operator
        .post_for_field(
            "/api/v1/tenants",
            &serde_json::json!({"name": name, "tier": tier}),
            StatusCode::CREATED,
            "id",
        )
        .await?;
    operator
        .post_for_field(
            "/api/v1/api-keys",
            &serde_json::json!({"name": "bench", "role": "user", "tenant_id": tenant}),
            StatusCode::CREATED,
            "key",
        )
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_only_for_the_expected_status() {
        let body = br#"{"id":"0190f5a0-0000-7000-8000-000000000000"}"#;
        let value = json_if(StatusCode::CREATED, body, StatusCode::CREATED).unwrap();
        assert_eq!(value["id"], "0190f5a0-0000-7000-8000-000000000000");
        assert_eq!(json_if(StatusCode::OK, body, StatusCode::CREATED), None);
        assert_eq!(
            json_if(StatusCode::CREATED, b"not json", StatusCode::CREATED),
            None
        );
    }

    #[test]
    fn bearer_header() {
        assert_eq!(bearer("t0k")[AUTHORIZATION], "Bearer t0k");
    }
}
