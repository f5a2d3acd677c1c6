//! `load` against a real HTTP server: a tiny hyper server on 127.0.0.1:0 answering 200 "ok".

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use fabula_loadgen::load::{self, LoadConfig};
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// Starts a keep-alive HTTP/1.1 server: 200 "ok" on `/`, 404 elsewhere.
async fn start_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                let service = service_fn(|request: Request<hyper::body::Incoming>| async move {
                    let status = if request.uri().path() == "/" {
                        StatusCode::OK
                    } else {
                        StatusCode::NOT_FOUND
                    };
                    let mut response = Response::new(Full::new(Bytes::from_static(b"ok")));
                    *response.status_mut() = status;
                    Ok::<_, Infallible>(response)
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

fn config(url: String) -> LoadConfig {
    LoadConfig::get(
        url,
        4,
        Duration::from_millis(300),
        Duration::from_millis(50),
    )
}

#[tokio::test]
async fn load_counts_successful_requests() {
    let addr = start_server().await;
    let report = load::run(&config(format!("http://{addr}/"))).await.unwrap();
    let s = &report.summary;
    assert!(s.requests > 0, "{report}");
    assert_eq!((s.errors, s.non_2xx), (0, 0), "{report}");
    assert!(s.latency.p50 <= s.latency.p99 && s.latency.p99 <= s.latency.max);

    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["method"], "GET");
    assert_eq!(json["connections"], 4);
    assert_eq!(json["requests"], s.requests);
}

#[tokio::test]
async fn load_counts_non_2xx_responses() {
    let addr = start_server().await;
    let report = load::run(&config(format!("http://{addr}/missing")))
        .await
        .unwrap();
    let s = &report.summary;
    assert!(s.requests > 0, "{report}");
    assert_eq!(s.non_2xx, s.requests, "{report}");
    assert_eq!(s.errors, 0, "{report}");
}

#[tokio::test]
async fn load_counts_connection_errors() {
    // Bind and drop to get a port nobody listens on.
    let addr = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let report = load::run(&config(format!("http://{addr}/"))).await.unwrap();
    let s = &report.summary;
    assert_eq!(s.requests, 0, "{report}");
    assert!(s.errors > 0, "{report}");
    assert!(
        s.first_error.as_deref().unwrap().contains("connect"),
        "{report}"
    );
}

#[tokio::test]
async fn load_rejects_bad_configs() {
    assert!(
        load::run(&config("https://127.0.0.1/".into()))
            .await
            .is_err()
    );
    let mut zero = config("http://127.0.0.1:1/".into());
    zero.connections = 0;
    assert!(load::run(&zero).await.is_err());
}
