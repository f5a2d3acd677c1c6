//! Just enough English for the offline writer: verb forms, grammatical person and tense,
//! sentence capitalisation, and rewriting a present-tense beat into the chapter's voice.

/// Grammatical person of a sentence's subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Person {
    /// `I`.
    First,
    /// `you`.
    Second,
    /// A name or a singular noun.
    Third,
    /// Several people or things (`they`, `Mara and Ivo`).
    Plural,
}

/// Narrative tense.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tense {
    /// `she walked`.
    Past,
    /// `she walks`.
    Present,
}

/// Irregular verbs: base, third person singular present, past.
const IRREGULAR: &[(&str, &str, &str)] = &[
    ("be", "is", "was"),
    ("have", "has", "had"),
    ("do", "does", "did"),
    ("go", "goes", "went"),
    ("say", "says", "said"),
    ("see", "sees", "saw"),
    ("find", "finds", "found"),
    ("take", "takes", "took"),
    ("make", "makes", "made"),
    ("know", "knows", "knew"),
    ("think", "thinks", "thought"),
    ("feel", "feels", "felt"),
    ("come", "comes", "came"),
    ("hold", "holds", "held"),
    ("keep", "keeps", "kept"),
    ("leave", "leaves", "left"),
    ("tell", "tells", "told"),
    ("stand", "stands", "stood"),
    ("run", "runs", "ran"),
    ("speak", "speaks", "spoke"),
    ("hear", "hears", "heard"),
    ("write", "writes", "wrote"),
    ("read", "reads", "read"),
    ("bring", "brings", "brought"),
    ("begin", "begins", "began"),
    ("catch", "catches", "caught"),
    ("fall", "falls", "fell"),
    ("give", "gives", "gave"),
    ("lose", "loses", "lost"),
    ("meet", "meets", "met"),
    ("rise", "rises", "rose"),
    ("sit", "sits", "sat"),
    ("sleep", "sleeps", "slept"),
    ("understand", "understands", "understood"),
    ("wake", "wakes", "woke"),
    ("win", "wins", "won"),
    ("set", "sets", "set"),
    ("put", "puts", "put"),
    ("let", "lets", "let"),
    ("shut", "shuts", "shut"),
    ("lead", "leads", "led"),
    ("hide", "hides", "hid"),
    ("draw", "draws", "drew"),
    ("grow", "grows", "grew"),
    ("throw", "throws", "threw"),
    ("drive", "drives", "drove"),
    ("ride", "rides", "rode"),
    ("choose", "chooses", "chose"),
    ("break", "breaks", "broke"),
    ("forget", "forgets", "forgot"),
    ("steal", "steals", "stole"),
    ("swear", "swears", "swore"),
    ("shake", "shakes", "shook"),
    ("strike", "strikes", "struck"),
    ("sweep", "sweeps", "swept"),
    ("creep", "creeps", "crept"),
    ("kneel", "kneels", "knelt"),
    ("spend", "spends", "spent"),
    ("send", "sends", "sent"),
    ("build", "builds", "built"),
    ("bend", "bends", "bent"),
    ("dig", "digs", "dug"),
    ("hang", "hangs", "hung"),
    ("slide", "slides", "slid"),
    ("swing", "swings", "swung"),
    ("tear", "tears", "tore"),
    ("flee", "flees", "fled"),
    ("seek", "seeks", "sought"),
    ("teach", "teaches", "taught"),
    ("fight", "fights", "fought"),
    ("buy", "buys", "bought"),
    ("sink", "sinks", "sank"),
    ("light", "lights", "lit"),
    ("mean", "means", "meant"),
    ("get", "gets", "got"),
    ("pay", "pays", "paid"),
    ("lay", "lays", "laid"),
    ("sell", "sells", "sold"),
    ("shine", "shines", "shone"),
    ("blow", "blows", "blew"),
    ("fly", "flies", "flew"),
    ("drink", "drinks", "drank"),
    ("eat", "eats", "ate"),
    ("ring", "rings", "rang"),
    ("sing", "sings", "sang"),
    ("hit", "hits", "hit"),
    ("cut", "cuts", "cut"),
    ("stick", "sticks", "stuck"),
    ("feed", "feeds", "fed"),
    ("bite", "bites", "bit"),
    ("split", "splits", "split"),
    ("overhear", "overhears", "overheard"),
    ("stride", "strides", "strode"),
    ("wind", "winds", "wound"),
    ("undertake", "undertakes", "undertook"),
    ("forgive", "forgives", "forgave"),
    ("withdraw", "withdraws", "withdrew"),
];

/// Regular verbs that double their last consonant before `-ed`.
const DOUBLING: &[&str] = &[
    "stop", "grip", "nod", "step", "drop", "slip", "tap", "pat", "plan", "shrug", "grab", "hug",
    "trip", "scan", "wrap", "knot", "pin", "skip", "snap", "strip", "tug", "rub", "admit",
    "commit", "regret", "prefer", "stir", "jab", "dip", "trap", "ban", "beg", "plot", "occur",
    "refer", "permit", "control", "patrol", "compel", "propel", "rebel", "incur", "deter", "equip",
    "omit", "submit", "transfer", "unwrap", "unpin",
];

/// The form of `verb` (given as its base, e.g. `walk`) agreeing with `person` in `tense`.
pub fn conjugate(verb: &str, person: Person, tense: Tense) -> String {
    if verb == "be" {
        return match (tense, person) {
            (Tense::Past, Person::Second | Person::Plural) => "were",
            (Tense::Past, _) => "was",
            (Tense::Present, Person::First) => "am",
            (Tense::Present, Person::Third) => "is",
            (Tense::Present, _) => "are",
        }
        .to_owned();
    }
    match (verb, tense) {
        ("can", Tense::Past) => return "could".to_owned(),
        ("will", Tense::Past) => return "would".to_owned(),
        ("can" | "will", Tense::Present) => return verb.to_owned(),
        _ => {}
    }
    match (tense, person) {
        (Tense::Past, _) => past(verb),
        (Tense::Present, Person::Third) => third(verb),
        (Tense::Present, _) => verb.to_owned(),
    }
}

/// Third person singular present: `walks`, `watches`, `carries`.
pub fn third(base: &str) -> String {
    if let Some((_, third, _)) = IRREGULAR.iter().find(|(b, _, _)| *b == base) {
        return (*third).to_owned();
    }
    if ends_consonant_y(base) {
        return format!("{}ies", &base[..base.len() - 1]);
    }
    if ["s", "sh", "ch", "x", "z", "o"]
        .iter()
        .any(|e| base.ends_with(e))
    {
        return format!("{base}es");
    }
    format!("{base}s")
}

/// Simple past: `walked`, `carried`, `stopped`, `found`.
pub fn past(base: &str) -> String {
    if let Some((_, _, past)) = IRREGULAR.iter().find(|(b, _, _)| *b == base) {
        return (*past).to_owned();
    }
    if DOUBLING.contains(&base) || doubles(base) {
        let last = &base[base.len() - 1..];
        return format!("{base}{last}ed");
    }
    if base.ends_with('e') {
        return format!("{base}d");
    }
    if ends_consonant_y(base) {
        return format!("{}ied", &base[..base.len() - 1]);
    }
    format!("{base}ed")
}

/// Present participle: `walking`, `making`, `stopping`, `lying`, `seeing`.
pub fn gerund(base: &str) -> String {
    if let Some(stem) = base.strip_suffix("ie") {
        return format!("{stem}ying");
    }
    if base.ends_with('e') && !base.ends_with("ee") && !base.ends_with("ye") && base != "be" {
        return format!("{}ing", &base[..base.len() - 1]);
    }
    if DOUBLING.contains(&base) || doubles(base) {
        let last = &base[base.len() - 1..];
        return format!("{base}{last}ing");
    }
    format!("{base}ing")
}

/// The base form of a third-person present verb, if `word` looks like one.
fn base_of_third(word: &str) -> Option<String> {
    if let Some((base, _, _)) = IRREGULAR.iter().find(|(_, t, _)| *t == word) {
        return Some((*base).to_owned());
    }
    if word.len() < 3 || word.ends_with("ss") || word.ends_with("us") || word.ends_with("is") {
        return None;
    }
    if let Some(stem) = word.strip_suffix("ies") {
        return Some(format!("{stem}y"));
    }
    for ending in ["sses", "shes", "ches", "xes", "zes", "oes"] {
        if word.ends_with(ending) {
            return Some(word[..word.len() - 2].to_owned());
        }
    }
    word.strip_suffix('s').map(str::to_owned)
}

/// One-syllable verbs ending consonant-vowel-consonant double the consonant (`drip` →
/// `dripped`), except after `w`, `x` or `y`.
fn doubles(base: &str) -> bool {
    let b = base.as_bytes();
    let vowel = |c: u8| b"aeiou".contains(&c);
    let groups = b
        .iter()
        .enumerate()
        .filter(|(i, c)| vowel(**c) && (*i == 0 || !vowel(b[i - 1])))
        .count();
    b.len() >= 3
        && groups == 1
        && !vowel(b[b.len() - 1])
        && !b"wxy".contains(&b[b.len() - 1])
        && vowel(b[b.len() - 2])
        && !vowel(b[b.len() - 3])
}

fn ends_consonant_y(word: &str) -> bool {
    let bytes = word.as_bytes();
    bytes.len() >= 2
        && bytes[bytes.len() - 1] == b'y'
        && !b"aeiou".contains(&bytes[bytes.len() - 2])
}

/// Words that cannot be the verb right after a beat's subject.
const NOT_VERBS: &[&str] = &[
    "the", "a", "an", "and", "or", "but", "who", "whose", "with", "in", "at", "on", "of", "to",
    "from", "after", "before", "when", "while", "as", "was", "this", "that", "his", "her", "their",
    "its", "news", "always", "never",
];

/// Rewrites a beat written in the present tense with a third-person subject (`Mara finds the
/// map and hides it.`) into the chapter's voice: a subject among `narrator`'s names (the
/// point-of-view character, in first or second person) becomes `I`/`You`, and the main
/// verbs follow `tense`.
/// Beats it cannot read are returned unchanged (with final punctuation).
pub fn voice_beat(beat: &str, narrator: Option<(&[&str], Person)>, tense: Tense) -> String {
    let mut words: Vec<String> = beat.split_whitespace().map(str::to_owned).collect();
    if words.is_empty() {
        return String::new();
    }
    let mut person = Person::Third;
    // The subject: leading capitalised words, possibly joined by `and`.
    let mut i = 0;
    while i < words.len() {
        let w = &words[i];
        let capitalised = w.chars().next().is_some_and(char::is_uppercase);
        if capitalised && !w.ends_with(',') {
            i += 1;
        } else if w == "and" && i > 0 && i + 1 < words.len() {
            person = Person::Plural;
            i += 1;
        } else {
            break;
        }
    }
    if i == 0 {
        return finish_sentence(&words.join(" "));
    }
    if let Some((names, narrator_person)) = narrator {
        let (subject_pronoun, object, possessive) = match narrator_person {
            Person::First => ("I", "me", "my"),
            _ => ("you", "you", "your"),
        };
        let subject = words[..i].join(" ");
        let replacement = if names.contains(&subject.as_str()) {
            Some((subject_pronoun.to_owned(), narrator_person))
        } else {
            // `Mara and Ivo` → `Ivo and I`.
            subject.split_once(" and ").and_then(|(left, right)| {
                let other = if names.contains(&left) {
                    right
                } else if names.contains(&right) {
                    left
                } else {
                    return None;
                };
                Some((format!("{other} and {subject_pronoun}"), Person::Plural))
            })
        };
        if let Some((text, new_person)) = replacement {
            words.splice(0..i, [capitalise(&text)]);
            i = 1;
            person = new_person;
        }
        // The narrator elsewhere in the beat is `me` / `my`.
        let mut rest = words[i..].join(" ");
        for name in names {
            for apostrophe in ["'s", "\u{2019}s"] {
                rest = replace_word(&rest, &format!("{name}{apostrophe}"), possessive);
            }
            rest = replace_word(&rest, name, object);
        }
        words.truncate(i);
        words.extend(rest.split_whitespace().map(str::to_owned));
    }
    let mut converted = false;
    let mut j = i;
    while j < words.len() {
        let at_main_verb = j == i
            || (converted && words[j - 1] == "and" && j + 1 < words.len())
            || (j == i + 1 && words[i].ends_with("ly"));
        if at_main_verb && let Some(new) = revoice_verb(&words[j], person, tense) {
            words[j] = new;
            converted = true;
        }
        j += 1;
        if j > i + 1 && !converted {
            break;
        }
    }
    finish_sentence(&words.join(" "))
}

/// Replaces whole-word occurrences of `needle` in `text`.
fn replace_word(text: &str, needle: &str, with: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(needle) {
        let before = rest[..at].chars().next_back().or(out.chars().next_back());
        let after = rest[at + needle.len()..].chars().next();
        let bounded = !before.is_some_and(char::is_alphanumeric)
            && !after.is_some_and(|c| c.is_alphanumeric() || c == '\'' || c == '\u{2019}');
        out.push_str(&rest[..at]);
        out.push_str(if bounded { with } else { needle });
        rest = &rest[at + needle.len()..];
    }
    out.push_str(rest);
    out
}

/// The voiced form of a beat verb written for `person` in the present, or None if `word`
/// does not look like a verb.
fn revoice_verb(word: &str, person: Person, tense: Tense) -> Option<String> {
    let (core, trailing) = split_trailing_punctuation(word);
    if core.is_empty()
        || NOT_VERBS.contains(&core)
        || !core.chars().all(|c| c.is_ascii_lowercase())
        || core.ends_with("ly")
    {
        return None;
    }
    let base = if person == Person::Plural {
        core.to_owned()
    } else {
        base_of_third(core)?
    };
    Some(format!("{}{trailing}", conjugate(&base, person, tense)))
}

fn split_trailing_punctuation(word: &str) -> (&str, &str) {
    let end = word
        .trim_end_matches(|c: char| c.is_ascii_punctuation())
        .len();
    word.split_at(end)
}

/// Capitalises the first letter.
pub fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Capitalises and ends with `.`, `!` or `?` (adding `.` when missing).
pub fn finish_sentence(text: &str) -> String {
    let text = text.trim();
    let mut out = capitalise(text);
    if !out.ends_with(['.', '!', '?', '"', '\u{201d}']) {
        out.push('.');
    }
    out
}

/// `The Archive` → `the Archive` in the middle of a sentence.
pub fn mid_sentence(name: &str) -> String {
    match name.strip_prefix("The ") {
        Some(rest) => format!("the {rest}"),
        None => name.to_owned(),
    }
}

/// Whitespace-separated words.
pub fn word_count(text: &str) -> usize {
    text.split_whitespace().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conjugates_regular_and_irregular_verbs() {
        assert_eq!(conjugate("walk", Person::Third, Tense::Present), "walks");
        assert_eq!(conjugate("walk", Person::First, Tense::Present), "walk");
        assert_eq!(conjugate("carry", Person::Third, Tense::Past), "carried");
        assert_eq!(conjugate("watch", Person::Third, Tense::Present), "watches");
        assert_eq!(conjugate("stop", Person::Third, Tense::Past), "stopped");
        assert_eq!(past("drip"), "dripped");
        assert_eq!(past("drag"), "dragged");
        assert_eq!(past("open"), "opened");
        assert_eq!(past("look"), "looked");
        assert_eq!(past("fix"), "fixed");
        assert_eq!(past("occur"), "occurred");
        assert_eq!(past("visit"), "visited");
        assert_eq!(past("help"), "helped");
        assert_eq!(gerund("make"), "making");
        assert_eq!(gerund("stop"), "stopping");
        assert_eq!(gerund("lie"), "lying");
        assert_eq!(gerund("see"), "seeing");
        assert_eq!(gerund("watch"), "watching");
        assert_eq!(conjugate("arrive", Person::Third, Tense::Past), "arrived");
        assert_eq!(conjugate("find", Person::Second, Tense::Past), "found");
        assert_eq!(conjugate("be", Person::First, Tense::Present), "am");
        assert_eq!(conjugate("be", Person::Second, Tense::Past), "were");
        assert_eq!(conjugate("be", Person::Third, Tense::Present), "is");
        assert_eq!(conjugate("can", Person::Third, Tense::Past), "could");
        assert_eq!(conjugate("will", Person::First, Tense::Present), "will");
    }

    #[test]
    fn voices_beats() {
        let beat = "Mara Quill finds the map and hides it in the Archive";
        assert_eq!(
            voice_beat(beat, None, Tense::Past),
            "Mara Quill found the map and hid it in the Archive."
        );
        assert_eq!(
            voice_beat(
                beat,
                Some((&["Mara Quill", "Mara"][..], Person::First)),
                Tense::Past
            ),
            "I found the map and hid it in the Archive."
        );
        assert_eq!(
            voice_beat(
                beat,
                Some((&["Mara Quill", "Mara"][..], Person::First)),
                Tense::Present
            ),
            "I find the map and hide it in the Archive."
        );
        assert_eq!(
            voice_beat("Mara and Ivo escape the flood.", None, Tense::Past),
            "Mara and Ivo escaped the flood."
        );
        let me = Some((&["Mara Quill", "Mara"][..], Person::First));
        assert_eq!(
            voice_beat("Mara and Ivo escape the flood.", me, Tense::Past),
            "Ivo and I escaped the flood."
        );
        assert_eq!(
            voice_beat(
                "Ivo warns Mara Quill about Mara's brother.",
                me,
                Tense::Present
            ),
            "Ivo warns me about my brother."
        );
        assert_eq!(
            voice_beat("Ivo finds Marathon maps.", me, Tense::Present),
            "Ivo finds Marathon maps."
        );
        assert_eq!(
            voice_beat("Ivo finally confronts the warden.", None, Tense::Past),
            "Ivo finally confronted the warden."
        );
        assert_eq!(
            voice_beat("A storm rolls in", None, Tense::Past),
            "A storm rolls in."
        );
        assert_eq!(voice_beat("the end", None, Tense::Present), "The end.");
    }
}
