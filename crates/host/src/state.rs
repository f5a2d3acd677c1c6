//! The data of one `Store`: everything a single component instance (one request or one
//! message) may touch. Built fresh for every instance from cheap `Arc` clones of the factors.

use std::sync::Arc;

use wasmtime::StoreLimits;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

/// Per-instance state, one field per host interface (as Spin's factors are split).
pub struct InstanceState {
    /// The component this instance runs.
    pub component_id: Arc<str>,
    /// Resources of WASI and WASI HTTP.
    pub table: ResourceTable,
    /// WASI CLI context (environment, stdio to `.spin/logs`, clocks, random).
    pub wasi: WasiCtx,
    /// WASI HTTP context.
    pub http: WasiHttpCtx,
    /// Outbound HTTP policy (allowed hosts) for this component.
    pub outbound_http: crate::http::outbound::OutboundHttp,
    /// `fermyon:spin/key-value`.
    pub kv: crate::kv::KvInstance,
    /// `fermyon:spin/sqlite`.
    pub sqlite: crate::sqlite::SqliteInstance,
    /// `fermyon:spin/variables`.
    pub variables: crate::variables::VariablesInstance,
    /// `fermyon:spin/redis`.
    pub redis: crate::redis::RedisInstance,
    /// `fermyon:spin/llm`.
    pub llm: crate::llm::LlmInstance,
    /// Memory and table limits enforced by wasmtime.
    pub limits: StoreLimits,
}

impl WasiView for InstanceState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for InstanceState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.outbound_http,
        }
    }
}
