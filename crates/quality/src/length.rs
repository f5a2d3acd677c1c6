//! The length score S_l of LongBench-Write: how close a chapter is to its word budget.
//!
//! Target `x` (the budget), output `y` (words, counted as in [`crate::tokenize`]):
//! if `y > x`, `S_l = 100·max(0, 1 − (y/x − 1)/3)`; else `S_l = 100·max(0, 1 − (x/y − 1)/2)`.
//! 100 means on target; falling short is punished faster than running long. An empty text
//! scores 0; a budget of 0 has no target and gives `None`.

use serde::{Deserialize, Serialize};

/// S_l for a budget of `target` words and `actual` words written.
pub fn length_score(target: u32, actual: usize) -> Option<f64> {
    if target == 0 {
        return None;
    }
    if actual == 0 {
        return Some(0.0);
    }
    let (x, y) = (f64::from(target), actual as f64);
    let score = if y > x {
        1.0 - (y / x - 1.0) / 3.0
    } else {
        1.0 - (x / y - 1.0) / 2.0
    };
    Some(100.0 * score.max(0.0))
}

/// A chapter's length against its budget.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LengthCheck {
    /// The word budget (0 = none).
    pub budget: u32,
    /// Words written.
    pub words: usize,
    /// S_l (`None` without a budget).
    pub score: Option<f64>,
}

impl LengthCheck {
    /// Scores `words` against `budget`.
    pub fn new(budget: u32, words: usize) -> Self {
        Self {
            budget,
            words,
            score: length_score(budget, words),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EPS: f64 = 1e-9;

    #[test]
    fn scores_by_hand() {
        // on target → 100
        assert_eq!(length_score(1000, 1000), Some(100.0));
        // y = 1300 > x = 1000: 100·(1 − 0.3/3) = 90
        assert!((length_score(1000, 1300).unwrap() - 90.0).abs() < EPS);
        // y = 800 < x = 1000: x/y = 1.25 → 100·(1 − 0.25/2) = 87.5
        assert!((length_score(1000, 800).unwrap() - 87.5).abs() < EPS);
        // y = 4000: 100·max(0, 1 − 3/3) = 0; y = 5000 also clamps to 0
        assert_eq!(length_score(1000, 4000), Some(0.0));
        assert_eq!(length_score(1000, 5000), Some(0.0));
        // y = 300: x/y − 1 = 2.333… → clamps to 0
        assert_eq!(length_score(1000, 300), Some(0.0));
    }

    #[test]
    fn empty_text_and_missing_budget() {
        assert_eq!(length_score(1000, 0), Some(0.0));
        assert_eq!(length_score(0, 10), None);
        assert_eq!(LengthCheck::new(0, 0).score, None);
    }
}
