//! The continuity ledger: what the story has established so far, updated chapter by
//! chapter, and the checks each new chapter is held to.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::alerts::{AlertDetail, ContinuityAlert, Established};
use super::extract::{
    Tok, acts, age_value, attributes, colour_families, died, hedged, introduced, lex, name_runs,
    person_evidence, place_context, recalls, time_events,
};
use super::lexicon::{EYE_COLOURS, HAIR_COLOURS, SPEECH_VERBS, has};
use super::timeline::Timeline;
use crate::dialogue::quoted_spans;
use crate::tokenize::{cite, paragraphs, sentences};

/// A fixed attribute of a character.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttributeKind {
    /// Eye colour.
    EyeColour,
    /// Hair colour.
    HairColour,
    /// Age in years.
    Age,
}

impl AttributeKind {
    /// Human label ("eye colour").
    pub fn label(self) -> &'static str {
        match self {
            Self::EyeColour => "eye colour",
            Self::HairColour => "hair colour",
            Self::Age => "age",
        }
    }

    /// Whether two values of this attribute can both be true. Ages compare as numbers.
    /// Colours compare by colour family ("hazel" is brown and green, "dark" hair is black
    /// and brown, "auburn" red and brown …); a value naming no known colour contradicts
    /// nothing.
    pub fn compatible(self, a: &str, b: &str) -> bool {
        let table = match self {
            Self::Age => return normalise_age(a) == normalise_age(b),
            Self::EyeColour => EYE_COLOURS,
            Self::HairColour => HAIR_COLOURS,
        };
        let (fa, fb) = (
            colour_families(&a.to_lowercase(), table),
            colour_families(&b.to_lowercase(), table),
        );
        fa.is_empty() || fb.is_empty() || fa.iter().any(|f| fb.contains(f))
    }
}

/// "thirty-four" → "34"; anything that is not a number is kept (trimmed, lowercase).
fn normalise_age(value: &str) -> String {
    let lower = value.trim().to_lowercase();
    age_value(&lower).map_or(lower, |n| n.to_string())
}

/// An attribute given in the story bible.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeedAttribute {
    /// Which attribute.
    pub kind: AttributeKind,
    /// Its value ("green", "34", "thirty-four").
    pub value: String,
}

/// A character known before the first chapter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CharacterSeed {
    /// Full name ("Elena Reyes"); each of its words also identifies the character.
    pub name: String,
    /// Other names ("Captain", "Lena").
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Fixed attributes from the bible.
    #[serde(default)]
    pub attributes: Vec<SeedAttribute>,
}

/// A fixed attribute in the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixedAttribute {
    /// Which attribute.
    pub kind: AttributeKind,
    /// The canon value.
    pub value: String,
    /// Where it was established.
    pub established: Established,
}

/// A character in the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CharacterEntry {
    /// Canonical name.
    pub name: String,
    /// Other names.
    pub aliases: Vec<String>,
    /// Fixed attributes established so far.
    pub attributes: Vec<FixedAttribute>,
    /// Where the character entered the ledger.
    pub introduced: Established,
    /// Where the character's death was recorded.
    pub death: Option<Established>,
}

/// A place in the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaceEntry {
    /// The place's name.
    pub name: String,
    /// Where it entered the ledger.
    pub introduced: Established,
}

/// The timeline as it was when a chapter started, to re-ingest that chapter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Checkpoint {
    chapter: u32,
    timeline: Timeline,
}

/// Characters, places, fixed attributes, deaths and the weekday timeline established so far.
/// Serialisable, to be stored with the story bible between pipeline steps.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Ledger {
    characters: Vec<CharacterEntry>,
    places: Vec<PlaceEntry>,
    timeline: Timeline,
    checkpoints: Vec<Checkpoint>,
}

/// What a name refers to in the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Found {
    Character(usize),
    Place,
    Ambiguous,
    Unknown,
}

/// A new name seen in a chapter, before it is classified.
#[derive(Debug, Clone)]
struct Candidate {
    name: String,
    words: Vec<String>,
    first_seen: usize,
    person: Option<usize>,
    introduced: bool,
    place: bool,
}

impl Ledger {
    /// An empty ledger.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a character from the story bible (merged into an entry of the same name).
    pub fn add_character(&mut self, seed: CharacterSeed) {
        let attributes = seed.attributes.into_iter().map(|a| FixedAttribute {
            value: if a.kind == AttributeKind::Age {
                normalise_age(&a.value)
            } else {
                a.value
            },
            kind: a.kind,
            established: Established::Bible,
        });
        let key = seed.name.to_lowercase();
        if let Some(entry) = self
            .characters
            .iter_mut()
            .find(|c| c.name.to_lowercase() == key)
        {
            entry.aliases.extend(seed.aliases);
            for a in attributes {
                if !entry.attributes.iter().any(|e| e.kind == a.kind) {
                    entry.attributes.push(a);
                }
            }
            return;
        }
        self.characters.push(CharacterEntry {
            name: seed.name,
            aliases: seed.aliases,
            attributes: attributes.collect(),
            introduced: Established::Bible,
            death: None,
        });
    }

    /// Adds a place from the story bible.
    pub fn add_place(&mut self, name: impl Into<String>) {
        self.places.push(PlaceEntry {
            name: name.into(),
            introduced: Established::Bible,
        });
    }

    /// Characters known so far (bible first, then in order of introduction).
    pub fn characters(&self) -> &[CharacterEntry] {
        &self.characters
    }

    /// Places known so far.
    pub fn places(&self) -> &[PlaceEntry] {
        &self.places
    }

    /// The weekday timeline.
    pub fn timeline(&self) -> &Timeline {
        &self.timeline
    }

    /// The character a name refers to (full name, alias, or words of one of them); `None`
    /// when unknown or ambiguous.
    pub fn character(&self, name: &str) -> Option<&CharacterEntry> {
        match self.lookup(name) {
            Found::Character(i) => self.characters.get(i),
            _ => None,
        }
    }

    /// Reads a chapter: records new characters and places, deaths, fixed attributes and
    /// time references, and returns the alerts it raises, in sentence order. Chapters are
    /// ingested in reading order; ingesting chapter `n` again (after a revision) first
    /// forgets what chapters `n` and later established.
    pub fn ingest_chapter(&mut self, number: u32, text: &str) -> Vec<ContinuityAlert> {
        self.forget_from(number);
        self.checkpoints.push(Checkpoint {
            chapter: number,
            timeline: self.timeline.clone(),
        });
        let sentences = sentences(text);
        let cited: Vec<String> = sentences.iter().map(|s| cite(s)).collect();
        let full: Vec<Vec<Tok<'_>>> = sentences.iter().map(|s| lex(s)).collect();
        let narration = narration(text, &sentences);
        let mut alerts = Vec::new();
        self.register_names(number, &full, &cited, &mut alerts);
        for (i, line) in narration.iter().enumerate() {
            self.read_sentence(number, &lex(line), &cited[i], i, &mut alerts);
        }
        alerts.sort_by_key(|&(i, _)| i);
        alerts.into_iter().map(|(_, a)| a).collect()
    }

    fn forget_from(&mut self, chapter: u32) {
        let before = |e: &Established| e.chapter().is_none_or(|n| n < chapter);
        self.characters.retain(|c| before(&c.introduced));
        self.places.retain(|p| before(&p.introduced));
        for c in &mut self.characters {
            c.attributes.retain(|a| before(&a.established));
            if c.death.as_ref().is_some_and(|d| !before(d)) {
                c.death = None;
            }
        }
        if let Some(pos) = self.checkpoints.iter().position(|cp| cp.chapter >= chapter) {
            self.timeline = self.checkpoints[pos].timeline.clone();
            self.checkpoints.truncate(pos);
        }
    }

    fn lookup(&self, name: &str) -> Found {
        let key = name.trim().to_lowercase();
        let names = |c: &CharacterEntry| {
            std::iter::once(c.name.to_lowercase())
                .chain(c.aliases.iter().map(|a| a.to_lowercase()))
                .collect::<Vec<_>>()
        };
        if let Some(i) = self.characters.iter().position(|c| names(c).contains(&key)) {
            return Found::Character(i);
        }
        if self.places.iter().any(|p| p.name.to_lowercase() == key) {
            return Found::Place;
        }
        let words: Vec<&str> = key.split_whitespace().collect();
        let covers = |all: &[String]| {
            let vocab: HashSet<&str> = all.iter().flat_map(|n| n.split_whitespace()).collect();
            words.iter().all(|w| vocab.contains(w))
        };
        let matches: Vec<usize> = (0..self.characters.len())
            .filter(|&i| covers(&names(&self.characters[i])))
            .collect();
        match matches.as_slice() {
            [i] => Found::Character(*i),
            [_, _, ..] => Found::Ambiguous,
            [] if self.places.iter().any(|p| covers(&[p.name.to_lowercase()])) => Found::Place,
            [] => Found::Unknown,
        }
    }

    /// Finds the chapter's new names, adds people and places, and flags people who were
    /// never introduced (see the module doc for the heuristic).
    fn register_names(
        &mut self,
        number: u32,
        full: &[Vec<Tok<'_>>],
        cited: &[String],
        alerts: &mut Vec<(usize, ContinuityAlert)>,
    ) {
        let runs: Vec<Vec<_>> = full.iter().map(|t| name_runs(t)).collect();
        let mid_sentence: HashSet<String> = runs
            .iter()
            .flatten()
            .filter(|r| !r.initial)
            .map(|r| r.core.to_lowercase())
            .collect();
        let mut candidates: Vec<Candidate> = Vec::new();
        for (i, (toks, sentence_runs)) in full.iter().zip(&runs).enumerate() {
            for run in sentence_runs {
                let key = run.core.to_lowercase();
                if self.lookup(&run.core) != Found::Unknown {
                    continue;
                }
                let speaks = toks
                    .get(run.end)
                    .is_some_and(|t| t.word && has(SPEECH_VERBS, &t.lower));
                let single = !key.contains(' ');
                if run.initial && single && !run.titled && !speaks && !mid_sentence.contains(&key) {
                    continue;
                }
                let pos = match candidates.iter().position(|c| c.name.to_lowercase() == key) {
                    Some(p) => p,
                    None => {
                        candidates.push(Candidate {
                            name: run.core.clone(),
                            words: key.split(' ').map(str::to_owned).collect(),
                            first_seen: i,
                            person: None,
                            introduced: false,
                            place: false,
                        });
                        candidates.len() - 1
                    }
                };
                let c = &mut candidates[pos];
                if person_evidence(toks, run) && c.person.is_none() {
                    c.person = Some(i);
                }
                c.introduced |= introduced(toks, run);
                c.place |= place_context(toks, run);
            }
        }
        for c in merge_partial_names(candidates) {
            if let Some(i) = c.person {
                self.characters.push(CharacterEntry {
                    name: c.name.clone(),
                    aliases: Vec::new(),
                    attributes: Vec::new(),
                    introduced: Established::Chapter {
                        chapter: number,
                        sentence: cited[i].clone(),
                    },
                    death: None,
                });
                if !c.introduced {
                    let detail = AlertDetail::NameFromNowhere { name: c.name };
                    alerts.push((i, ContinuityAlert::new(number, cited[i].clone(), detail)));
                }
            } else if c.place {
                self.places.push(PlaceEntry {
                    name: c.name,
                    introduced: Established::Chapter {
                        chapter: number,
                        sentence: cited[c.first_seen].clone(),
                    },
                });
            }
        }
    }

    /// Reads one sentence's narration for deaths, actions, attributes and time.
    fn read_sentence(
        &mut self,
        number: u32,
        toks: &[Tok<'_>],
        cited: &str,
        i: usize,
        alerts: &mut Vec<(usize, ContinuityAlert)>,
    ) {
        let here = || Established::Chapter {
            chapter: number,
            sentence: cited.to_owned(),
        };
        let (hedged, recalls) = (hedged(toks), recalls(toks));
        let mut deaths = Vec::new();
        for run in name_runs(toks) {
            let Found::Character(c) = self.lookup(&run.core) else {
                continue;
            };
            let dies_here = died(toks, &run);
            if let Some(death) = &self.characters[c].death
                && !recalls
                && !dies_here
                && acts(toks, &run)
            {
                let detail = AlertDetail::ActsAfterDeath {
                    character: self.characters[c].name.clone(),
                    death: death.clone(),
                };
                alerts.push((i, ContinuityAlert::new(number, cited.to_owned(), detail)));
            }
            if dies_here && !hedged && self.characters[c].death.is_none() {
                deaths.push(c);
            }
            for (kind, value) in attributes(toks, &run) {
                let entry = &mut self.characters[c];
                match entry.attributes.iter().find(|a| a.kind == kind) {
                    Some(canon) if !kind.compatible(&canon.value, &value) => {
                        let detail = AlertDetail::AttributeContradiction {
                            character: entry.name.clone(),
                            attribute: kind,
                            canon: canon.value.clone(),
                            established: canon.established.clone(),
                            stated: value,
                        };
                        alerts.push((i, ContinuityAlert::new(number, cited.to_owned(), detail)));
                    }
                    Some(_) => {}
                    None => entry.attributes.push(FixedAttribute {
                        kind,
                        value,
                        established: here(),
                    }),
                }
            }
        }
        for c in deaths {
            self.characters[c].death = Some(here());
        }
        for detail in self.timeline.apply(&time_events(toks), number, cited) {
            alerts.push((i, ContinuityAlert::new(number, cited.to_owned(), detail)));
        }
    }
}

/// Folds a name whose words all belong to a longer new name ("Marsh" into "Elena Marsh").
fn merge_partial_names(mut candidates: Vec<Candidate>) -> Vec<Candidate> {
    let mut order: Vec<usize> = (0..candidates.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(candidates[i].words.len()));
    let mut merged_into: Vec<Option<usize>> = vec![None; candidates.len()];
    for (pos, &short) in order.iter().enumerate() {
        let target = order[..pos].iter().copied().find(|&long| {
            merged_into[long].is_none()
                && candidates[long].words.len() > candidates[short].words.len()
                && candidates[short]
                    .words
                    .iter()
                    .all(|w| candidates[long].words.contains(w))
        });
        if let Some(long) = target {
            merged_into[short] = Some(long);
            let s = candidates[short].clone();
            let l = &mut candidates[long];
            l.person = match (l.person, s.person) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            l.introduced |= s.introduced;
            l.place |= s.place;
            l.first_seen = l.first_seen.min(s.first_seen);
        }
    }
    let mut kept: Vec<Candidate> = candidates
        .into_iter()
        .zip(merged_into)
        .filter(|(_, m)| m.is_none())
        .map(|(c, _)| c)
        .collect();
    kept.sort_by_key(|c| c.person.unwrap_or(c.first_seen));
    kept
}

/// Each sentence's narration: the sentence with its quoted spans replaced by ` ¶ `.
fn narration(text: &str, sentences: &[&str]) -> Vec<String> {
    let offset = |s: &str| s.as_ptr() as usize - text.as_ptr() as usize;
    let quoted: Vec<(usize, usize)> = paragraphs(text)
        .into_iter()
        .flat_map(quoted_spans)
        .map(|q| (offset(q), offset(q) + q.len()))
        .collect();
    sentences
        .iter()
        .map(|s| {
            let (start, end) = (offset(s), offset(s) + s.len());
            let mut out = String::with_capacity(s.len());
            let mut at = start;
            for &(qs, qe) in quoted.iter().filter(|&&(qs, qe)| qs < end && qe > start) {
                let (qs, qe) = (qs.max(start), qe.min(end));
                if qs > at {
                    out.push_str(&text[at..qs]);
                }
                out.push_str(" ¶ ");
                at = at.max(qe);
            }
            if at < end {
                out.push_str(&text[at..end]);
            }
            out
        })
        .collect()
}
