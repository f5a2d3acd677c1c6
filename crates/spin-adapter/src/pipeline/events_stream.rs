//! `GET /api/v1/jobs/{id}/events` as Server-Sent Events: `retry: 2000` first, then the
//! stored events after the resume point (`id: <seq>`, `event: <kind>`, `data: <json>`),
//! then new ones as they are recorded, polling SQLite every 250 ms, with a `: keep-alive`
//! comment every 10 s of silence. The stream ends once the job is terminal and all its
//! events are sent, or after `max_seconds` (the client reconnects with `Last-Event-ID`).

use std::thread::sleep;
use std::time::{Duration, Instant};

use fabula_domain::TenantId;
use fabula_domain::pipeline::{JobId, SseFrame};

use super::PipelineDb;
use super::jobs::Jobs;
use crate::log::{Level, log};

/// What the client waits before reconnecting, in milliseconds.
const RETRY_MS: u64 = 2_000;
/// How often SQLite is polled for new events.
const POLL: Duration = Duration::from_millis(250);
/// Silence after which a keep-alive comment is sent.
const KEEP_ALIVE: Duration = Duration::from_secs(10);
/// Most events read per poll.
const BATCH: u32 = 100;

/// The body of an event stream: an iterator of chunks for [`crate::api::Call::stream`].
pub struct EventStream {
    pipeline: PipelineDb,
    tenant: TenantId,
    job: JobId,
    after: u64,
    deadline: Instant,
    last_sent: Instant,
    started: bool,
    finished: bool,
    request_id: String,
}

impl EventStream {
    /// A stream of `tenant`'s job `job` after event `after`, lasting at most `max_seconds`.
    pub fn new(
        tenant: TenantId,
        job: JobId,
        after: u64,
        max_seconds: u32,
        request_id: &str,
    ) -> Result<Self, crate::db::DbError> {
        let now = Instant::now();
        Ok(Self {
            pipeline: PipelineDb::open()?,
            tenant,
            job,
            after,
            deadline: now + Duration::from_secs(max_seconds.into()),
            last_sent: now,
            started: false,
            finished: false,
            request_id: request_id.to_owned(),
        })
    }

    /// The next events as one chunk.
    fn poll(&mut self) -> Polled {
        let jobs = Jobs::new(&self.pipeline, self.tenant.clone());
        // Status first: the events of a terminal status commit with it, so they are read.
        let status = jobs.status(self.job);
        let events = jobs.events_after(self.job, self.after, BATCH);
        let (status, events) = match (status, events) {
            (Ok(Some(status)), Ok(events)) => (status, events),
            (Ok(None), _) => return Polled::End,
            (Err(e), _) | (_, Err(e)) => {
                log(
                    Level::Error,
                    &self.request_id,
                    format_args!("event stream ended: {e}"),
                );
                return Polled::End;
            }
        };
        if events.is_empty() {
            return if status.is_terminal() {
                Polled::End
            } else {
                Polled::Nothing
            };
        }
        let mut chunk = String::new();
        for event in &events {
            let data = event.data.to_string();
            let frame = SseFrame::Event {
                seq: event.seq,
                kind: event.kind.as_str(),
                data: &data,
            };
            chunk.push_str(&frame.render());
            self.after = event.seq;
        }
        Polled::Chunk(chunk.into_bytes())
    }
}

/// What one poll found.
enum Polled {
    /// New events, rendered.
    Chunk(Vec<u8>),
    /// Nothing new yet.
    Nothing,
    /// The job is terminal and everything was sent (or it cannot be read).
    End,
}

impl Iterator for EventStream {
    type Item = Vec<u8>;

    fn next(&mut self) -> Option<Vec<u8>> {
        if !self.started {
            self.started = true;
            return Some(SseFrame::Retry(RETRY_MS).render().into_bytes());
        }
        while !self.finished {
            match self.poll() {
                Polled::Chunk(chunk) => {
                    self.last_sent = Instant::now();
                    return Some(chunk);
                }
                Polled::End => self.finished = true,
                Polled::Nothing => {
                    let now = Instant::now();
                    if now >= self.deadline {
                        self.finished = true;
                    } else if now.duration_since(self.last_sent) >= KEEP_ALIVE {
                        self.last_sent = now;
                        return Some(SseFrame::Comment("keep-alive").render().into_bytes());
                    } else {
                        sleep(POLL.min(self.deadline - now));
                    }
                }
            }
        }
        None
    }
}
