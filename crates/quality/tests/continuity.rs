//! Continuity alerts on hand-made chapters with known contradictions.

use fabula_quality::continuity::{
    AlertDetail, AlertKind, AttributeKind, CharacterSeed, ContinuityAlert, Established, Ledger,
    SeedAttribute, Weekday,
};

fn seeded() -> Ledger {
    let mut ledger = Ledger::new();
    ledger.add_character(CharacterSeed {
        name: "Mara Quell".into(),
        aliases: vec![],
        attributes: vec![
            SeedAttribute {
                kind: AttributeKind::EyeColour,
                value: "green".into(),
            },
            SeedAttribute {
                kind: AttributeKind::Age,
                value: "thirty-four".into(),
            },
        ],
    });
    ledger.add_character(CharacterSeed {
        name: "Tom Ash".into(),
        aliases: vec![],
        attributes: vec![],
    });
    ledger.add_place("Kestrel Cove");
    ledger
}

const CH1: &str = "On Monday, Mara Quell walked down to Kestrel Cove. Her brother Tom waited by the boats. \
Mara's eyes were green in the low sun. A fisherman named Jonah waved from the pier.\n\n\
The next morning, Tom was killed by the falling mast. It was Tuesday, and the village mourned.";

const CH2: &str = "Two days later, Mara sailed out past the reef. It was Friday, and the wind had turned. \
Tom laughed at the gulls from the bow. Mara's eyes were blue with cold fury.\n\n\
Mara remembered how Tom sang on the pier. Captain Verrin hailed them from a black ship. \
Mara, thirty-four, had never felt older. Jonah waved from the shore.";

#[test]
fn a_consistent_chapter_raises_nothing_and_fills_the_ledger() {
    let mut ledger = seeded();
    assert_eq!(ledger.ingest_chapter(1, CH1), []);
    // Jonah was introduced ("a fisherman named Jonah"), so he joins the ledger silently.
    let jonah = ledger.character("Jonah").expect("Jonah recorded");
    assert_eq!(
        jonah.introduced,
        Established::Chapter {
            chapter: 1,
            sentence: "A fisherman named Jonah waved from the pier.".into()
        }
    );
    // "Tom" resolves to "Tom Ash"; his death is recorded with its sentence.
    let tom = ledger.character("Tom").unwrap();
    assert_eq!(tom.name, "Tom Ash");
    assert_eq!(
        tom.death,
        Some(Established::Chapter {
            chapter: 1,
            sentence: "The next morning, Tom was killed by the falling mast.".into()
        })
    );
    // Monday + "the next morning" = Tuesday, as stated: the anchor is now Tuesday.
    assert_eq!(
        ledger.timeline().anchor.as_ref().map(|a| a.day),
        Some(Weekday::Tuesday)
    );
}

#[test]
fn contradictions_are_flagged_with_the_sentence_that_raised_them() {
    let mut ledger = seeded();
    ledger.ingest_chapter(1, CH1);
    let alerts = ledger.ingest_chapter(2, CH2);
    let kinds: Vec<AlertKind> = alerts.iter().map(ContinuityAlert::kind).collect();
    assert_eq!(
        kinds,
        [
            AlertKind::TimelineDrift,
            AlertKind::ActsAfterDeath,
            AlertKind::AttributeContradiction,
            AlertKind::NameFromNowhere
        ]
    );
    assert!(alerts.iter().all(|a| a.chapter == 2));

    // Tuesday (ch 1) + "two days later" = Thursday, but the text says Friday.
    assert_eq!(
        alerts[0].sentence,
        "It was Friday, and the wind had turned."
    );
    assert_eq!(
        alerts[0].detail,
        AlertDetail::TimelineDrift {
            stated: Weekday::Friday,
            implied: Weekday::Thursday,
            anchor_day: Weekday::Tuesday,
            anchor: Established::Chapter {
                chapter: 1,
                sentence: "It was Tuesday, and the village mourned.".into()
            },
            days: 2,
        }
    );
    assert_eq!(
        alerts[0].message,
        "chapter 2 says Friday, but Tuesday (stated in chapter 1: \"It was Tuesday, and the village mourned.\") \
         plus 2 days implies Thursday"
    );

    // Tom died in chapter 1 and laughs in chapter 2; "Mara remembered how Tom sang" is a
    // memory and raises nothing.
    assert_eq!(alerts[1].sentence, "Tom laughed at the gulls from the bow.");
    assert_eq!(
        alerts[1].message,
        "Tom Ash acts in chapter 2 after dying in chapter 1: \"The next morning, Tom was killed by the falling mast.\""
    );

    // Canon green (bible), stated blue; the age "thirty-four" agrees with the bible's 34.
    assert_eq!(alerts[2].sentence, "Mara's eyes were blue with cold fury.");
    assert_eq!(
        alerts[2].detail,
        AlertDetail::AttributeContradiction {
            character: "Mara Quell".into(),
            attribute: AttributeKind::EyeColour,
            canon: "green".into(),
            established: Established::Bible,
            stated: "blue".into(),
        }
    );
    assert_eq!(
        alerts[2].message,
        "Mara Quell's eye colour is stated as blue in chapter 2, but canon is green (established in the story bible)"
    );

    // A titled stranger who is never introduced; Jonah (introduced in chapter 1) is fine.
    assert_eq!(
        alerts[3].sentence,
        "Captain Verrin hailed them from a black ship."
    );
    assert_eq!(
        alerts[3].detail,
        AlertDetail::NameFromNowhere {
            name: "Verrin".into()
        }
    );
}

#[test]
fn ordinary_capitalised_words_are_not_names() {
    let mut ledger = seeded();
    let text = "Rain hammered the roof. Outside, the harbour slept. In March the boats came back to Kestrel Cove. \
                Nobody said a word. God knows why. \"Wait!\" Mara said. Then Quell turned to the sea. \
                Sunday was quiet. Elena Reyes, the harbourmaster, nodded. Reyes smiled. They walked into Port Avel.";
    assert_eq!(ledger.ingest_chapter(1, text), []);
    // The introduced harbourmaster and the place were recorded; "Reyes" was folded into her name.
    assert_eq!(
        ledger.character("Reyes").map(|c| c.name.as_str()),
        Some("Elena Reyes")
    );
    assert!(ledger.places().iter().any(|p| p.name == "Port Avel"));
    assert!(ledger.character("Rain").is_none() && ledger.character("Nobody").is_none());
}

#[test]
fn a_new_name_is_flagged_once_even_when_it_only_starts_sentences() {
    let mut ledger = seeded();
    let alerts = ledger.ingest_chapter(1, "Jonah said nothing. Jonah said it again.");
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].sentence, "Jonah said nothing.");
    assert_eq!(
        alerts[0].detail,
        AlertDetail::NameFromNowhere {
            name: "Jonah".into()
        }
    );
    assert_eq!(ledger.ingest_chapter(2, "Jonah said nothing."), []);
}

#[test]
fn hedged_deaths_and_flashbacks_do_not_kill() {
    let mut ledger = seeded();
    let text = "Tom nearly died in the storm. If Tom died, the farm was lost. Tom's body ached. Tom laughed.";
    assert_eq!(ledger.ingest_chapter(1, text), []);
    assert_eq!(ledger.character("Tom").unwrap().death, None);
}

#[test]
fn death_and_action_in_one_chapter_and_dialogue_is_not_narration() {
    let mut ledger = seeded();
    let text =
        "Tom laughed. Tom died at dawn. \"Tom smiled at me,\" Mara lied. \"Come,\" said Tom.";
    let alerts = ledger.ingest_chapter(1, text);
    // Before the death: fine. Inside the quotation: not narration. "said Tom": acts.
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].kind(), AlertKind::ActsAfterDeath);
    assert_eq!(alerts[0].sentence, "\"Come,\" said Tom.");
}

#[test]
fn attributes_first_stated_in_text_become_canon() {
    let mut ledger = seeded();
    assert_eq!(ledger.ingest_chapter(1, "Tom Ash, 41, had dark hair."), []);
    let alerts = ledger.ingest_chapter(2, "Tom was 45. Tom's hair was brown.");
    // "dark" hair is compatible with brown; 45 contradicts 41 (chapter 1).
    assert_eq!(alerts.len(), 1);
    assert_eq!(
        alerts[0].detail,
        AlertDetail::AttributeContradiction {
            character: "Tom Ash".into(),
            attribute: AttributeKind::Age,
            canon: "41".into(),
            established: Established::Chapter {
                chapter: 1,
                sentence: "Tom Ash, 41, had dark hair.".into()
            },
            stated: "45".into(),
        }
    );
}

#[test]
fn reingesting_a_revised_chapter_replaces_what_it_established() {
    let mut ledger = seeded();
    ledger.ingest_chapter(1, CH1);
    assert_eq!(ledger.ingest_chapter(2, CH2).len(), 4);
    let revised = "Two days later, Mara sailed out past the reef. It was Thursday. Captain Verrin, an old smuggler, \
                   hailed them.";
    assert_eq!(ledger.ingest_chapter(2, revised), []);
    let verrin = ledger.character("Verrin").unwrap();
    assert_eq!(verrin.introduced.chapter(), Some(2));
    assert_eq!(
        ledger
            .characters()
            .iter()
            .filter(|c| c.name == "Verrin")
            .count(),
        1
    );
    // Re-reading chapter 1 forgets chapter 2 too, then rebuilds chapter 1 exactly.
    let mut again = ledger.clone();
    again.ingest_chapter(1, CH1);
    let mut fresh = seeded();
    fresh.ingest_chapter(1, CH1);
    assert_eq!(again, fresh);
}

#[test]
fn the_ledger_and_alerts_round_trip_through_json() {
    let mut ledger = seeded();
    ledger.ingest_chapter(1, CH1);
    let alerts = ledger.ingest_chapter(2, CH2);
    let json = serde_json::to_string(&ledger).unwrap();
    let back: Ledger = serde_json::from_str(&json).unwrap();
    assert_eq!(back, ledger);
    let value = serde_json::to_value(&alerts).unwrap();
    assert_eq!(value[0]["kind"], "timeline_drift");
    assert_eq!(value[0]["chapter"], 2);
    assert_eq!(value[0]["anchor"]["source"], "chapter");
    assert_eq!(value[2]["established"]["source"], "bible");
    let alerts_back: Vec<ContinuityAlert> = serde_json::from_value(value).unwrap();
    assert_eq!(alerts_back, alerts);
}

#[test]
fn empty_chapters_are_harmless() {
    let mut ledger = seeded();
    assert_eq!(ledger.ingest_chapter(1, ""), []);
    assert_eq!(ledger.ingest_chapter(2, "  \n\n "), []);
    assert_eq!(ledger.characters().len(), 2);
}

#[test]
fn memories_of_the_dead_are_not_actions() {
    let mut ledger = seeded();
    ledger.ingest_chapter(1, "Tom died in the night.");
    let text = "She thought of how Tom laughed at storms. Tom's hat still hung by the door. \
                \"Tom would have known,\" Mara said.";
    assert_eq!(ledger.ingest_chapter(2, text), []);
}
