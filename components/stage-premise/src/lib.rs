//! Pipeline stage `premise` (channel `fabula.stage.premise`): analyses the story's premise
//! (title, logline, tone, setting, themes, characters, places) and starts the story bible;
//! then publishes the outline step. The shared runner (`fabula_spin::pipeline`) does the
//! rest: idempotency, accounting, events, retries.

wit_bindgen::generate!({ path: "../../wit/llm", world: "fabula:llm/consumer" });
fabula_spin::wit_llm!(Provider, fabula::llm::text_generation);

/// Entry point: one step message `{"job_id", "step": "premise"}`.
#[spin_sdk::redis_component]
fn on_message(payload: Vec<u8>) -> anyhow::Result<()> {
    use fabula_spin::pipeline::{Stage, handle_message};
    Ok(handle_message(Stage::Premise, &Provider, &payload)?)
}
