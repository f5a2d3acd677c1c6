//! Server-Sent Events framing for job events, and where a client resumes.

use crate::validation::{FieldCode, ValidationError};

/// One piece of an event stream, rendered with [`SseFrame::render`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SseFrame<'a> {
    /// `retry: <ms>`: how long a client waits before reconnecting.
    Retry(u64),
    /// `: <text>`: a comment, e.g. a keep-alive.
    Comment(&'a str),
    /// `id: <seq>`, `event: <kind>`, `data: <json>`.
    Event {
        /// The event's sequence number (the client's `Last-Event-ID` on reconnect).
        seq: u64,
        /// Its kind.
        kind: &'a str,
        /// Its payload, compact JSON (one line).
        data: &'a str,
    },
}

impl SseFrame<'_> {
    /// The frame's text, ending with the blank line that dispatches it.
    pub fn render(&self) -> String {
        match self {
            Self::Retry(ms) => format!("retry: {ms}\n\n"),
            Self::Comment(text) => format!(": {}\n\n", one_line(text)),
            Self::Event { seq, kind, data } => format!(
                "id: {seq}\nevent: {}\ndata: {}\n\n",
                one_line(kind),
                one_line(data)
            ),
        }
    }
}

/// Line breaks would end a field early; compact JSON has none, but never trust it.
fn one_line(text: &str) -> String {
    text.replace(['\r', '\n'], " ")
}

/// The sequence number after which to send events: the `Last-Event-ID` header when it
/// is a number (a reconnecting client), otherwise the `after` query parameter, otherwise
/// 0 (from the start). A malformed `after` is a 422; a malformed header is ignored.
pub fn resume_after(
    last_event_id: Option<&str>,
    after: Option<&str>,
) -> Result<u64, ValidationError> {
    if let Some(seq) = last_event_id.and_then(|id| id.trim().parse::<u64>().ok()) {
        return Ok(seq);
    }
    match after {
        None | Some("") => Ok(0),
        Some(text) => text.parse::<u64>().map_err(|_| {
            ValidationError::single(
                "after",
                FieldCode::InvalidValue,
                "must be a non-negative integer (an event seq)",
            )
        }),
    }
}

/// Whether an `Accept` header asks for `text/event-stream` (any case, parameters
/// ignored).
pub fn accepts_event_stream(accept: Option<&str>) -> bool {
    accept.is_some_and(|value| {
        value.split(',').any(|range| {
            range
                .split(';')
                .next()
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("text/event-stream"))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_render_as_event_stream_text() {
        assert_eq!(SseFrame::Retry(2000).render(), "retry: 2000\n\n");
        assert_eq!(SseFrame::Comment("keep-alive").render(), ": keep-alive\n\n");
        let event = SseFrame::Event {
            seq: 7,
            kind: "chapter_written",
            data: r#"{"number":1}"#,
        };
        assert_eq!(
            event.render(),
            "id: 7\nevent: chapter_written\ndata: {\"number\":1}\n\n"
        );
        let sneaky = SseFrame::Event {
            seq: 1,
            kind: "x",
            data: "a\nid: 99",
        };
        assert_eq!(sneaky.render().lines().count(), 4);
    }

    #[test]
    fn event_stream_is_recognised_in_accept_lists() {
        assert!(accepts_event_stream(Some("text/event-stream")));
        assert!(accepts_event_stream(Some(
            "application/json, Text/Event-Stream;q=0.9"
        )));
        assert!(!accepts_event_stream(Some("application/json")));
        assert!(!accepts_event_stream(Some("text/event-streams")));
        assert!(!accepts_event_stream(None));
    }

    #[test]
    fn the_header_wins_over_the_query() {
        assert_eq!(resume_after(None, None), Ok(0));
        assert_eq!(resume_after(None, Some("")), Ok(0));
        assert_eq!(resume_after(None, Some("5")), Ok(5));
        assert_eq!(resume_after(Some("9"), Some("5")), Ok(9));
        assert_eq!(resume_after(Some("junk"), Some("5")), Ok(5));
        assert!(resume_after(None, Some("-1")).is_err());
        assert!(resume_after(None, Some("abc")).is_err());
    }
}
