//! The story's people and places: read from the prompt, or invented from the genre's name
//! lists when the prompt has none, and ordered protagonist first.

use crate::dice::Dice;
use crate::lexicon::Pack;
use crate::prompt::{CharacterItem, PlaceItem, Prompt};
use crate::prose::{Figure, Pronoun, pronoun_from, pronoun_of_name};

/// Roles given to invented or unlabelled characters, in order.
pub const ROLES: &[&str] = &[
    "protagonist",
    "ally",
    "antagonist",
    "mentor",
    "rival",
    "confidant",
];

/// Descriptions for invented characters (`{trade}`, `{poss}`, `{subj}`, `{obj}`, `{quest}`).
const DESCRIPTIONS: &[&str] = &[
    "a {trade} who has never forgiven {obj}self for the last expedition",
    "a {trade} with {poss} own reasons to want {quest}",
    "a {trade} who knows more than {subj} admits",
    "a {trade} who keeps {poss} promises and little else",
    "a {trade} haunted by {poss} one great mistake",
    "a soft-spoken {trade} whose patience hides {poss} ambition",
    "a {trade} who owes {poss} life to the wrong people",
    "a {trade} still loyal to a cause that abandoned {obj}",
];

/// The prompt's characters with the protagonist first, or `count` invented ones.
pub fn characters(
    prompt: &Prompt,
    pack: &Pack,
    dice: &mut Dice,
    count: usize,
) -> Vec<CharacterItem> {
    let mut people = prompt.characters();
    if people.is_empty() {
        return invent_characters(pack, dice, &[], count, "");
    }
    if let Some(i) = people
        .iter()
        .position(|c| c.role.to_lowercase().contains("protagonist"))
    {
        let hero = people.remove(i);
        people.insert(0, hero);
    }
    people
}

/// The prompt's places, or invented ones from the genre's list.
pub fn places(prompt: &Prompt, pack: &Pack, dice: &mut Dice, count: usize) -> Vec<PlaceItem> {
    let places = prompt.places();
    if !places.is_empty() {
        return places;
    }
    invent_places(pack, dice, &[], count)
}

/// Figures for the prose writer.
pub fn figures(people: &[CharacterItem]) -> Vec<Figure> {
    people
        .iter()
        .map(|c| Figure::new(&c.name, &format!("{} {}", c.role, c.description)))
        .collect()
}

/// Invents characters until there are `count`, avoiding `taken` names. `quest` fills the
/// descriptions' `{quest}` (empty: a generic phrase).
pub fn invent_characters(
    pack: &Pack,
    dice: &mut Dice,
    taken: &[String],
    count: usize,
    quest: &str,
) -> Vec<CharacterItem> {
    let mut people: Vec<CharacterItem> = Vec::new();
    let mut attempts = 0;
    while people.len() + taken.len() < count && attempts < 100 {
        attempts += 1;
        let she = dice.chance(50);
        let first = dice.pick(if she { pack.names_f } else { pack.names_m });
        let name = format!("{first} {}", dice.pick(pack.surnames));
        let clash = |n: &str| n.split_whitespace().next() == Some(first) || n == name;
        if taken.iter().any(|t| clash(t)) || people.iter().any(|p| clash(&p.name)) {
            continue;
        }
        let pronoun = if she { Pronoun::She } else { Pronoun::He };
        let role = ROLES[(taken.len() + people.len()).min(ROLES.len() - 1)];
        people.push(CharacterItem {
            name,
            role: role.to_owned(),
            description: describe(pack, dice, pronoun, quest),
        });
    }
    people
}

/// A one-line description in the character's pronoun.
pub fn describe(pack: &Pack, dice: &mut Dice, pronoun: Pronoun, quest: &str) -> String {
    let (subj, obj, poss) = match pronoun {
        Pronoun::She => ("she", "her", "her"),
        Pronoun::He => ("he", "him", "his"),
    };
    let quest = if quest.is_empty() { "the truth" } else { quest };
    let template = dice.pick(DESCRIPTIONS);
    template
        .replace("{trade}", dice.pick(pack.trades))
        .replace("{subj}", subj)
        .replace("{obj}", obj)
        .replace("{poss}", poss)
        .replace("{quest}", quest)
}

/// The pronoun for a name: from the text about it, then the name lists, then a coin.
pub fn pronoun_for(name: &str, context: &str, dice: &mut Dice) -> Pronoun {
    let first = name.split_whitespace().next().unwrap_or(name);
    pronoun_from(context)
        .or_else(|| pronoun_of_name(first))
        .unwrap_or(if dice.chance(50) {
            Pronoun::She
        } else {
            Pronoun::He
        })
}

/// Invents places until there are `count`, avoiding `taken` names.
pub fn invent_places(
    pack: &Pack,
    dice: &mut Dice,
    taken: &[String],
    count: usize,
) -> Vec<PlaceItem> {
    let mut order: Vec<usize> = (0..pack.places.len()).collect();
    dice.shuffle(&mut order);
    order
        .into_iter()
        .map(|i| pack.places[i])
        .filter(|(name, _)| !taken.iter().any(|t| t.eq_ignore_ascii_case(name)))
        .take(count.saturating_sub(taken.len()))
        .map(|(name, description)| PlaceItem {
            name: name.to_owned(),
            description: description.to_owned(),
        })
        .collect()
}
