//! Genre packs: names, places, quests, trades, settings, themes and title words per genre
//! family, plus flavour entries for the grammar's word lists (`crate::grammar`). No grammar
//! entry introduces a proper noun: every name in generated prose comes from the prompt's
//! characters and places (the name lists only serve invented casts).

/// A genre family's vocabulary.
#[derive(Debug)]
pub struct Pack {
    /// The genre keys this pack serves (`fantasy`, `science-fiction`, ...).
    pub genres: &'static [&'static str],
    /// The tone used when the prompt gives none.
    pub tone: &'static str,
    /// Feminine given names.
    pub names_f: &'static [&'static str],
    /// Masculine given names.
    pub names_m: &'static [&'static str],
    /// Family names.
    pub surnames: &'static [&'static str],
    /// Place names with a one-line description.
    pub places: &'static [(&'static str, &'static str)],
    /// What the story turns on, e.g. `the drowned crown`.
    pub quests: &'static [&'static str],
    /// Occupations for character descriptions.
    pub trades: &'static [&'static str],
    /// Settings for the analysis, e.g. `a river kingdom ...`.
    pub settings: &'static [&'static str],
    /// Themes.
    pub themes: &'static [&'static str],
    /// Title nouns (capitalised), for chapter and book titles.
    pub title_nouns: &'static [&'static str],
    /// Entries added to grammar lists (`crate::grammar`): `(list, entries)`.
    pub slots: &'static [(&'static str, &'static [&'static str])],
}

/// The packs; the last one is the fallback for any other genre.
pub const PACKS: &[Pack] = &[
    Pack {
        genres: &[
            "fantasy",
            "epic-fantasy",
            "high-fantasy",
            "fairy-tale",
            "myth",
        ],
        tone: "lyrical and perilous",
        names_f: &[
            "Mara", "Elowen", "Isolde", "Brannagh", "Seren", "Tamsin", "Wren", "Ysolde",
        ],
        names_m: &[
            "Ivo", "Corwin", "Aldric", "Fenn", "Tobias", "Rhun", "Garrick", "Oswin",
        ],
        surnames: &[
            "Quill", "Thorne", "Ashdown", "Marrow", "Vell", "Greaves", "Holloway", "Tamber",
        ],
        places: &[
            (
                "Thornwick",
                "a walled river town built on the bones of an older city",
            ),
            (
                "The Ashen Vale",
                "a valley of grey orchards where nothing has bloomed for years",
            ),
            (
                "Saltmere",
                "a harbour of leaning towers and salt-stained bells",
            ),
            (
                "The Lantern Archive",
                "a library carved into a cliff, lit by a thousand lamps",
            ),
            (
                "Gallowmere",
                "a fen where the old roads sink into black water",
            ),
            (
                "High Corrin",
                "a mountain keep that guards the only pass north",
            ),
        ],
        quests: &[
            "the drowned crown",
            "the last seed of the old orchard",
            "a map that redraws itself",
            "the warden's iron key",
            "the song that wakes the stone",
        ],
        trades: &[
            "cartographer",
            "hedge witch",
            "disgraced knight",
            "river pilot",
            "archivist",
            "smuggler",
            "healer",
            "apprentice smith",
        ],
        settings: &[
            "a river kingdom where the old magic is failing",
            "a land of walled towns and drowned roads",
            "a realm still scarred by a war between mages",
        ],
        themes: &[
            "loyalty and betrayal",
            "the price of power",
            "memory and forgetting",
            "home and exile",
            "courage in small things",
        ],
        title_nouns: &[
            "Crown", "Lantern", "Orchard", "Ferry", "Oath", "Bell", "Road", "Tower", "Key", "Song",
            "Fen", "Gate",
        ],
        slots: &[
            (
                "fnoun",
                &[
                    "chapel ruin",
                    "standing stone",
                    "ferry landing",
                    "watchtower",
                    "orchard wall",
                    "shrine",
                    "mill race",
                ],
            ),
            (
                "inoun",
                &[
                    "rune stone",
                    "scroll",
                    "cloak",
                    "amulet",
                    "wax seal",
                    "oak staff",
                ],
            ),
            (
                "ssrc",
                &[
                    "the tower bells",
                    "the dead orchards",
                    "the river against the pilings",
                ],
            ),
            ("smell", &["apples", "heather", "forge smoke"]),
        ],
    },
    Pack {
        genres: &[
            "science-fiction",
            "sci-fi",
            "space-opera",
            "cyberpunk",
            "dystopian",
        ],
        tone: "taut and wondering",
        names_f: &[
            "Ada", "Noor", "Kesi", "Linnea", "Priya", "Juno", "Sabine", "Yara",
        ],
        names_m: &[
            "Teo", "Anders", "Kofi", "Rafael", "Milan", "Dae", "Oren", "Silas",
        ],
        surnames: &[
            "Okafor",
            "Lindqvist",
            "Varga",
            "Halden",
            "Reyes",
            "Achebe",
            "Sato",
            "Korin",
        ],
        places: &[
            (
                "Kepler Station",
                "a ring habitat whose outer decks were sealed after the breach",
            ),
            (
                "The Undercity",
                "the flooded service levels beneath the arcology",
            ),
            (
                "Port Meridian",
                "a cargo port where ships dock for hours, never days",
            ),
            (
                "The Glasshouse",
                "a research dome full of plants that should not grow",
            ),
            (
                "Tethys Relay",
                "a listening post at the edge of charted space",
            ),
            (
                "Arcology Nine",
                "a tower city of forty thousand people and one failing reactor",
            ),
        ],
        quests: &[
            "the missing flight recorder",
            "a signal from the dead colony",
            "the reactor's override codes",
            "a prototype that learns",
            "the last clean water seed bank",
        ],
        trades: &[
            "systems engineer",
            "cargo pilot",
            "xenobotanist",
            "station medic",
            "data broker",
            "security chief",
            "salvage diver",
            "comms officer",
        ],
        settings: &[
            "a crowded orbital habitat a century after the exodus",
            "a drowned megacity run by its utilities",
            "a frontier of relay stations and long silences",
        ],
        themes: &[
            "what makes a person",
            "the cost of progress",
            "isolation and connection",
            "trust in machines",
            "survival and sacrifice",
        ],
        title_nouns: &[
            "Signal", "Orbit", "Relay", "Breach", "Static", "Drift", "Reactor", "Echo", "Horizon",
            "Protocol", "Vacuum", "Light",
        ],
        slots: &[
            (
                "fnoun",
                &[
                    "airlock",
                    "observation deck",
                    "maintenance shaft",
                    "cargo bay",
                    "server rack",
                    "bulkhead",
                    "console",
                ],
            ),
            (
                "inoun",
                &[
                    "data slate",
                    "access badge",
                    "visor",
                    "flight recorder",
                    "power cell",
                    "headset",
                ],
            ),
            (
                "ssrc",
                &[
                    "the recyclers",
                    "a warning tone",
                    "the station settling",
                    "the ventilation",
                ],
            ),
            ("smell", &["recycled air", "hot plastic", "coolant"]),
        ],
    },
    Pack {
        genres: &[
            "mystery",
            "thriller",
            "crime",
            "noir",
            "detective",
            "suspense",
        ],
        tone: "wry and tense",
        names_f: &[
            "Harriet",
            "Nell",
            "Vera",
            "Josephine",
            "Maud",
            "Clara",
            "Ruth",
            "Agnes",
        ],
        names_m: &[
            "Arthur", "Declan", "Felix", "Hugh", "Lionel", "Patrick", "Simon", "Walter",
        ],
        surnames: &[
            "Cole", "Ashby", "Pennick", "Lorne", "Darrow", "Whitlock", "Gale", "Mercer",
        ],
        places: &[
            (
                "Harrow Street",
                "a terrace of tall houses with too many locked rooms",
            ),
            (
                "The Blue Anchor",
                "a dockside pub where everyone hears everything",
            ),
            (
                "Aldwick Hall",
                "a country house closed since the last owner died",
            ),
            ("The Marlowe Hotel", "a faded seaside hotel out of season"),
            (
                "Kestle Cove",
                "a fishing village at the end of a single road",
            ),
            (
                "The Records Office",
                "a basement of files nobody has asked for in years",
            ),
        ],
        quests: &[
            "the missing ledger",
            "a letter nobody admits to writing",
            "the second key to the study",
            "the photograph from the night of the fire",
            "a will that changes everything",
        ],
        trades: &[
            "detective inspector",
            "retired schoolteacher",
            "crime reporter",
            "solicitor",
            "locksmith",
            "night porter",
            "pathologist",
            "private investigator",
        ],
        settings: &[
            "a seaside town in the off season",
            "a city of fog, docks and old money",
            "a village where everyone is related to someone",
        ],
        themes: &[
            "truth and its costs",
            "guilt and secrecy",
            "justice versus mercy",
            "the past refusing to stay buried",
            "trust",
        ],
        title_nouns: &[
            "Ledger",
            "Alibi",
            "Witness",
            "Key",
            "Verdict",
            "Motive",
            "Photograph",
            "Tide",
            "Confession",
            "Lock",
            "Silence",
            "Stranger",
        ],
        slots: &[
            (
                "fnoun",
                &[
                    "study door",
                    "harbour wall",
                    "reception desk",
                    "bus shelter",
                    "filing cabinet",
                    "phone box",
                ],
            ),
            (
                "inoun",
                &[
                    "envelope",
                    "glove",
                    "cigarette case",
                    "typewritten page",
                    "train ticket",
                    "hip flask",
                ],
            ),
            (
                "ssrc",
                &[
                    "the typewriters",
                    "a telephone",
                    "the harbour",
                    "the traffic",
                ],
            ),
            ("smell", &["cigarette smoke", "floor polish", "cheap scent"]),
        ],
    },
    Pack {
        genres: &["romance", "romantic-comedy", "women's-fiction"],
        tone: "warm and bittersweet",
        names_f: &[
            "Lucy", "Imogen", "Rosa", "Hannah", "Celia", "Freya", "Nina", "June",
        ],
        names_m: &[
            "Sam", "Theo", "Gabriel", "Owen", "Luca", "Ben", "Rory", "Elliot",
        ],
        surnames: &[
            "Hart",
            "Bellamy",
            "Fairweather",
            "Moreau",
            "Callow",
            "Dunmore",
            "Lark",
            "Penrose",
        ],
        places: &[
            (
                "Little Wenlow",
                "a village with one bakery, one pub and a great deal of gossip",
            ),
            (
                "The Orchard Cafe",
                "a cafe full of mismatched chairs and lemon cake",
            ),
            (
                "Porthmellow",
                "a harbour town where the ferry runs twice a week",
            ),
            (
                "The Old Mill",
                "a half-restored mill by the river, full of plans",
            ),
            (
                "Carrow Street Books",
                "a bookshop that is always about to close",
            ),
            (
                "The Lido",
                "an outdoor pool that opens at dawn for the brave",
            ),
        ],
        quests: &[
            "the bakery's last summer",
            "a wedding nobody wants",
            "the letters in the attic",
            "the house both of them want",
            "a second chance",
        ],
        trades: &[
            "baker",
            "architect",
            "florist",
            "vet",
            "bookseller",
            "chef",
            "music teacher",
            "boat builder",
        ],
        settings: &[
            "a small harbour town over one long summer",
            "a village that knows everyone's business",
            "a city neighbourhood that still feels like home",
        ],
        themes: &[
            "second chances",
            "home and belonging",
            "pride and forgiveness",
            "love and risk",
            "family",
        ],
        title_nouns: &[
            "Summer", "Harbour", "Letter", "Promise", "Tide", "Kitchen", "Garden", "Dance",
            "Wedding", "Rain", "Heart", "Ferry",
        ],
        slots: &[
            (
                "fnoun",
                &[
                    "bakery counter",
                    "harbour steps",
                    "garden gate",
                    "window seat",
                    "flower stall",
                ],
            ),
            (
                "inoun",
                &[
                    "recipe card",
                    "postcard",
                    "wedding invitation",
                    "teacup",
                    "paintbrush",
                ],
            ),
            (
                "ssrc",
                &["the ferry horn", "the cafe radio", "children playing"],
            ),
            ("smell", &["lemon cake", "sun cream", "fresh coffee"]),
        ],
    },
    Pack {
        genres: &["horror", "gothic", "ghost-story", "supernatural"],
        tone: "creeping and claustrophobic",
        names_f: &[
            "Edith", "Margaret", "Lydia", "Rose", "Abigail", "Martha", "Eliza", "Cora",
        ],
        names_m: &[
            "Thomas", "Edmund", "Silas", "Jonah", "Ambrose", "Walter", "Henry", "Caleb",
        ],
        surnames: &[
            "Blackwood",
            "Crane",
            "Hale",
            "Morrow",
            "Pike",
            "Ashcombe",
            "Winter",
            "Graves",
        ],
        places: &[
            (
                "Hollow House",
                "a shut-up house whose clocks all stopped at the same hour",
            ),
            (
                "Saint Aldric's",
                "a sanatorium on the moor, closed after the fire",
            ),
            (
                "Blackwater",
                "a drowned village that shows itself in dry summers",
            ),
            ("The Chapel of Bones", "a crypt beneath the parish church"),
            (
                "Marrow Wood",
                "a forest where the paths do not stay where you leave them",
            ),
            (
                "The Lighthouse",
                "a lighthouse whose lamp still turns with no keeper",
            ),
        ],
        quests: &[
            "the name in the parish register",
            "the thing in the cellar",
            "the music box that plays by itself",
            "the door that should stay shut",
            "the last page of the diary",
        ],
        trades: &[
            "curate",
            "nurse",
            "antiques dealer",
            "caretaker",
            "folklorist",
            "medium",
            "surveyor",
            "widowed schoolteacher",
        ],
        settings: &[
            "a moorland parish cut off by winter",
            "a house that remembers everyone who lived in it",
            "a coastal village with an old drowned bell",
        ],
        themes: &[
            "grief that will not let go",
            "inherited guilt",
            "what the living owe the dead",
            "isolation",
            "faith and doubt",
        ],
        title_nouns: &[
            "Cellar", "Bell", "Hollow", "Mirror", "Winter", "Door", "Chapel", "Wood", "Hymn",
            "Clock", "Well", "Dark",
        ],
        slots: &[
            (
                "fnoun",
                &[
                    "nursery",
                    "churchyard wall",
                    "stopped clock",
                    "lych gate",
                    "crypt door",
                ],
            ),
            (
                "inoun",
                &["music box", "diary", "candle stub", "rosary", "doll"],
            ),
            (
                "ssrc",
                &[
                    "something inside the walls",
                    "a child humming",
                    "the house settling",
                ],
            ),
            ("smell", &["damp plaster", "lilies", "stale incense"]),
        ],
    },
    Pack {
        genres: &[],
        tone: "clear-eyed and humane",
        names_f: &[
            "Anna", "Leah", "Miriam", "Sofia", "Grace", "Esther", "Alice", "Beatrice",
        ],
        names_m: &[
            "Daniel", "Jonas", "Marcus", "Paul", "Victor", "Edwin", "Nathan", "George",
        ],
        surnames: &[
            "Hale", "Brennan", "Castell", "Novak", "Ward", "Lindgren", "Foster", "Amsel",
        ],
        places: &[
            ("Brackley", "a market town on a slow river"),
            (
                "The Crossing",
                "a ferry crossing where the border used to be",
            ),
            ("Linden Row", "a street of narrow houses and long memories"),
            ("The Foundry", "a closed ironworks at the edge of town"),
            ("Westmarch", "a county of hedges, chapels and old quarrels"),
            ("The Station Hotel", "a hotel that has outlived its railway"),
        ],
        quests: &[
            "the family farm",
            "a promise made at a funeral",
            "the old expedition journal",
            "the truth about their father",
            "the last voyage",
        ],
        trades: &[
            "teacher",
            "ferryman",
            "doctor",
            "shopkeeper",
            "journalist",
            "engineer",
            "carpenter",
            "translator",
        ],
        settings: &[
            "a market town in a hard decade",
            "a border country between two wars",
            "a city neighbourhood on the edge of change",
        ],
        themes: &[
            "family and duty",
            "change and what it costs",
            "memory",
            "belonging",
            "courage",
        ],
        title_nouns: &[
            "River", "Crossing", "House", "Winter", "Journey", "Letter", "Harvest", "Bridge",
            "Promise", "Voyage", "Field", "Road",
        ],
        slots: &[],
    },
];

/// The pack for a genre label (`Science fiction`, `science-fiction`, `sci-fi`, ...).
pub fn pack_for(genre: &str) -> &'static Pack {
    let key: String = genre
        .trim()
        .to_lowercase()
        .split(|c: char| c.is_whitespace() || c == '_' || c == '/')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    PACKS
        .iter()
        .find(|p| p.genres.contains(&key.as_str()))
        .or_else(|| {
            PACKS
                .iter()
                .find(|p| p.genres.iter().any(|g| !key.is_empty() && key.contains(g)))
        })
        .unwrap_or(&PACKS[PACKS.len() - 1])
}

/// The entries of a grammar list: the pack's additions and the shared list.
pub fn slot_entries(pack: &Pack, slot: &str) -> Vec<&'static str> {
    let mut entries: Vec<&'static str> = Vec::new();
    for (name, list) in pack.slots.iter().chain(crate::grammar::GRAMMAR) {
        if *name == slot {
            entries.extend_from_slice(list);
        }
    }
    entries
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn genre_labels_find_their_pack() {
        assert_eq!(pack_for("Science fiction").genres[0], "science-fiction");
        assert_eq!(pack_for("sci-fi").genres[0], "science-fiction");
        assert_eq!(pack_for("cozy mystery").genres[0], "mystery");
        assert!(pack_for("literary").genres.is_empty());
        assert!(pack_for("").genres.is_empty());
    }

    #[test]
    fn every_pack_has_enough_material() {
        for pack in PACKS {
            assert!(pack.names_f.len() >= 4 && pack.names_m.len() >= 4);
            assert!(pack.places.len() >= 4 && pack.quests.len() >= 3);
            assert!(pack.title_nouns.len() >= 8);
        }
    }
}
