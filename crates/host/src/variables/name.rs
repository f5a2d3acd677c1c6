//! Spin's rule for variable names (its `Key`): they become environment-variable names and
//! paths, so they are kept plain.

/// A name that breaks the rule; the message says which part.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid variable name `{name}`: {reason}")]
pub struct NameError {
    /// The name as given.
    pub name: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

/// Checks Spin's rule: lowercase ASCII letters, digits and single `_` between them, starting
/// with a letter and ending with a letter or digit.
pub fn check_name(name: &str) -> Result<(), NameError> {
    let reason = if name.is_empty() {
        Some("must not be empty")
    } else if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        Some("only lowercase letters, digits and `_` are allowed")
    } else if !name.as_bytes()[0].is_ascii_lowercase() {
        Some("must start with a lowercase letter")
    } else if name.ends_with('_') {
        Some("must end with a letter or digit")
    } else if name.contains("__") {
        Some("must not contain `__`")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(NameError {
            name: name.to_owned(),
            reason,
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_spins_good_names() {
        for name in ["a", "abc", "a1b2c3", "a_1", "a_1_b_3", "api_key"] {
            assert_eq!(check_name(name), Ok(()), "{name}");
        }
    }

    #[test]
    fn rejects_spins_bad_names_with_a_reason() {
        for (name, reason) in [
            ("", "must not be empty"),
            ("aX", "only lowercase letters, digits and `_` are allowed"),
            ("x.y", "only lowercase letters, digits and `_` are allowed"),
            ("x-y", "only lowercase letters, digits and `_` are allowed"),
            ("1bc", "must start with a lowercase letter"),
            ("_x", "must start with a lowercase letter"),
            ("x_", "must end with a letter or digit"),
            ("a__b", "must not contain `__`"),
        ] {
            let err = check_name(name).unwrap_err();
            assert_eq!(err.reason, reason, "{name}");
            assert!(err.to_string().contains(&format!("`{name}`")), "{err}");
        }
    }
}
