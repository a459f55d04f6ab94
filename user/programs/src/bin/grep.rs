//! `grep [-cilnqsvhHF] [-e PATTERN]... [PATTERN] [FILE]...`: the lines that contain a
//! pattern (concept U4).
//!
//! Patterns are plain strings matched as substrings (as `grep -F` does; there are no
//! regular expressions). A line is selected if it contains any pattern (`-e` may be given
//! several times; a pattern with newlines is one pattern per line; the empty pattern
//! matches every line). Lines are bytes; the last line of a file need not end with a
//! newline (one is added on output).
//!
//! - `-i`: ignore ASCII case; `-v`: select the lines that do *not* match;
//! - `-c`: print only the number of selected lines; `-l`: only the names of files with one;
//!   `-q`: print nothing and stop at the first selected line;
//! - `-n`: put the line number before each line; with several files each line starts
//!   with its file's name (`-h`: never, `-H`: always); standard input is called
//!   `(standard input)`;
//! - `-s`: do not report files that cannot be read; `-F` is accepted (it is what `grep`
//!   always does).
//!
//! With no file, or for `-`, it reads standard input. Exit status: 0 if a line was
//! selected, 1 if none was, 2 after an error or a usage mistake (with `-q`, a selected
//! line still gives 0).

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::vec::Vec;
use core::fmt::Write;

use ulib::abi::Errno;
use ulib::cli::{self, Arg, Args, Input, Output, Tool};

ulib::entry!(main);

const TOOL: Tool = Tool::new(
    "grep",
    "grep [-cilnqsvhHF] [-e PATTERN]... [PATTERN] [FILE]...",
)
.with_trouble_status(TROUBLE);

/// Exit status: a line was selected.
const SELECTED: i32 = 0;
/// Exit status: no line was selected.
const NONE_SELECTED: i32 = 1;
/// Exit status: something went wrong.
const TROUBLE: i32 = 2;

/// What is printed for an input.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Report {
    /// The selected lines.
    Lines,
    /// How many lines were selected (`-c`).
    Count,
    /// The input's name if a line was selected (`-l`).
    Name,
    /// Nothing (`-q`).
    Quiet,
}

/// How lines are chosen and shown.
struct Search {
    /// The patterns, lower-cased for `-i`.
    patterns: Vec<Vec<u8>>,
    ignore_case: bool,
    invert: bool,
    numbers: bool,
    report: Report,
}

impl Search {
    /// Whether `line` is selected.
    fn selects(&self, line: &[u8]) -> bool {
        let folded;
        let line = if self.ignore_case {
            folded = line.to_ascii_lowercase();
            &folded[..]
        } else {
            line
        };
        let matched = self.patterns.iter().any(|pattern| contains(line, pattern));
        matched != self.invert
    }

    /// Searches `input`, printing what the report asks for, with `name` (if given) before
    /// each line or count; returns whether a line was selected.
    fn run(&self, input: &mut Input, name: Option<&str>, out: &mut Output) -> Result<bool, Errno> {
        let mut selected: u64 = 0;
        let mut number: u64 = 0;
        for_each_line(input, out, |line, out| {
            number += 1;
            if !self.selects(line) {
                return true;
            }
            selected += 1;
            if self.report != Report::Lines {
                // The name, or the exit status, is known after the first selected line.
                return self.report == Report::Count;
            }
            if let Some(name) = name {
                let _ = write!(out, "{name}:");
            }
            if self.numbers {
                let _ = write!(out, "{number}:");
            }
            out.bytes(line);
            out.bytes(b"\n");
            true
        })?;
        match (self.report, name) {
            (Report::Count, Some(name)) => {
                let _ = writeln!(out, "{name}:{selected}");
            }
            (Report::Count, None) => {
                let _ = writeln!(out, "{selected}");
            }
            (Report::Name, Some(name)) if selected > 0 => {
                let _ = writeln!(out, "{name}");
            }
            _ => {}
        }
        Ok(selected > 0)
    }
}

fn main() -> i32 {
    let mut patterns: Vec<&str> = Vec::new();
    let mut pattern_given = false;
    let (mut ignore_case, mut invert, mut numbers, mut silent) = (false, false, false, false);
    let mut report = Report::Lines;
    let mut with_names: Option<bool> = None;
    let mut operands = Vec::new();
    let mut args = Args::new();
    while let Some(arg) = args.next() {
        match arg {
            Arg::Flag('e') => match TOOL.value(&mut args, 'e') {
                Ok(pattern) => {
                    patterns.push(pattern);
                    pattern_given = true;
                }
                Err(status) => return status,
            },
            Arg::Flag('i') => ignore_case = true,
            Arg::Flag('v') => invert = true,
            Arg::Flag('n') => numbers = true,
            Arg::Flag('c') => report = Report::Count,
            Arg::Flag('l') => report = Report::Name,
            Arg::Flag('q') => report = Report::Quiet,
            Arg::Flag('s') => silent = true,
            Arg::Flag('h') => with_names = Some(false),
            Arg::Flag('H') => with_names = Some(true),
            Arg::Flag('F') => {}
            Arg::Operand(operand) => operands.push(operand),
            other => return TOOL.unexpected(other),
        }
    }
    if !pattern_given {
        if operands.is_empty() {
            return TOOL.usage_error(format_args!("no pattern given"));
        }
        patterns.push(operands.remove(0));
    }
    let search = Search {
        patterns: patterns
            .iter()
            .flat_map(|pattern| pattern.split('\n'))
            .map(|pattern| {
                let bytes = pattern.as_bytes();
                if ignore_case {
                    bytes.to_ascii_lowercase()
                } else {
                    bytes.to_vec()
                }
            })
            .collect(),
        ignore_case,
        invert,
        numbers,
        report,
    };
    let operands = cli::operands_or_stdin(operands);
    let with_names = with_names.unwrap_or(operands.len() > 1) || report == Report::Name;

    let mut out = Output::stdout();
    let mut any_selected = false;
    let mut trouble = false;
    for operand in operands {
        let name = if operand == "-" {
            "(standard input)"
        } else {
            operand
        };
        let result = Input::open(operand)
            .and_then(|mut input| search.run(&mut input, with_names.then_some(name), &mut out));
        match result {
            Ok(selected) => any_selected |= selected,
            Err(error) => {
                if !silent {
                    TOOL.error(operand, error);
                }
                trouble = true;
            }
        }
        if any_selected && report == Report::Quiet {
            break;
        }
    }
    let status = if any_selected && (report == Report::Quiet || !trouble) {
        SELECTED
    } else if trouble {
        TROUBLE
    } else {
        NONE_SELECTED
    };
    TOOL.finish(&mut out, status)
}

/// Whether `pattern` occurs in `line` (the empty pattern occurs everywhere).
fn contains(line: &[u8], pattern: &[u8]) -> bool {
    pattern.is_empty() || line.windows(pattern.len()).any(|window| window == pattern)
}

/// Calls `each` with every line of `input`, without its newline, and `out`, until the end
/// or until `each` returns `false`. The input is read in chunks, and `out` is flushed
/// after each (so matches typed at a terminal show at once); a line split between chunks is
/// put back together.
fn for_each_line(
    input: &mut Input,
    out: &mut Output,
    mut each: impl FnMut(&[u8], &mut Output) -> bool,
) -> Result<(), Errno> {
    let mut partial: Vec<u8> = Vec::new();
    let mut going = true;
    input.for_each_chunk(|chunk| {
        let mut rest = chunk;
        while let Some(newline) = rest.iter().position(|&byte| byte == b'\n') {
            let piece = &rest[..newline];
            rest = &rest[newline + 1..];
            going = if partial.is_empty() {
                each(piece, out)
            } else {
                partial.extend_from_slice(piece);
                let line = core::mem::take(&mut partial);
                each(&line, out)
            };
            if !going {
                return false;
            }
        }
        partial.extend_from_slice(rest);
        out.flush().is_ok()
    })?;
    if going && !partial.is_empty() {
        each(&partial, out);
    }
    Ok(())
}
