//! A seekable window over a plain `Write`, so the zip writer can patch each entry's local
//! header (sizes and CRC) without data descriptors, while the output stays a stream.

use std::io::{self, ErrorKind, Read, Seek, SeekFrom, Write};

/// Keeps the bytes written since the last [`Write::flush`] in memory, where seeks may move
/// and writes may overwrite; `flush` hands them to the inner writer. The zip writer, with
/// `set_flush_on_finish_file(true)`, flushes after each finished entry, so at most one
/// entry (one chapter) is held at a time. Seeking into bytes already handed on fails.
#[derive(Debug)]
pub(crate) struct Spool<W: Write> {
    inner: W,
    /// Bytes already handed to `inner`.
    sent: u64,
    pending: Vec<u8>,
    /// Write position inside `pending`.
    cursor: usize,
}

impl<W: Write> Spool<W> {
    /// An empty spool in front of `inner`.
    pub(crate) fn new(inner: W) -> Self {
        Self {
            inner,
            sent: 0,
            pending: Vec::new(),
            cursor: 0,
        }
    }

    /// Hands on whatever is still held and returns the inner writer.
    pub(crate) fn into_inner(mut self) -> io::Result<W> {
        self.inner.write_all(&self.pending)?;
        Ok(self.inner)
    }
}

impl<W: Write> Write for Spool<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let overlap = buf.len().min(self.pending.len() - self.cursor);
        self.pending[self.cursor..self.cursor + overlap].copy_from_slice(&buf[..overlap]);
        self.pending.extend_from_slice(&buf[overlap..]);
        self.cursor += buf.len();
        Ok(buf.len())
    }

    /// Hands the held bytes on, unless the position is not at their end (a header patch in
    /// progress): then they stay until the next flush.
    fn flush(&mut self) -> io::Result<()> {
        if self.cursor == self.pending.len() && !self.pending.is_empty() {
            self.inner.write_all(&self.pending)?;
            self.sent += self.pending.len() as u64;
            self.pending.clear();
            self.cursor = 0;
        }
        self.inner.flush()
    }
}

/// Only there because `ZipWriter::set_flush_on_finish_file` is defined for readable
/// writers; the zip writer reads back only in `deep_copy_file` and `finish_into_readable`,
/// which the EPUB writer never calls. Reading always fails.
impl<W: Write> Read for Spool<W> {
    fn read(&mut self, _buf: &mut [u8]) -> io::Result<usize> {
        Err(io::Error::new(
            ErrorKind::Unsupported,
            "an export stream cannot be read back",
        ))
    }
}

impl<W: Write> Seek for Spool<W> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        let start = i128::from(self.sent);
        let end = start + self.pending.len() as i128;
        let target = match pos {
            SeekFrom::Start(at) => i128::from(at),
            SeekFrom::Current(delta) => start + self.cursor as i128 + i128::from(delta),
            SeekFrom::End(delta) => end + i128::from(delta),
        };
        if !(start..=end).contains(&target) {
            return Err(io::Error::new(
                ErrorKind::Unsupported,
                "cannot seek outside the entry being written",
            ));
        }
        self.cursor = (target - start) as usize;
        Ok(target as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patches_held_bytes_and_hands_them_on_at_flush() {
        let mut spool = Spool::new(Vec::new());
        spool.write_all(b"head....body").unwrap();
        assert_eq!(spool.stream_position().unwrap(), 12);
        spool.seek(SeekFrom::Start(4)).unwrap();
        spool.write_all(b"1234").unwrap();
        spool.flush().unwrap();
        assert!(spool.inner.is_empty(), "flushed while patching");
        spool.seek(SeekFrom::End(0)).unwrap();
        spool.flush().unwrap();
        assert_eq!(spool.inner, b"head1234body");
        spool.write_all(b"tail").unwrap();
        assert_eq!(spool.seek(SeekFrom::Current(-4)).unwrap(), 12);
        assert_eq!(spool.seek(SeekFrom::End(0)).unwrap(), 16);
        assert_eq!(spool.into_inner().unwrap(), b"head1234bodytail");
    }

    #[test]
    fn cannot_seek_into_bytes_already_sent() {
        let mut spool = Spool::new(Vec::new());
        spool.write_all(b"abc").unwrap();
        spool.flush().unwrap();
        spool.write_all(b"de").unwrap();
        let err = spool.seek(SeekFrom::Start(2)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unsupported);
        assert!(spool.seek(SeekFrom::Current(1)).is_err());
        assert_eq!(spool.seek(SeekFrom::Start(3)).unwrap(), 3);
    }
}
