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

use exports::fabula::llm::text_generation::{
    Completion, Error, FinishReason, Guest, Message, Request, Role, Usage,
};
use fabula_llm_openai as openai;

struct Provider;

impl Guest for Provider {
    fn generate(request: Request) -> Result<Completion, Error> {
        // A missing or malformed llm_* variable fails every call alike: not worth retrying.
        let config = config::Config::load()
            .map_err(|e| Error::InvalidRequest(format!("provider configuration: {e}")))?;
        let mut transport = http::WasiTransport::new(&config);
        openai::complete(&to_chat(request), &config.retry, &mut transport)
            .map(from_completion)
            .map_err(from_error)
    }
}

export!(Provider);

fn to_chat(request: Request) -> openai::ChatRequest {
    openai::ChatRequest {
        model: request.model,
        messages: request.messages.into_iter().map(to_message).collect(),
        temperature: request.temperature,
        max_tokens: request.max_tokens,
        stop: request.stop,
        seed: request.seed,
    }
}

fn to_message(message: Message) -> openai::Message {
    openai::Message {
        role: match message.role {
            Role::System => openai::Role::System,
            Role::User => openai::Role::User,
            Role::Assistant => openai::Role::Assistant,
        },
        content: message.content,
    }
}

fn from_completion(c: openai::Completion) -> Completion {
    Completion {
        text: c.text,
        finish_reason: match c.finish_reason {
            openai::FinishReason::Stop => FinishReason::Stop,
            openai::FinishReason::Length => FinishReason::Length,
            openai::FinishReason::ContentFilter => FinishReason::ContentFilter,
            openai::FinishReason::Other => FinishReason::Other,
        },
        usage: Usage {
            prompt_tokens: c.usage.prompt_tokens,
            completion_tokens: c.usage.completion_tokens,
            estimated: c.usage.estimated,
        },
        model: c.model,
        attempts: c.attempts,
    }
}

fn from_error(e: openai::LlmError) -> Error {
    match e {
        openai::LlmError::RateLimited(wait) => {
            Error::RateLimited(wait.map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)))
        }
        openai::LlmError::ContextTooLong(m) => Error::ContextTooLong(m),
        openai::LlmError::Auth(m) => Error::Auth(m),
        openai::LlmError::Unavailable(m) => Error::Unavailable(m),
        openai::LlmError::InvalidRequest(m) => Error::InvalidRequest(m),
    }
}
