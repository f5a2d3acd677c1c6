//! Story identifiers: time-ordered UUID v7.

use crate::ids::time_ordered_id;

time_ordered_id!(
    /// A story's id: a UUID v7, so ids sort by creation time. Rendered as lowercase
    /// hyphenated text, whose string order equals the UUID's byte order.
    StoryId,
    InvalidStoryId,
    "a story id"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_are_v7_and_round_trip() {
        let id = StoryId::generate();
        assert_eq!(id.0.get_version_num(), 7);
        assert_eq!(StoryId::parse(&id.to_string()), Some(id));
    }

    #[test]
    fn text_order_follows_creation_order() {
        let a = StoryId::generate();
        let b = StoryId::generate();
        assert!(a < b);
        assert!(a.to_string() < b.to_string());
    }

    #[test]
    fn parse_is_strict_and_normalises_case() {
        let upper = "0190F5A0-0000-7000-8000-000000000000";
        assert_eq!(
            StoryId::parse(upper).unwrap().to_string(),
            upper.to_lowercase()
        );
        for bad in [
            "",
            "42",
            "not-a-uuid",
            "0190f5a000007000800000000000000",
            "0190f5a0000070008000000000000000",
            "{0190f5a0-0000-7000-8000-000000000000}",
            "0190f5a0-0000-7000-8000-00000000000g",
        ] {
            assert_eq!(StoryId::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn serde_uses_the_text_form() {
        let id = StoryId::generate();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{id}\""));
        assert_eq!(serde_json::from_str::<StoryId>(&json).unwrap(), id);
        assert!(serde_json::from_str::<StoryId>("\"42\"").is_err());
    }
}
