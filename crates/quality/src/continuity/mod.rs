//! Continuity: an entity ledger kept with the story bible and the alerts a new chapter
//! raises against it.
//!
//! The ledger is seeded with the bible's characters (name, aliases, fixed attributes) and
//! places, then [`Ledger::ingest_chapter`] reads each chapter in order. Every alert cites
//! the chapter and the sentence that raised it. All checks are lexical heuristics over
//! single sentences, tuned to flag little rather than much; pronouns are not resolved.
//!
//! **Names.** A *name run* is a sequence of capitalised words (first letter uppercase and
//! at least one lowercase letter, so not "I", initials or shouting), split at weekdays,
//! months and words that are never names ("God", "Mum", …), without a leading
//! sentence-initial function word or adverb ("Then Mara" → "Mara"), with leading titles
//! ("Captain", "Mr.") set aside. A run refers to a known character when it equals the
//! name or an alias, or all its words belong to exactly one character's name and aliases
//! ("Reyes" → "Elena Reyes"); likewise for places.
//!
//! **NameFromNowhere.** An unknown run is a *person* when some sentence of the chapter
//! gives person evidence: a title, a verb right after it ("Jonah turned", "-ed" pasts,
//! listed irregular and present-tense verbs, one "-ly" adverb may intervene), a speech
//! attribution ("said Jonah"), a person-object verb before it ("hugged Jonah"), a
//! possessive body word ("Jonah's eyes") or an introduction. A single word that only ever
//! appears first in a sentence (or quotation) counts only when a speech verb follows it
//! ("Jonah said"), because "Rain hammered the roof" looks the same. A run after a place
//! preposition ("into Kestrel") or containing a place word ("Harbor Street") without
//! person evidence is recorded as a new place. A new person is flagged unless the chapter
//! introduces them somewhere: "named/called/met Jonah", "my name is / I'm / this is Jonah",
//! "Jonah, a/the/his/who …", "Jonah was a …", "Jonah introduced …". Flagged or not, the
//! person then joins the ledger, so each name is reported once. Partial names are folded
//! into a longer new name ("Marsh" into "Elena Marsh").
//!
//! **Deaths and ActsAfterDeath** (narration only, quotations removed). Deaths: "X died /
//! had died / was killed / was murdered / was dead / lay dead / drowned / was buried / passed
//! away …", "the death/funeral/body of X", "killed/murdered X", "X's corpse / funeral /
//! lifeless body", "X's body was found/discovered/…" ("X's body ached" is not a death).
//! Hedged sentences (if, would, nearly, not, never, feared, rumoured, "n't" …) record no
//! death. After a recorded death (an earlier sentence or chapter), X acting — a verb right
//! after the name or "said X" — raises an alert, unless the sentence recalls the past
//! (remembered, thought, memory, dream, ghost, photograph, letter, once …).
//!
//! **Attributes** (narration only): "X's (pale) blue eyes", "X's eyes were (a pale) blue",
//! "X had (piercing) green eyes", the same for hair; ages "X, thirty-four,", "X, aged 34",
//! "X was 34." / "X is 34 years old", "X, a 34-year-old …", "the 34-year-old X" (1..=120).
//! The first value stated (or the bible's) is canon; a later incompatible value is an
//! [`AlertKind::AttributeContradiction`] citing where canon was established (colour
//! families: see [`AttributeKind::compatible`]).
//!
//! **Timeline** (narration only): see [`timeline`] for the rule; sentences about the future
//! or hypotheses (will, would, planned, until, if, tomorrow …) are skipped.

mod alerts;
mod extract;
mod ledger;
mod lexicon;
pub mod timeline;

pub use alerts::{AlertDetail, AlertKind, ContinuityAlert, Established};
pub use ledger::{
    AttributeKind, CharacterEntry, CharacterSeed, FixedAttribute, Ledger, PlaceEntry, SeedAttribute,
};
pub use timeline::Weekday;
