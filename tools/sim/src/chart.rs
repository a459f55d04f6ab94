//! Gantt charts (concept S7): which job ran on which hart when, as text (one row per hart,
//! one column per unit of time or per group of them, `.` idle) and as SVG (one bar per
//! stint, several charts stacked on one time axis to compare runs).
//!
//! One renderer serves both sources: a simulated [`Run`] ([`Chart::from_run`], times in
//! ticks) and a trace recorded by the kernel (`crate::trace`, times in microseconds). Each
//! becomes a [`Chart`] — jobs, bars and a time unit — and [`gantt_text`] and [`gantt_svg`]
//! draw that.

use crate::engine::Run;
use crate::metrics::summarize;
use crate::workload::Job;
use std::fmt::Write;

/// How a chart's times read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Scheduler ticks (simulated runs).
    Ticks,
    /// Microseconds (kernel traces); labels show milliseconds.
    Micros,
}

impl Unit {
    /// `time` as an axis label: ticks as they are, microseconds as milliseconds.
    pub fn label(self, time: u64) -> String {
        match self {
            Unit::Ticks => time.to_string(),
            Unit::Micros => {
                let text = format!("{}.{:03}", time / 1000, time % 1000);
                text.trim_end_matches('0').trim_end_matches('.').to_string()
            }
        }
    }

    /// The span of `count` units in words: `1 tick`, `5 ticks`, `20 ms`, `500 µs`.
    fn span(self, count: u64) -> String {
        match (self, count) {
            (Unit::Ticks, 1) => "1 tick".to_string(),
            (Unit::Ticks, _) => format!("{count} ticks"),
            (Unit::Micros, _) if count >= 1000 => format!("{} ms", self.label(count)),
            (Unit::Micros, _) => format!("{count} µs"),
        }
    }

    /// What axis labels count.
    fn axis_name(self) -> &'static str {
        match self {
            Unit::Ticks => "ticks",
            Unit::Micros => "ms",
        }
    }
}

/// A job (a process, in a kernel trace) as a chart shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChartJob {
    /// Its name in the SVG and in the legend.
    pub label: String,
    /// The character that stands for it in text charts.
    pub symbol: char,
    /// Its colour in SVG charts, an index into the palette (taken modulo its length).
    pub colour: usize,
}

/// One stint of one job on one hart, from `start` to `end` (the chart's unit).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bar {
    pub hart: usize,
    /// Index into [`Chart::jobs`].
    pub job: usize,
    pub start: u64,
    pub end: u64,
}

/// Everything a Gantt chart shows, whatever it comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chart {
    /// Short name (the policy, or a trace's label).
    pub title: String,
    /// The SVG section's heading (the title and what the run measured).
    pub heading: String,
    pub unit: Unit,
    /// Rows: harts 0..harts.
    pub harts: usize,
    /// The time axis runs from 0 to `end`.
    pub end: u64,
    pub jobs: Vec<ChartJob>,
    pub bars: Vec<Bar>,
}

impl Chart {
    /// The chart of a simulated run of `jobs`, headed by its averages.
    pub fn from_run(jobs: &[Job], run: &Run) -> Chart {
        let summary = summarize(jobs, run);
        Chart {
            title: run.policy.to_string(),
            heading: format!(
                "{} — average turnaround {:.2}, response {:.2}, waiting {:.2}",
                run.policy, summary.turnaround, summary.response, summary.waiting
            ),
            unit: Unit::Ticks,
            harts: run.harts,
            end: run.end,
            jobs: jobs
                .iter()
                .enumerate()
                .map(|(index, job)| ChartJob {
                    label: job.name.clone(),
                    symbol: single_char(&job.name).unwrap_or('#'),
                    colour: index,
                })
                .collect(),
            bars: run
                .segments
                .iter()
                .map(|s| Bar {
                    hart: s.hart,
                    job: s.job,
                    start: s.start,
                    end: s.end,
                })
                .collect(),
        }
    }
}

/// The only character of `name`, if it has exactly one.
pub fn single_char(name: &str) -> Option<char> {
    let mut chars = name.chars();
    match (chars.next(), chars.next()) {
        (Some(only), None) => Some(only),
        _ => None,
    }
}

/// Job colours in SVG charts, by job index (then again from the start); the other
/// simulators' plots use them too.
pub(crate) const PALETTE: [&str; 12] = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#bab0ac", "#86bcb6", "#d37295",
];

/// Columns of `scale` units each that cover `0..end`.
fn columns(end: u64, scale: u64) -> usize {
    end.div_ceil(scale) as usize
}

/// Units per text column so that `end` fits in `width` columns: as few as possible for
/// ticks; a round 1, 2 or 5 times a power of ten for microseconds, so labels stay round.
fn text_scale(unit: Unit, end: u64, width: usize) -> u64 {
    let width = width.max(1) as u64;
    match unit {
        Unit::Ticks => end.div_ceil(width).max(1),
        Unit::Micros => round_step(end, width),
    }
}

/// For each hart, for each column, the units each job ran in it.
fn column_usage(chart: &Chart, scale: u64) -> Vec<Vec<Vec<u64>>> {
    let count = columns(chart.end, scale);
    let mut usage = vec![vec![vec![0; chart.jobs.len()]; count]; chart.harts];
    for bar in &chart.bars {
        let end = bar.end.min(chart.end);
        let mut at = bar.start;
        while at < end {
            let column = (at / scale) as usize;
            let column_end = ((column as u64 + 1) * scale).min(end);
            usage[bar.hart][column][bar.job] += column_end - at;
            at = column_end;
        }
    }
    usage
}

/// A text Gantt chart at most `width` columns wide: each column shows the job that ran
/// most of its time (`.`: idle most of it). Jobs whose label is not their symbol are listed
/// under the chart.
pub fn gantt_text(chart: &Chart, width: usize) -> String {
    let scale = text_scale(chart.unit, chart.end, width);
    let label_width = format!("hart {}", chart.harts.saturating_sub(1)).len();
    let mut out = String::new();
    let _ = writeln!(out, "gantt (1 column = {})", chart.unit.span(scale));
    for (hart, row) in column_usage(chart, scale).iter().enumerate() {
        let text: String = row
            .iter()
            .enumerate()
            .map(|(column, used)| {
                let length = ((column as u64 + 1) * scale).min(chart.end) - column as u64 * scale;
                column_symbol(chart, used, length)
            })
            .collect();
        let _ = writeln!(out, "{:<label_width$} |{text}|", format!("hart {hart}"));
    }
    out.push_str(&axis(
        label_width + 2,
        columns(chart.end, scale),
        scale,
        chart.unit,
    ));
    let legend: Vec<String> = chart
        .jobs
        .iter()
        .filter(|job| single_char(&job.label) != Some(job.symbol))
        .map(|job| format!("{} {}", job.symbol, job.label))
        .collect();
    if !legend.is_empty() {
        let _ = writeln!(out, "{:label_width$}  {}", "", legend.join(", "));
    }
    out
}

/// The job that ran most of a column `length` units long (ties: the first job), or `.`
/// when idle time is at least as long.
fn column_symbol(chart: &Chart, used: &[u64], length: u64) -> char {
    let busy: u64 = used.iter().sum();
    let idle = length.saturating_sub(busy);
    let busiest = (0..used.len()).rev().max_by_key(|&job| used[job]);
    match busiest {
        Some(job) if used[job] > idle => chart.jobs[job].symbol,
        _ => '.',
    }
}

/// Time labels under a chart: one every 10 columns, and the end.
fn axis(indent: usize, columns: usize, scale: u64, unit: Unit) -> String {
    let mut line = vec![' '; indent];
    let marks = (0..columns).step_by(10).chain([columns]);
    for column in marks {
        let label = unit.label(column as u64 * scale);
        let at = indent + column;
        if at < line.len() {
            continue;
        }
        line.resize(at, ' ');
        line.extend(label.chars());
        line.push(' ');
    }
    let mut text: String = line.into_iter().collect();
    text.truncate(text.trim_end().len());
    text.push('\n');
    text
}

/// Bars to draw: consecutive stints of one job on one hart merged (a job preempted and
/// picked again at once is one bar).
fn merged_bars(chart: &Chart) -> Vec<Bar> {
    let mut sorted = chart.bars.clone();
    sorted.sort_by_key(|b| (b.hart, b.start));
    let mut bars: Vec<Bar> = Vec::new();
    for next in sorted {
        match bars.last_mut() {
            Some(bar) if bar.hart == next.hart && bar.job == next.job && bar.end == next.start => {
                bar.end = next.end;
            }
            _ => bars.push(next),
        }
    }
    bars
}

const LEFT: f64 = 70.0;
const CHART_WIDTH: f64 = 800.0;
const RIGHT: f64 = 50.0;
const ROW: f64 = 22.0;
const GAP: f64 = 4.0;
const TITLE: f64 = 26.0;
const AXIS: f64 = 22.0;
const LEGEND_ROW: f64 = 20.0;
/// Width of a monospace character at the chart's font size, about.
const CHAR_WIDTH: f64 = 7.3;

/// The smallest of 1, 2 or 5 times a power of ten that cuts `span` into at most `parts`.
pub(crate) fn round_step(span: u64, parts: u64) -> u64 {
    let mut power = 1;
    loop {
        for step in [power, 2 * power, 5 * power] {
            if step * parts >= span {
                return step;
            }
        }
        power *= 10;
    }
}

/// A round step for time labels, about `span` / 10.
fn axis_step(span: u64) -> u64 {
    round_step(span, 10)
}

/// `text` made safe inside SVG (XML) text.
pub(crate) fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Writes a legend of `jobs` at `y`, in as many columns as the longest label allows;
/// returns its height.
fn svg_legend(body: &mut String, jobs: &[ChartJob], y: f64) -> f64 {
    let longest = jobs
        .iter()
        .map(|j| j.label.chars().count())
        .max()
        .unwrap_or(0);
    let entry_width = (16.0 + longest as f64 * CHAR_WIDTH + 14.0).max(80.0);
    let per_row = ((CHART_WIDTH / entry_width) as usize).max(1);
    for (index, job) in jobs.iter().enumerate() {
        let x = LEFT + (index % per_row) as f64 * entry_width;
        let row_y = y + (index / per_row) as f64 * LEGEND_ROW;
        let _ = writeln!(
            body,
            r#"<rect x="{x:.1}" y="{row_y:.1}" width="12" height="12" fill="{}"/><text x="{:.1}" y="{:.1}">{}</text>"#,
            PALETTE[job.colour % PALETTE.len()],
            x + 16.0,
            row_y + 11.0,
            escape(&job.label)
        );
    }
    jobs.len().div_ceil(per_row) as f64 * LEGEND_ROW
}

/// Writes one chart's section (heading, hart rows, axis) at `y`; returns its height.
fn svg_section(body: &mut String, chart: &Chart, span: u64, y: f64) -> f64 {
    let per_unit = CHART_WIDTH / span as f64;
    let top = y;
    let mut y = y;
    let _ = writeln!(
        body,
        r#"<text x="4" y="{:.1}" font-weight="bold">{}</text>"#,
        y + 18.0,
        escape(&chart.heading)
    );
    y += TITLE;
    let bars = merged_bars(chart);
    for hart in 0..chart.harts {
        let _ = writeln!(
            body,
            r#"<text x="4" y="{:.1}">hart {hart}</text>"#,
            y + ROW * 0.7
        );
        let _ = writeln!(
            body,
            r##"<rect x="{LEFT}" y="{y:.1}" width="{:.1}" height="{ROW}" fill="#f4f4f4"/>"##,
            span as f64 * per_unit
        );
        for bar in bars.iter().filter(|b| b.hart == hart) {
            let x = LEFT + bar.start as f64 * per_unit;
            let width = (bar.end - bar.start) as f64 * per_unit;
            let name = escape(&chart.jobs[bar.job].label);
            let _ = writeln!(
                body,
                r#"<rect x="{x:.2}" y="{y:.1}" width="{width:.2}" height="{ROW}" fill="{}" stroke="white" stroke-width="0.5"><title>{name}: {}..{}</title></rect>"#,
                PALETTE[chart.jobs[bar.job].colour % PALETTE.len()],
                chart.unit.label(bar.start),
                chart.unit.label(bar.end)
            );
            if width >= 12.0 {
                let _ = writeln!(
                    body,
                    r#"<text x="{:.2}" y="{:.1}" text-anchor="middle" fill="white">{}</text>"#,
                    x + width / 2.0,
                    y + ROW * 0.7,
                    chart.jobs[bar.job].symbol
                );
            }
        }
        y += ROW + GAP;
    }
    let _ = writeln!(
        body,
        r#"<line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="black"/><text x="{:.1}" y="{:.1}" font-size="10">{}</text>"#,
        LEFT + CHART_WIDTH,
        LEFT + CHART_WIDTH + 6.0,
        y + 4.0,
        chart.unit.axis_name()
    );
    let step = axis_step(span);
    for time in (0..=span).step_by(step as usize) {
        let x = LEFT + time as f64 * per_unit;
        let _ = writeln!(
            body,
            r#"<line x1="{x:.2}" y1="{y:.1}" x2="{x:.2}" y2="{:.1}" stroke="black"/><text x="{x:.2}" y="{:.1}" text-anchor="middle" font-size="10">{}</text>"#,
            y + 4.0,
            y + 15.0,
            chart.unit.label(time)
        );
    }
    y += AXIS + GAP;
    y - top
}

/// An SVG Gantt chart of `charts`, one section each on one shared time axis. Charts of the
/// same jobs (one workload under several policies) share one legend at the bottom; charts
/// of different jobs (kernel traces) each get their own under their section.
pub fn gantt_svg(charts: &[Chart]) -> String {
    let span = charts.iter().map(|c| c.end).max().unwrap_or(0).max(1);
    let shared_jobs = charts.windows(2).all(|pair| pair[0].jobs == pair[1].jobs);
    let mut body = String::new();
    let mut y = 0.0;
    for chart in charts {
        y += svg_section(&mut body, chart, span, y);
        if !shared_jobs {
            y += svg_legend(&mut body, &chart.jobs, y) + GAP;
        }
    }
    if shared_jobs && let Some(first) = charts.first() {
        y += svg_legend(&mut body, &first.jobs, y);
    }
    let height = y + GAP;
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{:.0}" height="{height:.0}" font-family="monospace" font-size="12">
<rect width="100%" height="100%" fill="white"/>
{body}</svg>
"#,
        LEFT + CHART_WIDTH + RIGHT
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::simulate;
    use crate::workload::parse_jobs;
    use sched::{PolicyConfig, by_name};

    fn chart(policy: &str, spec: &str, harts: usize) -> Chart {
        let jobs = parse_jobs(spec).unwrap();
        let mut scheduler = by_name(policy, harts, &PolicyConfig::default()).unwrap();
        let run = simulate(&jobs, scheduler.as_mut(), harts, 10_000);
        Chart::from_run(&jobs, &run)
    }

    #[test]
    fn one_column_per_tick_when_it_fits() {
        assert_eq!(
            gantt_text(&chart("rr", "3,2", 1), 100),
            "gantt (1 column = 1 tick)\nhart 0 |ABABA|\n        0    5\n"
        );
    }

    #[test]
    fn idle_ticks_and_harts_show_as_dots() {
        assert_eq!(
            gantt_text(&chart("fifo", "2,1@4", 2), 100),
            "gantt (1 column = 1 tick)\nhart 0 |AA..B|\nhart 1 |.....|\n        0    5\n"
        );
    }

    #[test]
    fn long_runs_are_scaled_to_the_width() {
        let text = gantt_text(&chart("fifo", "100,10,10", 1), 12);
        assert_eq!(
            text, "gantt (1 column = 10 ticks)\nhart 0 |AAAAAAAAAABC|\n        0         100\n",
            "the end label (120) would overlap 100: left out"
        );
    }

    #[test]
    fn a_column_shows_the_job_that_ran_most_of_it() {
        // Columns of 3 ticks: A runs 0..2 (2 of 3: A), B 2..6 (column 1 all B), idle 6..9.
        let chart = Chart {
            title: "t".into(),
            heading: "t".into(),
            unit: Unit::Ticks,
            harts: 1,
            end: 9,
            jobs: vec![
                ChartJob {
                    label: "A".into(),
                    symbol: 'A',
                    colour: 0,
                },
                ChartJob {
                    label: "B".into(),
                    symbol: 'B',
                    colour: 1,
                },
            ],
            bars: vec![
                Bar {
                    hart: 0,
                    job: 0,
                    start: 0,
                    end: 2,
                },
                Bar {
                    hart: 0,
                    job: 1,
                    start: 2,
                    end: 6,
                },
            ],
        };
        assert_eq!(
            gantt_text(&chart, 3),
            "gantt (1 column = 3 ticks)\nhart 0 |AB.|\n        0  9\n"
        );
    }

    #[test]
    fn microsecond_charts_use_round_columns_and_millisecond_labels() {
        let chart = Chart {
            title: "trace".into(),
            heading: "trace".into(),
            unit: Unit::Micros,
            harts: 1,
            end: 45_000,
            jobs: vec![ChartJob {
                label: "init (1)".into(),
                symbol: 'i',
                colour: 0,
            }],
            bars: vec![Bar {
                hart: 0,
                job: 0,
                start: 5_000,
                end: 45_000,
            }],
        };
        // 45 ms over at most 10 columns: 5 ms each (4.5 would not be round).
        assert_eq!(
            gantt_text(&chart, 10),
            "gantt (1 column = 5 ms)\nhart 0 |.iiiiiiii|\n        0        45\n        i init (1)\n"
        );
        assert_eq!(Unit::Micros.label(12_500), "12.5");
        assert_eq!(Unit::Micros.span(500), "500 µs");
    }

    #[test]
    fn svg_has_one_bar_per_stint_after_merging_and_a_shared_legend() {
        let svg = gantt_svg(&[chart("fifo", "100,10,10", 1), chart("rr", "100,10,10", 1)]);
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.trim_end().ends_with("</svg>"));
        // rr, quantum 1: ABC 10 times (30 bars), then A alone (1 bar).
        assert_eq!(svg.matches("<title>").count(), 3 + 31);
        assert!(svg.contains("fifo — average turnaround 110.00"));
        assert_eq!(
            svg.matches(r#"height="12" fill="#).count(),
            3,
            "one legend, one entry per job"
        );
    }

    #[test]
    fn charts_of_different_jobs_get_a_legend_each() {
        let first = chart("fifo", "2,2", 1);
        let mut second = chart("fifo", "2", 1);
        second.jobs[0].label = "X".into();
        let svg = gantt_svg(&[first, second]);
        assert!(svg.contains(">B</text>") && svg.contains(">X</text>"));
    }

    #[test]
    fn axis_steps_are_round() {
        assert_eq!(axis_step(7), 1);
        assert_eq!(axis_step(120), 20);
        assert_eq!(axis_step(400), 50);
        assert_eq!(axis_step(1_000), 100);
    }
}
