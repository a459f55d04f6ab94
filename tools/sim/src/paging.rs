//! The paging simulator (concept M7): reference strings run through `crates/replace`'s
//! policies — the very `Replacer` objects the kernel's pager uses, driven by
//! `replace::SimulatedMemory` — and shown as the textbook shows them: a table with a column
//! per reference and a row per frame, the faults marked, the victims named; totals and hit
//! rates; faults for every number of frames, marking Belady's anomaly (more frames, more
//! faults), as a table and an SVG plot.

use crate::chart::{PALETTE, escape, round_step};
use replace::{Outcome, Page, Policy, Random, Reference, SimulatedMemory};
use std::collections::BTreeSet;
use std::fmt::Write;

/// Parses a reference string: page numbers separated by commas and/or spaces; `3w` is a
/// write to page 3 (`3r`, like `3`, a read).
pub fn parse_references(spec: &str) -> Result<Vec<Reference>, String> {
    let references: Vec<Reference> = spec
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|token| !token.is_empty())
        .map(parse_reference)
        .collect::<Result<_, _>>()?;
    if references.is_empty() {
        return Err("the reference string is empty".into());
    }
    Ok(references)
}

fn parse_reference(token: &str) -> Result<Reference, String> {
    let (number, write) = match token.strip_suffix(['w', 'W']) {
        Some(number) => (number, true),
        None => (token.strip_suffix(['r', 'R']).unwrap_or(token), false),
    };
    let page = number
        .parse()
        .map_err(|_| format!("reference {token:?} is not a page number (3, or 3w for a write)"))?;
    Ok(Reference { page, write })
}

/// `length` references to pages drawn uniformly from `0..pages`, `writes` percent of them
/// writes, from a generator seeded with `seed`.
pub fn random_references(length: usize, pages: u64, writes: u64, seed: u64) -> Vec<Reference> {
    let mut random = Random::new(seed);
    (0..length)
        .map(|_| Reference {
            page: random.below(pages.max(1)),
            write: random.below(100) < writes,
        })
        .collect()
}

/// A reference string as the command line writes it.
pub fn format_references(references: &[Reference]) -> String {
    references
        .iter()
        .map(reference_label)
        .collect::<Vec<_>>()
        .join(",")
}

fn reference_label(reference: &Reference) -> String {
    match reference.write {
        true => format!("{}w", reference.page),
        false => reference.page.to_string(),
    }
}

/// The number of distinct pages in `references`.
pub fn distinct_pages(references: &[Reference]) -> usize {
    references
        .iter()
        .map(|r| r.page)
        .collect::<BTreeSet<_>>()
        .len()
}

/// How a run is set up, beyond the policy and the number of frames.
#[derive(Clone, Copy, Debug)]
pub struct Setup {
    /// Accessed bits are scanned every this many references (0: never).
    pub scan: usize,
    /// The random policy's seed.
    pub seed: u64,
}

impl Default for Setup {
    fn default() -> Setup {
        Setup { scan: 1, seed: 1 }
    }
}

/// One reference and what it left in memory.
#[derive(Clone, Debug)]
pub struct Step {
    pub reference: Reference,
    pub outcome: Outcome,
    /// Each frame's page afterwards, and whether it is dirty.
    pub frames: Vec<Option<(Page, bool)>>,
}

/// A reference string run under one policy.
#[derive(Clone, Debug)]
pub struct PagingRun {
    pub policy: Policy,
    pub frames: usize,
    pub steps: Vec<Step>,
    pub faults: usize,
    pub hits: usize,
    pub write_backs: usize,
}

impl PagingRun {
    /// Hits over references, in percent.
    pub fn hit_rate(&self) -> f64 {
        100.0 * self.hits as f64 / self.steps.len().max(1) as f64
    }
}

/// Runs `references` through `frames` frames (at least 1) under `policy`.
pub fn simulate(
    policy: Policy,
    frames: usize,
    references: &[Reference],
    setup: Setup,
) -> PagingRun {
    let mut memory =
        SimulatedMemory::for_policy(policy, frames, references, setup.seed).scan_every(setup.scan);
    let steps = references
        .iter()
        .map(|&reference| Step {
            reference,
            outcome: memory.access(reference),
            frames: memory
                .frames()
                .iter()
                .map(|f| f.map(|resident| (resident.page, resident.dirty)))
                .collect(),
        })
        .collect();
    PagingRun {
        policy,
        frames,
        steps,
        faults: memory.faults(),
        hits: memory.hits(),
        write_backs: memory.write_backs(),
    }
}

/// Faults with 1, 2, ... `max_frames` frames.
pub fn fault_curve(
    policy: Policy,
    references: &[Reference],
    max_frames: usize,
    setup: Setup,
) -> Vec<usize> {
    (1..=max_frames)
        .map(|frames| simulate(policy, frames, references, setup).faults)
        .collect()
}

/// The textbook table of `run`: a column per reference, a row per frame (its page after the
/// reference; `*` dirty), a row marking faults (`F`) and hits (`-`) and a row of the pages
/// evicted (`*`: written back first); in blocks of at most `width` characters.
pub fn step_table(run: &PagingRun, width: usize) -> String {
    let dirty = |is_dirty: bool| if is_dirty { "*" } else { "" };
    let rows: Vec<(String, Vec<String>)> = {
        let mut rows = vec![(
            "reference".to_string(),
            run.steps
                .iter()
                .map(|s| reference_label(&s.reference))
                .collect(),
        )];
        for frame in 0..run.frames {
            let cells = run
                .steps
                .iter()
                .map(|s| match s.frames[frame] {
                    Some((page, is_dirty)) => format!("{page}{}", dirty(is_dirty)),
                    None => String::new(),
                })
                .collect();
            rows.push((format!("frame {frame}"), cells));
        }
        rows.push((
            "fault".to_string(),
            run.steps
                .iter()
                .map(|s| if s.outcome.is_fault() { "F" } else { "-" }.to_string())
                .collect(),
        ));
        rows.push((
            "evicted".to_string(),
            run.steps
                .iter()
                .map(|s| match s.outcome {
                    Outcome::Fault {
                        evicted: Some(e), ..
                    } => format!("{}{}", e.page, dirty(e.dirty)),
                    _ => String::new(),
                })
                .collect(),
        ));
        rows
    };
    let label_width = rows.iter().map(|(label, _)| label.len()).max().unwrap_or(0) + 1;
    let cell_width = rows
        .iter()
        .flat_map(|(_, cells)| cells.iter().map(String::len))
        .max()
        .unwrap_or(1)
        + 1;
    let per_block = (width.saturating_sub(label_width) / cell_width).max(1);
    let mut text = String::new();
    for start in (0..run.steps.len()).step_by(per_block) {
        if start > 0 {
            text.push('\n');
        }
        let end = (start + per_block).min(run.steps.len());
        for (label, cells) in &rows {
            let mut line = format!("{label:<label_width$}");
            for cell in &cells[start..end] {
                let _ = write!(line, "{cell:>cell_width$}");
            }
            let _ = writeln!(text, "{}", line.trim_end());
        }
    }
    if run.steps.iter().any(|s| s.reference.write) {
        text.push_str("(* dirty: written since loaded; an evicted dirty page is written back)\n");
    }
    text
}

/// `fifo: 7 faults, 4 hits in 11 references: hit rate 36.4%` (and write-backs, if any).
pub fn summary(run: &PagingRun) -> String {
    let mut line = format!(
        "{}: {} faults, {} hits in {} references: hit rate {:.1}%",
        run.policy.name(),
        run.faults,
        run.hits,
        run.steps.len(),
        run.hit_rate()
    );
    if run.write_backs > 0 {
        let _ = write!(line, ", {} written back", run.write_backs);
    }
    line
}

/// A row per run: faults, hits, hit rate, write-backs and what the policy evicts.
pub fn comparison(runs: &[PagingRun]) -> String {
    let mut text = "policy  faults  hits  hit rate  written back  evicts\n".to_string();
    for run in runs {
        let _ = writeln!(
            text,
            "{:<7}{:>7}{:>6}{:>9.1}%{:>14}  {}",
            run.policy.name(),
            run.faults,
            run.hits,
            run.hit_rate(),
            run.write_backs,
            run.policy.summary()
        );
    }
    text
}

/// Where faults rose with a frame more: the frame counts `n` (from 2) with
/// `curve[n - 1] > curve[n - 2]`.
pub fn anomalies(curve: &[usize]) -> Vec<usize> {
    (1..curve.len())
        .filter(|&i| curve[i] > curve[i - 1])
        .map(|i| i + 1)
        .collect()
}

/// Faults by number of frames for each policy, `^` marking a count above the one with a
/// frame fewer, and a sentence per anomaly (Belady's).
pub fn belady_table(curves: &[(Policy, Vec<usize>)]) -> String {
    let frames = curves.iter().map(|(_, c)| c.len()).max().unwrap_or(0);
    let mut header = "frames".to_string();
    for (policy, _) in curves {
        let _ = write!(header, "{:>7}  ", policy.name());
    }
    let mut text = format!("{}\n", header.trim_end());
    for n in 1..=frames {
        let mut line = format!("{n:>6}");
        for (_, curve) in curves {
            let cell = match curve.get(n - 1) {
                Some(&faults) if anomalies(curve).contains(&n) => format!("{faults} ^"),
                Some(&faults) => format!("{faults}  "),
                None => String::new(),
            };
            let _ = write!(line, "{cell:>9}");
        }
        let _ = writeln!(text, "{}", line.trim_end());
    }
    let mut any = false;
    for (policy, curve) in curves {
        for n in anomalies(curve) {
            any = true;
            let _ = writeln!(
                text,
                "^ {}: {n} frames fault {} times, {} frames only {}: more frames, more faults (Belady's anomaly)",
                policy.name(),
                curve[n - 1],
                n - 1,
                curve[n - 2]
            );
        }
    }
    if !any {
        text.push_str("no anomaly: faults never rose with more frames\n");
    }
    text
}

const PLOT_LEFT: f64 = 60.0;
const PLOT_TOP: f64 = 40.0;
const PLOT_WIDTH: f64 = 600.0;
const PLOT_HEIGHT: f64 = 320.0;
const PLOT_LEGEND: f64 = 170.0;

/// An SVG plot of faults against frames, a line per policy; points where faults rose with
/// a frame more are ringed. `title` heads it.
pub fn faults_svg(title: &str, curves: &[(Policy, Vec<usize>)]) -> String {
    let frames = curves
        .iter()
        .map(|(_, c)| c.len())
        .max()
        .unwrap_or(1)
        .max(2);
    let top = curves
        .iter()
        .flat_map(|(_, c)| c.iter().copied())
        .max()
        .unwrap_or(1)
        .max(1) as u64;
    let step = round_step(top, 8);
    let y_max = top.div_ceil(step) * step;
    let x = |n: usize| PLOT_LEFT + (n - 1) as f64 * PLOT_WIDTH / (frames - 1) as f64;
    let y = |faults: u64| PLOT_TOP + PLOT_HEIGHT * (1.0 - faults as f64 / y_max as f64);
    let bottom = PLOT_TOP + PLOT_HEIGHT;
    let mut body = String::new();
    let _ = writeln!(
        body,
        r#"<text x="{PLOT_LEFT}" y="22" font-weight="bold">{}</text>"#,
        escape(title)
    );
    for tick in (0..=y_max).step_by(step as usize) {
        let _ = writeln!(
            body,
            r##"<line x1="{PLOT_LEFT}" y1="{0:.1}" x2="{1:.1}" y2="{0:.1}" stroke="#e0e0e0"/><text x="{2:.1}" y="{3:.1}" text-anchor="end" font-size="10">{tick}</text>"##,
            y(tick),
            PLOT_LEFT + PLOT_WIDTH,
            PLOT_LEFT - 6.0,
            y(tick) + 4.0
        );
    }
    for n in 1..=frames {
        let _ = writeln!(
            body,
            r#"<line x1="{0:.1}" y1="{bottom}" x2="{0:.1}" y2="{1:.1}" stroke="black"/><text x="{0:.1}" y="{2:.1}" text-anchor="middle" font-size="10">{n}</text>"#,
            x(n),
            bottom + 4.0,
            bottom + 16.0
        );
    }
    let _ = writeln!(
        body,
        r#"<line x1="{PLOT_LEFT}" y1="{bottom}" x2="{0:.1}" y2="{bottom}" stroke="black"/><line x1="{PLOT_LEFT}" y1="{PLOT_TOP}" x2="{PLOT_LEFT}" y2="{bottom}" stroke="black"/>
<text x="{1:.1}" y="{2:.1}" text-anchor="middle">frames</text><text x="14" y="{3:.1}" transform="rotate(-90 14 {3:.1})" text-anchor="middle">page faults</text>"#,
        PLOT_LEFT + PLOT_WIDTH,
        PLOT_LEFT + PLOT_WIDTH / 2.0,
        bottom + 34.0,
        PLOT_TOP + PLOT_HEIGHT / 2.0
    );
    for (index, (policy, curve)) in curves.iter().enumerate() {
        let colour = PALETTE[index % PALETTE.len()];
        let points: Vec<String> = curve
            .iter()
            .enumerate()
            .map(|(i, &faults)| format!("{:.1},{:.1}", x(i + 1), y(faults as u64)))
            .collect();
        let _ = writeln!(
            body,
            r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="2"/>"#,
            points.join(" ")
        );
        let rises = anomalies(curve);
        for (i, &faults) in curve.iter().enumerate() {
            let n = i + 1;
            let _ = writeln!(
                body,
                r#"<circle cx="{:.1}" cy="{:.1}" r="3.5" fill="{colour}"><title>{}: {n} frames, {faults} faults</title></circle>"#,
                x(n),
                y(faults as u64),
                policy.name()
            );
            if rises.contains(&n) {
                let _ = writeln!(
                    body,
                    r#"<circle cx="{:.1}" cy="{:.1}" r="8" fill="none" stroke="black" stroke-width="2"><title>{}: more faults with {n} frames than with {}</title></circle>"#,
                    x(n),
                    y(faults as u64),
                    policy.name(),
                    n - 1
                );
            }
        }
        let legend_y = PLOT_TOP + 10.0 + index as f64 * 20.0;
        let legend_x = PLOT_LEFT + PLOT_WIDTH + 20.0;
        let _ = writeln!(
            body,
            r#"<line x1="{legend_x:.1}" y1="{legend_y:.1}" x2="{:.1}" y2="{legend_y:.1}" stroke="{colour}" stroke-width="2"/><text x="{:.1}" y="{:.1}">{}</text>"#,
            legend_x + 20.0,
            legend_x + 26.0,
            legend_y + 4.0,
            policy.name()
        );
    }
    if curves.iter().any(|(_, curve)| !anomalies(curve).is_empty()) {
        let legend_y = PLOT_TOP + 10.0 + curves.len() as f64 * 20.0;
        let legend_x = PLOT_LEFT + PLOT_WIDTH + 30.0;
        let _ = writeln!(
            body,
            r#"<circle cx="{legend_x:.1}" cy="{legend_y:.1}" r="6" fill="none" stroke="black" stroke-width="2"/><text x="{:.1}" y="{:.1}">more faults</text><text x="{:.1}" y="{:.1}">with a frame</text><text x="{:.1}" y="{:.1}">more (Belady)</text>"#,
            legend_x + 16.0,
            legend_y + 4.0,
            legend_x + 16.0,
            legend_y + 18.0,
            legend_x + 16.0,
            legend_y + 32.0
        );
    }
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{:.0}" height="{:.0}" font-family="monospace" font-size="12">
<rect width="100%" height="100%" fill="white"/>
{body}</svg>
"#,
        PLOT_LEFT + PLOT_WIDTH + PLOT_LEGEND,
        bottom + 50.0
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(policy: Policy, frames: usize, spec: &str) -> PagingRun {
        simulate(
            policy,
            frames,
            &parse_references(spec).unwrap(),
            Setup::default(),
        )
    }

    #[test]
    fn reference_strings_take_commas_spaces_and_writes() {
        let references = parse_references("1, 2 3w,4r\n5").unwrap();
        assert_eq!(
            references,
            [
                Reference::read(1),
                Reference::read(2),
                Reference::write(3),
                Reference::read(4),
                Reference::read(5)
            ]
        );
        assert_eq!(format_references(&references), "1,2,3w,4,5");
        assert!(parse_references("1,x").unwrap_err().contains("\"x\""));
        assert!(parse_references(" , ").is_err());
    }

    #[test]
    fn random_strings_are_reproducible_and_in_range() {
        let a = random_references(200, 5, 30, 9);
        assert_eq!(a, random_references(200, 5, 30, 9));
        assert!(a.iter().all(|r| r.page < 5));
        let writes = a.iter().filter(|r| r.write).count();
        assert!((30..90).contains(&writes), "{writes} writes");
        assert_eq!(distinct_pages(&a), 5);
    }

    #[test]
    fn the_step_table_is_the_textbooks() {
        let table = step_table(&run(Policy::Fifo, 3, "0,1,2,0,1,3,0,3,1,2,1"), 100);
        assert_eq!(
            table,
            "\
reference  0 1 2 0 1 3 0 3 1 2 1
frame 0    0 0 0 0 0 3 3 3 3 2 2
frame 1      1 1 1 1 1 0 0 0 0 0
frame 2        2 2 2 2 2 2 1 1 1
fault      F F F - - F F - F F -
evicted              0 1   2 3
"
        );
    }

    #[test]
    fn narrow_tables_wrap_and_dirty_pages_are_starred() {
        let table = step_table(&run(Policy::Fifo, 1, "1w,2,1"), 16);
        assert_eq!(
            table,
            "\
reference  1w  2
frame 0    1*  2
fault       F  F
evicted       1*

reference   1
frame 0     1
fault       F
evicted     2
(* dirty: written since loaded; an evicted dirty page is written back)
"
        );
    }

    #[test]
    fn summaries_and_comparisons_count_hits_and_faults() {
        let lru = run(Policy::Lru, 3, "0,1,2,0,1,3,0,3,1,2,1");
        assert_eq!(
            summary(&lru),
            "lru: 5 faults, 6 hits in 11 references: hit rate 54.5%"
        );
        let table = comparison(&[lru, run(Policy::Fifo, 3, "0,1,2,0,1,3,0,3,1,2,1")]);
        assert!(
            table.contains("lru          5     6     54.5%             0"),
            "{table}"
        );
        assert!(
            table.contains("fifo         7     4     36.4%             0"),
            "{table}"
        );
    }

    #[test]
    fn the_belady_table_points_out_the_anomaly() {
        let references = parse_references("1,2,3,4,1,2,5,1,2,3,4,5").unwrap();
        let curves: Vec<(Policy, Vec<usize>)> = [Policy::Fifo, Policy::Lru]
            .into_iter()
            .map(|p| (p, fault_curve(p, &references, 5, Setup::default())))
            .collect();
        assert_eq!(curves[0].1, [12, 12, 9, 10, 5]);
        assert_eq!(curves[1].1, [12, 12, 10, 8, 5]);
        let table = belady_table(&curves);
        assert!(table.contains("     4     10 ^      8"), "{table}");
        assert!(
            table.contains("^ fifo: 4 frames fault 10 times, 3 frames only 9"),
            "{table}"
        );
        assert!(!table.contains("lru: "), "{table}");
        let svg = faults_svg("test", &curves);
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert_eq!(
            svg.matches("more faults with 4 frames than with 3").count(),
            1
        );
        assert_eq!(
            belady_table(&curves[1..]).lines().last(),
            Some("no anomaly: faults never rose with more frames")
        );
    }
}
