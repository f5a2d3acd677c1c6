//! Finding and reading JSON in a model's answer, tolerating the usual noise: code fences,
//! prose before and after, keys in another case or spelling, numbers given as strings.

use serde_json::{Map, Value};

/// The first JSON object or array in `answer` that `accept` takes, wherever it starts, so code
/// fences, prose around it and stray bracketed text (`[1]`, `{name}`) are passed over.
pub(crate) fn find_json(answer: &str, accept: impl Fn(&Value) -> bool) -> Option<Value> {
    answer
        .char_indices()
        .filter(|(_, c)| matches!(c, '{' | '['))
        .find_map(|(at, _)| {
            let mut values = serde_json::Deserializer::from_str(&answer[at..]).into_iter::<Value>();
            match values.next() {
                Some(Ok(value @ (Value::Object(_) | Value::Array(_)))) if accept(&value) => {
                    Some(value)
                }
                _ => None,
            }
        })
}

/// The value of `key` in `object`, matching keys without regard to case, spaces, `_` or `-`
/// (`word_budget`, `wordBudget` and `Word Budget` are one key). An exact match wins.
pub(crate) fn field<'a>(object: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    object.get(key).or_else(|| {
        let wanted = fold_key(key);
        object
            .iter()
            .find(|(k, _)| fold_key(k) == wanted)
            .map(|(_, v)| v)
    })
}

fn fold_key(key: &str) -> String {
    key.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// A non-empty, trimmed string (numbers and booleans are written out).
pub(crate) fn text(value: Option<&Value>) -> Option<String> {
    let text = match value? {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => return None,
    };
    (!text.is_empty()).then_some(text)
}

/// A list of non-empty strings: an array's string items, or a single string as one item.
pub(crate) fn texts(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Array(items)) => items.iter().filter_map(|v| text(Some(v))).collect(),
        other => text(other).into_iter().collect(),
    }
}

/// A whole number: a JSON number (fractions rounded), or a string whose first word is digits
/// with optional `,`/`_` separators (`"2,000 words"`). Negative numbers are `None`.
pub(crate) fn whole_number(value: Option<&Value>) -> Option<u64> {
    match value? {
        Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.is_finite() && *f >= 0.0 && *f < u64::MAX as f64)
                .map(|f| f.round() as u64)
        }),
        Value::String(s) => {
            let digits: String = s
                .split_whitespace()
                .next()?
                .chars()
                .filter(|c| !matches!(c, ',' | '_'))
                .collect();
            digits.parse().ok()
        }
        _ => None,
    }
}

/// `value` as an object; when it is an object holding nothing but one object (`{"outline":
/// {...}}`), that inner object.
pub(crate) fn unwrap_object<'a>(
    value: &'a Value,
    known: &[&str],
) -> Option<&'a Map<String, Value>> {
    let object = value.as_object()?;
    if known.iter().any(|k| field(object, k).is_some()) {
        return Some(object);
    }
    match object.values().collect::<Vec<_>>().as_slice() {
        [Value::Object(inner)] => Some(inner),
        _ => Some(object),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_json_behind_prose_and_fences() {
        let any = |_: &Value| true;
        let answer = "Sure! Here is the {analysis} you asked for:\n```json\n{\"a\": [1, 2]}\n```\nHope it helps {:}";
        assert_eq!(find_json(answer, any), Some(json!({"a": [1, 2]})));
        assert_eq!(
            find_json("[{\"x\": 1}] trailing", any),
            Some(json!([{"x": 1}]))
        );
        assert_eq!(find_json("no json here", any), None);
        assert_eq!(find_json("{\"truncated\": ", any), None);
    }

    #[test]
    fn values_the_caller_does_not_accept_are_skipped() {
        let objects = |v: &Value| v.is_object();
        assert_eq!(
            find_json("See [1] and [2]: {\"b\": true}", objects),
            Some(json!({"b": true}))
        );
        assert_eq!(find_json("[1, 2]", objects), None);
    }

    #[test]
    fn reads_fields_leniently() {
        let object = json!({"Word Budget": "2,500 words", "title": "  ", "n": 3.6, "neg": -1, "list": "one"});
        let object = object.as_object().unwrap();
        assert_eq!(whole_number(field(object, "word_budget")), Some(2500));
        assert_eq!(text(field(object, "title")), None);
        assert_eq!(whole_number(field(object, "n")), Some(4));
        assert_eq!(whole_number(field(object, "neg")), None);
        assert_eq!(texts(field(object, "list")), vec!["one"]);
        assert_eq!(texts(field(object, "missing")), Vec::<String>::new());
    }

    #[test]
    fn unwraps_a_single_wrapper_object_only_when_needed() {
        let wrapped = json!({"outline": {"chapters": []}});
        assert!(
            unwrap_object(&wrapped, &["chapters"])
                .unwrap()
                .contains_key("chapters")
        );
        let direct = json!({"chapters": [], "note": {}});
        assert!(
            unwrap_object(&direct, &["chapters"])
                .unwrap()
                .contains_key("note")
        );
        assert!(unwrap_object(&json!([1]), &["chapters"]).is_none());
    }
}
