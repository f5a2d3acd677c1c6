//! The sentence writer: expands the grammar (`crate::grammar`) with the cast, the places and
//! the genre's words, in the chapter's voice (person and tense). Every choice comes from a
//! seeded [`Dice`]; every list is drawn through a shuffle bag, so no entry repeats before the
//! rest of its list has been used.
//!
//! Template syntax: `{A}` / `{A.o}` / `{A.p}` / `{A.n}` are the focal figure as subject,
//! object, possessive and short name (`{B...}`: the other figure, `{C...}`: a third, always
//! by name); `{P}` is the current place; any other `{list}` is a grammar list. `[verb]` is
//! conjugated to agree with A, `[verb~]` with B, `[verb!]` with a singular noun, `[verb*]`
//! with a plural one; `[verb^]` is the `-ing` form.

use std::collections::HashMap;

use crate::dice::{Bag, Dice};
use crate::english::{self, Person, Tense};
use crate::lexicon::{self, Pack};

/// Deepest nesting of grammar lists.
const MAX_DEPTH: usize = 8;

/// Titles that keep a name whole (`Captain Ivo Marsh` is never shortened to `Captain`).
const TITLES: &[&str] = &[
    "Captain",
    "Doctor",
    "Dr.",
    "Lady",
    "Lord",
    "Sister",
    "Brother",
    "Mr",
    "Mr.",
    "Mrs",
    "Mrs.",
    "Miss",
    "Ms",
    "Inspector",
    "Detective",
    "Professor",
    "Father",
    "Mother",
    "Old",
    "Sir",
    "Dame",
    "Master",
    "Mistress",
    "Saint",
    "Commander",
    "Chief",
    "Aunt",
    "Uncle",
    "Queen",
    "King",
    "Prince",
    "Princess",
];

/// A character's pronoun, when the prompt or the name tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pronoun {
    /// she / her / her.
    She,
    /// he / him / his.
    He,
}

/// A character as the writer refers to them.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// The full name, as given.
    pub name: String,
    /// The name used after the first mention (the given name, or the full name after a title).
    short: String,
    /// Known pronoun, if any; without one the writer repeats the name.
    pronoun: Option<Pronoun>,
    /// A lowercase description to refer by (`the town surveyor`), from the description.
    epithet: Option<String>,
}

impl Figure {
    /// A figure from a name and a free description (which may reveal the pronoun).
    pub fn new(name: &str, description: &str) -> Self {
        let first = name.split_whitespace().next().unwrap_or(name);
        let short = if TITLES.contains(&first) || name.split_whitespace().count() < 2 {
            name.to_owned()
        } else {
            first.to_owned()
        };
        Figure {
            name: name.to_owned(),
            short,
            pronoun: pronoun_from(description).or_else(|| pronoun_of_name(first)),
            epithet: epithet(description),
        }
    }

    /// True when `text` mentions this figure by full or short name.
    pub fn is_named_in(&self, text: &str) -> bool {
        contains_word(text, &self.name) || contains_word(text, &self.short)
    }
}

/// `the young cartographer` from `A stubborn young cartographer who ...`: the description's
/// opening noun phrase, when it starts with an article and is two to four lowercase words.
fn epithet(description: &str) -> Option<String> {
    let lower = description.trim();
    let rest = ["A ", "An ", "The ", "a ", "an ", "the "]
        .iter()
        .find_map(|a| lower.strip_prefix(a))?;
    let end = rest.find([',', '.', ';', '(', ':']).unwrap_or(rest.len());
    let mut words: Vec<&str> = Vec::new();
    for word in rest[..end].split_whitespace() {
        if [
            "who", "whose", "with", "that", "and", "of", "from", "in", "at", "on",
        ]
        .contains(&word)
        {
            break;
        }
        words.push(word);
    }
    let ok = (1..=4).contains(&words.len())
        && words
            .iter()
            .all(|w| w.chars().all(|c| c.is_lowercase() || c == '-'));
    ok.then(|| format!("the {}", words.join(" ")))
}

/// The pronoun a description implies, by counting gendered words.
pub fn pronoun_from(description: &str) -> Option<Pronoun> {
    const SHE: &[&str] = &[
        "she", "her", "hers", "woman", "girl", "mother", "daughter", "sister", "wife", "queen",
        "lady", "widow", "aunt", "princess", "niece",
    ];
    const HE: &[&str] = &[
        "he", "him", "his", "man", "boy", "father", "son", "brother", "husband", "king", "lord",
        "widower", "uncle", "prince", "nephew",
    ];
    let (mut she, mut he) = (0, 0);
    for word in description
        .split(|c: char| !c.is_alphabetic())
        .map(str::to_lowercase)
    {
        she += usize::from(SHE.contains(&word.as_str()));
        he += usize::from(HE.contains(&word.as_str()));
    }
    match she.cmp(&he) {
        std::cmp::Ordering::Greater => Some(Pronoun::She),
        std::cmp::Ordering::Less => Some(Pronoun::He),
        std::cmp::Ordering::Equal => None,
    }
}

/// The pronoun of a given name found in the name lists.
pub fn pronoun_of_name(first: &str) -> Option<Pronoun> {
    lexicon::PACKS.iter().find_map(|pack| {
        if pack.names_f.contains(&first) {
            Some(Pronoun::She)
        } else if pack.names_m.contains(&first) {
            Some(Pronoun::He)
        } else {
            None
        }
    })
}

/// True when `needle` occurs in `text` bounded by non-alphanumeric characters.
pub fn contains_word(text: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return false;
    }
    text.match_indices(needle).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + needle.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

/// How much of a chapter is dialogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialogue {
    /// Mostly narration.
    Sparse,
    /// About a quarter to a third of the words are spoken.
    Balanced,
    /// Mostly conversation.
    Rich,
}

impl Dialogue {
    /// Reads the level from free instructions (the system message): `sparingly` or `sparse`
    /// → sparse; `lean on dialogue`, `rich` or `dialogue-driven` → rich; else balanced.
    pub fn from_instructions(text: &str) -> Dialogue {
        let text = text.to_lowercase();
        if text.contains("dialogue sparingly") || text.contains("sparse dialogue") {
            Dialogue::Sparse
        } else if text.contains("lean on dialogue")
            || text.contains("rich dialogue")
            || text.contains("dialogue-driven")
        {
            Dialogue::Rich
        } else {
            Dialogue::Balanced
        }
    }

    /// Percent chance that a sentence opens a conversation, and that a conversation goes on
    /// for one more line (up to `max_run` lines).
    pub fn rates(self) -> (usize, usize, usize) {
        match self {
            Dialogue::Sparse => (5, 45, 2),
            Dialogue::Balanced => (19, 75, 5),
            Dialogue::Rich => (45, 88, 10),
        }
    }
}

/// Point of view and tense.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Voice {
    /// First, Second or Third (the narrator's person).
    pub person: Person,
    /// Past or present.
    pub tense: Tense,
}

impl Voice {
    /// Reads the `Point of view` and `Tense` labels (`first-person`, `third limited`,
    /// `present`, ...); anything else is third person, past tense.
    pub fn from_labels(pov: Option<&str>, tense: Option<&str>) -> Voice {
        let pov = pov.unwrap_or("").to_lowercase();
        let person = if pov.contains("first") {
            Person::First
        } else if pov.contains("second") {
            Person::Second
        } else {
            Person::Third
        };
        let tense = if tense.unwrap_or("").to_lowercase().contains("present") {
            Tense::Present
        } else {
            Tense::Past
        };
        Voice { person, tense }
    }
}

/// Writes sentences for one text.
pub struct Writer {
    pack: &'static Pack,
    voice: Voice,
    cast: Vec<Figure>,
    narrator: Option<usize>,
    places: Vec<String>,
    place: usize,
    dice: Dice,
    bags: HashMap<String, Bag>,
    introduced: Vec<bool>,
    prev_subject: Option<usize>,
    prev_mentions: Vec<usize>,
    mentions: Vec<usize>,
    subject: Option<usize>,
}

impl Writer {
    /// A writer for `cast` (the first is the protagonist, and the narrator in first or second
    /// person) and `places` (names as given). An empty cast or place list gets a stand-in.
    pub fn new(
        pack: &'static Pack,
        voice: Voice,
        mut cast: Vec<Figure>,
        mut places: Vec<String>,
        dice: Dice,
    ) -> Writer {
        if cast.is_empty() {
            cast.push(Figure::new("the traveller", ""));
        }
        if cast.len() == 1 {
            cast.push(Figure::new("the stranger", ""));
        }
        if places.is_empty() {
            places.push("the town".into());
        }
        let narrator = (voice.person != Person::Third).then_some(0);
        let places = places.iter().map(|p| english::mid_sentence(p)).collect();
        Writer {
            pack,
            voice,
            introduced: vec![false; cast.len()],
            cast,
            narrator,
            places,
            place: 0,
            dice,
            bags: HashMap::new(),
            prev_subject: None,
            prev_mentions: Vec::new(),
            mentions: Vec::new(),
            subject: None,
        }
    }

    /// The cast, protagonist first.
    pub fn cast(&self) -> &[Figure] {
        &self.cast
    }

    /// The narrator's full and short names, in first or second person.
    pub fn narrator_names(&self) -> Option<[&str; 2]> {
        self.narrator
            .map(|i| [self.cast[i].name.as_str(), self.cast[i].short.as_str()])
    }

    /// The random source (for structural choices made by the caller).
    pub fn dice(&mut self) -> &mut Dice {
        &mut self.dice
    }

    /// Makes the place at `index` current.
    pub fn set_place(&mut self, index: usize) {
        self.place = index % self.places.len();
    }

    /// Starts a paragraph: pronouns need a fresh antecedent.
    pub fn new_paragraph(&mut self) {
        self.prev_subject = None;
        self.prev_mentions.clear();
    }

    /// Records that a sentence written elsewhere (a beat) mentioned these figures, with the
    /// first as its subject.
    pub fn note_external(&mut self, text: &str) {
        let named: Vec<usize> = (0..self.cast.len())
            .filter(|i| self.cast[*i].is_named_in(text))
            .collect();
        for i in &named {
            self.introduced[*i] = true;
        }
        self.prev_subject = named.first().copied();
        self.prev_mentions = named;
    }

    /// A narrative sentence (action, thought, scene or a short one) about `focus`, with
    /// `other` as the second figure.
    pub fn narrative(&mut self, focus: usize, other: usize) -> String {
        let list = match self.dice.below(100) {
            0..=51 => "s_action",
            52..=69 => "s_inner",
            70..=91 => "s_scene",
            _ => "s_short",
        };
        let text = self.list_entry(list, focus, other, 0);
        self.finish(finish_text(&text))
    }

    /// A sentence that sets the scene (place, weather, light, sound).
    pub fn scene(&mut self, focus: usize, other: usize) -> String {
        let text = self.list_entry("s_scene", focus, other, 0);
        self.finish(finish_text(&text))
    }

    /// A line of dialogue spoken by `speaker` to `listener`, with a speech tag, an action
    /// before it, or the listener's name.
    pub fn dialogue(&mut self, speaker: usize, listener: usize) -> String {
        let list = if self.dice.chance(35) {
            "d_question"
        } else {
            "d_statement"
        };
        let line = tidy(&self.list_entry(list, speaker, listener, 0));
        let line = fix_articles(&english::capitalise(&line));
        let text = match self.dice.below(20) {
            0..=5 => {
                let action = self.list_entry("s_speaker", speaker, listener, 0);
                format!("{} \u{201c}{line}\u{201d}", finish_text(&action))
            }
            frame => {
                let line = if frame >= 17 {
                    let name = self.cast[listener].short.clone();
                    format!("{name}, {}", lower_first(&line))
                } else {
                    line
                };
                let question = line.ends_with('?');
                let spoken = match line.strip_suffix('.') {
                    Some(statement) => format!("{statement},"),
                    None => line,
                };
                let subject = self.subject_form(speaker);
                let tag = self.list_entry(
                    if question { "d_ask" } else { "d_say" },
                    speaker,
                    listener,
                    0,
                );
                let adverb = self.list_entry("d_adverb", speaker, listener, 0);
                format!("\u{201c}{spoken}\u{201d} {subject} {tag}{adverb}.")
            }
        };
        self.finish(text)
    }

    /// Ends a sentence: its subject and mentions become the next sentence's antecedents.
    fn finish(&mut self, text: String) -> String {
        self.prev_subject = self.subject.take();
        self.prev_mentions = std::mem::take(&mut self.mentions);
        text
    }

    /// The next index from the named shuffle bag of `len` items.
    fn draw(&mut self, bag: &str, len: usize) -> usize {
        let dice = &mut self.dice;
        self.bags
            .entry(bag.to_owned())
            .or_insert_with(|| Bag::new(len))
            .draw(dice)
    }

    /// A drawn, expanded entry of a grammar list.
    fn list_entry(&mut self, list: &str, a: usize, b: usize, depth: usize) -> String {
        let entries = lexicon::slot_entries(self.pack, list);
        if entries.is_empty() || depth > MAX_DEPTH {
            return String::new();
        }
        let entry = entries[self.draw(list, entries.len())];
        self.expand(entry, a, b, depth + 1)
    }

    /// Expands a template (see the module docs).
    fn expand(&mut self, template: &str, a: usize, b: usize, depth: usize) -> String {
        let mut out = String::with_capacity(template.len() + 32);
        let mut rest = template;
        while let Some(start) = rest.find(['{', '[']) {
            out.push_str(&rest[..start]);
            let close = if rest.as_bytes()[start] == b'{' {
                '}'
            } else {
                ']'
            };
            let Some(len) = rest[start..].find(close) else {
                out.push_str(&rest[start..]);
                return out;
            };
            let inner = &rest[start + 1..start + len];
            if close == '}' {
                let value = self.resolve(inner, a, b, depth);
                out.push_str(&value);
            } else {
                out.push_str(&self.verb(inner, a, b));
            }
            rest = &rest[start + len + 1..];
        }
        out.push_str(rest);
        out
    }

    fn resolve(&mut self, slot: &str, a: usize, b: usize, depth: usize) -> String {
        let (who, form) = match slot.split_once('.') {
            Some((who, form)) => (who, form),
            None => (slot, ""),
        };
        let figure = match who {
            "A" => Some(a),
            "B" => Some(b),
            _ => None,
        };
        if let Some(i) = figure {
            return match form {
                "o" => self.object_form(i),
                "p" => self.possessive_form(i),
                "r" => self.reflexive_form(i),
                "n" => self.cast[i].short.clone(),
                _ => self.subject_form(i),
            };
        }
        if who == "C" {
            return self.third_party(a, b, form == "p");
        }
        if slot == "P" {
            // The place by name about half the time; otherwise somewhere in it, so the
            // name does not anchor the same few word sequences all chapter.
            if self.dice.chance(45) {
                return self.places[self.place].clone();
            }
            return self.list_entry("area", a, b, depth);
        }
        self.list_entry(slot, a, b, depth)
    }

    /// A cast member other than `a` and `b` (and never the narrator), by name; `the
    /// stranger` when there is none.
    fn third_party(&mut self, a: usize, b: usize, possessive: bool) -> String {
        let candidates: Vec<usize> = (0..self.cast.len())
            .filter(|i| *i != a && *i != b && Some(*i) != self.narrator)
            .collect();
        let name = if candidates.is_empty() {
            "the stranger".to_owned()
        } else {
            let i = candidates[self.draw("C", candidates.len()) % candidates.len()];
            self.mention(i);
            self.name(i)
        };
        if possessive {
            format!("{name}\u{2019}s")
        } else {
            name
        }
    }

    fn verb(&mut self, marker: &str, a: usize, b: usize) -> String {
        if let Some(base) = marker.strip_suffix('^') {
            return english::gerund(base);
        }
        let (base, person) = if let Some(base) = marker.strip_suffix('~') {
            (base, self.person_of(b))
        } else if let Some(base) = marker.strip_suffix('!') {
            (base, Person::Third)
        } else if let Some(base) = marker.strip_suffix('*') {
            (base, Person::Plural)
        } else {
            (marker, self.person_of(a))
        };
        english::conjugate(base, person, self.voice.tense)
    }

    fn person_of(&self, i: usize) -> Person {
        if Some(i) == self.narrator {
            self.voice.person
        } else {
            Person::Third
        }
    }

    /// True when a pronoun for `i` would be clear here.
    fn pronoun_is_clear(&self, i: usize) -> bool {
        let Some(pronoun) = self.cast[i].pronoun else {
            return false;
        };
        let antecedent = self.mentions.contains(&i)
            || (self.prev_subject == Some(i)
                && !self
                    .prev_mentions
                    .iter()
                    .any(|j| *j != i && self.cast[*j].pronoun == Some(pronoun)));
        let rival_here = self
            .mentions
            .iter()
            .any(|j| *j != i && self.cast[*j].pronoun == Some(pronoun));
        antecedent && !rival_here
    }

    fn subject_form(&mut self, i: usize) -> String {
        let text = if Some(i) == self.narrator {
            if self.voice.person == Person::First {
                "I"
            } else {
                "you"
            }
            .to_owned()
        } else if self.pronoun_is_clear(i) && (self.mentions.contains(&i) || self.dice.chance(65)) {
            match self.cast[i].pronoun {
                Some(Pronoun::She) => "she".to_owned(),
                _ => "he".to_owned(),
            }
        } else if self.introduced[i]
            && !self.mentions.contains(&i)
            && self.cast[i].epithet.is_some()
            && self.dice.chance(15)
        {
            self.cast[i].epithet.clone().unwrap_or_default()
        } else {
            self.name(i)
        };
        self.mention(i);
        if self.subject.is_none() {
            self.subject = Some(i);
        }
        text
    }

    fn object_form(&mut self, i: usize) -> String {
        let text = if Some(i) == self.narrator {
            if self.voice.person == Person::First {
                "me"
            } else {
                "you"
            }
            .to_owned()
        } else if self.pronoun_is_clear(i) {
            match self.cast[i].pronoun {
                Some(Pronoun::She) => "her".to_owned(),
                _ => "him".to_owned(),
            }
        } else if self.cast[i].pronoun.is_none() && self.mentions.contains(&i) {
            "them".to_owned()
        } else {
            self.name(i)
        };
        self.mention(i);
        text
    }

    fn reflexive_form(&mut self, i: usize) -> String {
        self.mention(i);
        if Some(i) == self.narrator {
            return if self.voice.person == Person::First {
                "myself"
            } else {
                "yourself"
            }
            .to_owned();
        }
        match self.cast[i].pronoun {
            Some(Pronoun::She) => "herself",
            Some(Pronoun::He) => "himself",
            None => "themselves",
        }
        .to_owned()
    }

    fn possessive_form(&mut self, i: usize) -> String {
        let text = if Some(i) == self.narrator {
            if self.voice.person == Person::First {
                "my"
            } else {
                "your"
            }
            .to_owned()
        } else if self.pronoun_is_clear(i) {
            match self.cast[i].pronoun {
                Some(Pronoun::She) => "her".to_owned(),
                _ => "his".to_owned(),
            }
        } else if self.cast[i].pronoun.is_none() && self.mentions.contains(&i) {
            "their".to_owned()
        } else {
            format!("{}\u{2019}s", self.name(i))
        };
        self.mention(i);
        text
    }

    /// The full name on first mention, the short name afterwards.
    fn name(&mut self, i: usize) -> String {
        if self.introduced[i] {
            self.cast[i].short.clone()
        } else {
            self.introduced[i] = true;
            self.cast[i].name.clone()
        }
    }

    fn mention(&mut self, i: usize) {
        if !self.mentions.contains(&i) {
            self.mentions.push(i);
        }
    }
}

/// Collapses doubled spaces and removes spaces before punctuation.
fn tidy(text: &str) -> String {
    let mut out = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for p in [" .", " ,", " ?", " !"] {
        out = out.replace(p, &p[1..]);
    }
    out
}

/// `a` → `an` before a vowel sound (judged by the next word's first letter).
fn fix_articles(text: &str) -> String {
    let words: Vec<&str> = text.split(' ').collect();
    let mut out: Vec<String> = Vec::with_capacity(words.len());
    for (i, word) in words.iter().enumerate() {
        let next_vowel = words
            .get(i + 1)
            .and_then(|w| w.chars().next())
            .is_some_and(|c| "aeiouAEIOU".contains(c));
        out.push(match *word {
            "a" if next_vowel => "an".to_owned(),
            "A" if next_vowel => "An".to_owned(),
            _ => (*word).to_owned(),
        });
    }
    out.join(" ")
}

/// A finished sentence: tidy spacing, articles, a capital and final punctuation.
fn finish_text(text: &str) -> String {
    english::finish_sentence(&fix_articles(&tidy(text)))
}

/// Lowercases the first letter unless the first word is `I` or a name-like capitalised word
/// the caller cannot judge (only `I` and `I'...` are kept).
fn lower_first(line: &str) -> String {
    let first_word = line.split_whitespace().next().unwrap_or("");
    if first_word == "I" || first_word.starts_with("I'") || first_word.starts_with("I\u{2019}") {
        return line.to_owned();
    }
    let mut chars = line.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn writer(person: Person, tense: Tense) -> Writer {
        Writer::new(
            lexicon::pack_for("fantasy"),
            Voice { person, tense },
            vec![
                Figure::new("Mara Quill", "a cartographer who lost her map"),
                Figure::new("Ivo Marsh", "a river pilot"),
            ],
            vec!["The Lantern Archive".into()],
            Dice::new(3),
        )
    }

    #[test]
    fn figures_get_short_names_and_pronouns() {
        let mara = Figure::new("Mara Quill", "her map");
        assert_eq!(mara.short, "Mara");
        assert_eq!(mara.pronoun, Some(Pronoun::She));
        let captain = Figure::new("Captain Oduya", "");
        assert_eq!(captain.short, "Captain Oduya");
        assert_eq!(captain.pronoun, None);
        assert_eq!(Figure::new("Ivo", "").pronoun, Some(Pronoun::He));
        assert!(mara.is_named_in("Then Mara left."));
        assert_eq!(
            Figure::new(
                "Ivo Brand",
                "The town surveyor who insists the road is fixed."
            )
            .epithet,
            Some("the town surveyor".into())
        );
        assert_eq!(Figure::new("Tamsin", "brother").epithet, None);
        assert!(!mara.is_named_in("Maradona left."));
    }

    #[test]
    fn voices_are_read_from_labels() {
        let v = Voice::from_labels(Some("first-person"), Some("present"));
        assert_eq!((v.person, v.tense), (Person::First, Tense::Present));
        let v = Voice::from_labels(None, None);
        assert_eq!((v.person, v.tense), (Person::Third, Tense::Past));
    }

    #[test]
    fn templates_expand_completely() {
        for (person, tense) in [
            (Person::Third, Tense::Past),
            (Person::First, Tense::Present),
            (Person::Second, Tense::Past),
        ] {
            let mut w = writer(person, tense);
            for _ in 0..300 {
                let s = w.narrative(0, 1);
                let d = w.dialogue(1, 0);
                for text in [&s, &d] {
                    assert!(!text.contains(['{', '}', '[', ']']), "{text}");
                    assert!(
                        text.chars().next().is_some_and(|c| !c.is_lowercase()),
                        "{text}"
                    );
                }
            }
        }
    }

    #[test]
    fn first_person_narration_says_i() {
        let mut w = writer(Person::First, Tense::Past);
        let text: String = (0..60).map(|_| w.narrative(0, 1) + " ").collect();
        assert!(
            contains_word(&text, "I") || contains_word(&text, "my"),
            "{text}"
        );
        assert!(!text.contains("I was tired") || !text.contains("I is"));
        assert!(
            !text.contains(" I walks") && !text.contains(" I is "),
            "{text}"
        );
    }
}
