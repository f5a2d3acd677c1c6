//! The versioned prompt registry: every template has a name and a version, its text lives in
//! `prompts/*.j2` (MiniJinja), and a rendered prompt always opens its system message with
//! `Task: <name>@<version>`.

use std::sync::LazyLock;

use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value};
use serde::{Deserialize, Serialize};

/// A prompt ready to send: a system and a user message plus sampling settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct RenderedPrompt {
    /// The template's id, `name@version` (e.g. `chapter@1`).
    pub template: String,
    /// The system message; its first line is `Task: <template>`.
    pub system: String,
    /// The user message: `Label: value` fields, `## Section` lists and free blocks.
    pub user: String,
    /// Sampling temperature.
    pub temperature: f32,
    /// Upper bound on the answer's tokens.
    pub max_tokens: u32,
}

/// A registered prompt template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PromptInfo {
    /// Task name, e.g. `chapter`.
    pub name: &'static str,
    /// Version; a change to a template's meaning gets a new version.
    pub version: u32,
    /// What the template asks for.
    pub description: &'static str,
}

impl PromptInfo {
    /// The id used on the wire and in [`RenderedPrompt::template`]: `name@version`.
    pub fn id(&self) -> String {
        format!("{}@{}", self.name, self.version)
    }
}

/// Every prompt template, in pipeline order.
pub fn registry() -> &'static [PromptInfo] {
    &REGISTRY
}

static REGISTRY: [PromptInfo; 6] = [
    Template::PremiseAnalysis.info(),
    Template::Outline.info(),
    Template::Chapter.info(),
    Template::Synopsis.info(),
    Template::Critique.info(),
    Template::Rewrite.info(),
];

/// The templates, each with its sampling temperature and sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Template {
    PremiseAnalysis,
    Outline,
    Chapter,
    Synopsis,
    Critique,
    Rewrite,
}

impl Template {
    const ALL: [Template; 6] = [
        Self::PremiseAnalysis,
        Self::Outline,
        Self::Chapter,
        Self::Synopsis,
        Self::Critique,
        Self::Rewrite,
    ];

    const fn info(self) -> PromptInfo {
        let (name, description) = match self {
            Self::PremiseAnalysis => (
                "premise-analysis",
                "Analyse the premise into title, logline, tone, setting, themes, characters and places (JSON).",
            ),
            Self::Outline => (
                "outline",
                "Plan every chapter: title, summary, beats and word budget (JSON).",
            ),
            Self::Chapter => (
                "chapter",
                "Write one chapter's prose from its beats with the story bible and earlier chapters as context.",
            ),
            Self::Synopsis => (
                "synopsis",
                "Write one or two paragraphs of back-cover copy from the chapter summaries.",
            ),
            Self::Critique => (
                "critique",
                "Critique a chapter that failed the quality gate: issues and suggestions (JSON).",
            ),
            Self::Rewrite => (
                "rewrite",
                "Revise a chapter following its critique, keeping beats and names.",
            ),
        };
        PromptInfo {
            name,
            version: 1,
            description,
        }
    }

    /// Lower for structured JSON answers, higher for prose.
    fn temperature(self) -> f32 {
        match self {
            Self::PremiseAnalysis => 0.4,
            Self::Outline => 0.5,
            Self::Chapter => 0.8,
            Self::Synopsis => 0.7,
            Self::Critique => 0.2,
            Self::Rewrite => 0.7,
        }
    }

    fn sources(self) -> (&'static str, &'static str) {
        match self {
            Self::PremiseAnalysis => (
                include_str!("../prompts/premise-analysis@1.system.j2"),
                include_str!("../prompts/premise-analysis@1.user.j2"),
            ),
            Self::Outline => (
                include_str!("../prompts/outline@1.system.j2"),
                include_str!("../prompts/outline@1.user.j2"),
            ),
            Self::Chapter => (
                include_str!("../prompts/chapter@1.system.j2"),
                include_str!("../prompts/chapter@1.user.j2"),
            ),
            Self::Synopsis => (
                include_str!("../prompts/synopsis@1.system.j2"),
                include_str!("../prompts/synopsis@1.user.j2"),
            ),
            Self::Critique => (
                include_str!("../prompts/critique@1.system.j2"),
                include_str!("../prompts/critique@1.user.j2"),
            ),
            Self::Rewrite => (
                include_str!("../prompts/rewrite@1.system.j2"),
                include_str!("../prompts/rewrite@1.user.j2"),
            ),
        }
    }
}

/// Pieces shared by several templates, included by name.
const PARTIALS: [(&str, &str); 5] = [
    ("characters", include_str!("../prompts/_characters.j2")),
    ("places", include_str!("../prompts/_places.j2")),
    ("beats", include_str!("../prompts/_beats.j2")),
    (
        "chapter_fields",
        include_str!("../prompts/_chapter_fields.j2"),
    ),
    ("voice", include_str!("../prompts/_voice.j2")),
];

/// All templates, compiled once. Strict undefined variables turn a template typo into an
/// error that the snapshot tests catch; block tags leave no blank lines behind.
static ENV: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| AutoEscape::None);
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.set_keep_trailing_newline(true);
    for (name, source) in PARTIALS {
        env.add_template(name, source)
            .expect("prompt partials compile (checked by the prompt tests)");
    }
    for template in Template::ALL {
        let id = template.info().id();
        let (system, user) = template.sources();
        env.add_template_owned(format!("{id}/system"), system)
            .expect("prompt templates compile (checked by the prompt tests)");
        env.add_template_owned(format!("{id}/user"), user)
            .expect("prompt templates compile (checked by the prompt tests)");
    }
    env
});

/// Renders `template` with `context`. Both messages are trimmed at the end; the system
/// message is prefixed with the task line.
///
/// The contexts are built from typed values, so rendering cannot fail for any input; a
/// template bug fails every test that renders the template.
pub(crate) fn render(template: Template, context: Value, max_tokens: u32) -> RenderedPrompt {
    let id = template.info().id();
    let message = |part: &str| {
        ENV.get_template(&format!("{id}/{part}"))
            .and_then(|t| t.render(&context))
            .unwrap_or_else(|e| panic!("prompt template {id}/{part} failed to render: {e:#}"))
            .trim_end()
            .to_owned()
    };
    RenderedPrompt {
        system: format!("Task: {id}\n{}", message("system")),
        user: message("user"),
        template: id,
        temperature: template.temperature(),
        max_tokens,
    }
}

/// `max_tokens` for prose of about `word_budget` words: ≈1.33 tokens per English word plus
/// 50% headroom (2 tokens per word), plus 256 (saturating).
pub(crate) fn prose_max_tokens(word_budget: u32) -> u32 {
    word_budget.saturating_mul(2).saturating_add(256)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_registry_lists_every_template_once_with_unique_ids() {
        let ids: Vec<String> = registry().iter().map(PromptInfo::id).collect();
        assert_eq!(
            ids,
            [
                "premise-analysis@1",
                "outline@1",
                "chapter@1",
                "synopsis@1",
                "critique@1",
                "rewrite@1"
            ]
        );
        assert!(registry().iter().all(|p| !p.description.is_empty()));
    }

    #[test]
    fn every_template_compiles() {
        for template in Template::ALL {
            let id = template.info().id();
            for part in ["system", "user"] {
                assert!(
                    ENV.get_template(&format!("{id}/{part}")).is_ok(),
                    "{id}/{part}"
                );
            }
        }
    }

    #[test]
    fn prose_budget_scales_with_words_and_saturates() {
        assert_eq!(prose_max_tokens(0), 256);
        assert_eq!(prose_max_tokens(2000), 4256);
        assert_eq!(prose_max_tokens(u32::MAX), u32::MAX);
    }
}
