//! The EPUB 3 export, written as a stream one chapter at a time.
//!
//! Layout: `mimetype` (first, stored, no extra field), `META-INF/container.xml`, and under
//! `EPUB/`: `package.opf`, `nav.xhtml`, `toc.ncx`, `style.css`, `title.xhtml` and one
//! `chapter-N.xhtml` per chapter. Every entry has its sizes and CRC in its local header (no
//! data descriptors), which the strictest streaming ZIP readers need: the zip writer patches
//! each header through [`spool::Spool`], which holds only the entry being written. Entries
//! are dated with the book's `modified_at`, so the same book gives the same bytes.

mod documents;
mod spool;

use std::io::Write;

use chrono::{DateTime, Datelike, Timelike};
use uuid::Uuid;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use self::documents::{Meta, ROOT};
use self::spool::Spool;
use crate::book::{ChapterOrder, utc_seconds};
use crate::{BookHeader, Chapter, ExportError};

/// Streams a book as an EPUB 3 file: [`EpubWriter::begin`] writes everything but the
/// chapters, each [`EpubWriter::chapter`] adds one chapter page, [`EpubWriter::finish`]
/// writes the ZIP directory. Output reaches the writer entry by entry: a chapter's bytes
/// are handed on when the next entry starts (at most one chapter is held in memory).
pub struct EpubWriter<W: Write> {
    /// Boxed: the zip writer carries a deflate state of several kilobytes.
    zip: Box<ZipWriter<Spool<W>>>,
    deflated: SimpleFileOptions,
    language: String,
    order: ChapterOrder,
    page: String,
}

impl<W: Write> EpubWriter<W> {
    /// Validates `header` and writes the container, package document, navigation, style
    /// sheet and title page.
    pub fn begin(out: W, header: &BookHeader) -> Result<Self, ExportError> {
        header.validate()?;
        let info = &header.info;
        let meta = Meta {
            header,
            identifier: identifier(&info.id),
            created: utc_seconds("created_at", &info.created_at)?,
            modified: utc_seconds("modified_at", &info.modified_at)?,
        };
        let stored = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Stored)
            .last_modified_time(zip_time(&meta.modified));
        let deflated = stored.compression_method(CompressionMethod::Deflated);
        let mut zip = Box::new(ZipWriter::new(Spool::new(out)));
        zip.set_flush_on_finish_file(true);
        add(&mut zip, "mimetype", stored, "application/epub+zip")?;
        let files = [
            (
                "META-INF/container.xml".to_owned(),
                documents::CONTAINER_XML.to_owned(),
            ),
            (format!("{ROOT}/package.opf"), documents::package_opf(&meta)),
            (format!("{ROOT}/nav.xhtml"), documents::nav_xhtml(&meta)),
            (format!("{ROOT}/toc.ncx"), documents::toc_ncx(&meta)),
            (format!("{ROOT}/style.css"), documents::STYLE_CSS.to_owned()),
            (format!("{ROOT}/title.xhtml"), documents::title_xhtml(&meta)),
        ];
        for (path, text) in files {
            add(&mut zip, &path, deflated, &text)?;
        }
        Ok(Self {
            zip,
            deflated,
            language: info.language.trim().to_owned(),
            order: ChapterOrder::new(&header.contents),
            page: String::new(),
        })
    }

    /// Adds the next chapter's page (it must be the next one in the contents).
    pub fn chapter(&mut self, chapter: &Chapter) -> Result<(), ExportError> {
        self.order.accept(chapter.number)?;
        documents::chapter_xhtml(&mut self.page, &self.language, chapter);
        let path = format!("{ROOT}/{}", documents::chapter_file(chapter.number));
        add(&mut self.zip, &path, self.deflated, &self.page)
    }

    /// Checks that every chapter of the contents was written, writes the ZIP central
    /// directory, flushes, and returns the output.
    pub fn finish(self) -> Result<W, ExportError> {
        self.order.finish()?;
        let mut out = self.zip.finish()?.into_inner()?;
        out.flush()?;
        Ok(out)
    }
}

fn add<W: Write>(
    zip: &mut ZipWriter<Spool<W>>,
    path: &str,
    options: SimpleFileOptions,
    text: &str,
) -> Result<(), ExportError> {
    zip.start_file(path, options)?;
    zip.write_all(text.as_bytes())?;
    Ok(())
}

/// The EPUB identifier: `urn:uuid:` and the id when it is a UUID, else a name-based (v5)
/// UUID of `fabula:book:<id>` in the URL namespace, so the same id always maps the same.
fn identifier(id: &str) -> String {
    let id = id.trim();
    let uuid = Uuid::try_parse(id).unwrap_or_else(|_| {
        Uuid::new_v5(&Uuid::NAMESPACE_URL, format!("fabula:book:{id}").as_bytes())
    });
    format!("urn:uuid:{uuid}")
}

/// The ZIP timestamp of `utc` (`CCYY-MM-DDThh:mm:ssZ`); 1980-01-01 when out of ZIP's range.
fn zip_time(utc: &str) -> zip::DateTime {
    DateTime::parse_from_rfc3339(utc)
        .ok()
        .and_then(|at| {
            zip::DateTime::from_date_and_time(
                u16::try_from(at.year()).ok()?,
                at.month() as u8,
                at.day() as u8,
                at.hour() as u8,
                at.minute() as u8,
                at.second() as u8,
            )
            .ok()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_uuid_urns() {
        assert_eq!(
            identifier(" 0190F5A0-0000-7000-8000-000000000001 "),
            "urn:uuid:0190f5a0-0000-7000-8000-000000000001"
        );
        let derived = identifier("story-42");
        assert_eq!(derived, identifier("story-42"));
        assert_ne!(derived, identifier("story-43"));
        let uuid = Uuid::parse_str(derived.strip_prefix("urn:uuid:").unwrap()).unwrap();
        assert_eq!(uuid.get_version_num(), 5);
    }

    #[test]
    fn zip_times_fall_back_outside_the_zip_range() {
        let at = zip_time("2025-02-01T07:30:05Z");
        assert_eq!((at.year(), at.month(), at.day()), (2025, 2, 1));
        assert_eq!((at.hour(), at.minute(), at.second()), (7, 30, 4));
        assert_eq!(zip_time("1970-01-01T00:00:00Z"), zip::DateTime::default());
    }
}
