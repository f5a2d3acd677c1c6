//! Sentence-level extraction: a small lexer and the patterns that find names, deaths,
//! actions, fixed attributes and time references. Everything here reads one sentence;
//! the ledger decides what the findings mean.

use std::sync::LazyLock;

use regex::Regex;

use super::ledger::AttributeKind;
use super::lexicon::{
    ABBREVIATED_TITLES, ACTION_VERBS, APPOSITIVE_OPENERS, BODY_WORDS, COMMON_INITIAL, DAY_PARTS,
    DEATH_VERBS, EYE_COLOURS, HAIR_COLOURS, HEDGES, INTRODUCING_WORDS, MEMORY_WORDS,
    MODAL_TIME_WORDS, MONTHS, NON_NAMES, NOT_VERBS_ED, NUMBER_WORDS, PERSON_OBJECT_VERBS,
    PLACE_PREPOSITIONS, PLACE_WORDS, SPEECH_VERBS, TITLES, WEEKDAY_EXCLUDERS, WEEKDAY_STATIVE,
    WEEKDAYS, has,
};
use super::timeline::{TimeEvent, Weekday};

/// Words (letters and digits, with inner apostrophes and hyphens) or single punctuation.
static LEX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[\p{L}\p{N}](?:[\p{L}\p{N}\p{M}]|['’-][\p{L}\p{N}])*|[^\s\p{L}\p{N}]")
        .expect("constant regex")
});

/// One lexed token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tok<'a> {
    /// The token as written (a possessive `'s` removed).
    pub text: &'a str,
    /// Lowercase text.
    pub lower: String,
    /// A word (else one punctuation character).
    pub word: bool,
    /// The word ended in `'s` / `’s`.
    pub possessive: bool,
    /// First word of the sentence or of a quotation.
    pub initial: bool,
}

/// Lexes a sentence.
pub fn lex(sentence: &str) -> Vec<Tok<'_>> {
    let mut toks = Vec::new();
    let mut at_start = true;
    let mut in_quote = false;
    for m in LEX.find_iter(sentence) {
        let s = m.as_str();
        if s.chars().next().is_some_and(char::is_alphanumeric) {
            let stripped = s.strip_suffix("'s").or_else(|| s.strip_suffix("’s"));
            let (text, possessive) = match stripped {
                Some(base) if !base.is_empty() => (base, true),
                _ => (s, false),
            };
            toks.push(Tok {
                text,
                lower: text.to_lowercase(),
                word: true,
                possessive,
                initial: at_start,
            });
            at_start = false;
        } else {
            match s {
                "“" | "‘" | "(" | ":" => at_start = true,
                "\"" => {
                    at_start = !in_quote;
                    in_quote = !in_quote;
                }
                _ => {}
            }
            toks.push(Tok {
                text: s,
                lower: s.to_owned(),
                word: false,
                possessive: false,
                initial: false,
            });
        }
    }
    toks
}

/// A capitalised word that can be part of a name: uppercase first letter and at least one
/// lowercase letter (so not `I`, initials or shouted words).
pub fn is_capitalised(word: &str) -> bool {
    word.chars().next().is_some_and(char::is_uppercase) && word.chars().any(char::is_lowercase)
}

/// A run of capitalised words that may name a person or a place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameRun {
    /// The name without leading titles, words joined by single spaces.
    pub core: String,
    /// Index of the run's first token (a title, if any).
    pub start: usize,
    /// Index one past the run's last token.
    pub end: usize,
    /// The name starts the sentence or a quotation.
    pub initial: bool,
    /// A title preceded the name (`Captain Reyes`).
    pub titled: bool,
    /// The run's last word was possessive (`Reyes's`).
    pub possessive: bool,
}

/// The sentence's name runs: consecutive capitalised words (an abbreviated title may carry a
/// full stop), split at weekdays, months and never-name words, without a sentence-initial
/// common word ("Then Mara" → "Mara"), with leading titles separated.
pub fn name_runs(toks: &[Tok<'_>]) -> Vec<NameRun> {
    let mut runs = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        if !(toks[i].word && is_capitalised(toks[i].text)) {
            i += 1;
            continue;
        }
        let mut idx = vec![i];
        loop {
            let last = idx[idx.len() - 1];
            if toks[last].possessive {
                break;
            }
            let cap = |k: usize| {
                toks.get(k)
                    .is_some_and(|t| t.word && is_capitalised(t.text))
            };
            if cap(last + 1) {
                idx.push(last + 1);
            } else if toks.get(last + 1).is_some_and(|t| t.text == ".")
                && has(ABBREVIATED_TITLES, &toks[last].lower)
                && cap(last + 2)
            {
                idx.push(last + 2);
            } else {
                break;
            }
        }
        i = idx[idx.len() - 1] + 1;
        if toks[idx[0]].initial && has(COMMON_INITIAL, &toks[idx[0]].lower) {
            idx.remove(0);
        }
        for piece in idx.split(|&k| is_never_name(&toks[k].lower)) {
            if let Some(run) = make_run(toks, piece) {
                runs.push(run);
            }
        }
    }
    runs
}

fn is_never_name(lower: &str) -> bool {
    has(&WEEKDAYS, lower) || has(MONTHS, lower) || has(NON_NAMES, lower)
}

fn make_run(toks: &[Tok<'_>], piece: &[usize]) -> Option<NameRun> {
    let titles = piece
        .iter()
        .take_while(|&&k| has(TITLES, &toks[k].lower))
        .count();
    let core = &piece[titles..];
    let (&first, &last) = (core.first()?, core.last()?);
    Some(NameRun {
        core: core
            .iter()
            .map(|&k| toks[k].text)
            .collect::<Vec<_>>()
            .join(" "),
        start: piece[0],
        end: last + 1,
        initial: toks[first].initial,
        titled: titles > 0,
        possessive: toks[last].possessive,
    })
}

fn word_at<'t>(toks: &'t [Tok<'_>], k: usize) -> Option<&'t str> {
    toks.get(k).filter(|t| t.word).map(|t| t.lower.as_str())
}

fn word_before<'t>(toks: &'t [Tok<'_>], run_start: usize, back: usize) -> Option<&'t str> {
    run_start.checked_sub(back).and_then(|k| word_at(toks, k))
}

/// Whether the words right after index `at` are `seq` (punctuation breaks the sequence).
fn follows(toks: &[Tok<'_>], at: usize, seq: &[&str]) -> bool {
    seq.iter()
        .enumerate()
        .all(|(k, w)| word_at(toks, at + k) == Some(*w))
}

/// Whether the words right before index `at` are `seq`.
fn precedes(toks: &[Tok<'_>], at: usize, seq: &[&str]) -> bool {
    at >= seq.len() && follows(toks, at - seq.len(), seq)
}

/// Whether `word` (lowercase) reads as a verb of action after a name.
fn is_action(word: &str) -> bool {
    !has(DEATH_VERBS, word)
        && (has(ACTION_VERBS, word)
            || (word.ends_with("ed") && word.chars().count() >= 5 && !has(NOT_VERBS_ED, word)))
}

/// The name is the subject of an action ("Jonah turned", "Jonah slowly turned") or the
/// speaker of an attribution ("said Jonah").
pub fn acts(toks: &[Tok<'_>], run: &NameRun) -> bool {
    if word_before(toks, run.start, 1).is_some_and(|w| has(SPEECH_VERBS, w)) {
        return true;
    }
    if run.possessive {
        return false;
    }
    let mut k = run.end;
    if word_at(toks, k).is_some_and(|w| w.ends_with("ly")) && word_at(toks, k + 1).is_some() {
        k += 1;
    }
    word_at(toks, k).is_some_and(is_action)
}

/// Evidence that the run names a person: a title, an action or speech, a person-object verb
/// before it ("hugged Jonah"), a possessive body word ("Jonah's eyes") or an introduction.
/// Never after "the" ("the Atlantic roared", "the Queen Maud rocked") nor, without a
/// title, for a run with a place word ("Harbour Board", "Harbor Street").
pub fn person_evidence(toks: &[Tok<'_>], run: &NameRun) -> bool {
    if word_before(toks, run.start, 1) == Some("the") || (!run.titled && has_place_word(run)) {
        return false;
    }
    run.titled
        || acts(toks, run)
        || word_before(toks, run.start, 1).is_some_and(|w| has(PERSON_OBJECT_VERBS, w))
        || (run.possessive && word_at(toks, run.end).is_some_and(|w| has(BODY_WORDS, w)))
        || introduced(toks, run)
}

/// Whether the run speaks of a place: after a place preposition ("into Kestrel") or with a
/// place word in it ("Harbor Street").
pub fn place_context(toks: &[Tok<'_>], run: &NameRun) -> bool {
    word_before(toks, run.start, 1).is_some_and(|w| has(PLACE_PREPOSITIONS, w))
        || has_place_word(run)
}

fn has_place_word(run: &NameRun) -> bool {
    run.core
        .split(' ')
        .any(|w| has(PLACE_WORDS, &w.to_lowercase()))
}

/// Whether the sentence introduces the name: "named/called/met Jonah", "my name is Jonah",
/// "I'm Jonah", "this is Jonah", "Jonah, a fisherman," / "Jonah, who …", "Jonah was a …",
/// "Jonah introduced himself".
pub fn introduced(toks: &[Tok<'_>], run: &NameRun) -> bool {
    let before = word_before(toks, run.start, 1);
    before.is_some_and(|w| {
        has(INTRODUCING_WORDS, w) || matches!(w, "i'm" | "i’m" | "name's" | "name’s")
    }) || precedes(toks, run.start, &["name", "is"])
        || precedes(toks, run.start, &["name", "was"])
        || precedes(toks, run.start, &["i", "am"])
        || precedes(toks, run.start, &["this", "is"])
        || (toks.get(run.end).is_some_and(|t| t.text == ",")
            && word_at(toks, run.end + 1).is_some_and(|w| has(APPOSITIVE_OPENERS, w)))
        || (matches!(word_at(toks, run.end), Some("was" | "is"))
            && matches!(word_at(toks, run.end + 1), Some("a" | "an")))
        || word_at(toks, run.end) == Some("introduced")
}

/// Whether the sentence is hedged (hypothetical, negated or uncertain), so a death in it is
/// not recorded.
pub fn hedged(toks: &[Tok<'_>]) -> bool {
    toks.iter()
        .filter(|t| t.word)
        .any(|t| has(HEDGES, &t.lower) || t.lower.ends_with("n't") || t.lower.ends_with("n’t"))
}

/// Whether the sentence recalls the past (memory, dream, picture…), so an action in it does
/// not count as acting.
pub fn recalls(toks: &[Tok<'_>]) -> bool {
    toks.iter()
        .filter(|t| t.word)
        .any(|t| has(MEMORY_WORDS, &t.lower))
}

const DEATH_AFTER: &[&[&str]] = &[
    &["died"],
    &["had", "died"],
    &["has", "died"],
    &["is", "dead"],
    &["was", "dead"],
    &["lay", "dead"],
    &["was", "killed"],
    &["had", "been", "killed"],
    &["was", "murdered"],
    &["had", "been", "murdered"],
    &["was", "slain"],
    &["was", "executed"],
    &["was", "found", "dead"],
    &["drowned"],
    &["perished"],
    &["was", "buried"],
    &["passed", "away"],
    &["breathed", "his", "last"],
    &["breathed", "her", "last"],
    &["breathed", "their", "last"],
];
const DEATH_BEFORE: &[&[&str]] = &[
    &["death", "of"],
    &["funeral", "of"],
    &["body", "of"],
    &["corpse", "of"],
    &["killed"],
    &["murdered"],
    &["executed"],
    &["buried"],
];
const DEATH_POSSESSIVE: &[&[&str]] = &[
    &["corpse"],
    &["funeral"],
    &["lifeless", "body"],
    &["dead", "body"],
    &["body", "was", "found"],
    &["body", "was", "discovered"],
    &["body", "was", "recovered"],
    &["body", "was", "identified"],
    &["body", "was", "buried"],
];

/// Whether the sentence records the run's death: "X died", "X was killed", "the death of
/// X", "killed X", "X's body was found", "X's corpse" … (see the lists in the source).
/// The caller skips hedged sentences.
pub fn died(toks: &[Tok<'_>], run: &NameRun) -> bool {
    if run.possessive {
        return DEATH_POSSESSIVE
            .iter()
            .any(|seq| follows(toks, run.end, seq));
    }
    DEATH_AFTER.iter().any(|seq| follows(toks, run.end, seq))
        || DEATH_BEFORE
            .iter()
            .any(|seq| precedes(toks, run.start, seq))
}

/// A fixed attribute stated about a run: (kind, value as written).
pub fn attributes(toks: &[Tok<'_>], run: &NameRun) -> Vec<(AttributeKind, String)> {
    let mut found = Vec::new();
    for (kind, nouns, table) in [
        (AttributeKind::EyeColour, &["eyes", "eye"][..], EYE_COLOURS),
        (AttributeKind::HairColour, &["hair"][..], HAIR_COLOURS),
    ] {
        if let Some(colour) = colour_statement(toks, run, nouns, table) {
            found.push((kind, colour));
        }
    }
    if let Some(age) = age_statement(toks, run) {
        found.push((AttributeKind::Age, age.to_string()));
    }
    found
}

/// "X's green eyes", "X's eyes were green", "X had (piercing) green eyes".
fn colour_statement(
    toks: &[Tok<'_>],
    run: &NameRun,
    nouns: &[&str],
    table: ColourTable,
) -> Option<String> {
    let noun_at = |k: usize| word_at(toks, k).is_some_and(|w| nouns.contains(&w));
    let start = if run.possessive {
        if noun_at(run.end)
            && matches!(
                word_at(toks, run.end + 1),
                Some("were" | "are" | "was" | "is" | "looked" | "shone" | "gleamed")
            )
        {
            return colours_in(toks, run.end + 2, run.end + 6, table);
        }
        run.end
    } else if matches!(word_at(toks, run.end), Some("had" | "has")) {
        run.end + 1
    } else {
        return None;
    };
    let noun = (start..start + 4)
        .find(|&k| noun_at(k) || toks.get(k).is_none_or(|t| !t.word && t.text != ","))?;
    if !noun_at(noun) {
        return None;
    }
    colours_in(toks, start, noun, table)
}

/// A colour word table (see the lexicon).
pub type ColourTable = &'static [(&'static str, &'static [&'static str])];

/// Colour words among tokens `from..to` (stopping at punctuation other than commas).
fn colours_in(toks: &[Tok<'_>], from: usize, to: usize, table: ColourTable) -> Option<String> {
    let mut colours = Vec::new();
    for t in toks.iter().take(to).skip(from) {
        if !t.word && t.text != "," {
            break;
        }
        if t.word && !colour_families(&t.lower, table).is_empty() {
            colours.push(t.lower.clone());
        }
    }
    (!colours.is_empty()).then(|| colours.join(" "))
}

/// The colour families of a value ("blue-grey" → blue, grey); empty if it names no colour.
pub fn colour_families(value: &str, table: ColourTable) -> Vec<&'static str> {
    let mut families = Vec::new();
    for part in value.split(|c: char| !c.is_alphabetic()) {
        if let Some((_, fams)) = table.iter().find(|(name, _)| *name == part) {
            families.extend_from_slice(fams);
        }
    }
    families
}

/// "X, 34,", "X, thirty-four,", "X, aged 34", "X was 34." / "X is 34 years old",
/// "X, a 34-year-old …", "the 34-year-old X". Ages outside 1..=120 are ignored.
fn age_statement(toks: &[Tok<'_>], run: &NameRun) -> Option<u32> {
    let end = run.end;
    let comma = toks.get(end).is_some_and(|t| t.text == ",");
    let closes = |k: usize| match toks.get(k) {
        None => true,
        Some(t) if !t.word => matches!(t.text, "," | "." | ";" | "!" | "?"),
        Some(_) => follows(toks, k, &["years", "old"]) || follows(toks, k, &["year", "old"]),
    };
    let age = if comma && word_at(toks, end + 1) == Some("aged") {
        parse_number(toks, end + 2).map(|(n, _)| n)
    } else if comma && matches!(word_at(toks, end + 1), Some("a" | "an")) {
        word_at(toks, end + 2).and_then(year_old)
    } else if comma {
        parse_number(toks, end + 1)
            .filter(|&(_, next)| closes(next))
            .map(|(n, _)| n)
    } else if matches!(word_at(toks, end), Some("was" | "is")) && !run.possessive {
        parse_number(toks, end + 1)
            .filter(|&(_, next)| closes(next))
            .map(|(n, _)| n)
    } else if word_before(toks, run.start, 2) == Some("the") {
        word_before(toks, run.start, 1).and_then(year_old)
    } else {
        None
    };
    age.filter(|n| (1..=120).contains(n))
}

/// An age written alone ("34", "thirty-four", "thirty four").
pub fn age_value(text: &str) -> Option<u32> {
    let toks = lex(text);
    match parse_number(&toks, 0) {
        Some((n, next)) if next == toks.len() => Some(n),
        _ => None,
    }
}

/// "34-year-old" / "thirty-four-year-old" → 34.
fn year_old(word: &str) -> Option<u32> {
    number_value(word.strip_suffix("-year-old")?)
}

/// A number at token `k` (digits, "thirty-four", "thirty four"), with the index after it.
fn parse_number(toks: &[Tok<'_>], k: usize) -> Option<(u32, usize)> {
    let first = word_at(toks, k)?;
    let value = number_value(first)?;
    let unit = word_at(toks, k + 1)
        .and_then(word_number)
        .filter(|u| *u < 10);
    match unit {
        Some(unit) if value % 10 == 0 && (20..=90).contains(&value) => Some((value + unit, k + 2)),
        _ => Some((value, k + 1)),
    }
}

/// Digits or number words, possibly hyphenated ("thirty-four").
fn number_value(word: &str) -> Option<u32> {
    if !word.is_empty() && word.chars().all(|c| c.is_ascii_digit()) {
        return word.parse().ok();
    }
    match word.split_once('-') {
        Some((tens, unit)) => {
            let (t, u) = (word_number(tens)?, word_number(unit)?);
            (t % 10 == 0 && t >= 20 && u < 10).then_some(t + u)
        }
        None => word_number(word),
    }
}

fn word_number(word: &str) -> Option<u32> {
    NUMBER_WORDS
        .iter()
        .find(|(w, _)| *w == word)
        .map(|&(_, n)| n)
}

/// The sentence's time references in text order (none in a sentence about the future or a
/// hypothesis, see [`MODAL_TIME_WORDS`]): relative cues "next/following
/// morning|day|evening|night|afternoon|dawn", "the day/morning after", "N days later",
/// "N weeks later" ("a" = 1), and weekdays not preceded by an excluding word
/// ("next Monday", "until Friday").
pub fn time_events(toks: &[Tok<'_>]) -> Vec<TimeEvent> {
    let words: Vec<(usize, &Tok<'_>)> = toks.iter().enumerate().filter(|(_, t)| t.word).collect();
    if words.iter().any(|(_, t)| {
        has(MODAL_TIME_WORDS, &t.lower) || t.lower.ends_with("'ll") || t.lower.ends_with("’ll")
    }) {
        return Vec::new();
    }
    let mut events = Vec::new();
    for &(k, t) in &words {
        let w = t.lower.as_str();
        let next = word_at(toks, k + 1);
        let next_part =
            matches!(w, "next" | "following") && next.is_some_and(|n| has(DAY_PARTS, n));
        let day_after = matches!(w, "day" | "morning")
            && next == Some("after")
            && word_before(toks, k, 1) == Some("the");
        if next_part || day_after {
            events.push(TimeEvent::Advance(1));
        } else if let Some(days) = later_cue(toks, k) {
            events.push(TimeEvent::Advance(days));
        } else if let Some(day) = Weekday::from_lowercase(w).filter(|_| is_capitalised(t.text)) {
            let before = word_before(toks, k, 1);
            if !before.is_some_and(|b| has(WEEKDAY_EXCLUDERS, b)) {
                let stative = before.is_some_and(|b| has(WEEKDAY_STATIVE, b));
                events.push(TimeEvent::Weekday { day, stative });
            }
        }
    }
    events
}

/// "N days later" / "N weeks later" starting at token `k`.
fn later_cue(toks: &[Tok<'_>], k: usize) -> Option<u32> {
    let (n, unit_at) = match word_at(toks, k)? {
        "a" | "an" => (1, k + 1),
        _ => parse_number(toks, k)?,
    };
    let per = match word_at(toks, unit_at)? {
        "day" | "days" => 1,
        "week" | "weeks" => 7,
        _ => return None,
    };
    (word_at(toks, unit_at + 1) == Some("later")).then(|| n.saturating_mul(per))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runs(s: &str) -> Vec<String> {
        name_runs(&lex(s)).into_iter().map(|r| r.core).collect()
    }

    fn first_run<'a>(toks: &[Tok<'a>]) -> NameRun {
        name_runs(toks).into_iter().next().expect("a name run")
    }

    #[test]
    fn lexer_marks_possessives_and_initial_words() {
        let toks = lex("“Go,” said Mara's brother. \"Now\"");
        let words: Vec<(&str, bool, bool)> = toks
            .iter()
            .filter(|t| t.word)
            .map(|t| (t.text, t.possessive, t.initial))
            .collect();
        assert_eq!(
            words,
            [
                ("Go", false, true),
                ("said", false, false),
                ("Mara", true, false),
                ("brother", false, false),
                ("Now", false, true)
            ]
        );
    }

    #[test]
    fn name_runs_skip_common_starts_days_and_titles() {
        assert_eq!(
            runs("Then Mara met Captain Elena Reyes on Monday."),
            ["Mara", "Elena Reyes"]
        );
        assert_eq!(runs("Mr. Hale and I saw JONAH in May."), ["Hale"]);
        assert_eq!(runs("On Monday Tom left."), ["Tom"]);
        let r = first_run(&lex("Captain Reyes's ship"));
        assert!(r.titled && r.possessive);
    }

    #[test]
    fn evidence_and_introductions() {
        let toks = lex("A fisherman named Jonah waved.");
        let r = first_run(&toks);
        assert!(introduced(&toks, &r) && person_evidence(&toks, &r));
        let toks = lex("She looked at Jonah.");
        assert!(!person_evidence(&toks, &first_run(&toks)));
        let toks = lex("Later, Jonah slowly turned.");
        assert!(acts(&toks, &first_run(&toks)));
        let toks = lex("\"Go,\" said Jonah.");
        let runs = name_runs(&toks);
        assert_eq!(
            runs.iter().map(|r| r.core.as_str()).collect::<Vec<_>>(),
            ["Go", "Jonah"]
        );
        assert!(runs[0].initial && acts(&toks, &runs[1]));
        let toks = lex("They walked into Kestrel Cove.");
        assert!(place_context(&toks, &first_run(&toks)));
        for s in [
            "The Atlantic roared.",
            "In the bay, the Queen Maud rocked.",
            "The Harbour Board meets today.",
        ] {
            let toks = lex(s);
            assert!(
                name_runs(&toks).iter().all(|r| !person_evidence(&toks, r)),
                "{s}"
            );
        }
        let toks = lex("Mrs. Hall waved.");
        assert!(person_evidence(&toks, &first_run(&toks)));
    }

    #[test]
    fn deaths_and_hedges() {
        for s in [
            "Tom died.",
            "Tom was killed at dawn.",
            "They mourned the death of Tom.",
            "Tom's body was found.",
            "A guard killed Tom.",
        ] {
            let toks = lex(s);
            assert!(died(&toks, &first_run(&toks)), "{s}");
        }
        for s in ["Tom's body ached.", "Tom nearly died.", "Tom lived."] {
            let toks = lex(s);
            assert!(!died(&toks, &first_run(&toks)), "{s}");
        }
        assert!(hedged(&lex("If Tom died, all was lost.")));
        assert!(hedged(&lex("Tom wasn't dead.")));
    }

    #[test]
    fn attribute_statements() {
        let cases = [
            (
                "Mara's eyes were a pale blue.",
                AttributeKind::EyeColour,
                "blue",
            ),
            (
                "Mara had piercing green eyes.",
                AttributeKind::EyeColour,
                "green",
            ),
            (
                "Mara's blue-grey eyes narrowed.",
                AttributeKind::EyeColour,
                "blue-grey",
            ),
            ("Mara's hair was black.", AttributeKind::HairColour, "black"),
            ("Mara, thirty-four, sailed.", AttributeKind::Age, "34"),
            ("Mara, thirty four, sailed.", AttributeKind::Age, "34"),
            ("Mara was 34.", AttributeKind::Age, "34"),
            ("Mara was 34 years old.", AttributeKind::Age, "34"),
            ("Mara, aged 34, sailed.", AttributeKind::Age, "34"),
            (
                "Mara, a 34-year-old sailor, smiled.",
                AttributeKind::Age,
                "34",
            ),
            ("The 34-year-old Mara smiled.", AttributeKind::Age, "34"),
        ];
        for (s, kind, value) in cases {
            let toks = lex(s);
            assert_eq!(
                attributes(&toks, &first_run(&toks)),
                [(kind, value.to_owned())],
                "{s}"
            );
        }
        for s in [
            "Mara's eyes were red from crying.",
            "Mara was 5 minutes late.",
            "Mara was tired.",
            "Mara, 300, sailed.",
        ] {
            let toks = lex(s);
            assert!(attributes(&toks, &first_run(&toks)).is_empty(), "{s}");
        }
    }

    #[test]
    fn time_references() {
        let ev = |s: &str| time_events(&lex(s));
        assert_eq!(
            ev("The next morning, a Thursday, came."),
            [
                TimeEvent::Advance(1),
                TimeEvent::Weekday {
                    day: Weekday::Thursday,
                    stative: false
                }
            ]
        );
        assert_eq!(
            ev("It was Friday."),
            [TimeEvent::Weekday {
                day: Weekday::Friday,
                stative: true
            }]
        );
        assert_eq!(ev("Two days later they met."), [TimeEvent::Advance(2)]);
        assert_eq!(ev("A week later they met."), [TimeEvent::Advance(7)]);
        assert_eq!(ev("The day after, rain."), [TimeEvent::Advance(1)]);
        assert!(ev("They would leave the next morning.").is_empty());
        assert!(ev("She waited until Friday.").is_empty());
        assert!(ev("Every Monday she swam, and last Friday too.").is_empty());
        assert!(ev("Mondays were quiet.").is_empty());
    }
}
