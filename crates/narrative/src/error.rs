//! Errors of the narrative crate.

/// A model answer that cannot be used at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NarrativeError {
    /// The answer is not in the shape the task asks for (no JSON object, no usable entries).
    #[error("the {what} answer is malformed: {reason}")]
    Malformed {
        /// Which answer: `premise analysis`, `outline` or `critique`.
        what: &'static str,
        /// Why it cannot be used.
        reason: String,
    },
}

impl NarrativeError {
    pub(crate) fn malformed(what: &'static str, reason: impl Into<String>) -> Self {
        Self::Malformed {
            what,
            reason: reason.into(),
        }
    }
}
