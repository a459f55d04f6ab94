//! Gantt charts of a simulated run (concept S7): which job ran on which hart when, as text
//! (one row per hart, one column per tick or per group of ticks, `.` idle) and as SVG (one
//! bar per stint, several runs stacked on one time axis to compare policies).

use crate::engine::{Run, Segment};
use crate::metrics::summarize;
use crate::workload::Job;
use sched::Ticks;
use std::fmt::Write;

/// Job colours in SVG charts, in workload order (then again from the start).
const PALETTE: [&str; 12] = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#bab0ac", "#86bcb6", "#d37295",
];

/// The character that stands for `job` in text charts.
fn symbol(jobs: &[Job], job: usize) -> char {
    let mut chars = jobs[job].name.chars();
    match (chars.next(), chars.next()) {
        (Some(only), None) => only,
        _ => '#',
    }
}

/// Which job each hart ran at each tick (`None`: idle).
fn timeline(run: &Run) -> Vec<Vec<Option<usize>>> {
    let mut harts = vec![vec![None; run.end as usize]; run.harts];
    for segment in &run.segments {
        for tick in segment.start..segment.end {
            harts[segment.hart][tick as usize] = Some(segment.job);
        }
    }
    harts
}

/// A text Gantt chart at most `width` columns wide: each column shows the job that ran most
/// of its ticks (`.`: idle most of them).
pub fn gantt_text(jobs: &[Job], run: &Run, width: usize) -> String {
    let scale = run.end.div_ceil(width.max(1) as Ticks).max(1);
    let columns = run.end.div_ceil(scale) as usize;
    let label_width = format!("hart {}", run.harts.saturating_sub(1)).len();
    let mut out = String::new();
    match scale {
        1 => out.push_str("gantt (1 column = 1 tick)\n"),
        _ => {
            let _ = writeln!(out, "gantt (1 column = {scale} ticks)");
        }
    }
    for (hart, ticks) in timeline(run).iter().enumerate() {
        let row: String = ticks
            .chunks(scale as usize)
            .map(|chunk| column_symbol(jobs, chunk))
            .collect();
        let _ = writeln!(out, "{:<label_width$} |{row}|", format!("hart {hart}"));
    }
    out.push_str(&axis(label_width + 2, columns, scale));
    out
}

/// The job that ran most of `ticks` (ties: the first to reach the count), or `.` for idle.
fn column_symbol(jobs: &[Job], ticks: &[Option<usize>]) -> char {
    let mut counts = vec![0usize; jobs.len()];
    let mut idle = 0;
    for tick in ticks {
        match tick {
            Some(job) => counts[*job] += 1,
            None => idle += 1,
        }
    }
    let busiest = (0..jobs.len()).rev().max_by_key(|&job| counts[job]);
    match busiest {
        Some(job) if counts[job] > idle => symbol(jobs, job),
        _ => '.',
    }
}

/// Time labels under a chart: one every 10 columns, and the end.
fn axis(indent: usize, columns: usize, scale: Ticks) -> String {
    let mut line = vec![' '; indent];
    let marks = (0..columns).step_by(10).chain([columns]);
    for column in marks {
        let label = (column as Ticks * scale).to_string();
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
fn bars(run: &Run) -> Vec<Segment> {
    let mut segments = run.segments.clone();
    segments.sort_by_key(|s| (s.hart, s.start));
    let mut bars: Vec<Segment> = Vec::new();
    for segment in segments {
        match bars.last_mut() {
            Some(bar)
                if bar.hart == segment.hart
                    && bar.job == segment.job
                    && bar.end == segment.start =>
            {
                bar.end = segment.end;
            }
            _ => bars.push(segment),
        }
    }
    bars
}

const LEFT: f64 = 70.0;
const CHART_WIDTH: f64 = 800.0;
const ROW: f64 = 22.0;
const GAP: f64 = 4.0;
const TITLE: f64 = 26.0;
const AXIS: f64 = 22.0;

/// A round step for time labels: 1, 2 or 5 times a power of ten, about `span` / 10.
fn axis_step(span: Ticks) -> Ticks {
    let mut power = 1;
    loop {
        for step in [power, 2 * power, 5 * power] {
            if step * 10 >= span {
                return step;
            }
        }
        power *= 10;
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// An SVG Gantt chart of `runs` (one section each, one shared time axis) with a legend.
pub fn gantt_svg(jobs: &[Job], runs: &[Run]) -> String {
    let span = runs.iter().map(|r| r.end).max().unwrap_or(0).max(1);
    let per_tick = CHART_WIDTH / span as f64;
    let step = axis_step(span);
    let mut body = String::new();
    let mut y = 0.0;
    for run in runs {
        let summary = summarize(jobs, run);
        let _ = writeln!(
            body,
            r#"<text x="4" y="{:.1}" font-weight="bold">{} — average turnaround {:.2}, response {:.2}, waiting {:.2}</text>"#,
            y + 18.0,
            escape(run.policy),
            summary.turnaround,
            summary.response,
            summary.waiting
        );
        y += TITLE;
        for hart in 0..run.harts {
            let _ = writeln!(
                body,
                r#"<text x="4" y="{:.1}">hart {hart}</text>"#,
                y + ROW * 0.7
            );
            let _ = writeln!(
                body,
                r##"<rect x="{LEFT}" y="{y:.1}" width="{:.1}" height="{ROW}" fill="#f4f4f4"/>"##,
                span as f64 * per_tick
            );
            for bar in bars(run).iter().filter(|b| b.hart == hart) {
                let x = LEFT + bar.start as f64 * per_tick;
                let width = (bar.end - bar.start) as f64 * per_tick;
                let name = escape(&jobs[bar.job].name);
                let _ = writeln!(
                    body,
                    r#"<rect x="{x:.2}" y="{y:.1}" width="{width:.2}" height="{ROW}" fill="{}" stroke="white" stroke-width="0.5"><title>{name}: {}..{}</title></rect>"#,
                    PALETTE[bar.job % PALETTE.len()],
                    bar.start,
                    bar.end
                );
                if width >= 12.0 {
                    let _ = writeln!(
                        body,
                        r#"<text x="{:.2}" y="{:.1}" text-anchor="middle" fill="white">{name}</text>"#,
                        x + width / 2.0,
                        y + ROW * 0.7
                    );
                }
            }
            y += ROW + GAP;
        }
        let _ = writeln!(
            body,
            r#"<line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="black"/>"#,
            LEFT + CHART_WIDTH
        );
        for tick in (0..=span).step_by(step as usize) {
            let x = LEFT + tick as f64 * per_tick;
            let _ = writeln!(
                body,
                r#"<line x1="{x:.2}" y1="{y:.1}" x2="{x:.2}" y2="{:.1}" stroke="black"/><text x="{x:.2}" y="{:.1}" text-anchor="middle" font-size="10">{tick}</text>"#,
                y + 4.0,
                y + 15.0
            );
        }
        y += AXIS + GAP;
    }
    for (job, spec) in jobs.iter().enumerate() {
        let x = LEFT + (job % 10) as f64 * 80.0;
        let row_y = y + (job / 10) as f64 * 20.0;
        let _ = writeln!(
            body,
            r#"<rect x="{x:.1}" y="{row_y:.1}" width="12" height="12" fill="{}"/><text x="{:.1}" y="{:.1}">{}</text>"#,
            PALETTE[job % PALETTE.len()],
            x + 16.0,
            row_y + 11.0,
            escape(&spec.name)
        );
    }
    let height = y + jobs.len().div_ceil(10) as f64 * 20.0 + GAP;
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{:.0}" height="{height:.0}" font-family="monospace" font-size="12">
<rect width="100%" height="100%" fill="white"/>
{body}</svg>
"#,
        LEFT + CHART_WIDTH + 20.0
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::simulate;
    use crate::workload::parse_jobs;
    use sched::{PolicyConfig, by_name};

    fn run(policy: &str, spec: &str, harts: usize) -> (Vec<Job>, Run) {
        let jobs = parse_jobs(spec).unwrap();
        let mut scheduler = by_name(policy, harts, &PolicyConfig::default()).unwrap();
        let run = simulate(&jobs, scheduler.as_mut(), harts, 10_000);
        (jobs, run)
    }

    #[test]
    fn one_column_per_tick_when_it_fits() {
        let (jobs, run) = run("rr", "3,2", 1);
        assert_eq!(
            gantt_text(&jobs, &run, 100),
            "gantt (1 column = 1 tick)\nhart 0 |ABABA|\n        0    5\n"
        );
    }

    #[test]
    fn idle_ticks_and_harts_show_as_dots() {
        let (jobs, run) = run("fifo", "2,1@4", 2);
        assert_eq!(
            gantt_text(&jobs, &run, 100),
            "gantt (1 column = 1 tick)\nhart 0 |AA..B|\nhart 1 |.....|\n        0    5\n"
        );
    }

    #[test]
    fn long_runs_are_scaled_to_the_width() {
        let (jobs, run) = run("fifo", "100,10,10", 1);
        let chart = gantt_text(&jobs, &run, 12);
        assert_eq!(
            chart, "gantt (1 column = 10 ticks)\nhart 0 |AAAAAAAAAABC|\n        0         100\n",
            "the end label (120) would overlap 100: left out"
        );
    }

    #[test]
    fn svg_has_one_bar_per_stint_after_merging_and_a_legend() {
        let (jobs, fifo) = run("fifo", "100,10,10", 1);
        let (_, rr) = run("rr", "100,10,10", 1);
        let svg = gantt_svg(&jobs, &[fifo, rr]);
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.trim_end().ends_with("</svg>"));
        // rr, quantum 1: ABC 10 times (30 bars), then A alone (1 bar).
        assert_eq!(svg.matches("<title>").count(), 3 + 31);
        assert!(svg.contains("fifo — average turnaround 110.00"));
        assert!(svg.contains(">C</text>"), "legend names every job");
    }

    #[test]
    fn axis_steps_are_round() {
        assert_eq!(axis_step(7), 1);
        assert_eq!(axis_step(120), 20);
        assert_eq!(axis_step(400), 50);
        assert_eq!(axis_step(1_000), 100);
    }
}
