//! The chat-completions request body and endpoint URL.

use serde_json::{Map, Value, json};

use crate::types::ChatRequest;

/// `origin` + `path` + `/chat/completions`, with exactly one `/` at each joint
/// (`http://127.0.0.1:11434` + `/v1` → `http://127.0.0.1:11434/v1/chat/completions`).
pub fn endpoint_url(origin: &str, path: &str) -> String {
    let origin = origin.trim().trim_end_matches('/');
    let path = path.trim().trim_matches('/');
    if path.is_empty() {
        format!("{origin}/chat/completions")
    } else {
        format!("{origin}/{path}/chat/completions")
    }
}

/// An absolute `http`/`https` URL as (scheme, authority, path with query); None otherwise.
pub fn split_url(url: &str) -> Option<(&str, &str, &str)> {
    let (scheme, rest) = url.split_once("://")?;
    if !(scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")) {
        return None;
    }
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, "/"),
    };
    (!authority.is_empty()).then_some((scheme, authority, path))
}

/// The JSON body: `model`, `messages`, `stream: false`, and `temperature`, `max_tokens`,
/// `stop`, `seed` when set. The temperature is rounded to three decimals (an `f32` such as
/// 0.7 would otherwise serialise as 0.699999988). The seed is sent as its low 31 bits, a
/// value every backend accepts (llama.cpp reads it as a 32-bit integer, OpenAI as int64).
pub fn request_body(request: &ChatRequest) -> Vec<u8> {
    let mut body = Map::new();
    body.insert("model".into(), json!(request.model));
    body.insert(
        "messages".into(),
        Value::Array(
            request
                .messages
                .iter()
                .map(|m| json!({"role": m.role.as_str(), "content": m.content}))
                .collect(),
        ),
    );
    body.insert("stream".into(), json!(false));
    if let Some(t) = request.temperature {
        let rounded = (f64::from(t) * 1000.0).round() / 1000.0;
        body.insert("temperature".into(), json!(rounded));
    }
    if let Some(max) = request.max_tokens {
        body.insert("max_tokens".into(), json!(max));
    }
    if !request.stop.is_empty() {
        body.insert("stop".into(), json!(request.stop));
    }
    if let Some(seed) = request.seed {
        body.insert("seed".into(), json!(seed & 0x7fff_ffff));
    }
    serde_json::to_vec(&Value::Object(body)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{Message, Role};

    #[test]
    fn urls_join_origin_and_path() {
        let expected = "http://127.0.0.1:11434/v1/chat/completions";
        assert_eq!(endpoint_url("http://127.0.0.1:11434", "/v1"), expected);
        assert_eq!(endpoint_url("http://127.0.0.1:11434/", "v1/"), expected);
        assert_eq!(
            endpoint_url("https://api.example.com", ""),
            "https://api.example.com/chat/completions"
        );
    }

    #[test]
    fn urls_split_into_scheme_authority_and_path() {
        assert_eq!(
            split_url("http://127.0.0.1:8080/v1/chat/completions"),
            Some(("http", "127.0.0.1:8080", "/v1/chat/completions"))
        );
        assert_eq!(
            split_url("https://example.com"),
            Some(("https", "example.com", "/"))
        );
        assert_eq!(split_url("ftp://example.com/x"), None);
        assert_eq!(split_url("127.0.0.1:8080/v1"), None);
        assert_eq!(split_url("http:///v1"), None);
    }

    #[test]
    fn the_body_carries_every_set_field() {
        let request = ChatRequest {
            model: "gpt-4o-mini".into(),
            messages: vec![
                Message {
                    role: Role::System,
                    content: "Task: outline@1".into(),
                },
                Message {
                    role: Role::User,
                    content: "Chapters: 3".into(),
                },
            ],
            temperature: Some(0.7),
            max_tokens: Some(512),
            stop: vec!["END".into()],
            seed: Some(u64::MAX),
        };
        let body: Value = serde_json::from_slice(&request_body(&request)).unwrap();
        assert_eq!(
            body,
            json!({
                "model": "gpt-4o-mini",
                "messages": [
                    {"role": "system", "content": "Task: outline@1"},
                    {"role": "user", "content": "Chapters: 3"}
                ],
                "stream": false,
                "temperature": 0.7,
                "max_tokens": 512,
                "stop": ["END"],
                "seed": 0x7fff_ffff_u64
            })
        );
    }

    #[test]
    fn unset_fields_are_left_out() {
        let body: Value = serde_json::from_slice(&request_body(&ChatRequest {
            model: "m".into(),
            ..ChatRequest::default()
        }))
        .unwrap();
        let keys: Vec<&str> = body
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, vec!["messages", "model", "stream"]);
    }
}
