//! The text of every file in the EPUB: container, package document, navigation (EPUB 3
//! nav and EPUB 2 NCX), style sheet, title page and chapter pages.

use std::fmt::Write as _;

use crate::book::{heading, present};
use crate::text::{Block, Style, blocks, plain, spans};
use crate::xml::{escape, escape_into};
use crate::{BookHeader, Chapter};

/// Folder of the publication's files inside the container.
pub(crate) const ROOT: &str = "EPUB";

/// `META-INF/container.xml`, pointing at the package document.
pub(crate) const CONTAINER_XML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
  <rootfiles>
    <rootfile full-path="EPUB/package.opf" media-type="application/oebps-package+xml"/>
  </rootfiles>
</container>
"#;

/// `style.css`: readable defaults, indented paragraphs, centred headings.
pub(crate) const STYLE_CSS: &str = "body { margin: 0 5%; line-height: 1.5; }
h1, h2 { text-align: center; font-weight: normal; page-break-after: avoid; }
h1 { margin: 2em 0 1.5em; }
p { margin: 0; text-indent: 1.5em; text-align: justify; }
h1 + p, h2 + p, hr + p { text-indent: 0; }
hr.scene-break { width: 30%; margin: 1.5em auto; border: 0; border-top: 1px solid; }
.title-page { text-align: center; margin-top: 20%; }
.title-page p { text-indent: 0; text-align: center; margin: 1em 0; }
.subtitle { font-style: italic; }
.author { font-variant: small-caps; }
";

/// What the documents need besides the header: validated, normalised values.
pub(crate) struct Meta<'a> {
    /// The book's header.
    pub(crate) header: &'a BookHeader,
    /// `urn:uuid:...`.
    pub(crate) identifier: String,
    /// `created_at` as `CCYY-MM-DDThh:mm:ssZ`.
    pub(crate) created: String,
    /// `modified_at` as `CCYY-MM-DDThh:mm:ssZ`.
    pub(crate) modified: String,
}

impl Meta<'_> {
    fn lang(&self) -> String {
        escape(self.header.info.language.trim())
    }

    fn title(&self) -> String {
        escape(self.header.info.title.trim())
    }
}

/// File name (relative to [`ROOT`]) of chapter `number`'s page.
pub(crate) fn chapter_file(number: u32) -> String {
    format!("chapter-{number}.xhtml")
}

/// The package document (`package.opf`): metadata, manifest and spine.
pub(crate) fn package_opf(meta: &Meta<'_>) -> String {
    let info = &meta.header.info;
    let mut opf = String::new();
    let _ = write!(
        opf,
        r##"<?xml version="1.0" encoding="UTF-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="book-id" xml:lang="{lang}">
  <metadata xmlns:dc="http://purl.org/dc/elements/1.1/">
    <dc:identifier id="book-id">{id}</dc:identifier>
    <dc:title id="title">{title}</dc:title>
    <meta refines="#title" property="title-type">main</meta>
"##,
        lang = meta.lang(),
        id = escape(&meta.identifier),
        title = meta.title(),
    );
    if let Some(subtitle) = present(&info.subtitle) {
        let _ = write!(
            opf,
            r##"    <dc:title id="subtitle">{}</dc:title>
    <meta refines="#subtitle" property="title-type">subtitle</meta>
"##,
            escape(subtitle)
        );
    }
    let _ = writeln!(opf, "    <dc:language>{}</dc:language>", meta.lang());
    let optional = [
        ("creator", present(&info.author).map(str::to_owned)),
        ("subject", present(&info.genre).map(str::to_owned)),
        ("description", present(&info.synopsis).map(plain)),
    ];
    for (element, value) in optional {
        if let Some(value) = value {
            let _ = writeln!(opf, "    <dc:{element}>{}</dc:{element}>", escape(&value));
        }
    }
    let _ = write!(
        opf,
        r#"    <dc:date>{created}</dc:date>
    <meta property="dcterms:modified">{modified}</meta>
  </metadata>
  <manifest>
    <item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>
    <item id="ncx" href="toc.ncx" media-type="application/x-dtbncx+xml"/>
    <item id="style" href="style.css" media-type="text/css"/>
    <item id="title-page" href="title.xhtml" media-type="application/xhtml+xml"/>
"#,
        created = meta.created,
        modified = meta.modified,
    );
    for entry in &meta.header.contents {
        let _ = writeln!(
            opf,
            r#"    <item id="chapter-{n}" href="{file}" media-type="application/xhtml+xml"/>"#,
            n = entry.number,
            file = chapter_file(entry.number),
        );
    }
    opf.push_str(
        r#"  </manifest>
  <spine toc="ncx">
    <itemref idref="title-page"/>
    <itemref idref="nav"/>
"#,
    );
    for entry in &meta.header.contents {
        let _ = writeln!(opf, r#"    <itemref idref="chapter-{}"/>"#, entry.number);
    }
    opf.push_str("  </spine>\n</package>\n");
    opf
}

/// Opens an XHTML content document up to and including `<body>`.
fn open_xhtml(doc: &mut String, lang: &str, title: &str) {
    let _ = write!(
        doc,
        r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops" xml:lang="{lang}" lang="{lang}">
<head>
  <title>{title}</title>
  <link rel="stylesheet" type="text/css" href="style.css"/>
</head>
<body>
"#
    );
}

const CLOSE_XHTML: &str = "</body>\n</html>\n";

/// The navigation document: the table of contents (title page, then every chapter) and
/// landmarks for reading systems.
pub(crate) fn nav_xhtml(meta: &Meta<'_>) -> String {
    let mut doc = String::new();
    open_xhtml(&mut doc, &meta.lang(), "Contents");
    let _ = write!(
        doc,
        r#"  <nav epub:type="toc" id="toc">
    <h1>Contents</h1>
    <ol>
      <li><a href="title.xhtml">{}</a></li>
"#,
        meta.title()
    );
    for entry in &meta.header.contents {
        let _ = writeln!(
            doc,
            r#"      <li><a href="{}">{}</a></li>"#,
            chapter_file(entry.number),
            escape(&heading(entry.number, &entry.title)),
        );
    }
    doc.push_str(
        r#"    </ol>
  </nav>
  <nav epub:type="landmarks" id="landmarks" hidden="hidden">
    <ol>
      <li><a epub:type="titlepage" href="title.xhtml">Title page</a></li>
      <li><a epub:type="toc" href="nav.xhtml#toc">Contents</a></li>
"#,
    );
    if let Some(first) = meta.header.contents.first() {
        let _ = writeln!(
            doc,
            r#"      <li><a epub:type="bodymatter" href="{}">Start</a></li>"#,
            chapter_file(first.number)
        );
    }
    doc.push_str("    </ol>\n  </nav>\n");
    doc.push_str(CLOSE_XHTML);
    doc
}

/// The EPUB 2 NCX table of contents, for older reading systems.
pub(crate) fn toc_ncx(meta: &Meta<'_>) -> String {
    let mut ncx = String::new();
    let _ = write!(
        ncx,
        r#"<?xml version="1.0" encoding="UTF-8"?>
<ncx xmlns="http://www.daisy.org/z3986/2005/ncx/" version="2005-1" xml:lang="{lang}">
  <head>
    <meta name="dtb:uid" content="{id}"/>
    <meta name="dtb:depth" content="1"/>
    <meta name="dtb:totalPageCount" content="0"/>
    <meta name="dtb:maxPageNumber" content="0"/>
  </head>
  <docTitle><text>{title}</text></docTitle>
  <navMap>
    <navPoint id="nav-title-page" playOrder="1"><navLabel><text>{title}</text></navLabel><content src="title.xhtml"/></navPoint>
"#,
        lang = meta.lang(),
        id = escape(&meta.identifier),
        title = meta.title(),
    );
    for (index, entry) in meta.header.contents.iter().enumerate() {
        let _ = writeln!(
            ncx,
            r#"    <navPoint id="nav-chapter-{n}" playOrder="{order}"><navLabel><text>{label}</text></navLabel><content src="{file}"/></navPoint>"#,
            n = entry.number,
            order = index + 2,
            label = escape(&heading(entry.number, &entry.title)),
            file = chapter_file(entry.number),
        );
    }
    ncx.push_str("  </navMap>\n</ncx>\n");
    ncx
}

/// The title page: title, subtitle, author, then the synopsis.
pub(crate) fn title_xhtml(meta: &Meta<'_>) -> String {
    let info = &meta.header.info;
    let mut doc = String::new();
    open_xhtml(&mut doc, &meta.lang(), &meta.title());
    let _ = writeln!(
        doc,
        "  <section epub:type=\"titlepage\" class=\"title-page\">\n    <h1 class=\"title\">{}</h1>",
        meta.title()
    );
    for (class, value) in [("subtitle", &info.subtitle), ("author", &info.author)] {
        if let Some(value) = present(value) {
            let _ = writeln!(doc, "    <p class=\"{class}\">{}</p>", escape(value));
        }
    }
    doc.push_str("  </section>\n");
    if let Some(synopsis) = present(&info.synopsis) {
        doc.push_str("  <section class=\"synopsis\">\n    <h2>Synopsis</h2>\n");
        push_blocks(&mut doc, synopsis);
        doc.push_str("  </section>\n");
    }
    doc.push_str(CLOSE_XHTML);
    doc
}

/// Writes chapter `chapter`'s page into `doc` (cleared first).
pub(crate) fn chapter_xhtml(doc: &mut String, lang: &str, chapter: &Chapter) {
    doc.clear();
    let title = escape(&heading(chapter.number, &chapter.title));
    open_xhtml(doc, &escape(lang), &title);
    let _ = writeln!(
        doc,
        "  <section epub:type=\"chapter\" id=\"chapter-{}\">\n    <h1>{title}</h1>",
        chapter.number
    );
    push_blocks(doc, &chapter.text);
    doc.push_str("  </section>\n");
    doc.push_str(CLOSE_XHTML);
}

/// Appends prose as `<p>` paragraphs (with `<em>`/`<strong>`) and `<hr/>` scene breaks.
fn push_blocks(doc: &mut String, text: &str) {
    for block in blocks(text) {
        match block {
            Block::SceneBreak => doc.push_str("    <hr class=\"scene-break\"/>\n"),
            Block::Paragraph(paragraph) => {
                doc.push_str("    <p>");
                for (style, span) in spans(&paragraph) {
                    let tag = match style {
                        Style::Plain => None,
                        Style::Emphasis => Some("em"),
                        Style::Strong => Some("strong"),
                    };
                    if let Some(tag) = tag {
                        let _ = write!(doc, "<{tag}>");
                        escape_into(doc, span);
                        let _ = write!(doc, "</{tag}>");
                    } else {
                        escape_into(doc, span);
                    }
                }
                doc.push_str("</p>\n");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chapter_doc(text: &str) -> String {
        let mut doc = String::new();
        let chapter = Chapter {
            number: 7,
            title: "Fish & <Chips> \"today\"".into(),
            text: text.into(),
        };
        chapter_xhtml(&mut doc, "en-GB", &chapter);
        doc
    }

    #[test]
    fn chapter_pages_are_well_formed_and_keep_the_text() {
        let text = "“Stop,” she said. *Now.* A < B && C > D; 'quoted' \u{1}\u{b}end.\n\n\
                    ***\n\n**Bold** move.";
        let doc = chapter_doc(text);
        let parsed = roxmltree::Document::parse_with_options(
            &doc,
            roxmltree::ParsingOptions {
                allow_dtd: true,
                ..Default::default()
            },
        )
        .unwrap();
        let root = parsed.root_element();
        assert_eq!(
            root.attribute(("http://www.w3.org/XML/1998/namespace", "lang")),
            Some("en-GB")
        );
        let texts: Vec<String> = root
            .descendants()
            .filter(|n| n.has_tag_name("p") || n.has_tag_name("h1") || n.has_tag_name("hr"))
            .map(|n| {
                let inner: String = n
                    .descendants()
                    .filter(|d| d.is_text())
                    .filter_map(|d| d.text())
                    .collect();
                format!("{}:{inner}", n.tag_name().name())
            })
            .collect();
        assert_eq!(
            texts,
            [
                "h1:Chapter 7: Fish & <Chips> \"today\"",
                "p:“Stop,” she said. Now. A < B && C > D; 'quoted' end.",
                "hr:",
                "p:Bold move."
            ]
        );
        assert!(doc.contains("<em>Now.</em>"));
        assert!(doc.contains("<strong>Bold</strong> move."));
    }
}
