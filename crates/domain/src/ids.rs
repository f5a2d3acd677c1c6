//! Time-ordered record identifiers (UUID v7), one newtype per record kind.

/// Declares a UUID v7 identifier newtype: generated ids sort by creation time, the text
/// form is lowercase hyphenated (its string order equals the UUID's byte order) and
/// parsing accepts only the 36-character hyphenated form.
macro_rules! time_ordered_id {
    ($(#[$meta:meta])* $name:ident, $invalid:ident, $what:literal) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize,
        )]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(uuid::Uuid);

        #[doc = concat!("A string that is not ", $what, ".")]
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $invalid;

        impl std::fmt::Display for $invalid {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(concat!("not ", $what))
            }
        }

        impl std::error::Error for $invalid {}

        impl $name {
            /// A fresh, time-ordered id.
            pub fn generate() -> Self {
                Self(uuid::Uuid::now_v7())
            }

            /// Accepts only the 36-character hyphenated form (any hex case).
            pub fn parse(text: &str) -> Option<Self> {
                if text.len() != 36 {
                    return None;
                }
                uuid::Uuid::try_parse(text).ok().map(Self)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Display::fmt(&self.0.hyphenated(), f)
            }
        }

        impl TryFrom<String> for $name {
            type Error = $invalid;

            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(&value).ok_or($invalid)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> Self {
                id.to_string()
            }
        }
    };
}

pub(crate) use time_ordered_id;
