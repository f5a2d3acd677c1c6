//! The one error type of every export and import.

/// Why an export or an import failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The output (or, on import, the input) failed.
    #[error("i/o failed: {0}")]
    Io(#[from] std::io::Error),
    /// The EPUB container could not be written.
    #[error("EPUB container: {0}")]
    Container(#[from] zip::result::ZipError),
    /// A JSON document could not be parsed or serialised.
    #[error("JSON: {0}")]
    Json(#[source] serde_json::Error),
    /// A book field is unusable (empty title, malformed language tag or timestamp, ...).
    #[error("invalid book {field}: {reason}")]
    InvalidField {
        /// The field, as named in the JSON form (`title`, `language`, `contents`, ...).
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A chapter arrived that the table of contents does not expect next.
    #[error("chapter {found} is not the next chapter in the contents (expected {expected:?})")]
    UnexpectedChapter {
        /// The number the contents expect next (`None`: all chapters were written).
        expected: Option<u32>,
        /// The number of the chapter that arrived.
        found: u32,
    },
    /// The export finished before every chapter in the contents was written.
    #[error("the export ended before chapter {next}")]
    MissingChapters {
        /// The first chapter that was never written.
        next: u32,
    },
    /// A JSON document that is not a Fabula book (its `format` differs).
    #[error("not a fabula-book document (format {0:?})")]
    NotABook(String),
    /// A Fabula book document of a version this build cannot read.
    #[error("unsupported fabula-book version {0}")]
    UnsupportedVersion(u64),
    /// An export format name that is not known.
    #[error("unknown export format {0:?} (expected markdown, md, epub or json)")]
    UnknownFormat(String),
}

impl From<serde_json::Error> for ExportError {
    /// I/O failures keep their kind; everything else is a JSON error.
    fn from(error: serde_json::Error) -> Self {
        if error.is_io() {
            Self::Io(error.into())
        } else {
            Self::Json(error)
        }
    }
}

impl ExportError {
    /// A convenience constructor for [`ExportError::InvalidField`].
    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Self::InvalidField {
            field,
            reason: reason.into(),
        }
    }
}
