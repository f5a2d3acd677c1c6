//! Token estimates.

/// Estimates the tokens of `text` as `ceil(chars / 4)`, counting Unicode scalar values.
///
/// Four characters per token is the usual rule of thumb for English with BPE tokenizers; it
/// is deterministic and the same everywhere, which is what budgets and tests need. Saturates
/// at `u32::MAX`.
pub fn estimate_tokens(text: &str) -> u32 {
    let chars = text.chars().count() as u64;
    u32::try_from(chars.div_ceil(4)).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_up_and_counts_characters_not_bytes() {
        assert_eq!(estimate_tokens(""), 0);
        assert_eq!(estimate_tokens("abc"), 1);
        assert_eq!(estimate_tokens("abcd"), 1);
        assert_eq!(estimate_tokens("abcde"), 2);
        // Four two-byte characters are one token, not two.
        assert_eq!(estimate_tokens("éééé"), 1);
    }
}
