//! `outline@1`: exactly `Chapters` chapters, each with a title, a summary, beats that follow a
//! classic arc (setup, rising action, midpoint, crisis, climax, resolution) and a word budget
//! (`Word budget` each, or `Total words` shared out so the budgets add up to it).

use serde::Serialize;

use crate::dice::{Bag, Dice};
use crate::english;
use crate::lexicon::{self, Pack};
use crate::prompt::{CharacterItem, Prompt};
use crate::tasks::cast;
use crate::types::Error;

/// Most chapters an outline may have.
pub const MAX_CHAPTERS: u32 = 500;
/// Chapter count when the prompt gives none.
const DEFAULT_CHAPTERS: u32 = 10;
/// Words per chapter when the prompt gives no budget.
const DEFAULT_WORDS: u32 = 2000;

#[derive(Serialize)]
struct Outline {
    chapters: Vec<Chapter>,
}

#[derive(Serialize)]
struct Chapter {
    number: u32,
    title: String,
    summary: String,
    beats: Vec<String>,
    word_budget: u32,
}

/// Beat templates per arc phase, in the present tense: `{A}` protagonist, `{B}` ally, `{C}`
/// antagonist, `{P}` a place, `{Q}` what the story turns on.
const PHASES: &[&[&str]] = &[
    // setup
    &[
        "{A} arrives in {P} looking for news of {Q}",
        "{A} hears the first rumour about {Q} from {B}",
        "{A} refuses {B}'s offer of help",
        "{B} asks {A} to carry a message to {P}",
        "{A} finds a stranger's mark on the door of the house in {P}",
        "{C} makes {A} a generous offer with hidden strings",
        "{A} keeps a promise to {B} at great cost",
    ],
    // rising action
    &[
        "{A} and {B} search {P} for {Q}",
        "{A} follows {B} to {P} and overhears a quarrel",
        "{B} lies to {A} about {Q}",
        "{A} trades a secret for safe passage to {P}",
        "{C} warns {A} to stay away from {P}",
        "{A} learns of a second hunter on the trail of {Q}",
        "{B} is hurt covering {A}'s escape from {P}",
        "{A} breaks into the records of {P} at night",
        "{A} tests {B}'s loyalty with a false trail",
    ],
    // midpoint
    &[
        "{A} discovers that {Q} was never lost, only hidden",
        "{B} reveals an old debt to {C}",
        "{A} loses {Q} to {C} in {P}",
        "{A} understands the true aim of {C}",
    ],
    // crisis
    &[
        "{C} corners {A} in {P}",
        "{A} breaks with {B} over {Q}",
        "{A} hides in {P} and counts the cost",
        "{C} turns the people of {P} against {A}",
        "{A} admits the truth to {B} at last",
        "{A} chooses to go back to {P} alone",
    ],
    // climax
    &[
        "{A} confronts {C} in {P}",
        "{A} gambles {Q} on a single throw",
        "{B} returns at the worst possible moment",
        "{A} turns {C}'s plan against itself",
    ],
    // resolution
    &[
        "{A} returns {Q} to where it belongs",
        "{A} forgives {B}, though not entirely",
        "{A} leaves {P} at first light",
        "{A} writes down everything that happened",
    ],
];

const ADJECTIVES: &[&str] = &[
    "Silent", "Last", "Broken", "Hidden", "Long", "Cold", "Second", "Quiet", "Burning", "Lost",
    "Borrowed", "Empty", "Narrow", "Bitter",
];

/// Writes the outline.
pub fn outline(prompt: &Prompt, mut dice: Dice) -> Result<String, Error> {
    let count = prompt.number("Chapters")?.unwrap_or(DEFAULT_CHAPTERS);
    if count == 0 || count > MAX_CHAPTERS {
        return Err(Error::InvalidRequest(format!(
            "Chapters must be between 1 and {MAX_CHAPTERS}, not {count}"
        )));
    }
    let budgets = budgets(
        count,
        prompt.number("Word budget")?,
        prompt.number("Total words")?,
    );
    let pack = lexicon::pack_for(prompt.field("Genre").unwrap_or(""));
    let people = cast::characters(prompt, pack, &mut dice, 3);
    let places: Vec<String> = cast::places(prompt, pack, &mut dice, 3)
        .into_iter()
        .map(|p| p.name)
        .collect();
    let quest = dice.pick(pack.quests);
    let roles = Roles::of(&people);

    let mut bags: Vec<Bag> = PHASES.iter().map(|p| Bag::new(p.len())).collect();
    let mut used_titles: Vec<String> = Vec::new();
    let mut place_turn = dice.below(places.len());
    let mut chapters = Vec::with_capacity(count as usize);
    for number in 1..=count {
        let mut beats = Vec::new();
        for phase in phases_of(number, count, dice.between(3, 4)) {
            let template = PHASES[phase][bags[phase].draw(&mut dice)];
            place_turn += 1;
            let place = &places[place_turn % places.len()];
            beats.push(fill(template, &roles, &people, place, quest));
        }
        let title = chapter_title(pack, &places, &people, &mut dice, &used_titles, number);
        used_titles.push(title.clone());
        chapters.push(Chapter {
            number,
            title,
            summary: beats.iter().take(2).cloned().collect::<Vec<_>>().join(" "),
            beats,
            word_budget: budgets[number as usize - 1],
        });
    }
    super::to_json(&Outline { chapters })
}

/// Each chapter's budget: `each` if given, else `total` shared out (the first chapters take
/// the remainder), else the default.
fn budgets(count: u32, each: Option<u32>, total: Option<u32>) -> Vec<u32> {
    match (each, total) {
        (Some(each), _) => vec![each; count as usize],
        (None, Some(total)) => (0..count)
            .map(|i| total / count + u32::from(i < total % count))
            .collect(),
        (None, None) => vec![DEFAULT_WORDS; count as usize],
    }
}

/// The arc phases of chapter `number`'s `beats` beats.
fn phases_of(number: u32, count: u32, beats: usize) -> Vec<usize> {
    if count == 1 {
        return [0, 1, 4, 5].into_iter().take(beats.max(3)).collect();
    }
    let position = f64::from(number - 1) / f64::from(count - 1);
    let phase = match position {
        p if number == count || p >= 0.95 => 5,
        p if p >= 0.8 => 4,
        p if p >= 0.55 => 3,
        p if p >= 0.45 => 2,
        p if p >= 0.2 => 1,
        _ => 0,
    };
    let mut phases = vec![phase; beats];
    // In a short book the last chapter holds the climax too; the midpoint chapter opens
    // with rising action.
    if phase == 5 && count < 6 {
        phases[0] = 4;
    }
    if phase == 2 {
        phases[0] = 1;
    }
    phases
}

/// Who plays protagonist, ally and antagonist (indices into the cast).
struct Roles {
    hero: usize,
    ally: Option<usize>,
    foe: Option<usize>,
}

impl Roles {
    fn of(people: &[CharacterItem]) -> Roles {
        let find = |words: &[&str]| {
            people.iter().enumerate().skip(1).find_map(|(i, c)| {
                let role = c.role.to_lowercase();
                words.iter().any(|w| role.contains(w)).then_some(i)
            })
        };
        let foe = find(&["antagonist", "villain", "rival", "enemy", "nemesis"])
            .or_else(|| (people.len() >= 3).then_some(people.len() - 1));
        let ally = find(&["ally", "friend", "love", "partner", "companion", "sidekick"])
            .or_else(|| (1..people.len()).find(|i| Some(*i) != foe));
        Roles { hero: 0, ally, foe }
    }
}

/// Fills a beat template.
fn fill(
    template: &str,
    roles: &Roles,
    people: &[CharacterItem],
    place: &str,
    quest: &str,
) -> String {
    let name = |i: Option<usize>, fallback: &str| {
        i.map_or_else(|| fallback.to_owned(), |i| people[i].name.clone())
    };
    let text = template
        .replace("{A}", &people[roles.hero].name)
        .replace("{B}", &name(roles.ally, "an old friend"))
        .replace("{C}", &name(roles.foe, "a stranger"))
        .replace("{P}", &english::mid_sentence(place))
        .replace("{Q}", quest);
    english::finish_sentence(&text)
}

/// A chapter title not used before in this outline.
fn chapter_title(
    pack: &Pack,
    places: &[String],
    people: &[CharacterItem],
    dice: &mut Dice,
    used: &[String],
    number: u32,
) -> String {
    for _ in 0..12 {
        let noun = dice.pick(pack.title_nouns);
        let title = match dice.below(6) {
            0 => format!("The {noun}"),
            1 => format!("The {} {noun}", dice.pick(ADJECTIVES)),
            2 => places[dice.below(places.len())].clone(),
            3 => format!("What {} Knew", people[dice.below(people.len())].name),
            4 => format!("Before the {noun}"),
            _ => format!("The Road to {}", places[dice.below(places.len())]),
        };
        if !used.contains(&title) {
            return title;
        }
    }
    format!("Chapter {number}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_add_up_to_the_total() {
        let b = budgets(12, None, Some(30_001));
        assert_eq!(b.len(), 12);
        assert_eq!(b.iter().sum::<u32>(), 30_001);
        assert!(b.iter().all(|x| *x == 2500 || *x == 2501));
        assert_eq!(budgets(3, Some(900), Some(1)), vec![900; 3]);
        assert_eq!(budgets(2, None, None), vec![DEFAULT_WORDS; 2]);
    }

    #[test]
    fn the_arc_runs_from_setup_to_resolution() {
        assert_eq!(phases_of(1, 12, 3), vec![0, 0, 0]);
        assert_eq!(phases_of(12, 12, 3), vec![5, 5, 5]);
        assert!(phases_of(10, 12, 4).contains(&4));
        assert_eq!(phases_of(1, 1, 4), vec![0, 1, 4, 5]);
    }
}
