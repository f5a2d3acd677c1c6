//! Pipeline stage `quality` (channel `fabula.stage.quality`): checks chapter N against the
//! story's quality gate and the continuity ledger; a failing chapter is revised (critique,
//! then rewrite) up to the policy's `max_revisions` times, every attempt's scores are
//! recorded and the best attempt is kept. Then publishes chapter N+1 or `assembly`. The
//! shared runner (`fabula_spin::pipeline`) does the rest.

wit_bindgen::generate!({ path: "../../wit/llm", world: "fabula:llm/consumer" });
fabula_spin::wit_llm!(Provider, fabula::llm::text_generation);

/// Entry point: one step message `{"job_id", "step": "quality:<n>"}`.
#[spin_sdk::redis_component]
fn on_message(payload: Vec<u8>) -> anyhow::Result<()> {
    use fabula_spin::pipeline::{Stage, handle_message};
    Ok(handle_message(Stage::Quality, &Provider, &payload)?)
}
