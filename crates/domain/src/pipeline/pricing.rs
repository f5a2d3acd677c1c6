//! What LLM calls cost: a pricing table in USD per 1M input/output tokens (built-in
//! defaults merged with the JSON variable `llm_pricing`), and costs in integer nano-USD
//! so that sums over calls, steps, jobs, stories and tenants are exact.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Nano-USD in one USD.
const NANOS_PER_USD: u64 = 1_000_000_000;
/// Tokens per pricing unit.
const TOKENS_PER_UNIT: u128 = 1_000_000;
/// Highest accepted price, USD per 1M tokens.
const MAX_PRICE_USD: f64 = 100_000.0;

/// The built-in prices (USD per 1M input, output tokens). `fabula-offline-1` has a
/// nominal price so that costs are visible offline.
const DEFAULTS: [(&str, f64, f64); 6] = [
    ("fabula-offline-1", 0.10, 0.40),
    ("gpt-4o-mini", 0.15, 0.60),
    ("gpt-4o", 2.50, 10.00),
    ("gpt-4.1", 2.00, 8.00),
    ("gpt-4.1-mini", 0.40, 1.60),
    ("gpt-4.1-nano", 0.10, 0.40),
];

/// One model's price, kept in nano-USD per 1M tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Price {
    input_nanos_per_million: u64,
    output_nanos_per_million: u64,
}

impl Price {
    /// A price from USD per 1M input and output tokens (rounded to the nano-USD).
    pub fn from_usd_per_million(input: f64, output: f64) -> Result<Self, PricingError> {
        Ok(Self {
            input_nanos_per_million: usd_to_nanos(input)?,
            output_nanos_per_million: usd_to_nanos(output)?,
        })
    }

    /// The cost of `prompt` input and `completion` output tokens, in nano-USD (rounded
    /// to the nearest nano-USD).
    pub fn cost_nanos(self, prompt: u64, completion: u64) -> u64 {
        let total = u128::from(prompt) * u128::from(self.input_nanos_per_million)
            + u128::from(completion) * u128::from(self.output_nanos_per_million);
        let rounded = (total + TOKENS_PER_UNIT / 2) / TOKENS_PER_UNIT;
        u64::try_from(rounded).unwrap_or(u64::MAX)
    }
}

fn usd_to_nanos(usd: f64) -> Result<u64, PricingError> {
    if !usd.is_finite() || !(0.0..=MAX_PRICE_USD).contains(&usd) {
        return Err(PricingError::Price(usd.to_string()));
    }
    // In range, so the product fits a u64 exactly enough.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Ok((usd * NANOS_PER_USD as f64).round() as u64)
}

/// An `llm_pricing` value that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PricingError {
    /// Not `{"<model>": {"input": <usd>, "output": <usd>}, ...}`.
    #[error(
        "llm_pricing must be a JSON object {{\"<model>\": {{\"input\": <usd>, \"output\": <usd>}}}}: {0}"
    )]
    Shape(String),
    /// A price is negative, not a number, or above 100000 USD per 1M tokens.
    #[error("llm_pricing: {0} is not a price in USD per 1M tokens (0 to 100000)")]
    Price(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PriceInput {
    input: f64,
    output: f64,
}

/// Prices per model name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricingTable {
    prices: BTreeMap<String, Price>,
}

impl Default for PricingTable {
    /// The built-in prices.
    fn default() -> Self {
        let prices = DEFAULTS
            .iter()
            .filter_map(|(model, input, output)| {
                let price = Price::from_usd_per_million(*input, *output).ok()?;
                Some(((*model).to_owned(), price))
            })
            .collect();
        Self { prices }
    }
}

impl PricingTable {
    /// The built-in table with the JSON `overrides` merged over it (blank: none).
    pub fn parse(overrides: &str) -> Result<Self, PricingError> {
        let mut table = Self::default();
        if overrides.trim().is_empty() {
            return Ok(table);
        }
        let given: BTreeMap<String, PriceInput> =
            serde_json::from_str(overrides).map_err(|e| PricingError::Shape(e.to_string()))?;
        for (model, price) in given {
            let price = Price::from_usd_per_million(price.input, price.output)?;
            table.prices.insert(model, price);
        }
        Ok(table)
    }

    /// The price of `model`, if known.
    pub fn price(&self, model: &str) -> Option<Price> {
        self.prices.get(model).copied()
    }

    /// The usage of one call of `model` (0 cost for a model without a price).
    pub fn usage(&self, model: &str, prompt_tokens: u64, completion_tokens: u64) -> Usage {
        let cost_nanos = self
            .price(model)
            .map_or(0, |p| p.cost_nanos(prompt_tokens, completion_tokens));
        Usage {
            prompt_tokens,
            completion_tokens,
            cost_nanos,
        }
    }
}

/// Tokens and cost, summed at every level (call, step, job, story, tenant).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// Prompt (input) tokens.
    pub prompt_tokens: u64,
    /// Completion (output) tokens.
    pub completion_tokens: u64,
    /// Cost in nano-USD.
    pub cost_nanos: u64,
}

impl Usage {
    /// The sum of two usages (saturating).
    pub fn plus(self, other: Usage) -> Usage {
        Usage {
            prompt_tokens: self.prompt_tokens.saturating_add(other.prompt_tokens),
            completion_tokens: self
                .completion_tokens
                .saturating_add(other.completion_tokens),
            cost_nanos: self.cost_nanos.saturating_add(other.cost_nanos),
        }
    }
}

/// Nano-USD as a decimal USD string without trailing zeros: `1500` → `"0.0000015"`,
/// `2_000_000_000` → `"2"`.
pub fn format_usd(nanos: u64) -> String {
    let whole = nanos / NANOS_PER_USD;
    let fraction = nanos % NANOS_PER_USD;
    if fraction == 0 {
        return whole.to_string();
    }
    let digits = format!("{fraction:09}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_offline_model_has_a_nominal_price() {
        let table = PricingTable::default();
        let usage = table.usage("fabula-offline-1", 1_000_000, 1_000_000);
        assert_eq!(usage.cost_nanos, 500_000_000, "0.10 + 0.40 USD");
        assert_eq!(table.usage("fabula-offline-1", 1, 1).cost_nanos, 500);
        assert_eq!(table.usage("unknown-model", 1000, 1000).cost_nanos, 0);
    }

    #[test]
    fn overrides_merge_over_the_defaults() {
        let table = PricingTable::parse(
            r#"{"gpt-4o-mini": {"input": 1, "output": 2}, "local": {"input": 0, "output": 0.001}}"#,
        )
        .unwrap();
        assert_eq!(
            table.usage("gpt-4o-mini", 1_000_000, 0).cost_nanos,
            1_000_000_000
        );
        assert_eq!(table.usage("local", 0, 1_000_000).cost_nanos, 1_000_000);
        assert!(
            table.price("fabula-offline-1").is_some(),
            "defaults are kept"
        );
        assert_eq!(PricingTable::parse("  ").unwrap(), PricingTable::default());
    }

    #[test]
    fn bad_overrides_are_errors() {
        for bad in [
            "[]",
            "{",
            r#"{"m": {"input": 1}}"#,
            r#"{"m": {"input": 1, "output": 1, "cached": 1}}"#,
            r#"{"m": {"input": "1", "output": 1}}"#,
        ] {
            assert!(
                matches!(PricingTable::parse(bad), Err(PricingError::Shape(_))),
                "{bad}"
            );
        }
        for bad in [
            r#"{"m": {"input": -1, "output": 1}}"#,
            r#"{"m": {"input": 1e9, "output": 1}}"#,
        ] {
            assert!(
                matches!(PricingTable::parse(bad), Err(PricingError::Price(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn costs_round_to_the_nearest_nano_and_never_overflow() {
        let price = Price::from_usd_per_million(0.15, 0.6).unwrap();
        assert_eq!(price.cost_nanos(1, 0), 150);
        assert_eq!(price.cost_nanos(3, 3), 2_250);
        let tiny = Price::from_usd_per_million(0.000_000_4, 0.0).unwrap();
        assert_eq!(tiny.cost_nanos(1, 0), 0, "0.4 nano-USD per 1M tokens");
        let max = Price::from_usd_per_million(MAX_PRICE_USD, MAX_PRICE_USD).unwrap();
        assert_eq!(max.cost_nanos(u64::MAX, u64::MAX), u64::MAX);
    }

    #[test]
    fn usages_add_up() {
        let a = Usage {
            prompt_tokens: 1,
            completion_tokens: 2,
            cost_nanos: 3,
        };
        assert_eq!(
            a.plus(a),
            Usage {
                prompt_tokens: 2,
                completion_tokens: 4,
                cost_nanos: 6
            }
        );
    }

    #[test]
    fn usd_strings_are_exact_decimals() {
        assert_eq!(format_usd(0), "0");
        assert_eq!(format_usd(1_500), "0.0000015");
        assert_eq!(format_usd(2_000_000_000), "2");
        assert_eq!(format_usd(1_234_567_890), "1.23456789");
        assert_eq!(format_usd(1), "0.000000001");
    }
}
