//! LLM provider component (`fabula:llm/text-generation`): any OpenAI-compatible endpoint
//! (OpenAI, Ollama, vLLM, llama.cpp server, LM Studio) over outbound wasi:http.
//!
//! As a dependency it reads its consumer's variables (the consumer sets
//! `dependencies_inherit_configuration = true` and maps them in
//! `[component.<id>.variables]`):
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `llm_api_origin` | (required) | e.g. `http://127.0.0.1:11434`; must be in the consumer's `allowed_outbound_hosts` |
//! | `llm_api_path` | `/v1` | prefix before `/chat/completions` |
//! | `llm_api_key` | (none) | sent as `Authorization: Bearer …` when set |
//! | `llm_timeout_ms` | 60000 | first-byte and between-bytes timeout per attempt (connect: at most 10 s) |
//! | `llm_max_retries` | 3 | retries after the first attempt |
//! | `llm_retry_max_delay_ms` | 20000 | longest wait between attempts; a longer `Retry-After` is reported, not waited |

wit_bindgen::generate!({ path: "../../wit/llm", world: "fabula:llm/provider" });

mod config;
mod http;

use exports::fabula::llm::text_generation::{Completion, Error, Guest, Request};

fabula_llm_types::wit_conversions!(exports::fabula::llm::text_generation);

struct Provider;

impl Guest for Provider {
    fn generate(request: Request) -> Result<Completion, Error> {
        // A missing or malformed llm_* variable fails every call alike: not worth retrying.
        let config = config::Config::load()
            .map_err(|e| Error::InvalidRequest(format!("provider configuration: {e}")))?;
        let mut transport = http::WasiTransport::new(&config);
        fabula_llm_openai::complete(&request.into(), &config.retry, &mut transport)
            .map(Into::into)
            .map_err(Into::into)
    }
}

export!(Provider);
