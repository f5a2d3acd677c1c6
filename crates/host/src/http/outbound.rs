//! Outbound HTTP policy. (Skeleton.)

/// Outbound HTTP hooks for one instance.
#[derive(Default)]
pub struct OutboundHttp;

impl wasmtime_wasi_http::WasiHttpHooks for OutboundHttp {}
