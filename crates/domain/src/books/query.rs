//! The query strings of the book routes: `?job_id=` on both, `?format=` on the export.

use fabula_export::Format;

use super::error::BookError;
use crate::pipeline::JobId;

/// `GET /api/v1/stories/{id}/analysis[?job_id=]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnalysisQuery {
    /// The job whose book to analyse; `None`: the story's newest completed job.
    pub job_id: Option<JobId>,
}

/// `GET /api/v1/stories/{id}/export?format=markdown|epub|json[&job_id=]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportQuery {
    /// The format to export.
    pub format: Format,
    /// The job whose book to export; `None`: the story's newest completed job.
    pub job_id: Option<JobId>,
}

impl AnalysisQuery {
    /// Reads a query string (without the `?`); unknown parameters are ignored.
    pub fn parse(query: &str) -> Result<Self, BookError> {
        Ok(Self {
            job_id: job_id(query)?,
        })
    }
}

impl ExportQuery {
    /// Reads a query string (without the `?`). The format is required and names one of
    /// [`Format::ALL`] (`md` is accepted for `markdown`); a bad format is reported before
    /// a bad job id.
    pub fn parse(query: &str) -> Result<Self, BookError> {
        let format = match param(query, "format") {
            None => return Err(BookError::MissingFormat),
            Some(name) => {
                Format::parse(&name).map_err(|_| BookError::UnknownFormat(clip(name.trim())))?
            }
        };
        Ok(Self {
            format,
            job_id: job_id(query)?,
        })
    }
}

/// The formats an export accepts, as listed in errors: `markdown, epub, json`.
pub fn accepted_formats() -> String {
    Format::ALL
        .iter()
        .map(|f| f.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `?job_id=`: absent or empty is `None`; anything but a job id is an error.
fn job_id(query: &str) -> Result<Option<JobId>, BookError> {
    match param(query, "job_id") {
        None => Ok(None),
        Some(text) => JobId::parse(text.trim())
            .map(Some)
            .ok_or_else(|| BookError::InvalidJobId(clip(&text))),
    }
}

/// The last non-empty value of parameter `name`.
fn param(query: &str, name: &str) -> Option<String> {
    form_urlencoded::parse(query.as_bytes())
        .filter(|(key, _)| key == name)
        .last()
        .map(|(_, value)| value.into_owned())
        .filter(|value| !value.trim().is_empty())
}

/// At most 64 characters of a caller's value, for an error message.
fn clip(value: &str) -> String {
    value.chars().take(64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_analysis_takes_an_optional_job_id() {
        assert_eq!(AnalysisQuery::parse("").unwrap().job_id, None);
        assert_eq!(AnalysisQuery::parse("job_id=&x=1").unwrap().job_id, None);
        let id = JobId::generate();
        assert_eq!(
            AnalysisQuery::parse(&format!("job_id={id}"))
                .unwrap()
                .job_id,
            Some(id)
        );
        assert_eq!(
            AnalysisQuery::parse("job_id=42"),
            Err(BookError::InvalidJobId("42".into()))
        );
    }

    #[test]
    fn the_export_needs_a_known_format() {
        let id = JobId::generate();
        let query = ExportQuery::parse(&format!("format=EPUB&job_id={id}")).unwrap();
        assert_eq!((query.format, query.job_id), (Format::Epub, Some(id)));
        assert_eq!(
            ExportQuery::parse("format=md").unwrap().format,
            Format::Markdown
        );
        assert_eq!(ExportQuery::parse("format=json").unwrap().job_id, None);
        assert_eq!(ExportQuery::parse(""), Err(BookError::MissingFormat));
        assert_eq!(ExportQuery::parse("format="), Err(BookError::MissingFormat));
        assert_eq!(
            ExportQuery::parse("format=pdf%20please"),
            Err(BookError::UnknownFormat("pdf please".into()))
        );
        assert_eq!(
            ExportQuery::parse("format=pdf&job_id=nope"),
            Err(BookError::UnknownFormat("pdf".into())),
            "the format is checked first"
        );
        assert_eq!(
            ExportQuery::parse("format=json&job_id=nope"),
            Err(BookError::InvalidJobId("nope".into()))
        );
        assert_eq!(accepted_formats(), "markdown, epub, json");
    }
}
