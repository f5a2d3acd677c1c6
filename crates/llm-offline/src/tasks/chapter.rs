//! `chapter@1` and `rewrite@1`: chapter prose that follows the `## Beats` in order, uses the
//! given characters and places, and lands close to `Word budget` words.
//!
//! Budget: each beat owns an equal share; a sentence is added while it brings the running
//! word count closer to the beat's cumulative target, so the total ends within half a
//! sentence of the budget. A deliberately repetitive draft (for exercising the quality gate)
//! fills every beat from the same three sentences.

use crate::dice::Dice;
use crate::english::{self, word_count};
use crate::lexicon;
use crate::prompt::Prompt;
use crate::prose::{Dialogue, Voice, Writer};
use crate::tasks::cast;
use crate::types::Error;

/// Budget when the prompt gives none (and, for a rewrite, no text to measure).
const DEFAULT_BUDGET: usize = 1000;
/// Largest budget honoured: more is capped (the answer stays a few hundred kilobytes).
const MAX_BUDGET: usize = 50_000;

/// Writes a first draft; `repetitive` selects the deliberately repetitive one.
pub fn chapter(prompt: &Prompt, dice: Dice, repetitive: bool) -> Result<String, Error> {
    let budget = budget(prompt, None)?;
    let beats = prompt.items("Beats").to_vec();
    Ok(compose(prompt, dice, &beats, budget, repetitive))
}

/// Writes a revision of `## Text`: fresh prose over the same beats (or, without beats, over
/// the original's paragraph openings), never repetitive.
pub fn rewrite(prompt: &Prompt, dice: Dice) -> Result<String, Error> {
    let original = prompt.block("Text").unwrap_or("");
    let budget = budget(prompt, Some(original))?;
    let mut beats = prompt.items("Beats").to_vec();
    if beats.is_empty() {
        beats = openings(original, 4);
    }
    Ok(compose(
        prompt,
        dice.derive("rewrite"),
        &beats,
        budget,
        false,
    ))
}

/// `Word budget`, else the original's length (rewrite), else the default; capped.
fn budget(prompt: &Prompt, original: Option<&str>) -> Result<usize, Error> {
    let given = prompt.number("Word budget")?.map(|b| b as usize);
    let measured = original.map(word_count).filter(|n| *n > 0);
    Ok(given.or(measured).unwrap_or(DEFAULT_BUDGET).min(MAX_BUDGET))
}

/// The first sentence of up to `count` paragraphs spread through `text`.
fn openings(text: &str, count: usize) -> Vec<String> {
    let paragraphs: Vec<&str> = text
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    let step = paragraphs.len().div_ceil(count).max(1);
    let mut seen: Vec<String> = Vec::new();
    for p in paragraphs.iter().step_by(step) {
        let first = p
            .split_inclusive(['.', '!', '?'])
            .next()
            .unwrap_or(p)
            .trim();
        if !first.is_empty() && !seen.iter().any(|s| s == first) {
            seen.push(first.to_owned());
        }
    }
    seen
}

/// The chapter text.
fn compose(
    prompt: &Prompt,
    mut dice: Dice,
    beats: &[String],
    budget: usize,
    repetitive: bool,
) -> String {
    let pack = lexicon::pack_for(prompt.field("Genre").unwrap_or(""));
    let voice = Voice::from_labels(prompt.field("Point of view"), prompt.field("Tense"));
    let people = cast::characters(prompt, pack, &mut dice, 3);
    let places = cast::places(prompt, pack, &mut dice, 2);
    let place_names: Vec<String> = places.iter().map(|p| p.name.clone()).collect();
    let (start_talk, keep_talking, max_run) =
        Dialogue::from_instructions(&prompt.instructions).rates();
    let mut writer = Writer::new(
        pack,
        voice,
        cast::figures(&people),
        place_names.clone(),
        dice,
    );
    let mut text = Text::default();

    let sections = beats.len().max(1);
    let mut rotation = 0usize;
    let mut loop_sentences: Vec<String> = Vec::new();
    if repetitive {
        loop_sentences = (0..3).map(|_| writer.narrative(0, 1)).collect();
    }
    for section in 0..sections {
        let target = budget * (section + 1) / sections;
        writer.new_paragraph();
        text.break_paragraph();
        // Who and where: the figures and place the beat names, else the next in turn.
        let beat = beats.get(section).map(String::as_str).unwrap_or("");
        let named: Vec<usize> = (0..writer.cast().len())
            .filter(|i| writer.cast()[*i].is_named_in(beat))
            .collect();
        let place = place_names
            .iter()
            .position(|p| beat.contains(&english::mid_sentence(p)) || beat.contains(p.as_str()))
            .unwrap_or(section);
        writer.set_place(place);
        if section == 0 && !repetitive && writer.dice().chance(50) {
            let opening = writer.scene(0, 1);
            text.push(opening, false);
        }
        if !beat.is_empty() {
            let narrator = writer.narrator_names();
            let names: Vec<&str> = narrator.iter().flatten().copied().collect();
            let sentence = english::voice_beat(
                beat,
                narrator.map(|_| (names.as_slice(), voice.person)),
                voice.tense,
            );
            writer.note_external(&sentence);
            text.push(sentence, false);
        }
        let mut turn = 0usize;
        // Consecutive lines of dialogue, and who spoke last to whom.
        let mut exchange = 0usize;
        let mut last_pair = (0usize, 1usize);
        loop {
            let focus = if named.is_empty() || writer.dice().chance(40) {
                0
            } else {
                named[turn % named.len()]
            };
            rotation += 1;
            let cast_size = writer.cast().len();
            let other = (0..cast_size)
                .map(|k| (rotation + k) % cast_size)
                .find(|i| *i != focus)
                .unwrap_or(0);
            turn += 1;
            let (sentence, spoken) = if repetitive {
                (loop_sentences[turn % loop_sentences.len()].clone(), false)
            } else if exchange < max_run
                && writer.dice().chance(if exchange == 0 {
                    start_talk
                } else {
                    keep_talking
                })
            {
                let (speaker, listener) = if exchange > 0 {
                    (last_pair.1, last_pair.0)
                } else if writer.dice().chance(50) {
                    (focus, other)
                } else {
                    (other, focus)
                };
                last_pair = (speaker, listener);
                (writer.dialogue(speaker, listener), true)
            } else {
                (writer.narrative(focus, other), false)
            };
            let (words, len) = (text.words, word_count(&sentence));
            if 2 * words + len > 2 * target {
                break;
            }
            if spoken {
                writer.new_paragraph();
            }
            let paragraph_full = text.sentences_in_paragraph >= writer.dice().between(3, 6);
            if paragraph_full && !spoken {
                writer.new_paragraph();
                text.break_paragraph();
            }
            text.push(sentence, spoken);
            exchange = if spoken { exchange + 1 } else { 0 };
        }
    }
    text.finish()
}

/// Paragraphs under construction, with a running word count.
#[derive(Default)]
struct Text {
    paragraphs: Vec<String>,
    current: String,
    sentences_in_paragraph: usize,
    words: usize,
    after_dialogue: bool,
}

impl Text {
    /// Adds a sentence; dialogue gets a paragraph of its own.
    fn push(&mut self, sentence: String, dialogue: bool) {
        if dialogue || self.after_dialogue {
            self.break_paragraph();
        }
        self.words += word_count(&sentence);
        if !self.current.is_empty() {
            self.current.push(' ');
        }
        self.current.push_str(&sentence);
        self.sentences_in_paragraph += 1;
        self.after_dialogue = dialogue;
    }

    fn break_paragraph(&mut self) {
        if !self.current.is_empty() {
            self.paragraphs.push(std::mem::take(&mut self.current));
        }
        self.sentences_in_paragraph = 0;
        self.after_dialogue = false;
    }

    fn finish(mut self) -> String {
        self.break_paragraph();
        self.paragraphs.join("\n\n")
    }
}
