//! `premise-analysis@1`: the prompt and the parser of its answer.

use std::sync::LazyLock;

use minijinja::context;
use serde_json::{Map, Value};

use crate::error::NarrativeError;
use crate::frame::StoryFrame;
use crate::json::{field, find_json, text, texts, unwrap_object};
use crate::prompts::{RenderedPrompt, Template, render};
use crate::spec::GenerationSpec;
use crate::story::{Character, Decision, Place, PremiseAnalysis};
use crate::style;
use crate::text::sentences;

const STAGE: &str = "premise";
const WHAT: &str = "premise analysis";
const KEYS: [&str; 8] = [
    "title",
    "logline",
    "genre",
    "tone",
    "setting",
    "themes",
    "characters",
    "places",
];

/// The answer's length limit: a full analysis with six characters fits well within it.
const MAX_TOKENS: u32 = 1500;

/// The `premise-analysis@1` prompt for `spec`.
pub fn premise_prompt(spec: &GenerationSpec) -> RenderedPrompt {
    let story = StoryFrame::new(spec, None);
    render(Template::PremiseAnalysis, context! { story }, MAX_TOKENS)
}

/// Reads a `premise-analysis@1` answer.
///
/// Tolerates fences and prose around the JSON, a wrapper object and missing fields, and
/// records every correction as a [`Decision`] (stage `premise`): a missing title comes from
/// the spec, the genre is always the requested one, a missing logline or tone is filled,
/// nameless or duplicate characters and places are dropped, missing roles are filled and a
/// protagonist is added when the answer names nobody.
///
/// # Errors
/// [`NarrativeError::Malformed`] when the answer holds no JSON object with any of the
/// analysis's fields.
pub fn parse_premise(
    spec: &GenerationSpec,
    answer: &str,
) -> Result<(PremiseAnalysis, Vec<Decision>), NarrativeError> {
    let has_fields = |value: &Value| {
        unwrap_object(value, &KEYS).is_some_and(|o| KEYS.iter().any(|k| field(o, k).is_some()))
    };
    let value = find_json(answer, has_fields).ok_or_else(|| {
        NarrativeError::malformed(WHAT, "no JSON object with any of the analysis's fields")
    })?;
    let object = unwrap_object(&value, &KEYS).unwrap_or(&NO_FIELDS);
    let mut decisions = Vec::new();
    let mut decide = |text: String| decisions.push(Decision::new(STAGE, text));

    let title = text(field(object, "title")).unwrap_or_else(|| {
        decide(format!(
            "The analysis gave no title; kept the story's title “{}”.",
            spec.title.trim()
        ));
        spec.title.trim().to_owned()
    });
    let genre = style::genre_key(&spec.genre).to_owned();
    if let Some(given) = text(field(object, "genre"))
        && style::genre_key(&given) != genre
    {
        decide(format!(
            "Kept the requested genre “{genre}”; the analysis suggested “{given}”."
        ));
    }
    let logline = text(field(object, "logline")).unwrap_or_else(|| {
        let first = sentences(&spec.premise)
            .into_iter()
            .next()
            .unwrap_or_default();
        decide("The analysis gave no logline; used the premise's first sentence.".to_owned());
        first
    });
    let tone = match (
        spec.style
            .tone
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty()),
        text(field(object, "tone")),
    ) {
        (_, Some(tone)) => tone,
        (Some(requested), None) => {
            decide(format!(
                "The analysis gave no tone; used the requested tone “{requested}”."
            ));
            requested.to_owned()
        }
        (None, None) => {
            let default = style::genre(&genre).tone.clone().unwrap_or_default();
            decide(format!(
                "The analysis gave no tone; used the {genre} default “{default}”."
            ));
            default
        }
    };
    let mut characters = read_characters(field(object, "characters"), &mut decide);
    if characters.is_empty() {
        let name = style::fallback_protagonist(spec.seed);
        decide(format!(
            "The analysis named no characters; added the protagonist “{name}”."
        ));
        characters.push(Character {
            name: name.to_owned(),
            role: "protagonist".to_owned(),
            description: "The story's central figure.".to_owned(),
            traits: Vec::new(),
        });
    }
    let places = read_places(field(object, "places"), &mut decide);

    let analysis = PremiseAnalysis {
        title,
        logline,
        genre,
        tone,
        setting: text(field(object, "setting")).unwrap_or_default(),
        themes: texts(field(object, "themes")),
        characters,
        places,
    };
    Ok((analysis, decisions))
}

fn entries(value: Option<&Value>) -> &[Value] {
    value.and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

static NO_FIELDS: LazyLock<Map<String, Value>> = LazyLock::new(Map::new);

/// An entry's name and fields; a bare string is an entry known only by its name.
fn name_and_fields(entry: &Value) -> (Option<String>, &Map<String, Value>) {
    match entry {
        Value::Object(object) => (text(field(object, "name")), object),
        Value::String(_) => (text(Some(entry)), &NO_FIELDS),
        _ => (None, &NO_FIELDS),
    }
}

fn read_characters(value: Option<&Value>, decide: &mut impl FnMut(String)) -> Vec<Character> {
    let mut characters: Vec<Character> = Vec::new();
    let mut nameless = 0;
    for entry in entries(value) {
        let (name, object) = name_and_fields(entry);
        let Some(name) = name else {
            nameless += 1;
            continue;
        };
        if characters
            .iter()
            .any(|c| c.name.eq_ignore_ascii_case(&name))
        {
            decide(format!("Dropped a second character named “{name}”."));
            continue;
        }
        let role = text(field(object, "role")).unwrap_or_else(|| {
            let role = if characters.is_empty() {
                "protagonist"
            } else {
                "supporting"
            };
            decide(format!("“{name}” had no role; set it to “{role}”."));
            role.to_owned()
        });
        characters.push(Character {
            name,
            role,
            description: text(field(object, "description")).unwrap_or_default(),
            traits: texts(field(object, "traits")),
        });
    }
    if nameless > 0 {
        decide(format!("Dropped {nameless} character(s) without a name."));
    }
    characters
}

fn read_places(value: Option<&Value>, decide: &mut impl FnMut(String)) -> Vec<Place> {
    let mut places: Vec<Place> = Vec::new();
    let mut unusable = 0;
    for entry in entries(value) {
        let (name, object) = name_and_fields(entry);
        match name {
            Some(name) if !places.iter().any(|p| p.name.eq_ignore_ascii_case(&name)) => {
                places.push(Place {
                    name,
                    description: text(field(object, "description")).unwrap_or_default(),
                });
            }
            _ => unusable += 1,
        }
    }
    if unusable > 0 {
        decide(format!(
            "Dropped {unusable} place(s) without a name or named twice."
        ));
    }
    places
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::StyleOptions;

    fn spec() -> GenerationSpec {
        GenerationSpec {
            title: "The Salt Road".into(),
            premise: "A cartographer maps a road that moves. Nobody believes her.".into(),
            genre: "fantasy".into(),
            chapters: 3,
            words_per_chapter: 1000,
            style: StyleOptions::default(),
            seed: 9,
        }
    }

    const FULL: &str = r#"{"title": "The Salt Road", "logline": "Mara must map the moving road before it swallows her town.",
        "genre": "fantasy", "tone": "wistful", "setting": "A salt desert.", "themes": ["home", "truth"],
        "characters": [{"name": "Mara Quill", "role": "protagonist", "description": "A cartographer.", "traits": ["stubborn"]},
                       {"name": "Ivo Brand", "role": "rival", "description": "A surveyor."}],
        "places": [{"name": "Saltmere", "description": "A town on the flats."}]}"#;

    #[test]
    fn a_complete_answer_is_taken_as_is_without_decisions() {
        let (analysis, decisions) = parse_premise(&spec(), FULL).unwrap();
        assert!(decisions.is_empty(), "{decisions:?}");
        assert_eq!(analysis.title, "The Salt Road");
        assert_eq!(analysis.tone, "wistful");
        assert_eq!(analysis.themes, ["home", "truth"]);
        assert_eq!(analysis.characters.len(), 2);
        assert_eq!(analysis.characters[0].traits, ["stubborn"]);
        assert_eq!(analysis.characters[1].traits, Vec::<String>::new());
        assert_eq!(analysis.places[0].name, "Saltmere");
    }

    #[test]
    fn fences_and_prose_around_the_json_are_ignored() {
        let noisy = format!(
            "Here is my analysis [1]:\n\n```json\n{FULL}\n```\n\nLet me know if you need more."
        );
        assert_eq!(
            parse_premise(&spec(), &noisy).unwrap(),
            parse_premise(&spec(), FULL).unwrap()
        );
        let wrapped = format!("{{\"analysis\": {FULL}}}");
        assert_eq!(
            parse_premise(&spec(), &wrapped).unwrap().0.title,
            "The Salt Road"
        );
    }

    #[test]
    fn missing_fields_are_filled_and_each_fill_is_a_decision() {
        let (analysis, decisions) = parse_premise(
            &spec(),
            r#"{"Setting": "A salt desert.", "genre": "Sci-Fi"}"#,
        )
        .unwrap();
        assert_eq!(analysis.title, "The Salt Road");
        assert_eq!(analysis.genre, "fantasy");
        assert_eq!(analysis.logline, "A cartographer maps a road that moves.");
        assert_eq!(analysis.tone, style::genre("fantasy").tone.clone().unwrap());
        assert_eq!(analysis.setting, "A salt desert.");
        assert_eq!(analysis.characters.len(), 1);
        assert_eq!(analysis.characters[0].role, "protagonist");
        assert_eq!(analysis.characters[0].name, style::fallback_protagonist(9));
        let texts: Vec<&str> = decisions.iter().map(|d| d.text.as_str()).collect();
        assert_eq!(decisions.len(), 5, "{texts:#?}");
        assert!(decisions.iter().all(|d| d.stage == "premise"));
        assert!(texts[0].contains("no title"));
        assert!(texts[1].contains("requested genre “fantasy”") && texts[1].contains("Sci-Fi"));
        assert!(texts[2].contains("no logline"));
        assert!(texts[3].contains("no tone"));
        assert!(texts[4].contains("added the protagonist"));
    }

    #[test]
    fn a_requested_tone_fills_a_missing_one() {
        let mut spec = spec();
        spec.style.tone = Some("wry".into());
        let (analysis, _) =
            parse_premise(&spec, r#"{"title": "X", "characters": ["Mara"]}"#).unwrap();
        assert_eq!(analysis.tone, "wry");
    }

    #[test]
    fn bad_cast_entries_are_dropped_and_roles_filled() {
        let answer = r#"{"title": "T", "characters": [
            {"name": "Mara"}, {"role": "ghost"}, {"name": "mara", "role": "twin"}, "Ivo", 42],
            "places": [{"description": "nameless"}, "Saltmere", {"name": "saltmere"}]}"#;
        let (analysis, decisions) = parse_premise(&spec(), answer).unwrap();
        let cast: Vec<(&str, &str)> = analysis
            .characters
            .iter()
            .map(|c| (c.name.as_str(), c.role.as_str()))
            .collect();
        assert_eq!(cast, [("Mara", "protagonist"), ("Ivo", "supporting")]);
        assert_eq!(analysis.places.len(), 1);
        let texts: Vec<&str> = decisions.iter().map(|d| d.text.as_str()).collect();
        assert!(
            texts
                .iter()
                .any(|t| t.contains("second character named “mara”")),
            "{texts:#?}"
        );
        assert!(
            texts
                .iter()
                .any(|t| t.contains("Dropped 2 character(s) without a name"))
        );
        assert!(texts.iter().any(|t| t.contains("Dropped 2 place(s)")));
    }

    #[test]
    fn unusable_answers_are_errors() {
        for answer in [
            "I cannot help with that.",
            "{\"error\": \"overloaded\"}",
            "[1, 2, 3]",
            "{\"title\": ",
        ] {
            assert!(
                matches!(
                    parse_premise(&spec(), answer),
                    Err(NarrativeError::Malformed { what: WHAT, .. })
                ),
                "{answer}"
            );
        }
    }
}
