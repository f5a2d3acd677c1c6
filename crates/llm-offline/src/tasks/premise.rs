//! `premise-analysis@1`: title, logline, genre, tone, setting, themes, characters and places
//! as JSON. Names written in the premise become the characters and places; the genre's name
//! lists fill the cast up to three characters and three places.

use serde::Serialize;

use crate::dice::Dice;
use crate::lexicon::{self, Pack};
use crate::prompt::{CharacterItem, PlaceItem, Prompt};
use crate::tasks::cast::{self, ROLES};
use crate::types::Error;

/// The answer's shape (the contract's `premise-analysis@1` object).
#[derive(Serialize)]
struct Analysis {
    title: String,
    logline: String,
    genre: String,
    tone: String,
    setting: String,
    themes: Vec<String>,
    characters: Vec<Character>,
    places: Vec<Place>,
}

#[derive(Serialize)]
struct Character {
    name: String,
    role: String,
    description: String,
    traits: Vec<String>,
}

#[derive(Serialize)]
struct Place {
    name: String,
    description: String,
}

const TRAITS: &[&str] = &[
    "stubborn",
    "curious",
    "loyal",
    "guarded",
    "quick-witted",
    "reckless",
    "patient",
    "proud",
    "kind",
    "secretive",
    "brave",
    "restless",
    "exacting",
    "wry",
    "ambitious",
    "gentle",
];

const PLACE_DESCRIPTIONS: &[&str] = &[
    "a place of narrow streets and old grudges",
    "where the story's oldest secret is kept",
    "half abandoned, and watched by people who stayed",
    "the last safe harbour before the wilds",
    "a crossroads where everyone owes someone",
    "beautiful from a distance and treacherous up close",
];

const STAKES: &[&str] = &[
    "the last of the old alliances collapses",
    "winter closes the only road out",
    "someone with fewer scruples gets there first",
    "the people who trusted them pay the price",
    "the truth is buried for good",
];

/// Writes the analysis.
pub fn analyse(prompt: &Prompt, mut dice: Dice) -> Result<String, Error> {
    let genre = prompt.field("Genre").unwrap_or("other");
    let pack = lexicon::pack_for(genre);
    let premise = prompt.field("Premise").unwrap_or("");
    let quest = dice.pick(pack.quests);
    let (people, places) = names_in(premise);

    let mut characters: Vec<CharacterItem> = people
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let pronoun = cast::pronoun_for(name, &context_after(premise, name), &mut dice);
            CharacterItem {
                name: name.clone(),
                role: ROLES[i.min(ROLES.len() - 1)].to_owned(),
                description: cast::describe(pack, &mut dice, pronoun, quest),
            }
        })
        .collect();
    characters.extend(cast::invent_characters(pack, &mut dice, &people, 3, quest));

    let mut place_items: Vec<PlaceItem> = places
        .iter()
        .map(|name| PlaceItem {
            name: name.clone(),
            description: dice.pick(PLACE_DESCRIPTIONS).to_string(),
        })
        .collect();
    place_items.extend(cast::invent_places(pack, &mut dice, &places, 3));

    let protagonist = &characters[0];
    let logline = logline(premise, protagonist, quest, &mut dice);
    let themes = match prompt.items("Themes") {
        [] => pick_distinct(&mut dice, pack.themes, 3),
        given => given.to_vec(),
    };
    let analysis = Analysis {
        title: prompt
            .field("Title")
            .map(str::to_owned)
            .unwrap_or_else(|| title(pack, &place_items[0].name, &mut dice)),
        logline,
        genre: genre.to_owned(),
        tone: prompt.field("Tone").unwrap_or(pack.tone).to_owned(),
        setting: format!(
            "{}, centred on {}",
            dice.pick(pack.settings),
            place_items[0].name
        ),
        themes,
        characters: characters
            .into_iter()
            .map(|c| Character {
                traits: pick_distinct(&mut dice, TRAITS, 3),
                name: c.name,
                role: c.role,
                description: c.description,
            })
            .collect(),
        places: place_items
            .into_iter()
            .map(|p| Place {
                name: p.name,
                description: p.description,
            })
            .collect(),
    };
    super::to_json(&analysis)
}

/// The premise's first sentence when it says enough, else a logline from the cast.
fn logline(premise: &str, hero: &CharacterItem, quest: &str, dice: &mut Dice) -> String {
    let first = premise
        .split_inclusive(['.', '!', '?'])
        .next()
        .unwrap_or("")
        .trim();
    if first.split_whitespace().count() >= 5 {
        return crate::english::finish_sentence(first);
    }
    format!(
        "{}, {}, must find {quest} before {}.",
        hero.name,
        hero.description,
        dice.pick(STAKES)
    )
}

/// A book title from the genre's nouns.
fn title(pack: &Pack, place: &str, dice: &mut Dice) -> String {
    let noun = dice.pick(pack.title_nouns);
    match dice.below(3) {
        0 => format!("The {noun} of {place}"),
        1 => format!("The Last {noun}"),
        _ => format!("{place} and the {noun}"),
    }
}

/// `count` different entries (fewer if the list is shorter), in drawn order.
fn pick_distinct(dice: &mut Dice, list: &[&str], count: usize) -> Vec<String> {
    let mut order: Vec<usize> = (0..list.len()).collect();
    dice.shuffle(&mut order);
    order
        .into_iter()
        .take(count)
        .map(|i| list[i].to_owned())
        .collect()
}

/// Words that start sentences or are capitalised for other reasons, never names.
const NOT_NAMES: &[&str] = &[
    "The",
    "A",
    "An",
    "When",
    "After",
    "Before",
    "In",
    "On",
    "At",
    "But",
    "And",
    "As",
    "If",
    "While",
    "Then",
    "Now",
    "One",
    "Two",
    "Three",
    "Years",
    "Every",
    "Nobody",
    "Someone",
    "Her",
    "His",
    "Their",
    "Its",
    "It",
    "This",
    "That",
    "These",
    "Those",
    "There",
    "What",
    "Who",
    "With",
    "Without",
    "Once",
    "Only",
    "Until",
    "During",
    "Since",
    "From",
    "To",
    "For",
    "Meanwhile",
    "She",
    "He",
    "They",
    "We",
    "I",
    "You",
    "Our",
    "My",
    "Your",
    "Set",
    "Told",
    "Years",
    "Decades",
    "Centuries",
    "Generations",
    "Long",
    "All",
    "Each",
    "Some",
    "No",
    "Not",
    "Yet",
    "So",
    "Or",
    "Because",
    "Although",
    "Though",
    "Under",
    "Over",
    "Across",
    "Beyond",
    "Near",
    "Inside",
    "Outside",
    "Into",
    "Through",
    "Everyone",
    "Everything",
    "Nothing",
    "Someday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
    "Chapter",
    "Book",
    "Part",
    "Story",
    "Novel",
];

/// Words that make a name a place.
const PLACE_WORDS: &[&str] = &[
    "City",
    "Town",
    "Village",
    "Harbor",
    "Harbour",
    "Port",
    "Isle",
    "Island",
    "Islands",
    "Forest",
    "Wood",
    "Woods",
    "Mountains",
    "Mountain",
    "Mount",
    "Vale",
    "Valley",
    "River",
    "Sea",
    "Lake",
    "Station",
    "Street",
    "Road",
    "Bay",
    "Castle",
    "Keep",
    "Abbey",
    "Academy",
    "Empire",
    "Kingdom",
    "Republic",
    "Archive",
    "Library",
    "Hall",
    "House",
    "Manor",
    "Tower",
    "Citadel",
    "Hotel",
    "Cove",
    "Bridge",
    "Market",
    "Square",
    "Palace",
    "Temple",
    "Moor",
    "Fen",
    "Marsh",
    "Desert",
    "Colony",
    "Planet",
    "Ship",
    "Dome",
    "Arcology",
    "Undercity",
];

/// Prepositions after which a name is a place.
const LOCATIVES: &[&str] = &[
    "in", "at", "from", "into", "across", "beyond", "near", "through", "toward", "towards",
    "under", "outside", "inside", "within", "around", "reach", "reaches", "leaves", "leave", "to",
];

/// Names written in the premise: (people, places), in order of first appearance.
pub fn names_in(premise: &str) -> (Vec<String>, Vec<String>) {
    let words: Vec<&str> = premise.split_whitespace().collect();
    let mut people: Vec<String> = Vec::new();
    let mut places: Vec<String> = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let mut group: Vec<String> = Vec::new();
        let start = i;
        while i < words.len() {
            let word = clean(words[i]);
            let capitalised = word.chars().next().is_some_and(char::is_uppercase)
                && word.chars().skip(1).any(char::is_lowercase);
            let connector = !group.is_empty()
                && (word == "of" || word == "the")
                && words
                    .get(i + 1)
                    .is_some_and(|w| clean(w).chars().next().is_some_and(char::is_uppercase));
            if !(capitalised || connector) {
                break;
            }
            let skip = group.is_empty() && NOT_NAMES.contains(&word.as_str());
            if !skip {
                group.push(word);
            }
            let ends_group = words[i].ends_with([',', '.', ';', ':', '!', '?', ')'])
                || words[i].ends_with("'s")
                || words[i].ends_with("\u{2019}s");
            i += 1;
            if ends_group {
                break;
            }
        }
        if i == start {
            i += 1;
            continue;
        }
        if group.is_empty() {
            continue;
        }
        let before = start
            .checked_sub(1)
            .map(|j| clean(words[j]).to_lowercase())
            .unwrap_or_default();
        let article = before == "the" || clean(words[start]) == "The";
        // `the city of Saltmere`: a place noun and `of` before the name.
        let of_place = before == "of"
            && start >= 2
            && PLACE_WORDS
                .iter()
                .any(|w| w.eq_ignore_ascii_case(&clean(words[start - 2])));
        let name = group.join(" ");
        let is_place = group.iter().any(|w| PLACE_WORDS.contains(&w.as_str()))
            || (LOCATIVES.contains(&before.as_str()) && pronoun_free(&group[0]))
            || of_place
            || article;
        if is_place {
            let name = if article && !name.starts_with("The ") {
                format!("The {name}")
            } else {
                name
            };
            if !places.contains(&name) {
                places.push(name);
            }
        } else if !people
            .iter()
            .any(|p| *p == name || p.split_whitespace().next() == Some(name.as_str()))
        {
            people.push(name);
        }
    }
    (people, places)
}

/// True unless the word is a given name from the lists (then it is a person, not a place).
fn pronoun_free(word: &str) -> bool {
    crate::prose::pronoun_of_name(word).is_none()
}

/// A word without surrounding punctuation or a possessive `'s`.
fn clean(word: &str) -> String {
    let word = word.trim_matches(|c: char| !c.is_alphanumeric());
    word.strip_suffix("'s")
        .or_else(|| word.strip_suffix("\u{2019}s"))
        .unwrap_or(word)
        .to_owned()
}

/// The premise text after the first mention of `name`, up to 80 characters.
fn context_after(premise: &str, name: &str) -> String {
    premise
        .find(name)
        .map(|i| {
            premise[i + name.len()..]
                .chars()
                .take(80)
                .collect::<String>()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_people_and_places_in_a_premise() {
        let (people, places) = names_in(
            "Mara Quill, a cartographer in the drowned city of Saltmere, finds a map. When Ivo steals it, Mara follows him across the Ashen Vale to High Corrin.",
        );
        assert_eq!(people, vec!["Mara Quill", "Ivo"]);
        assert_eq!(places, vec!["Saltmere", "The Ashen Vale", "High Corrin"]);
    }

    #[test]
    fn a_premise_without_names_gives_none() {
        let (people, places) = names_in("A lighthouse keeper finds a message in a bottle.");
        assert!(people.is_empty() && places.is_empty());
    }
}
