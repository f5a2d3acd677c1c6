//! The sweeper (channel `fabula.sweep`; any payload is a tick): re-publishes the current
//! step of every `queued` or `running` job that is due for a retry or has not progressed
//! for `job_stall_seconds` (default 120), with a `step_requeued` event. `POST
//! /api/v1/system/sweep` runs the same sweep on demand.

use fabula_domain::Timestamp;
use fabula_domain::auth::DataScope;
use fabula_domain::pipeline::Setting;
use fabula_spin::log::{Level, log};
use fabula_spin::pipeline::{PipelineDb, setting, sweep};

/// Entry point: one tick.
#[spin_sdk::redis_component]
fn on_message(_tick: Vec<u8>) -> anyhow::Result<()> {
    let stall = setting(Setting::JobStallSeconds, "sweep");
    let pipeline = PipelineDb::open()?;
    let requeued = sweep(&pipeline, &DataScope::All, Timestamp::now(), stall)?;
    for step in &requeued {
        log(
            Level::Info,
            "sweep",
            format_args!(
                "re-published {} of job {} ({}, published: {})",
                step.step,
                step.job_id,
                step.reason.as_str(),
                step.published
            ),
        );
    }
    Ok(())
}
