//! The export formats, their names, content types and file extensions.

use std::fmt;
use std::str::FromStr;

use crate::ExportError;

/// An export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// CommonMark with a title page and a linked table of contents.
    Markdown,
    /// An EPUB 3 e-book.
    Epub,
    /// The re-importable `fabula-book` JSON document.
    Json,
}

impl Format {
    /// Every format, in the order they are documented.
    pub const ALL: [Format; 3] = [Format::Markdown, Format::Epub, Format::Json];

    /// Parses a format name: `markdown` or `md`, `epub`, `json` (ASCII case-insensitive,
    /// surrounding whitespace ignored).
    pub fn parse(name: &str) -> Result<Self, ExportError> {
        let trimmed = name.trim();
        match trimmed.to_ascii_lowercase().as_str() {
            "markdown" | "md" => Ok(Self::Markdown),
            "epub" => Ok(Self::Epub),
            "json" => Ok(Self::Json),
            _ => Err(ExportError::UnknownFormat(trimmed.to_owned())),
        }
    }

    /// The canonical name, as accepted by [`Format::parse`].
    pub fn name(self) -> &'static str {
        match self {
            Self::Markdown => "markdown",
            Self::Epub => "epub",
            Self::Json => "json",
        }
    }

    /// The HTTP `Content-Type` of an export in this format.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Markdown => "text/markdown; charset=utf-8",
            Self::Epub => "application/epub+zip",
            Self::Json => "application/json",
        }
    }

    /// The file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Markdown => "md",
            Self::Epub => "epub",
            Self::Json => "json",
        }
    }

    /// A download file name for a book titled `title`: an ASCII slug of the title (letters
    /// and digits, runs of anything else become one `-`, at most 80 characters; `book` if
    /// nothing is left) plus this format's extension. Safe in a `Content-Disposition` header.
    pub fn file_name(self, title: &str) -> String {
        let mut slug = String::new();
        for c in title.chars() {
            if slug.len() >= 80 {
                break;
            }
            if c.is_ascii_alphanumeric() {
                slug.push(c.to_ascii_lowercase());
            } else if !slug.is_empty() && !slug.ends_with('-') {
                slug.push('-');
            }
        }
        let slug = slug.trim_end_matches('-');
        let stem = if slug.is_empty() { "book" } else { slug };
        format!("{stem}.{}", self.extension())
    }
}

impl FromStr for Format {
    type Err = ExportError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::parse(name)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_and_aliases_case_insensitively() {
        assert_eq!(Format::parse("markdown").unwrap(), Format::Markdown);
        assert_eq!(Format::parse(" MD ").unwrap(), Format::Markdown);
        assert_eq!(Format::parse("Epub").unwrap(), Format::Epub);
        assert_eq!("json".parse::<Format>().unwrap(), Format::Json);
        for format in Format::ALL {
            assert_eq!(Format::parse(&format.to_string()).unwrap(), format);
        }
    }

    #[test]
    fn rejects_unknown_names() {
        for bad in ["", "pdf", "epub3", "mark down"] {
            assert!(matches!(
                Format::parse(bad),
                Err(ExportError::UnknownFormat(name)) if name == bad.trim()
            ));
        }
    }

    #[test]
    fn content_types_and_extensions() {
        assert_eq!(Format::Epub.content_type(), "application/epub+zip");
        assert_eq!(
            Format::Markdown.content_type(),
            "text/markdown; charset=utf-8"
        );
        assert_eq!(Format::Json.content_type(), "application/json");
        let extensions: Vec<_> = Format::ALL.iter().map(|f| f.extension()).collect();
        assert_eq!(extensions, ["md", "epub", "json"]);
    }

    #[test]
    fn file_names_are_ascii_slugs() {
        assert_eq!(
            Format::Epub.file_name("The Lighthouse Keeper's \"Last\" Night!"),
            "the-lighthouse-keeper-s-last-night.epub"
        );
        assert_eq!(Format::Markdown.file_name("Étoile / 星"), "toile.md");
        assert_eq!(Format::Json.file_name("  ?? "), "book.json");
        let long = Format::Json.file_name(&"a".repeat(300));
        assert_eq!(long, format!("{}.json", "a".repeat(80)));
    }
}
