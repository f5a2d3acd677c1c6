//! `critique@1` and `rewrite@1`: revising a chapter that failed the quality gate.

use minijinja::context;
use serde::Serialize;
use serde_json::Value;

use crate::error::NarrativeError;
use crate::frame::{self, ChapterView, StoryFrame};
use crate::json::{field, find_json, texts, unwrap_object};
use crate::prompts::{RenderedPrompt, Template, prose_max_tokens, render};
use crate::spec::GenerationSpec;
use crate::story::{ChapterPlan, Critique, PremiseAnalysis};
use crate::text::one_line;

const WHAT: &str = "critique";

/// The answer's length limit for a critique.
const CRITIQUE_MAX_TOKENS: u32 = 800;

/// The `critique@1` prompt: the chapter's plan and text, with the quality gate's `problems`
/// listed in the system message for the editor to cover.
pub fn critique_prompt(
    spec: &GenerationSpec,
    plan: &ChapterPlan,
    text: &str,
    problems: &[String],
) -> RenderedPrompt {
    let context = context! {
        story => StoryFrame::new(spec, None),
        chapter => ChapterView::new(plan),
        problems => frame::lines(problems),
        text => text.trim(),
    };
    render(Template::Critique, context, CRITIQUE_MAX_TOKENS)
}

/// Reads a `critique@1` answer: the JSON `{"issues": [...], "suggestions": [...]}` (either
/// list may be missing or a single string), or, when the answer has no JSON, its bullet
/// lines (`- `, `* `, `• `, `1. `) as issues.
///
/// # Errors
/// [`NarrativeError::Malformed`] when the JSON has neither list, or an answer without JSON
/// has no bullet line.
pub fn parse_critique(answer: &str) -> Result<Critique, NarrativeError> {
    if let Some(critique) =
        find_json(answer, |v| critique_of(v).is_some()).and_then(|v| critique_of(&v))
    {
        return Ok(critique);
    }
    let issues: Vec<String> = answer.lines().filter_map(bullet).collect();
    if issues.is_empty() {
        return Err(NarrativeError::malformed(
            WHAT,
            "no JSON with \"issues\" or \"suggestions\", and no bullet list",
        ));
    }
    Ok(Critique {
        issues,
        suggestions: Vec::new(),
    })
}

/// The critique in a JSON value: an object with `issues` or `suggestions`, or a list of
/// strings (the issues).
fn critique_of(value: &Value) -> Option<Critique> {
    if let Value::Array(items) = value {
        return items.iter().any(Value::is_string).then(|| Critique {
            issues: texts(Some(value)),
            suggestions: Vec::new(),
        });
    }
    let object = unwrap_object(value, &["issues", "suggestions"])?;
    let (issues, suggestions) = (field(object, "issues"), field(object, "suggestions"));
    (issues.is_some() || suggestions.is_some()).then(|| Critique {
        issues: texts(issues),
        suggestions: texts(suggestions),
    })
}

/// The item of a bullet line (`- x`, `* x`, `• x`, `12. x`), if it is one and not empty.
fn bullet(line: &str) -> Option<String> {
    let line = line.trim();
    let item = line
        .strip_prefix(['-', '*', '•'])
        .or_else(|| {
            let rest = line.trim_start_matches(|c: char| c.is_ascii_digit());
            (rest.len() < line.len())
                .then(|| rest.strip_prefix(['.', ')']))
                .flatten()
        })?
        .strip_prefix(' ')?;
    Some(one_line(item)).filter(|i| !i.is_empty())
}

/// The `## Critique` block of a rewrite prompt.
#[derive(Serialize)]
struct CritiqueView {
    issues: Vec<String>,
    suggestions: Vec<String>,
}

/// The `rewrite@1` prompt: the chapter's plan, cast and places, the critique (`- Issue:` and
/// `- Suggestion:` lines under `## Critique`) and the text to revise. `max_tokens` follows
/// the chapter's word budget like `chapter@1`.
pub fn rewrite_prompt(
    spec: &GenerationSpec,
    analysis: &PremiseAnalysis,
    plan: &ChapterPlan,
    text: &str,
    critique: &Critique,
) -> RenderedPrompt {
    let context = context! {
        story => StoryFrame::new(spec, Some(analysis)),
        chapter => ChapterView::new(plan),
        characters => frame::characters(&analysis.characters),
        places => frame::places(&analysis.places),
        critique => CritiqueView {
            issues: frame::lines(&critique.issues),
            suggestions: frame::lines(&critique.suggestions),
        },
        text => text.trim(),
    };
    render(
        Template::Rewrite,
        context,
        prose_max_tokens(plan.word_budget),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_json_critique_through_noise() {
        let answer = "Here is my critique:\n```json\n{\"issues\": [\"The second paragraph repeats the first.\"], \"suggestions\": \"Cut it.\"}\n```";
        assert_eq!(
            parse_critique(answer).unwrap(),
            Critique {
                issues: vec!["The second paragraph repeats the first.".into()],
                suggestions: vec!["Cut it.".into()],
            }
        );
        let only_issues = parse_critique("{\"Issues\": [\"Flat.\", \"\"]}").unwrap();
        assert_eq!(only_issues.issues, ["Flat."]);
        assert!(only_issues.suggestions.is_empty());
        assert_eq!(
            parse_critique("[\"Too long.\"]").unwrap().issues,
            ["Too long."]
        );
    }

    #[test]
    fn falls_back_to_bullet_lines_without_json() {
        let answer = "Problems:\n- The dialogue is flat.\n* Ivo's eyes change colour.\n2. The ending repeats\n   the opening.\n-not a bullet\nThanks!";
        assert_eq!(
            parse_critique(answer).unwrap().issues,
            [
                "The dialogue is flat.",
                "Ivo's eyes change colour.",
                "The ending repeats"
            ]
        );
    }

    #[test]
    fn unusable_critiques_are_errors() {
        for answer in ["Looks fine to me.", "{\"verdict\": \"ok\"}", ""] {
            assert!(
                matches!(
                    parse_critique(answer),
                    Err(NarrativeError::Malformed {
                        what: "critique",
                        ..
                    })
                ),
                "{answer}"
            );
        }
    }
}
