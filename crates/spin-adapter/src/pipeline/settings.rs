//! The pipeline's Spin variables, read per use. Invalid values are logged and replaced
//! by their defaults, so a typo never stops the pipeline.
//!
//! | variable | used by | meaning |
//! |---|---|---|
//! | `redis_address` | API, stages, sweeper | where step messages are published |
//! | `llm_model` | stages | the model a stage asks for (a job's `models` override it) |
//! | `llm_pricing` | stages | JSON price overrides, USD per 1M tokens |
//! | `max_step_attempts`, `context_token_budget` | stages | see [`Setting`] |
//! | `job_stall_seconds` | API (sweep), sweeper | see [`Setting`] |
//! | `sse_max_seconds` | API | see [`Setting`] |

use fabula_domain::pipeline::{JobSpec, PricingTable, Setting, Stage};

use crate::log::{Level, log};

/// The model used when neither the job nor `llm_model` names one.
const DEFAULT_MODEL: &str = "fabula-offline-1";

/// A variable's value; `None` when the component has no such variable.
pub(super) fn variable(name: &str) -> Option<String> {
    spin_sdk::variables::get(name).ok()
}

/// A numeric setting; an invalid value is logged under `context` and the default used.
pub fn setting(which: Setting, context: &str) -> u32 {
    which
        .parse(variable(which.name()).as_deref())
        .unwrap_or_else(|e| {
            log(
                Level::Error,
                context,
                format_args!("{e}; using the default"),
            );
            which.default_value()
        })
}

/// The pricing table: defaults merged with `llm_pricing` (invalid: logged, defaults).
pub fn pricing(context: &str) -> PricingTable {
    PricingTable::parse(&variable("llm_pricing").unwrap_or_default()).unwrap_or_else(|e| {
        log(
            Level::Error,
            context,
            format_args!("{e}; using the defaults"),
        );
        PricingTable::default()
    })
}

/// The model for `stage` of a job: the job's override, else `llm_model`, else
/// `fabula-offline-1`.
pub fn model_for(stage: Stage, spec: &JobSpec) -> String {
    if let Some(model) = spec.models.for_stage(stage) {
        return model.to_owned();
    }
    variable("llm_model")
        .map(|m| m.trim().to_owned())
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| DEFAULT_MODEL.to_owned())
}
