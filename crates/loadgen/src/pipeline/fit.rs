//! Ordinary least-squares line `y ≈ a + b·x` with its coefficient of determination.

use serde::Serialize;

/// A fitted line `y ≈ intercept + slope·x`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LinearFit {
    /// `a`: the value of the line at `x = 0`.
    pub intercept: f64,
    /// `b`: the change in `y` per unit of `x`.
    pub slope: f64,
    /// r²: the share of the variance of `y` the line explains (1 when `y` does not vary and
    /// the line matches every point).
    pub r_squared: f64,
    /// Points fitted.
    pub points: usize,
}

impl LinearFit {
    /// Fits `points` (`(x, y)`) by least squares. `None` with fewer than two points, when
    /// every `x` is the same (no slope to find), or when a value is not finite.
    pub fn of(points: &[(f64, f64)]) -> Option<Self> {
        if points.len() < 2 || points.iter().any(|(x, y)| !x.is_finite() || !y.is_finite()) {
            return None;
        }
        let n = points.len() as f64;
        let mean_x = points.iter().map(|p| p.0).sum::<f64>() / n;
        let mean_y = points.iter().map(|p| p.1).sum::<f64>() / n;
        let sxx: f64 = points.iter().map(|p| (p.0 - mean_x).powi(2)).sum();
        let sxy: f64 = points.iter().map(|p| (p.0 - mean_x) * (p.1 - mean_y)).sum();
        if sxx == 0.0 {
            return None;
        }
        let slope = sxy / sxx;
        let intercept = mean_y - slope * mean_x;
        let ss_tot: f64 = points.iter().map(|p| (p.1 - mean_y).powi(2)).sum();
        let ss_res: f64 = points
            .iter()
            .map(|p| (p.1 - (intercept + slope * p.0)).powi(2))
            .sum();
        let r_squared = if ss_tot == 0.0 {
            1.0
        } else {
            1.0 - ss_res / ss_tot
        };
        Some(Self {
            intercept,
            slope,
            r_squared,
            points: points.len(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_near(actual: f64, expected: f64) {
        assert!(
            (actual - expected).abs() < 1e-9,
            "{actual} is not {expected}"
        );
    }

    #[test]
    fn exact_line() {
        // y = 0.5 + 0.2x
        let fit = LinearFit::of(&[(5.0, 1.5), (10.0, 2.5), (20.0, 4.5)]).unwrap();
        assert_near(fit.intercept, 0.5);
        assert_near(fit.slope, 0.2);
        assert_near(fit.r_squared, 1.0);
        assert_eq!(fit.points, 3);
    }

    #[test]
    fn noisy_points_by_hand() {
        // x̄ = 2, ȳ = 3; Sxx = 2, Sxy = 3 → b = 1.5, a = 3 − 1.5·2 = 0.
        // Line: 1.5, 3, 4.5; residuals 0.5, −1, 0.5 → SSres = 1.5; SStot = 1 + 1 + 4 = 6
        // → r² = 1 − 1.5/6 = 0.75.
        let fit = LinearFit::of(&[(1.0, 2.0), (2.0, 2.0), (3.0, 5.0)]).unwrap();
        assert_near(fit.slope, 1.5);
        assert_near(fit.intercept, 0.0);
        assert_near(fit.r_squared, 0.75);
    }

    #[test]
    fn repeated_x_values_as_in_repeated_runs() {
        // Two runs at 5 chapters (1.0 s, 2.0 s), two at 10 (3.0 s, 4.0 s): the line goes
        // through the means (5, 1.5) and (10, 3.5) → b = 0.4, a = −0.5.
        // SStot = 2.25 + 0.25 + 0.25 + 2.25 = 5; SSres = 4 · 0.25 = 1 → r² = 0.8.
        let fit = LinearFit::of(&[(5.0, 1.0), (5.0, 2.0), (10.0, 3.0), (10.0, 4.0)]).unwrap();
        assert_near(fit.slope, 0.4);
        assert_near(fit.intercept, -0.5);
        assert_near(fit.r_squared, 0.8);
    }

    #[test]
    fn flat_exact_data_explains_everything() {
        let fit = LinearFit::of(&[(1.0, 3.0), (4.0, 3.0)]).unwrap();
        assert_near(fit.slope, 0.0);
        assert_near(fit.intercept, 3.0);
        assert_near(fit.r_squared, 1.0);
    }

    #[test]
    fn no_fit_without_two_distinct_x() {
        assert_eq!(LinearFit::of(&[]), None);
        assert_eq!(LinearFit::of(&[(5.0, 1.0)]), None);
        assert_eq!(LinearFit::of(&[(5.0, 1.0), (5.0, 2.0)]), None);
        assert_eq!(LinearFit::of(&[(5.0, 1.0), (f64::NAN, 2.0)]), None);
    }
}
