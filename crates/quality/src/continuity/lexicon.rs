//! Word lists the continuity heuristics rely on (all lowercase unless noted).

/// Weekday names, Monday first.
#[rustfmt::skip]
pub const WEEKDAYS: [&str; 7] = [
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
];

/// Month names.
#[rustfmt::skip]
pub const MONTHS: &[&str] = &[
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
];

/// Capitalised words that are never a character's name.
#[rustfmt::skip]
pub const NON_NAMES: &[&str] = &[
    "god", "gods", "heaven", "hell", "ok", "okay", "christmas", "easter", "english", "french",
    "german", "spanish", "italian", "latin", "mom", "mum", "dad", "mama", "papa", "grandma",
    "grandpa", "granny", "ma'am", "sir", "madam", "chapter", "part", "book", "prologue",
    "epilogue",
];

/// Titles and forms of address that may precede a name.
#[rustfmt::skip]
pub const TITLES: &[&str] = &[
    "mr", "mrs", "ms", "miss", "mx", "dr", "doctor", "prof", "professor", "captain", "capt",
    "lieutenant", "lt", "sergeant", "sgt", "colonel", "col", "general", "gen", "major",
    "commander", "admiral", "inspector", "detective", "constable", "officer", "agent", "judge",
    "lord", "lady", "sir", "dame", "king", "queen", "prince", "princess", "duke", "duchess",
    "count", "countess", "baron", "baroness", "father", "mother", "sister", "brother", "aunt",
    "uncle", "master", "mistress", "madam", "saint", "st", "reverend", "rev", "chief", "elder",
    "mayor", "governor", "senator", "president", "bishop", "pastor", "grandmother", "grandfather",
    "cousin", "nurse",
];

/// Titles written as abbreviations, which may be followed by a full stop.
#[rustfmt::skip]
pub const ABBREVIATED_TITLES: &[&str] = &[
    "mr", "mrs", "ms", "mx", "dr", "prof", "capt", "lt", "sgt", "col", "gen", "st", "rev",
];

/// Words that, at the start of a sentence, are capitalised only because they start it.
#[rustfmt::skip]
pub const COMMON_INITIAL: &[&str] = &[
    "a", "an", "the", "and", "but", "or", "so", "yet", "for", "nor", "if", "then", "when", "while",
    "where", "what", "who", "why", "how", "which", "whose", "whom", "that", "this", "these",
    "those", "there", "here", "he", "she", "it", "they", "we", "you", "me", "him", "her", "them",
    "us", "my", "your", "his", "its", "our", "their", "no", "not", "yes", "oh", "ah", "well",
    "now", "still", "just", "even", "only", "perhaps", "maybe", "later", "soon", "once", "after",
    "before", "as", "at", "by", "in", "on", "of", "to", "from", "with", "without", "into", "onto",
    "over", "under", "above", "below", "behind", "beside", "between", "beyond", "inside",
    "outside", "across", "along", "around", "through", "toward", "towards", "up", "down", "out",
    "off", "again", "all", "both", "each", "every", "some", "any", "many", "much", "more", "most",
    "few", "several", "none", "nobody", "nothing", "everyone", "everybody", "everything",
    "someone", "somebody", "something", "anyone", "anything", "somewhere", "nowhere", "everywhere",
    "today", "tonight", "tomorrow", "yesterday", "morning", "evening", "night", "is", "was",
    "were", "are", "be", "been", "had", "has", "have", "do", "did", "does", "could", "would",
    "should", "might", "must", "can", "will", "shall", "let", "please", "thanks", "sorry", "hello",
    "hey", "hi", "goodbye", "because", "since", "until", "unless", "although", "though",
    "whatever", "whenever", "wherever", "meanwhile", "instead", "besides", "therefore", "however",
    "otherwise", "indeed", "too", "also", "never", "always", "sometimes", "often", "already",
    "almost", "enough", "rather", "quite", "very", "such", "like", "another", "other", "neither",
    "either", "whoever", "anyway", "somehow", "together", "alone", "first", "next", "last", "far",
    "near", "back", "away", "home", "suddenly", "slowly", "quickly", "finally", "carefully",
    "quietly", "gently", "softly", "clearly", "briefly", "eventually", "apparently", "luckily",
    "unfortunately", "fortunately", "certainly", "surely", "really", "immediately", "instantly",
    "silently", "nearly", "barely", "hardly", "simply", "possibly", "probably", "naturally",
    "obviously", "honestly", "actually", "usually", "gradually", "abruptly", "reluctantly",
    "nervously", "angrily", "sadly", "happily", "beneath", "upon", "against", "among", "amid",
    "amidst", "despite", "during", "past", "throughout", "within", "underneath", "unlike",
];

/// Verbs that introduce or attribute speech ("said Jonah").
#[rustfmt::skip]
pub const SPEECH_VERBS: &[&str] = &[
    "said", "says", "asked", "asks", "replied", "replies", "whispered", "whispers", "shouted",
    "shouts", "muttered", "mutters", "murmured", "murmurs", "called", "calls", "cried", "cries",
    "answered", "answers", "added", "adds", "snapped", "snaps", "continued", "continues", "yelled",
    "yells", "explained", "explains", "insisted", "insists", "admitted", "admits", "laughed",
    "laughs", "sighed", "sighs", "agreed", "agrees", "warned", "warns", "demanded", "demands",
    "offered", "offers",
];

/// Verbs whose object is a person ("hugged Jonah").
#[rustfmt::skip]
pub const PERSON_OBJECT_VERBS: &[&str] = &[
    "told", "tells", "asked", "asks", "hugged", "kissed", "thanked", "greeted", "warned",
    "married", "helped", "introduced", "met", "followed", "embraced",
];

/// Verbs (irregular pasts and present-tense forms) that show a name acting; regular pasts
/// are recognised by their `-ed` ending.
#[rustfmt::skip]
pub const ACTION_VERBS: &[&str] = &[
    "said", "says", "ran", "runs", "took", "takes", "saw", "sees", "came", "comes", "went", "goes",
    "stood", "stands", "sat", "sits", "made", "makes", "gave", "gives", "got", "gets", "held",
    "holds", "knew", "knows", "thought", "thinks", "felt", "feels", "left", "leaves", "found",
    "finds", "told", "tells", "kept", "keeps", "began", "begins", "brought", "brings", "spoke",
    "speaks", "woke", "wakes", "rose", "rises", "drew", "draws", "drove", "drives", "wrote",
    "writes", "threw", "throws", "caught", "catches", "fought", "fights", "swam", "swims", "sang",
    "sings", "slept", "sleeps", "led", "leads", "met", "meets", "paid", "pays", "heard", "hears",
    "shook", "shakes", "struck", "strikes", "wore", "wears", "won", "wins", "hid", "hides",
    "broke", "breaks", "chose", "chooses", "fell", "falls", "flew", "flies", "forgot", "forgets",
    "grew", "grows", "hit", "hits", "knelt", "kneels", "lit", "lost", "loses", "meant", "means",
    "put", "puts", "read", "reads", "rode", "rides", "rang", "rings", "sent", "sends", "shot",
    "shoots", "shut", "shuts", "slid", "slides", "spun", "spins", "stole", "steals", "strode",
    "strides", "swore", "swears", "swung", "swings", "taught", "teaches", "tore", "tears",
    "understood", "understands", "wept", "weeps", "smiles", "nods", "looks", "turns", "walks",
    "laughs", "opens", "closes", "waits", "watches", "reaches", "steps", "moves", "pulls",
    "pushes", "grabs", "shrugs", "frowns", "grins", "sighs", "whispers", "shouts", "asks",
    "answers", "replies", "stares", "glances", "climbs", "jumps", "tries", "wants", "needs",
    "hesitates", "pauses", "returns", "arrives", "enters", "leans", "lifts", "drops", "points",
    "raises", "kicks", "knocks", "calls", "cries", "screams",
];

/// Words ending in `-ed` that are not verbs.
#[rustfmt::skip]
pub const NOT_VERBS_ED: &[&str] = &[
    "speed", "breed", "creed", "greed", "hundred", "kindred", "sacred", "naked", "wicked",
    "rugged", "ragged", "jagged", "beloved", "crooked", "blessed", "cursed", "aged", "tired",
    "scared", "married",
];

/// Verbs that record a death; they never count as acting.
#[rustfmt::skip]
pub const DEATH_VERBS: &[&str] = &[
    "died", "dies", "drowned", "perished", "killed", "murdered", "buried", "executed", "slain",
    "lay", "lies",
];

/// Body words: "Jonah's eyes" shows Jonah is a person.
#[rustfmt::skip]
pub const BODY_WORDS: &[&str] = &[
    "eyes", "eye", "hair", "face", "hand", "hands", "voice", "smile", "mouth", "lips", "jaw",
    "shoulder", "shoulders", "arm", "arms", "gaze", "fingers", "heart", "head", "brow", "cheeks",
    "chin", "laugh", "breath",
];

/// Prepositions and verbs after which a capitalised name is a place.
#[rustfmt::skip]
pub const PLACE_PREPOSITIONS: &[&str] = &[
    "in", "into", "inside", "near", "across", "through", "toward", "towards", "beyond", "entered",
    "reached", "visited",
];

/// Words that make a capitalised run a place ("Harbor Street").
#[rustfmt::skip]
pub const PLACE_WORDS: &[&str] = &[
    "street", "road", "lane", "avenue", "river", "mountain", "mountains", "mount", "hill", "hills",
    "bay", "harbor", "harbour", "city", "town", "village", "castle", "tower", "inn", "tavern",
    "hall", "forest", "wood", "woods", "lake", "sea", "ocean", "island", "isle", "valley",
    "bridge", "square", "park", "station", "church", "abbey", "palace", "keep", "gate", "port",
    "market", "house", "manor", "cove", "point", "cape", "coast", "desert", "falls", "fort",
    "temple", "cathedral", "academy", "school", "university", "hospital",
];

/// Words after which a name is being introduced ("a man named Jonah").
pub const INTRODUCING_WORDS: &[&str] = &["named", "called", "introduced", "met"];

/// Words that open an appositive introduction ("Jonah, a fisherman,").
#[rustfmt::skip]
pub const APPOSITIVE_OPENERS: &[&str] = &[
    "a", "an", "the", "his", "her", "their", "my", "our", "who", "whose",
];

/// Words that make a statement of death uncertain, hypothetical or negated.
#[rustfmt::skip]
pub const HEDGES: &[&str] = &[
    "if", "would", "might", "could", "whether", "unless", "feared", "fear", "fears", "afraid",
    "lest", "nearly", "almost", "rumoured", "rumored", "rumour", "rumor", "believed", "pretended",
    "faked", "not", "never", "no",
];

/// Words that mark a memory, dream or record rather than a present action.
#[rustfmt::skip]
pub const MEMORY_WORDS: &[&str] = &[
    "remembered", "remember", "remembers", "remembering", "recalled", "recall", "recalls",
    "memory", "memories", "dreamed", "dreamt", "dream", "dreams", "imagined", "imagine", "ghost",
    "photograph", "photo", "picture", "portrait", "letter", "diary", "journal", "once", "used",
    "grave", "funeral", "mourned", "missed", "thought", "wondered", "pictured", "wished",
];

/// Words that make a sentence's time references future or hypothetical.
#[rustfmt::skip]
pub const MODAL_TIME_WORDS: &[&str] = &[
    "will", "would", "shall", "planned", "promised", "expected", "hoped", "until", "unless", "if",
    "tomorrow",
];

/// Words before a weekday that make it something other than the current day.
#[rustfmt::skip]
pub const WEEKDAY_EXCLUDERS: &[&str] = &[
    "next", "last", "every", "until", "till", "by", "since", "before", "after", "following",
    "each", "previous", "coming", "through",
];

/// Words before a weekday that assert it is the current day ("it was Thursday").
pub const WEEKDAY_STATIVE: &[&str] = &["was", "is", "that", "this", "today"];

/// Parts of a day for relative cues ("the next morning").
pub const DAY_PARTS: &[&str] = &["morning", "day", "evening", "night", "afternoon", "dawn"];

/// Eye colour words and the colour families they belong to.
#[rustfmt::skip]
pub const EYE_COLOURS: &[(&str, &[&str])] = &[
    ("blue", &["blue"]), ("sapphire", &["blue"]), ("azure", &["blue"]), ("cobalt", &["blue"]),
    ("green", &["green"]), ("emerald", &["green"]), ("jade", &["green"]), ("brown", &["brown"]),
    ("chocolate", &["brown"]), ("chestnut", &["brown"]), ("hazel", &["brown", "green"]),
    ("grey", &["grey"]), ("gray", &["grey"]), ("silver", &["grey"]), ("steel", &["grey"]),
    ("amber", &["amber", "brown"]), ("honey", &["amber", "brown"]), ("golden", &["amber"]),
    ("gold", &["amber"]), ("black", &["black", "brown"]), ("dark", &["black", "brown"]),
    ("violet", &["violet"]), ("purple", &["violet"]),
];

/// Hair colour words and the colour families they belong to.
#[rustfmt::skip]
pub const HAIR_COLOURS: &[(&str, &[&str])] = &[
    ("black", &["black"]), ("raven", &["black"]), ("jet", &["black"]), ("ebony", &["black"]),
    ("dark", &["black", "brown"]), ("brown", &["brown"]), ("chestnut", &["brown"]),
    ("brunette", &["brown"]), ("mousy", &["brown"]), ("auburn", &["red", "brown"]),
    ("red", &["red"]), ("ginger", &["red"]), ("copper", &["red"]), ("blond", &["blond"]),
    ("blonde", &["blond"]), ("golden", &["blond"]), ("flaxen", &["blond"]), ("fair", &["blond"]),
    ("sandy", &["blond", "brown"]), ("platinum", &["blond", "white"]), ("grey", &["grey"]),
    ("gray", &["grey"]), ("silver", &["grey", "white"]), ("white", &["white", "grey"]),
];

/// Number words up to ninety (for ages like "thirty-four").
#[rustfmt::skip]
pub const NUMBER_WORDS: &[(&str, u32)] = &[
    ("one", 1), ("two", 2), ("three", 3), ("four", 4), ("five", 5), ("six", 6), ("seven", 7),
    ("eight", 8), ("nine", 9), ("ten", 10), ("eleven", 11), ("twelve", 12), ("thirteen", 13),
    ("fourteen", 14), ("fifteen", 15), ("sixteen", 16), ("seventeen", 17), ("eighteen", 18),
    ("nineteen", 19), ("twenty", 20), ("thirty", 30), ("forty", 40), ("fifty", 50), ("sixty", 60),
    ("seventy", 70), ("eighty", 80), ("ninety", 90),
];

/// Whether `word` (lowercase) is in `list`.
pub fn has(list: &[&str], word: &str) -> bool {
    list.contains(&word)
}
