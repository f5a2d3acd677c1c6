//! Pipeline stage `chapter` (channel `fabula.stage.chapter`): writes chapter N with its
//! continuity context (outline, story bible, summaries of earlier chapters within the
//! variable `context_token_budget`), stores it exactly once and updates the bible; then
//! publishes chapter N+1 or `assembly`. The shared runner (`fabula_spin::pipeline`) does
//! the rest.

wit_bindgen::generate!({ path: "../../wit/llm", world: "fabula:llm/consumer" });
fabula_spin::wit_llm!(Provider, fabula::llm::text_generation);

/// Entry point: one step message `{"job_id", "step": "chapter:<n>"}`.
#[spin_sdk::redis_component]
fn on_message(payload: Vec<u8>) -> anyhow::Result<()> {
    use fabula_spin::pipeline::{Stage, handle_message};
    Ok(handle_message(Stage::Chapter, &Provider, &payload)?)
}
