//! LLM provider component (`fabula:llm/text-generation`): the deterministic offline writer.
//!
//! A thin wrapper: converts the WIT types to `fabula_llm_offline`'s and back. No network, no
//! Spin host interface; plug it into a stage with `[component.<id>.dependencies]`.

wit_bindgen::generate!({ path: "../../wit/llm", world: "fabula:llm/provider" });

use exports::fabula::llm::text_generation::{
    Completion, Error, FinishReason, Guest, Message, Request, Role, Usage,
};
use fabula_llm_offline as offline;

struct Provider;

impl Guest for Provider {
    fn generate(request: Request) -> Result<Completion, Error> {
        offline::generate(&to_offline(request))
            .map(from_completion)
            .map_err(from_error)
    }
}

export!(Provider);

fn to_offline(request: Request) -> offline::Request {
    offline::Request {
        model: request.model,
        messages: request.messages.into_iter().map(to_message).collect(),
        temperature: request.temperature,
        max_tokens: request.max_tokens,
        stop: request.stop,
        seed: request.seed,
    }
}

fn to_message(message: Message) -> offline::Message {
    offline::Message {
        role: match message.role {
            Role::System => offline::Role::System,
            Role::User => offline::Role::User,
            Role::Assistant => offline::Role::Assistant,
        },
        content: message.content,
    }
}

fn from_completion(c: offline::Completion) -> Completion {
    Completion {
        text: c.text,
        finish_reason: match c.finish_reason {
            offline::FinishReason::Stop => FinishReason::Stop,
            offline::FinishReason::Length => FinishReason::Length,
            offline::FinishReason::ContentFilter => FinishReason::ContentFilter,
            offline::FinishReason::Other => FinishReason::Other,
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

fn from_error(e: offline::Error) -> Error {
    match e {
        offline::Error::RateLimited(ms) => Error::RateLimited(ms),
        offline::Error::ContextTooLong(m) => Error::ContextTooLong(m),
        offline::Error::Auth(m) => Error::Auth(m),
        offline::Error::Unavailable(m) => Error::Unavailable(m),
        offline::Error::InvalidRequest(m) => Error::InvalidRequest(m),
    }
}
