//! LLM provider component (`fabula:llm/text-generation`): the deterministic offline writer.
//!
//! A thin wrapper: converts the WIT types to `fabula_llm_types`' and back (with
//! `fabula_llm_types::wit_conversions!`) around `fabula_llm_offline::generate`. No network,
//! no Spin host interface; plug it into a stage with `[component.<id>.dependencies]`.

wit_bindgen::generate!({ path: "../../wit/llm", world: "fabula:llm/provider" });

use exports::fabula::llm::text_generation::{Completion, Error, Guest, Request};

fabula_llm_types::wit_conversions!(exports::fabula::llm::text_generation);

struct Provider;

impl Guest for Provider {
    fn generate(request: Request) -> Result<Completion, Error> {
        fabula_llm_offline::generate(&request.into())
            .map(Into::into)
            .map_err(Into::into)
    }
}

export!(Provider);
