//! Pipeline stage `outline` (channel `fabula.stage.outline`): plans every chapter (title,
//! summary, beats, word budget) from the premise analysis; then publishes `chapter:1`. The
//! shared runner (`fabula_spin::pipeline`) does the rest.

wit_bindgen::generate!({ path: "../../wit/llm", world: "fabula:llm/consumer" });
fabula_spin::wit_llm!(Provider, fabula::llm::text_generation);

/// Entry point: one step message `{"job_id", "step": "outline"}`.
#[spin_sdk::redis_component]
fn on_message(payload: Vec<u8>) -> anyhow::Result<()> {
    use fabula_spin::pipeline::{Stage, handle_message};
    Ok(handle_message(Stage::Outline, &Provider, &payload)?)
}
