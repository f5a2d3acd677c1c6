//! `synopsis@1`: back-cover copy from the chapter summaries.

use minijinja::context;

use crate::context::Earlier;
use crate::frame::{self, StoryFrame};
use crate::prompts::{RenderedPrompt, Template, render};
use crate::spec::GenerationSpec;
use crate::story::{ChapterSummary, PremiseAnalysis};
use crate::text::one_line;

/// The answer's length limit: two paragraphs of copy fit well within it.
const MAX_TOKENS: u32 = 600;

/// The `synopsis@1` prompt: the analysis's cast and themes and every chapter's summary (in
/// chapter order, under `## Earlier chapters`).
pub fn synopsis_prompt(
    spec: &GenerationSpec,
    analysis: &PremiseAnalysis,
    summaries: &[ChapterSummary],
) -> RenderedPrompt {
    let mut earlier: Vec<Earlier> = summaries
        .iter()
        .map(|s| Earlier {
            number: s.number,
            text: Some(one_line(&s.summary))
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| one_line(&s.title)),
        })
        .filter(|e| !e.text.is_empty())
        .collect();
    earlier.sort_by_key(|e| e.number);
    let context = context! {
        story => StoryFrame::new(spec, Some(analysis)),
        characters => frame::characters(&analysis.characters),
        themes => frame::lines(&analysis.themes),
        earlier,
    };
    render(Template::Synopsis, context, MAX_TOKENS)
}
