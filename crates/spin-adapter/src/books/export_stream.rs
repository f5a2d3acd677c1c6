//! An export as a streamed response body: the writer's output is handed on chunk by chunk
//! while the chapters are read one at a time from SQLite, so a book is never held whole.
//!
//! The first chunk is everything before the chapters (title page and contents, or the
//! EPUB's container, package and navigation documents, or the JSON header); then one
//! chunk per chapter; the last is whatever the writer finishes with (the EPUB's central
//! directory, the JSON metadata). A failure after the head was sent can only end the body
//! early: it is logged, and the truncated export fails its format's own checks (a ZIP
//! without its directory, JSON without its closing brackets).

use std::cell::RefCell;
use std::io::{self, Write};
use std::rc::Rc;

use fabula_domain::TenantId;
use fabula_domain::books::{book_header, export_metadata};
use fabula_domain::pipeline::JobId;
use fabula_export::{BookWriter, Format};

use super::store::{BookStore, LoadedBook};
use crate::ApiError;
use crate::log::{Level, log};

/// The body of an export response: an iterator of chunks for
/// [`crate::api::Call::stream`].
pub struct ExportStream {
    store: BookStore,
    tenant: TenantId,
    job: JobId,
    /// The number of the last chapter written.
    after: u32,
    /// `None` once the export has finished (or failed).
    writer: Option<BookWriter<Sink>>,
    sink: Sink,
    metadata: serde_json::Value,
    request_id: String,
}

impl ExportStream {
    /// Starts the export of `book` in `format`: reads the contents and writes everything
    /// before the first chapter. Fails (before any byte is sent) if the book cannot be
    /// read or its header is not exportable.
    pub fn new(
        store: BookStore,
        book: &LoadedBook,
        format: Format,
        request_id: &str,
    ) -> Result<Self, ApiError> {
        let source = book.source();
        let header = book_header(&source, &book.details, store.contents(&book.job)?);
        let sink = Sink::default();
        let writer = BookWriter::begin(format, sink.clone(), &header)
            .map_err(|e| ApiError::internal(format!("export of job {}: {e}", book.job.id)))?;
        Ok(Self {
            store,
            tenant: book.job.tenant_id.clone(),
            job: book.job.id,
            after: 0,
            writer: Some(writer),
            sink,
            metadata: export_metadata(&source),
            request_id: request_id.to_owned(),
        })
    }

    /// Writes the next chapter, or finishes the export after the last one.
    fn advance(&mut self) {
        let Some(writer) = self.writer.as_mut() else {
            return;
        };
        let step = match self.store.chapter_after(&self.tenant, self.job, self.after) {
            Ok(Some(chapter)) => {
                self.after = chapter.number;
                writer.chapter(&chapter).map_err(|e| e.to_string())
            }
            Ok(None) => match self.writer.take() {
                Some(writer) => writer
                    .finish(&self.metadata)
                    .map(|_| ())
                    .map_err(|e| e.to_string()),
                None => Ok(()),
            },
            Err(e) => Err(e.to_string()),
        };
        if let Err(e) = step {
            self.writer = None;
            log(
                Level::Error,
                &self.request_id,
                format_args!(
                    "export of job {} ended early after chapter {}: {e}",
                    self.job, self.after
                ),
            );
        }
    }
}

impl Iterator for ExportStream {
    type Item = Vec<u8>;

    fn next(&mut self) -> Option<Vec<u8>> {
        loop {
            let pending = self.sink.take();
            if !pending.is_empty() {
                return Some(pending);
            }
            self.writer.as_ref()?;
            self.advance();
        }
    }
}

/// Where the writer's output collects until the stream hands it on.
#[derive(Debug, Clone, Default)]
struct Sink(Rc<RefCell<Vec<u8>>>);

impl Sink {
    /// Everything written since the last take.
    fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.0.borrow_mut())
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sink_hands_on_what_was_written_since_the_last_take() {
        let sink = Sink::default();
        let mut writer = sink.clone();
        writer.write_all(b"abc").unwrap();
        writer.write_all(b"de").unwrap();
        assert_eq!(sink.take(), b"abcde");
        assert!(sink.take().is_empty());
        writer.write_all(b"f").unwrap();
        assert_eq!(sink.take(), b"f");
    }
}
