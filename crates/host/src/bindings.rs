//! Host-side bindings for the Spin 2.0 interfaces and `wasi:keyvalue@0.2.0-draft2` (WIT in
//! `wit/deps/`, see `wit/deps/ORIGIN.md`).

wasmtime::component::bindgen!({
    path: "../../wit",
    world: "fabula:host/spin-imports",
    imports: { default: async | trappable },
    anyhow: true,
    with: {
        "fermyon:spin/key-value@2.0.0.store": crate::kv::StoreHandle,
        "fermyon:spin/sqlite@2.0.0.connection": crate::sqlite::ConnectionHandle,
        "fermyon:spin/redis@2.0.0.connection": crate::redis::ConnectionHandle,
        "wasi:keyvalue/store@0.2.0-draft2.bucket": crate::kv::wasi_keyvalue::BucketHandle,
        "wasi:keyvalue/atomics@0.2.0-draft2.cas": crate::kv::wasi_keyvalue::CasHandle,
    },
});

/// Bindings for components triggered by Redis messages.
pub mod redis_trigger {
    wasmtime::component::bindgen!({
        path: "../../wit",
        world: "fabula:host/redis-handler",
        exports: { default: async },
    });
}
