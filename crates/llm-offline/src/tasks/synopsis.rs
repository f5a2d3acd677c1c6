//! `synopsis@1`: two paragraphs of back-cover copy in the present tense, built from the
//! premise, the cast, the places, the themes and the earlier chapters.

use crate::dice::Dice;
use crate::english;
use crate::lexicon;
use crate::prompt::Prompt;
use crate::tasks::cast;
use crate::types::Error;

const TURNS: &[&str] = &[
    "But when {B} brings word of {Q}, the quiet life {A} has built begins to come apart.",
    "Then {B} arrives with a secret, and nothing in {P} looks the same again.",
    "One night changes everything: {B} disappears, and {A} is the only one who knows where to look.",
];

const STAKES: &[&str] = &[
    "From {P} to {P2}, {A} must decide whom to trust: {B}, who has lied before, or {C}, who never needs to.",
    "Between {P} and {P2}, every choice costs something, and {C} is always one step ahead.",
    "As the search leads from {P} to {P2}, {A} learns that {C} wants the same thing, for very different reasons.",
];

const FOES: &[&str] = &[
    "has plans of their own.",
    "will not let the past stay buried.",
    "is closer than anyone thinks.",
    "knows exactly what the search will cost.",
];

const HOOKS: &[&str] = &[
    "Some doors, once opened, cannot be closed.",
    "The truth is out there. So is the bill.",
    "Nobody leaves this story unchanged.",
    "Finding the answer was the easy part.",
];

/// Writes the synopsis.
pub fn synopsis(prompt: &Prompt, mut dice: Dice) -> Result<String, Error> {
    let pack = lexicon::pack_for(prompt.field("Genre").unwrap_or(""));
    let people = cast::characters(prompt, pack, &mut dice, 3);
    let places = cast::places(prompt, pack, &mut dice, 2);
    let name = |i: usize| people[i.min(people.len() - 1)].name.clone();
    let place = |i: usize| english::mid_sentence(&places[i % places.len()].name);
    let hero = &people[0];
    let themes: Vec<String> = match prompt.items("Themes") {
        [] => pack.themes.iter().take(2).map(|t| t.to_string()).collect(),
        given => given.to_vec(),
    };
    let fill = |s: &str| {
        english::finish_sentence(
            &s.replace("{A}", &hero.name)
                .replace("{B}", &name(1))
                .replace("{C}", &name(2))
                .replace("{P2}", &place(1))
                .replace("{P}", &place(0))
                .replace("{Q}", "the past"),
        )
    };

    let opening = match prompt.field("Premise") {
        Some(premise) => english::finish_sentence(premise),
        None => fill("In {P}, nothing is quite what it seems."),
    };
    let short = hero.name.split_whitespace().next().unwrap_or(&hero.name);
    let hero_ref = if opening.contains(&hero.name) {
        short
    } else {
        hero.name.as_str()
    };
    let who = if hero.description.is_empty() {
        format!("{hero_ref} has spent years keeping out of trouble.")
    } else {
        format!(
            "{hero_ref}, {}, has spent years keeping out of trouble.",
            lower_start(hero.description.trim_end_matches('.'))
        )
    };
    let setting = match places.first() {
        Some(p) if !p.description.is_empty() => format!(
            " It begins in {}, {}.",
            english::mid_sentence(&p.name),
            lower_start(p.description.trim_end_matches('.'))
        ),
        _ => String::new(),
    };
    let turn = fill(dice.pick(TURNS)).replacen(&hero.name, short, 1);
    let test = format!(
        "What follows will test everything {short} believes about {}.",
        themes.first().map_or("the past", String::as_str)
    );
    let first = format!("{opening} {who}{setting} {turn} {test}");
    let mut second = fill(dice.pick(STAKES)).replacen(&hero.name, short, 1);
    if let Some(foe) = people.get(2).or(people.get(1)) {
        let what = if foe.description.is_empty() {
            foe.role.clone()
        } else {
            lower_start(foe.description.trim_end_matches('.'))
        };
        if !what.is_empty() {
            second.push_str(&format!(" And {}, {what}, {}", foe.name, dice.pick(FOES)));
        }
    }
    if let Some(last) = prompt.items("Earlier chapters").last() {
        let summary = last
            .split_once(':')
            .map_or(last.as_str(), |(_, s)| s.trim());
        if !summary.is_empty() {
            second.push_str(&format!(
                " By the end, the stakes are plain: {}",
                english::finish_sentence(&lower_start(summary))
            ));
        }
    }
    let title = prompt.field("Title").unwrap_or("This");
    let tone = prompt.field("Tone").unwrap_or(pack.tone);
    second.push_str(&format!(
        " {title} is a {tone} story of {}. {}",
        themes.join(" and "),
        dice.pick(HOOKS)
    ));
    Ok(format!("{first}\n\n{second}"))
}

/// Lowercases a leading article so a summary can continue a sentence.
fn lower_start(summary: &str) -> String {
    for article in ["The ", "A ", "An "] {
        if let Some(rest) = summary.strip_prefix(article) {
            return format!("{}{rest}", article.to_lowercase());
        }
    }
    summary.to_owned()
}
