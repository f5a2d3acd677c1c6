//! Median, minimum and maximum of a set of measurements.

use serde::Serialize;

/// The middle and the extremes of some measurements.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Spread {
    /// The middle value; the mean of the two middle values for an even count.
    pub median: f64,
    /// The smallest value.
    pub min: f64,
    /// The largest value.
    pub max: f64,
}

impl Spread {
    /// The spread of `values`, or `None` when there are none or one is NaN.
    pub fn of(values: &[f64]) -> Option<Self> {
        if values.is_empty() || values.iter().any(|v| v.is_nan()) {
            return None;
        }
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let mid = sorted.len() / 2;
        let median = if sorted.len() % 2 == 1 {
            sorted[mid]
        } else {
            (sorted[mid - 1] + sorted[mid]) / 2.0
        };
        Some(Self {
            median,
            min: sorted[0],
            max: sorted[sorted.len() - 1],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_count_takes_the_middle_value() {
        let s = Spread::of(&[3.0, 1.0, 2.5]).unwrap();
        assert_eq!((s.median, s.min, s.max), (2.5, 1.0, 3.0));
    }

    #[test]
    fn even_count_averages_the_two_middle_values() {
        let s = Spread::of(&[4.0, 1.0, 10.0, 2.0]).unwrap();
        assert_eq!((s.median, s.min, s.max), (3.0, 1.0, 10.0));
    }

    #[test]
    fn one_value_is_its_own_spread() {
        let s = Spread::of(&[7.25]).unwrap();
        assert_eq!((s.median, s.min, s.max), (7.25, 7.25, 7.25));
    }

    #[test]
    fn nothing_to_summarise() {
        assert_eq!(Spread::of(&[]), None);
        assert_eq!(Spread::of(&[1.0, f64::NAN]), None);
    }
}
