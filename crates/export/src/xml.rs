//! XML text escaping.

use crate::text::is_allowed;

/// Appends `text` to `out` escaped for XML text and attribute values: `&`, `<`, `>`, `"`
/// and `'` become references, and characters XML 1.0 forbids (control characters other
/// than tab, line feed and carriage return; U+FFFE, U+FFFF) are dropped.
pub(crate) fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if is_allowed(c) => out.push(c),
            _ => {}
        }
    }
}

/// `text` escaped as by [`escape_into`].
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_into(&mut out, text);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape(r#"Tom & "Jerry" <b>'s</b> ]]>"#),
            "Tom &amp; &quot;Jerry&quot; &lt;b&gt;&#39;s&lt;/b&gt; ]]&gt;"
        );
    }

    #[test]
    fn drops_characters_xml_forbids_and_keeps_the_rest() {
        assert_eq!(
            escape("a\u{0}b\u{8}\tc\u{b}\u{1f}\u{FFFE}“d” — é 😀"),
            "ab\tc“d” — é 😀"
        );
    }

    #[test]
    fn escaped_text_parses_back_to_the_allowed_characters() {
        let nasty = "&amp; <!-- x --> <![CDATA[ y ]]> \u{1} \"' &#0;";
        let doc = format!("<p a=\"{0}\">{0}</p>", escape(nasty));
        let parsed = roxmltree::Document::parse(&doc).unwrap();
        let expected: String = nasty.chars().filter(|&c| is_allowed(c)).collect();
        assert_eq!(parsed.root_element().text(), Some(expected.as_str()));
        assert_eq!(
            parsed.root_element().attribute("a"),
            Some(expected.as_str())
        );
    }
}
