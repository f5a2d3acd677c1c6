//! Books shared by the integration tests. Timestamps and ids are fixed, so every export of
//! them is byte-for-byte reproducible.

use fabula_export::{Book, BookInfo, Chapter};
use serde_json::json;

/// A four-chapter book with everything that needs escaping or rendering care: markup-like
/// text, quotes, ampersands, control characters, CRLF, emphasis, scene breaks, a blank
/// chapter title, non-Latin scripts.
pub fn tricky_book() -> Book {
    let chapters = vec![
        Chapter {
            number: 1,
            title: "Salt & <Iron>".into(),
            text: "“You’re late,” said Mara. *Again.*\r\n\r\n\
                   He shrugged: \"Tides don't wait & neither do I.\" The sign read <CLOSED> \
                   and somebody had scrawled ]]> beneath it.\n\n\
                   - Not a list, just a dash of thought.\n\n\
                   1984. A year nobody here remembered.\n\n\
                   # Not a heading, either.\n\n\
                   * * *\n\n\
                   The bell\u{0} rang\u{7} twice\u{1b}, then **stopped**."
                .into(),
        },
        Chapter {
            number: 2,
            title: String::new(),
            text: "A chapter without a title.\nIts lines wrap\nbut form one paragraph.\n\n\
                   She wrote 5 * 3 = 15 and *underlined* it; the *rest* was _noise_ and `code`."
                .into(),
        },
        Chapter {
            number: 3,
            title: "\"Quoted\" 'Title' — 東京".into(),
            text: "東京の夜。«Bonjour», dit-il. مرحبا 😀\n\n[link](http://example.com) \\ back\\slash &amp; &#169;"
                .into(),
        },
        Chapter {
            number: 4,
            title: "The End".into(),
            text: "They walked into the fog.".into(),
        },
    ];
    Book {
        info: BookInfo {
            id: "0190f5a0-1234-7abc-8def-0123456789ab".into(),
            title: "The Salt & the \"Sea\"".into(),
            subtitle: Some("A <novel> of tides".into()),
            author: Some("Tenant: Acme Books".into()),
            language: "en".into(),
            genre: Some("literary-fiction".into()),
            synopsis: Some(
                "A harbour town, a missing boat, and *one* promise.\n\nTwo paragraphs of copy."
                    .into(),
            ),
            created_at: "2025-01-31T12:00:00.000Z".into(),
            modified_at: "2025-02-01T08:30:15.250+01:00".into(),
        },
        chapters,
        metadata: json!({
            "bible": {"characters": [{"name": "Mara", "role": "lead"}]},
            "quality": {"distinct_2": 0.91},
            "continuity_alerts": []
        }),
    }
}

/// A book with only the required fields, no chapters, a non-English language and an id
/// that is not a UUID.
pub fn bare_book() -> Book {
    Book {
        info: BookInfo {
            id: "story-7".into(),
            title: "Blank Pages".into(),
            subtitle: None,
            author: None,
            language: "fr-CA".into(),
            genre: None,
            synopsis: Some("   ".into()),
            created_at: "2024-12-24T23:59:59Z".into(),
            modified_at: "2024-12-25T00:00:00Z".into(),
        },
        chapters: Vec::new(),
        metadata: serde_json::Value::Null,
    }
}
