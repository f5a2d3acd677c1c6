//! The pipeline benchmark's figures: per chapter count, the fitted growth line, and the
//! report as Markdown and JSON.

use std::fmt::Write as _;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::fit::LinearFit;
use super::job;
use super::measure::RunResult;
use super::spread::Spread;
use crate::stats::format_latency;

/// Everything the pipeline benchmark measured.
#[derive(Debug, Clone, PartialEq)]
pub struct PipelineReport {
    /// When the benchmark started.
    pub date: DateTime<Utc>,
    /// The command line that started it.
    pub command_line: String,
    /// CPUs available to this process.
    pub cpus: usize,
    /// Chapter counts, in the order run.
    pub chapter_counts: Vec<u32>,
    /// Word budget per chapter.
    pub words_per_chapter: u32,
    /// Time between two polls of a job.
    pub poll_every: Duration,
    /// The sweeper's period when the host publishes to `fabula.sweep` itself.
    pub sweep_every: Option<Duration>,
    /// Spawn to `Serving`, fresh state directory.
    pub startup: Duration,
    /// The host's peak RSS after the last job, in KiB.
    pub peak_rss_kib: u64,
    /// Every run, in the order run.
    pub runs: Vec<RunResult>,
}

/// The figures for one chapter count.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Chapters per book.
    pub chapters: u32,
    /// Runs measured.
    pub runs: usize,
    /// End-to-end seconds.
    pub end_to_end_s: Spread,
    /// Median of end-to-end milliseconds divided by chapters.
    pub per_chapter_ms: f64,
    /// Seconds to the first written chapter, over the runs that reported progress.
    pub first_chapter_s: Option<Spread>,
    /// The jobs' own durations (`timings.duration_ms`) in seconds, over the runs that
    /// reported one.
    pub job_duration_s: Option<Spread>,
}

impl PipelineReport {
    /// One row per chapter count that has runs, in the order run.
    pub fn rows(&self) -> Vec<Row> {
        self.chapter_counts
            .iter()
            .filter_map(|&chapters| {
                let runs: Vec<&RunResult> = self
                    .runs
                    .iter()
                    .filter(|r| r.spec.chapters == chapters)
                    .collect();
                let seconds: Vec<f64> = runs.iter().map(|r| r.end_to_end.as_secs_f64()).collect();
                let per_chapter: Vec<f64> = seconds
                    .iter()
                    .map(|s| s * 1e3 / f64::from(chapters))
                    .collect();
                let first: Vec<f64> = runs
                    .iter()
                    .filter_map(|r| r.first_chapter.map(|d| d.as_secs_f64()))
                    .collect();
                let own: Vec<f64> = runs
                    .iter()
                    .filter_map(|r| job::own_duration(r.job_timings.as_ref()?))
                    .map(|d| d.as_secs_f64())
                    .collect();
                Some(Row {
                    chapters,
                    runs: runs.len(),
                    end_to_end_s: Spread::of(&seconds)?,
                    per_chapter_ms: Spread::of(&per_chapter)?.median,
                    first_chapter_s: Spread::of(&first),
                    job_duration_s: Spread::of(&own),
                })
            })
            .collect()
    }

    /// The least-squares line end-to-end seconds ≈ a + b·chapters over every run.
    pub fn fit(&self) -> Option<LinearFit> {
        let points: Vec<(f64, f64)> = self
            .runs
            .iter()
            .map(|r| (f64::from(r.spec.chapters), r.end_to_end.as_secs_f64()))
            .collect();
        LinearFit::of(&points)
    }

    /// The report as Markdown: set-up, the table per chapter count, the fitted line and the
    /// peak RSS.
    pub fn to_markdown(&self) -> String {
        let mut md = String::new();
        // Writing to a String cannot fail.
        let _ = self.write_markdown(&mut md);
        md
    }

    fn write_markdown(&self, md: &mut String) -> std::fmt::Result {
        writeln!(md, "## Benchmark: novel generation end to end\n")?;
        writeln!(md, "- Date: {}", self.date.format("%Y-%m-%d %H:%M UTC"))?;
        writeln!(md, "- Command: `{}`", self.command_line)?;
        writeln!(
            md,
            "- Machine: {} CPUs available; benchmark driver on the same machine",
            self.cpus
        )?;
        writeln!(
            md,
            "- App: `fabula up` with the embedded defaults (offline LLM provider, embedded queue), \
             fresh state directory, serving after {:.2} s; sweeper {}",
            self.startup.as_secs_f64(),
            match self.sweep_every {
                Some(every) => format!("published every {:.0} s", every.as_secs_f64()),
                None => "not published periodically".to_owned(),
            }
        )?;
        writeln!(
            md,
            "- Jobs: {} words per chapter, one job at a time, seeds 1, 2, …; times from \
             `POST …/generations` to reading `completed`, polled every {} ms\n",
            self.words_per_chapter,
            self.poll_every.as_millis()
        )?;
        writeln!(
            md,
            "| chapters | runs | end to end (median) | min – max | per chapter (median) | first chapter (median) | job's own duration (median) |"
        )?;
        writeln!(md, "|---:|---:|---:|---:|---:|---:|---:|")?;
        let median =
            |spread: Option<Spread>| spread.map_or_else(|| "—".to_owned(), |s| seconds(s.median));
        for row in self.rows() {
            let e = row.end_to_end_s;
            writeln!(
                md,
                "| {} | {} | {} | {} – {} | {} | {} | {} |",
                row.chapters,
                row.runs,
                seconds(e.median),
                seconds(e.min),
                seconds(e.max),
                seconds(row.per_chapter_ms / 1e3),
                median(row.first_chapter_s),
                median(row.job_duration_s),
            )?;
        }
        writeln!(
            md,
            "\nClient times are accurate to one polling interval; the job's own duration is \
             `timings.duration_ms` as the app reports it (job start to finish, without the \
             queueing before the first step).\n"
        )?;
        match self.fit() {
            Some(fit) => writeln!(
                md,
                "Least squares over all {} runs: t ≈ {} + {} · chapters (r² = {:.4})\n",
                fit.points,
                seconds(fit.intercept),
                seconds(fit.slope),
                fit.r_squared
            )?,
            None => writeln!(
                md,
                "No growth line: it needs runs at two chapter counts or more.\n"
            )?,
        }
        if self.runs.iter().any(|r| r.job_timings.is_some()) {
            writeln!(md, "The jobs' own `timings` are in the `--json` output.\n")?;
        }
        writeln!(
            md,
            "Peak RSS of the host (`VmHWM`) after the last job: {:.1} MiB",
            self.peak_rss_kib as f64 / 1024.0
        )
    }

    /// The report as one JSON object: set-up, rows, fit, and every run.
    pub fn to_json(&self) -> Value {
        let rows: Vec<Value> = self
            .rows()
            .iter()
            .map(|row| {
                json!({
                    "chapters": row.chapters,
                    "runs": row.runs,
                    "end_to_end_s": row.end_to_end_s,
                    "per_chapter_ms_median": row.per_chapter_ms,
                    "first_chapter_s": row.first_chapter_s,
                    "job_duration_s": row.job_duration_s,
                })
            })
            .collect();
        let runs: Vec<Value> = self
            .runs
            .iter()
            .map(|r| {
                json!({
                    "chapters": r.spec.chapters,
                    "words_per_chapter": r.spec.words_per_chapter,
                    "seed": r.spec.seed,
                    "job_id": r.job_id,
                    "end_to_end_s": r.end_to_end.as_secs_f64(),
                    "first_chapter_s": r.first_chapter.map(|d| d.as_secs_f64()),
                    "job_timings": r.job_timings,
                })
            })
            .collect();
        json!({
            "date": self.date.to_rfc3339(),
            "command": self.command_line,
            "cpus": self.cpus,
            "words_per_chapter": self.words_per_chapter,
            "poll_every_ms": self.poll_every.as_secs_f64() * 1e3,
            "sweep_every_s": self.sweep_every.map(|d| d.as_secs_f64()),
            "startup_s": self.startup.as_secs_f64(),
            "peak_rss_kib": self.peak_rss_kib,
            "rows": rows,
            "fit": self.fit().map(|f| json!({
                "intercept_s": f.intercept,
                "slope_s_per_chapter": f.slope,
                "r_squared": f.r_squared,
                "points": f.points,
            })),
            "runs": runs,
        })
    }
}

/// Seconds for people, signed: `-12.50 ms`, `850 µs`, `1.20 s`.
fn seconds(value: f64) -> String {
    let magnitude = Duration::try_from_secs_f64(value.abs()).unwrap_or(Duration::MAX);
    let sign = if value < 0.0 { "-" } else { "" };
    format!("{sign}{}", format_latency(magnitude))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::measure::RunSpec;

    fn run(chapters: u32, seed: u64, millis: u64, first_millis: Option<u64>) -> RunResult {
        RunResult {
            spec: RunSpec {
                chapters,
                words_per_chapter: 1000,
                seed,
            },
            job_id: format!("job-{chapters}-{seed}"),
            end_to_end: Duration::from_millis(millis),
            first_chapter: first_millis.map(Duration::from_millis),
            job_timings: None,
        }
    }

    fn report(runs: Vec<RunResult>) -> PipelineReport {
        PipelineReport {
            date: DateTime::from_timestamp(1_795_000_000, 0).unwrap(),
            command_line: "fabula-bench pipeline --chapters 5,10".into(),
            cpus: 2,
            chapter_counts: vec![5, 10],
            words_per_chapter: 1000,
            poll_every: Duration::from_millis(20),
            sweep_every: Some(Duration::from_secs(5)),
            startup: Duration::from_millis(1_250),
            peak_rss_kib: 81_920,
            runs,
        }
    }

    fn sample() -> PipelineReport {
        report(vec![
            run(5, 1, 1_000, Some(300)),
            run(5, 2, 2_000, Some(500)),
            run(5, 3, 1_500, Some(400)),
            run(10, 1, 3_000, Some(350)),
            run(10, 2, 4_000, None),
        ])
    }

    #[test]
    fn rows_summarise_each_chapter_count() {
        let rows = sample().rows();
        assert_eq!(rows.len(), 2);
        let five = &rows[0];
        assert_eq!((five.chapters, five.runs), (5, 3));
        assert_eq!(
            five.end_to_end_s,
            Spread {
                median: 1.5,
                min: 1.0,
                max: 2.0
            }
        );
        assert!((five.per_chapter_ms - 300.0).abs() < 1e-9);
        assert!((five.first_chapter_s.unwrap().median - 0.4).abs() < 1e-9);
        let ten = &rows[1];
        assert_eq!((ten.chapters, ten.runs), (10, 2));
        assert!((ten.end_to_end_s.median - 3.5).abs() < 1e-9);
        assert!((ten.per_chapter_ms - 350.0).abs() < 1e-9);
        // Only the run that reported progress counts.
        assert!((ten.first_chapter_s.unwrap().median - 0.35).abs() < 1e-9);
    }

    #[test]
    fn markdown_has_the_table_the_line_and_the_memory() {
        let md = sample().to_markdown();
        for expected in [
            "`fabula-bench pipeline --chapters 5,10`",
            "| 5 | 3 | 1.50 s | 1.00 s – 2.00 s | 300.00 ms | 400.00 ms | — |",
            "| 10 | 2 | 3.50 s | 3.00 s – 4.00 s | 350.00 ms | 350.00 ms | — |",
            // x̄ = 7, ȳ = 2.3; Sxx = 30, Sxy = 12 → b = 0.4, a = −0.5.
            // Line: 1.5 and 3.5; SSres = 4 · 0.25 = 1.0;
            // SStot = 1.69 + 0.09 + 0.64 + 0.49 + 2.89 = 5.8 → r² = 1 − 1/5.8 = 0.8276.
            "t ≈ -500.00 ms + 400.00 ms · chapters (r² = 0.8276)",
            "published every 5 s",
            "serving after 1.25 s",
            "80.0 MiB",
            "2 CPUs",
        ] {
            assert!(md.contains(expected), "missing {expected:?} in\n{md}");
        }
        assert!(!md.contains("in the `--json` output"), "{md}");
    }

    #[test]
    fn a_single_chapter_count_has_no_line() {
        let mut one = report(vec![run(5, 1, 1_000, None), run(5, 2, 1_200, None)]);
        one.chapter_counts = vec![5];
        let md = one.to_markdown();
        assert!(
            md.contains("| 5 | 2 | 1.10 s | 1.00 s – 1.20 s | 220.00 ms | — | — |"),
            "{md}"
        );
        assert!(md.contains("No growth line"), "{md}");
        assert_eq!(one.to_json()["fit"], Value::Null);
    }

    #[test]
    fn json_has_rows_fit_and_runs() {
        let mut report = sample();
        report.runs[0].job_timings = Some(json!({"duration_ms": 990}));
        report.runs[1].job_timings = Some(json!({"duration_ms": 1990}));
        let json = report.to_json();
        assert_eq!(json["rows"][0]["job_duration_s"]["median"], 1.49);
        assert_eq!(json["rows"][1]["job_duration_s"], Value::Null);
        assert_eq!(json["rows"][0]["chapters"], 5);
        assert_eq!(json["rows"][0]["end_to_end_s"]["median"], 1.5);
        assert_eq!(json["rows"][1]["first_chapter_s"]["max"], 0.35);
        assert!((json["fit"]["slope_s_per_chapter"].as_f64().unwrap() - 0.4).abs() < 1e-9);
        assert_eq!(json["runs"].as_array().unwrap().len(), 5);
        assert_eq!(json["runs"][0]["job_timings"]["duration_ms"], 990);
        assert_eq!(json["runs"][4]["first_chapter_s"], Value::Null);
        assert_eq!(json["peak_rss_kib"], 81_920);
        let md = report.to_markdown();
        assert!(md.contains("| 1.49 s |"), "{md}");
        assert!(md.contains("in the `--json` output"), "{md}");
    }

    #[test]
    fn signed_seconds() {
        assert_eq!(seconds(1.2), "1.20 s");
        assert_eq!(seconds(0.0125), "12.50 ms");
        assert_eq!(seconds(-0.0125), "-12.50 ms");
        assert_eq!(seconds(0.00085), "850 µs");
    }
}
