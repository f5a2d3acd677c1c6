//! The EPUB export: container layout, snapshots of the package and navigation documents,
//! and validation with `epubcheck`.

mod common;

use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{bare_book, tricky_book};
use fabula_export::{Book, Format, write_book};
use zip::{CompressionMethod, ZipArchive};

fn epub(book: &Book) -> Vec<u8> {
    write_book(Format::Epub, book, Vec::new()).unwrap()
}

fn entry(bytes: &[u8], name: &str) -> String {
    let mut archive = ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut text = String::new();
    archive
        .by_name(name)
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    text
}

#[test]
fn mimetype_comes_first_stored_without_extra_field_or_data_descriptor() {
    let bytes = epub(&tricky_book());
    // Local file header: signature, flags at 6, method at 8, name length at 26, extra at 28.
    assert_eq!(&bytes[..4], b"PK\x03\x04");
    let u16_at = |at: usize| u16::from_le_bytes([bytes[at], bytes[at + 1]]);
    assert_eq!(u16_at(6) & 0x8, 0, "data descriptor flag set");
    assert_eq!(u16_at(8), 0, "mimetype compressed");
    assert_eq!(u16_at(26), 8);
    assert_eq!(u16_at(28), 0, "extra field present");
    assert_eq!(&bytes[30..38], b"mimetype");
    assert_eq!(&bytes[38..58], b"application/epub+zip");
}

#[test]
fn container_holds_every_document_in_order() {
    let bytes = epub(&tricky_book());
    let mut archive = ZipArchive::new(Cursor::new(bytes.as_slice())).unwrap();
    let mut names = Vec::new();
    let mut offsets = Vec::new();
    for index in 0..archive.len() {
        let file = archive.by_index(index).unwrap();
        names.push(file.name().unwrap().into_owned());
        offsets.push(file.header_start());
        if index > 0 {
            assert_eq!(file.compression(), CompressionMethod::Deflated, "{names:?}");
        }
    }
    assert!(offsets.is_sorted(), "entries out of order: {offsets:?}");
    assert_eq!(
        names,
        [
            "mimetype",
            "META-INF/container.xml",
            "EPUB/package.opf",
            "EPUB/nav.xhtml",
            "EPUB/toc.ncx",
            "EPUB/style.css",
            "EPUB/title.xhtml",
            "EPUB/chapter-1.xhtml",
            "EPUB/chapter-2.xhtml",
            "EPUB/chapter-3.xhtml",
            "EPUB/chapter-4.xhtml",
        ]
    );
}

#[test]
fn the_same_book_gives_the_same_bytes() {
    assert_eq!(epub(&tricky_book()), epub(&tricky_book()));
}

#[test]
fn package_document_snapshot() {
    insta::assert_snapshot!(entry(&epub(&tricky_book()), "EPUB/package.opf"));
}

#[test]
fn navigation_document_snapshot() {
    insta::assert_snapshot!(entry(&epub(&tricky_book()), "EPUB/nav.xhtml"));
}

#[test]
fn chapter_page_snapshot() {
    insta::assert_snapshot!(entry(&epub(&tricky_book()), "EPUB/chapter-1.xhtml"));
}

#[test]
fn bare_book_package_document_snapshot() {
    insta::assert_snapshot!(entry(&epub(&bare_book()), "EPUB/package.opf"));
}

/// The command that runs epubcheck, if it is on `PATH`. Debian installs it as a symlink to
/// a jar, which only runs directly where binfmt_misc is set up; so a jar runs via `java`.
fn epubcheck() -> Option<Command> {
    let path = std::env::var_os("PATH")?;
    let found = std::env::split_paths(&path)
        .map(|dir| dir.join("epubcheck"))
        .find(|candidate| candidate.is_file())?;
    let target = std::fs::canonicalize(&found).unwrap_or(found);
    Some(if target.extension().is_some_and(|ext| ext == "jar") {
        let mut java = Command::new("java");
        java.arg("-jar").arg(target);
        java
    } else {
        Command::new(target)
    })
}

fn write_temp(name: &str, bytes: &[u8]) -> PathBuf {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn epubcheck_finds_no_errors_or_warnings() {
    if epubcheck().is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "epubcheck is not on PATH (run scripts/install-test-deps.sh)"
        );
        eprintln!("note: epubcheck is not on PATH; skipping the EPUB validation");
        return;
    }
    for (name, book) in [("tricky.epub", tricky_book()), ("bare.epub", bare_book())] {
        let path = write_temp(name, &epub(&book));
        let output = epubcheck()
            .expect("epubcheck on PATH")
            .args(["--failonwarnings", "--locale", "en"])
            .arg(&path)
            .output()
            .expect("run epubcheck");
        let report = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        println!("{name}:\n{report}");
        assert!(output.status.success(), "{name}: {report}");
        assert!(
            report.contains("No errors or warnings detected"),
            "{name}: {report}"
        );
    }
}
