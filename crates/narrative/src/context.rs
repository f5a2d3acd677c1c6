//! The continuity context of a chapter prompt, fitted into a token budget.

use serde::Serialize;

use crate::bible::Fact;
use crate::story::ChapterSummary;
use crate::text::one_line;
use crate::tokens::estimate_tokens;

/// An `## Earlier chapters` item: `- Chapter <number>: <text>`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Earlier {
    pub number: u32,
    pub text: String,
}

impl Earlier {
    fn cost(&self) -> u32 {
        estimate_tokens(&format!("- Chapter {}: {}\n", self.number, self.text))
    }
}

/// What of the earlier chapters a chapter prompt shows.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub(crate) struct Continuity {
    /// Earlier chapters, oldest first.
    pub earlier: Vec<Earlier>,
    /// Facts, oldest chapter first.
    pub facts: Vec<String>,
}

/// Fits the summaries and facts of the chapters before `number` into `budget` tokens (each
/// item line costs [`estimate_tokens`] of `- <item>\n`):
///
/// 1. Summaries (one per chapter, the first given wins), newest first: whole while they fit;
///    from the first one that does not, that chapter and all older ones are shown by title
///    only while those fit; the rest are dropped.
/// 2. Facts get what is left, newest chapter first, whole facts only, until one does not fit.
///
/// Both lists are returned oldest first. The result depends only on the inputs.
pub(crate) fn fit(
    summaries: &[ChapterSummary],
    facts: &[Fact],
    number: u32,
    budget: u32,
) -> Continuity {
    let mut earlier: Vec<&ChapterSummary> =
        summaries.iter().filter(|s| s.number < number).collect();
    earlier.sort_by_key(|s| s.number);
    earlier.dedup_by_key(|s| s.number);

    let mut left = budget;
    let mut kept = Vec::new();
    let mut titles_only = false;
    for summary in earlier.iter().rev() {
        let whole = Earlier {
            number: summary.number,
            text: one_line(&summary.summary),
        };
        let item = if !titles_only && !whole.text.is_empty() && whole.cost() <= left {
            whole
        } else {
            titles_only = true;
            Earlier {
                number: summary.number,
                text: one_line(&summary.title),
            }
        };
        let cost = item.cost();
        if cost > left {
            break;
        }
        left -= cost;
        kept.push(item);
    }
    kept.reverse();

    let mut chosen = Vec::new();
    let mut older: Vec<&Fact> = facts.iter().filter(|f| f.chapter < number).collect();
    older.sort_by_key(|f| f.chapter);
    for fact in older.iter().rev() {
        let text = one_line(&fact.text);
        if text.is_empty() {
            continue;
        }
        let cost = estimate_tokens(&format!("- {text}\n"));
        if cost > left {
            break;
        }
        left -= cost;
        chosen.push(text);
    }
    chosen.reverse();
    Continuity {
        earlier: kept,
        facts: chosen,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(number: u32) -> ChapterSummary {
        ChapterSummary {
            number,
            title: format!("T{number}"),
            // 40 characters: "- Chapter n: " + 40 + "\n" = 54 characters, 14 tokens.
            summary: format!("{:<40}", format!("Summary of chapter {number}.")).replace(' ', "x"),
        }
    }

    fn fact(chapter: u32) -> Fact {
        // "- F000000001\n" is 13 characters, 4 tokens.
        Fact {
            chapter,
            text: format!("F{chapter:0>9}"),
        }
    }

    fn shown(c: &Continuity) -> Vec<String> {
        c.earlier
            .iter()
            .map(|e| format!("{}:{}", e.number, e.text.len()))
            .collect()
    }

    #[test]
    fn everything_fits_in_a_large_budget() {
        let c = fit(&[summary(1), summary(2)], &[fact(1), fact(2)], 3, 1000);
        assert_eq!(shown(&c), ["1:40", "2:40"]);
        assert_eq!(c.facts.len(), 2);
    }

    #[test]
    fn newest_summaries_stay_whole_and_older_ones_shrink_to_titles_then_drop() {
        let summaries: Vec<_> = (1..=5).map(summary).collect();
        // Whole items cost 14, title items ("- Chapter n: Tn\n") cost 4.
        let c = fit(&summaries, &[], 6, 14 + 14 + 4 + 4);
        assert_eq!(shown(&c), ["2:2", "3:2", "4:40", "5:40"]);
        let c = fit(&summaries, &[], 6, 13);
        assert_eq!(shown(&c), ["3:2", "4:2", "5:2"]);
        assert!(fit(&summaries, &[], 6, 3).earlier.is_empty());
    }

    #[test]
    fn facts_get_the_rest_newest_first_and_stay_in_order() {
        let facts: Vec<_> = (1..=4).map(fact).collect();
        let c = fit(&[summary(1)], &facts, 5, 14 + 4 + 4 + 3);
        assert_eq!(shown(&c), ["1:40"]);
        assert_eq!(c.facts, ["F000000003", "F000000004"]);
    }

    #[test]
    fn only_chapters_before_this_one_count_once_each_in_order() {
        let mut other = summary(2);
        other.summary = "Second copy.".into();
        let c = fit(
            &[summary(3), summary(2), other, summary(1), summary(4)],
            &[fact(3), fact(1)],
            3,
            1000,
        );
        assert_eq!(shown(&c), ["1:40", "2:40"]);
        assert_eq!(c.facts, ["F000000001"]);
    }

    #[test]
    fn the_same_inputs_always_give_the_same_context() {
        let summaries: Vec<_> = (1..=9).map(summary).collect();
        let facts: Vec<_> = (1..=9).map(fact).collect();
        assert_eq!(
            fit(&summaries, &facts, 10, 77),
            fit(&summaries, &facts, 10, 77)
        );
    }
}
