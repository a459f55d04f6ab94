//! Kernel scheduling traces (concept S7): the text of Lantern's `/proc/sched_trace`, read back
//! on the host and turned into the same [`Chart`] the simulator draws for its own runs.
//!
//! Each line of the kernel's trace is one finished stint of a process on a hart:
//!
//! ```text
//! <start_ns> <end_ns> <hart> <pid> <name> <why>
//! ```
//!
//! with `why` one of `preempted`, `yielded`, `blocked`, `exited`, and times in nanoseconds
//! of the kernel's monotonic clock. Blank lines and lines starting with `#` are skipped.
//!
//! A capture of the console (`cargo xtask run`, `schedbench --trace`) holds other text too.
//! There, traces are framed by marker lines, and only what lies between them is read:
//!
//! ```text
//! --- sched_trace convoy/fifo
//! 1000 2000 0 7 A exited
//! --- end sched_trace
//! ```
//!
//! Input with at least one `--- sched_trace` line is read that way, one trace per framed
//! block (a block still open at the end of the input, or when the next one begins, ends
//! there); input without any is one trace, every line of which must be a stint. A line that
//! is not a stint is an error naming its line number.

use crate::chart::{Bar, Chart, ChartJob, Unit, single_char};
use std::collections::HashMap;
use std::fmt::{self, Write};

/// The marker line that opens a framed trace; the rest of the line is its label.
pub const BEGIN: &str = "--- sched_trace";
/// The marker line that closes a framed trace.
pub const END: &str = "--- end sched_trace";

/// Harts a trace may name (0..MAX_HARTS).
const MAX_HARTS: usize = 1024;

/// Symbols handed to processes whose name is not a free single character.
const SYMBOLS: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// Why a stint ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Why {
    Preempted,
    Yielded,
    Blocked,
    Exited,
}

impl Why {
    const ALL: [(Why, &'static str); 4] = [
        (Why::Preempted, "preempted"),
        (Why::Yielded, "yielded"),
        (Why::Blocked, "blocked"),
        (Why::Exited, "exited"),
    ];

    fn parse(word: &str) -> Option<Why> {
        Why::ALL
            .iter()
            .find(|(_, name)| *name == word)
            .map(|(why, _)| *why)
    }
}

/// One line of a trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stint {
    pub start_ns: u64,
    pub end_ns: u64,
    pub hart: usize,
    pub pid: u32,
    pub name: String,
    pub why: Why,
}

/// The stints of one recorded run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trace {
    /// The marker's label, or `trace` for unframed input.
    pub label: String,
    /// In input order (the kernel writes them oldest first).
    pub stints: Vec<Stint>,
}

/// A line that is not a stint, or input without any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based; 0 when the error concerns the whole input.
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            0 => write!(f, "{}", self.message),
            line => write!(f, "line {line}: {}", self.message),
        }
    }
}

fn error(line: usize, message: String) -> ParseError {
    ParseError { line, message }
}

/// Parses one stint line (`number` is its 1-based line number, for errors).
pub fn parse_stint(number: usize, line: &str) -> Result<Stint, ParseError> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    if fields.len() < 6 {
        return Err(error(
            number,
            format!(
                "expected `<start_ns> <end_ns> <hart> <pid> <name> <why>`, found {} field{}: `{line}`",
                fields.len(),
                if fields.len() == 1 { "" } else { "s" }
            ),
        ));
    }
    let numeric = |index: usize, what: &str| -> Result<u64, ParseError> {
        fields[index].parse().map_err(|_| {
            error(
                number,
                format!("{what} `{}` is not a whole number", fields[index]),
            )
        })
    };
    let start_ns = numeric(0, "start_ns")?;
    let end_ns = numeric(1, "end_ns")?;
    let hart = numeric(2, "hart")?;
    let pid = numeric(3, "pid")?;
    let word = fields[fields.len() - 1];
    let why = Why::parse(word).ok_or_else(|| {
        let words: Vec<&str> = Why::ALL.iter().map(|(_, name)| *name).collect();
        error(
            number,
            format!("why `{word}` is not one of {}", words.join(", ")),
        )
    })?;
    if end_ns < start_ns {
        return Err(error(
            number,
            format!("the stint ends ({end_ns}) before it starts ({start_ns})"),
        ));
    }
    if hart >= MAX_HARTS as u64 {
        return Err(error(
            number,
            format!("hart {hart} is out of range (at most {})", MAX_HARTS - 1),
        ));
    }
    let pid =
        u32::try_from(pid).map_err(|_| error(number, format!("pid {pid} is out of range")))?;
    Ok(Stint {
        start_ns,
        end_ns,
        hart: hart as usize,
        pid,
        name: fields[4..fields.len() - 1].join(" "),
        why,
    })
}

/// A trace being read, with the line it began on.
struct Open {
    label: String,
    line: usize,
    stints: Vec<Stint>,
}

impl Open {
    fn close(self, traces: &mut Vec<Trace>) -> Result<(), ParseError> {
        if self.stints.is_empty() {
            return Err(error(
                self.line,
                format!("the trace `{}` holds no stints", self.label),
            ));
        }
        traces.push(Trace {
            label: self.label,
            stints: self.stints,
        });
        Ok(())
    }
}

/// Parses traces from `text` (see the module comment for framed and unframed input).
pub fn parse(text: &str) -> Result<Vec<Trace>, ParseError> {
    let framed = text.lines().any(|line| is_begin(line.trim()));
    let mut traces = Vec::new();
    let mut open = (!framed).then(|| Open {
        label: "trace".to_string(),
        line: 0,
        stints: Vec::new(),
    });
    for (index, raw) in text.lines().enumerate() {
        let number = index + 1;
        let line = raw.trim();
        if framed && is_begin(line) {
            if let Some(previous) = open.take() {
                previous.close(&mut traces)?;
            }
            let label = match line[BEGIN.len()..].trim() {
                "" => format!("trace {}", traces.len() + 1),
                label => label.to_string(),
            };
            open = Some(Open {
                label,
                line: number,
                stints: Vec::new(),
            });
        } else if framed && line == END {
            match open.take() {
                Some(block) => block.close(&mut traces)?,
                None => return Err(error(number, format!("`{END}` without `{BEGIN}`"))),
            }
        } else if let Some(block) = open.as_mut()
            && !line.is_empty()
            && !line.starts_with('#')
        {
            block.stints.push(parse_stint(number, line)?);
        }
    }
    if let Some(block) = open {
        if block.stints.is_empty() && !framed {
            return Err(error(0, "the input holds no scheduling stints".to_string()));
        }
        block.close(&mut traces)?;
    }
    Ok(traces)
}

fn is_begin(line: &str) -> bool {
    line.starts_with(BEGIN) && !line.starts_with(END)
}

/// What a trace says of one process.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProcessSummary {
    pub pid: u32,
    pub name: String,
    pub stints: usize,
    /// Time on a hart.
    pub cpu_ns: u64,
    /// Its first start and last end.
    pub first_ns: u64,
    pub last_ns: u64,
    /// Stints ended by each [`Why`], in [`Why::ALL`] order.
    pub ended: [usize; 4],
}

impl Trace {
    /// When the earliest stint started: time 0 of the chart and the table.
    pub fn origin_ns(&self) -> u64 {
        self.stints.iter().map(|s| s.start_ns).min().unwrap_or(0)
    }

    /// Each process, in the order it first ran.
    pub fn processes(&self) -> Vec<ProcessSummary> {
        let mut by_start: Vec<&Stint> = self.stints.iter().collect();
        by_start.sort_by_key(|s| (s.start_ns, s.hart));
        let mut order: HashMap<u32, usize> = HashMap::new();
        let mut summaries: Vec<ProcessSummary> = Vec::new();
        for stint in by_start {
            let index = *order.entry(stint.pid).or_insert_with(|| {
                summaries.push(ProcessSummary {
                    pid: stint.pid,
                    name: stint.name.clone(),
                    first_ns: stint.start_ns,
                    ..ProcessSummary::default()
                });
                summaries.len() - 1
            });
            let summary = &mut summaries[index];
            summary.name.clone_from(&stint.name);
            summary.stints += 1;
            summary.cpu_ns += stint.end_ns - stint.start_ns;
            summary.last_ns = summary.last_ns.max(stint.end_ns);
            let why = Why::ALL.iter().position(|(w, _)| *w == stint.why);
            summary.ended[why.unwrap_or(0)] += 1;
        }
        summaries
    }

    /// The Gantt chart of this trace: one job per process, times in microseconds from the
    /// first stint.
    pub fn chart(&self) -> Chart {
        self.chart_with(&mut Vec::new())
    }

    /// [`Trace::chart`], colouring each process by its name's place in `names` (names not
    /// there yet are added), so that charts of several traces agree.
    fn chart_with(&self, names: &mut Vec<String>) -> Chart {
        let origin = self.origin_ns();
        let processes = self.processes();
        let job_of: HashMap<u32, usize> = processes
            .iter()
            .enumerate()
            .map(|(index, p)| (p.pid, index))
            .collect();
        let micros = |ns: u64| (ns - origin) / 1000;
        let bars: Vec<Bar> = self
            .stints
            .iter()
            .map(|s| Bar {
                hart: s.hart,
                job: job_of[&s.pid],
                start: micros(s.start_ns),
                end: micros(s.end_ns),
            })
            .collect();
        let end = bars.iter().map(|b| b.end).max().unwrap_or(0).max(1);
        let harts = self.stints.iter().map(|s| s.hart + 1).max().unwrap_or(1);
        Chart {
            title: self.label.clone(),
            heading: format!(
                "{} — {} processes, {} stints, {} ms",
                self.label,
                processes.len(),
                self.stints.len(),
                Unit::Micros.label(end)
            ),
            unit: Unit::Micros,
            harts,
            end,
            jobs: symbols(&processes, names),
            bars,
        }
    }

    /// A table of the processes: stints, CPU time, first and last time on a hart (ms from
    /// the first stint), and how their stints ended.
    pub fn table(&self) -> String {
        let origin = self.origin_ns();
        let ms = |ns: u64| ns as f64 / 1e6;
        let chart = self.chart();
        let mut out = format!(
            "{:<3} {:>6}  {:<16} {:>6} {:>9} {:>9} {:>9}  {:>9}  {:>7}  {:>7}  {:>6}\n",
            "sym",
            "pid",
            "name",
            "stints",
            "cpu ms",
            "first ms",
            "last ms",
            "preempted",
            "yielded",
            "blocked",
            "exited"
        );
        for (summary, job) in self.processes().iter().zip(&chart.jobs) {
            let _ = writeln!(
                out,
                "{:<3} {:>6}  {:<16} {:>6} {:>9.2} {:>9.2} {:>9.2}  {:>9}  {:>7}  {:>7}  {:>6}",
                job.symbol,
                summary.pid,
                summary.name,
                summary.stints,
                ms(summary.cpu_ns),
                ms(summary.first_ns - origin),
                ms(summary.last_ns - origin),
                summary.ended[0],
                summary.ended[1],
                summary.ended[2],
                summary.ended[3]
            );
        }
        out
    }
}

/// The charts of `traces`, a process coloured alike in each when its name is the same.
pub fn charts(traces: &[Trace]) -> Vec<Chart> {
    let mut names = Vec::new();
    traces.iter().map(|t| t.chart_with(&mut names)).collect()
}

/// `c` in the other case (itself if it has none).
fn swap_case(c: char) -> char {
    if c.is_ascii_lowercase() {
        c.to_ascii_uppercase()
    } else {
        c.to_ascii_lowercase()
    }
}

/// Chart jobs for `processes`, labelled `name (pid)`: a process whose name is one character
/// keeps it as its symbol; others get the first free of their name's first letter (as it
/// is, then in the other case), then A-Z, a-z, 0-9; `#` when all are taken.
fn symbols(processes: &[ProcessSummary], names: &mut Vec<String>) -> Vec<ChartJob> {
    let mut used: Vec<char> = Vec::new();
    let mut jobs = Vec::new();
    // Single-character names first, so another process cannot take their letter.
    let mut chosen: Vec<Option<char>> = processes
        .iter()
        .map(|p| {
            let only = single_char(&p.name).filter(|c| !used.contains(c))?;
            used.push(only);
            Some(only)
        })
        .collect();
    for (process, symbol) in processes.iter().zip(chosen.iter_mut()) {
        if symbol.is_none() {
            let first = process.name.chars().next();
            let candidates = first
                .into_iter()
                .flat_map(|c| [c, swap_case(c)])
                .chain(SYMBOLS.chars());
            let free = candidates
                .filter(|c| c.is_ascii_alphanumeric())
                .find(|c| !used.contains(c))
                .unwrap_or('#');
            used.push(free);
            *symbol = Some(free);
        }
        let colour = match names.iter().position(|name| *name == process.name) {
            Some(known) => known,
            None => {
                names.push(process.name.clone());
                names.len() - 1
            }
        };
        jobs.push(ChartJob {
            label: format!("{} ({})", process.name, process.pid),
            symbol: symbol.unwrap_or('#'),
            colour,
        });
    }
    jobs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::{gantt_svg, gantt_text};

    const SMALL: &str = "\
# two processes on hart 0, one on hart 1
1000000 11000000 0 7 A preempted
11000000 21000000 0 8 B exited
21000000 31000000 0 7 A exited
1000000 6000000 1 1 init blocked
";

    #[test]
    fn a_stint_line_has_six_fields() {
        let stint = parse_stint(3, "10 20 1 42 my prog yielded").unwrap();
        assert_eq!(
            stint,
            Stint {
                start_ns: 10,
                end_ns: 20,
                hart: 1,
                pid: 42,
                name: "my prog".into(),
                why: Why::Yielded,
            }
        );
    }

    #[test]
    fn malformed_lines_are_errors_with_their_line_number() {
        let cases = [
            (
                "1 2 0 7 A\n",
                "line 1: expected `<start_ns> <end_ns> <hart> <pid> <name> <why>`, found 5 fields: `1 2 0 7 A`",
            ),
            (
                "\n1 x 0 7 A exited\n",
                "line 2: end_ns `x` is not a whole number",
            ),
            (
                "1 2 0 -7 A exited\n",
                "line 1: pid `-7` is not a whole number",
            ),
            (
                "1 2 0 7 A slept\n",
                "line 1: why `slept` is not one of preempted, yielded, blocked, exited",
            ),
            (
                "# c\n5 2 0 7 A exited\n",
                "line 2: the stint ends (2) before it starts (5)",
            ),
            (
                "1 2 4096 7 A exited\n",
                "line 1: hart 4096 is out of range (at most 1023)",
            ),
            ("\n# nothing\n", "the input holds no scheduling stints"),
        ];
        for (input, message) in cases {
            assert_eq!(parse(input).unwrap_err().to_string(), message, "{input:?}");
        }
    }

    #[test]
    fn framed_traces_ignore_the_text_around_them() {
        let input = "\
boot log line
--- sched_trace convoy/fifo\r
1000 2000 0 7 A exited\r
--- end sched_trace
schedbench: a table line that is no stint
--- sched_trace
3000 4000 0 9 B exited
--- sched_trace cut short
5000 6000 1 9 B exited
";
        let traces = parse(input).unwrap();
        let labels: Vec<&str> = traces.iter().map(|t| t.label.as_str()).collect();
        assert_eq!(labels, ["convoy/fifo", "trace 2", "cut short"]);
        assert_eq!(traces[1].stints[0].pid, 9);
    }

    #[test]
    fn framing_errors_name_the_line() {
        let empty = parse("--- sched_trace x\n--- end sched_trace\n").unwrap_err();
        assert_eq!(empty.to_string(), "line 1: the trace `x` holds no stints");
        let stray = parse(
            "--- sched_trace x\n1 2 0 7 A exited\n--- end sched_trace\n--- end sched_trace\n",
        )
        .unwrap_err();
        assert_eq!(
            stray.to_string(),
            "line 4: `--- end sched_trace` without `--- sched_trace`"
        );
        let bad = parse("junk\n--- sched_trace x\n1 2 zero 7 A exited\n").unwrap_err();
        assert_eq!(bad.to_string(), "line 3: hart `zero` is not a whole number");
    }

    #[test]
    fn processes_are_summarised_in_the_order_they_first_ran() {
        let trace = &parse(SMALL).unwrap()[0];
        let summary = trace.processes();
        let pids: Vec<u32> = summary.iter().map(|p| p.pid).collect();
        assert_eq!(pids, [7, 1, 8]);
        assert_eq!(summary[0].cpu_ns, 20_000_000);
        assert_eq!(summary[0].ended, [1, 0, 0, 1]);
        assert_eq!(
            (summary[0].first_ns, summary[0].last_ns),
            (1_000_000, 31_000_000)
        );
        let table = trace.table();
        assert!(
            table.contains(
                "A        7  A                     2     20.00      0.00     30.00          1        0        0       1"
            ),
            "{table}"
        );
    }

    #[test]
    fn a_small_trace_renders_as_text_and_svg() {
        let trace = &parse(SMALL).unwrap()[0];
        let chart = trace.chart();
        assert_eq!((chart.harts, chart.end), (2, 30_000));
        assert_eq!(
            gantt_text(&chart, 30),
            "gantt (1 column = 1 ms)\n\
             hart 0 |AAAAAAAAAABBBBBBBBBBAAAAAAAAAA|\n\
             hart 1 |iiiii.........................|\n        \
             0         10        20        30\n        \
             A A (7), i init (1), B B (8)\n"
        );
        let svg = gantt_svg(&[chart]);
        assert_eq!(svg.matches("<title>").count(), 4, "one bar per stint");
        assert!(
            svg.contains("trace — 3 processes, 4 stints, 30 ms"),
            "{svg}"
        );
        assert!(
            svg.contains(">init (1)</text>"),
            "the legend names the processes"
        );
    }

    #[test]
    fn a_name_keeps_its_colour_across_traces() {
        let traces = parse(
            "--- sched_trace one\n0 1 0 3 x exited\n1 2 0 4 A exited\n--- sched_trace two\n0 1 0 5 A exited\n",
        )
        .unwrap();
        let charts = charts(&traces);
        assert_eq!(charts[0].jobs[1].colour, 1);
        assert_eq!(charts[1].jobs[0].colour, 1, "A as in the first trace");
    }

    #[test]
    fn names_pick_free_symbols() {
        let trace = &parse(
            "0 1 0 3 schedbench blocked\n1 2 0 4 A exited\n2 3 0 5 H1 exited\n3 4 0 6 H2 exited\n4 5 0 7 s exited\n",
        )
        .unwrap()[0];
        let symbols: Vec<char> = trace.chart().jobs.iter().map(|j| j.symbol).collect();
        assert_eq!(symbols, ['S', 'A', 'H', 'h', 's']);
    }
}
