//! `tail [-n [+]N | -N | -c [+]N] [-qv] [FILE]...`: the last lines (or bytes) of each file
//! (concept U4).
//!
//! `-n N` or `-N`: the last N lines (10 by default; a last line without a newline counts);
//! `-n +N`: everything from line N on. `-c N`, `-c +N`: the same in bytes. With no file, or
//! for `-`, it reads standard input. With several files each is preceded by `==> FILE <==`
//! (`-q`: never, `-v`: always). Each input is read whole into memory (there is no `-f`).
//! Exit status 0, or 1 if a file could not be read (the others are still shown) or for a
//! bad count.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::vec::Vec;

use ulib::cli::{self, Arg, Args, Input, Output, Tool};

ulib::entry!(main);

const TOOL: Tool = Tool::new(
    "tail",
    "tail [-n [+]LINES | -LINES | -c [+]BYTES] [-qv] [FILE]...",
);

/// Lines shown without `-n`.
const DEFAULT_LINES: usize = 10;

/// What to keep of each input.
#[derive(Clone, Copy)]
struct Amount {
    /// Bytes rather than lines.
    bytes: bool,
    /// Count from the start (`+N`) rather than from the end.
    from_start: bool,
    count: usize,
}

impl Amount {
    /// The amount `text` (`N` or `+N`) describes; `None` if it is not a number.
    fn parse(text: &str, bytes: bool) -> Option<Amount> {
        let (from_start, digits) = match text.strip_prefix('+') {
            Some(digits) => (true, digits),
            None => (false, text),
        };
        Some(Amount {
            bytes,
            from_start,
            count: digits.parse().ok()?,
        })
    }

    /// Where the part of `data` to show starts.
    fn start(&self, data: &[u8]) -> usize {
        match (self.bytes, self.from_start) {
            (true, true) => self.count.saturating_sub(1).min(data.len()),
            (true, false) => data.len().saturating_sub(self.count),
            (false, true) => start_of_line(data, self.count),
            (false, false) => start_of_last_lines(data, self.count),
        }
    }
}

fn main() -> i32 {
    let mut amount = Amount {
        bytes: false,
        from_start: false,
        count: DEFAULT_LINES,
    };
    let mut headers: Option<bool> = None;
    let mut operands = Vec::new();
    let mut args = Args::new();
    while let Some(arg) = args.next() {
        let (text, bytes) = match arg {
            Arg::Flag(letter @ ('n' | 'c')) => match TOOL.value(&mut args, letter) {
                Ok(text) => (text, letter == 'c'),
                Err(status) => return status,
            },
            Arg::Number(text) => (text, false),
            Arg::Flag('q') => {
                headers = Some(false);
                continue;
            }
            Arg::Flag('v') => {
                headers = Some(true);
                continue;
            }
            Arg::Operand(operand) => {
                operands.push(operand);
                continue;
            }
            other => return TOOL.unexpected(other),
        };
        match Amount::parse(text, bytes) {
            Some(parsed) => amount = parsed,
            None => {
                let what = if bytes { "bytes" } else { "lines" };
                TOOL.complain(format_args!("invalid number of {what}: '{text}'"));
                return 1;
            }
        }
    }
    let operands = cli::operands_or_stdin(operands);
    let headers = headers.unwrap_or(operands.len() > 1);
    let mut out = Output::stdout();
    let mut status = 0;
    let mut first = true;
    for operand in operands {
        match Input::open(operand).and_then(|mut input| input.read_to_end()) {
            Ok(data) => {
                if headers {
                    cli::write_file_header(&mut out, operand, first);
                }
                first = false;
                out.bytes(&data[amount.start(&data)..]);
            }
            Err(error) => {
                TOOL.error(operand, error);
                status = 1;
            }
        }
    }
    TOOL.finish(&mut out, status)
}

/// Where line `line` (counted from 1; 0 counts as 1) starts, or the end of `data` if it has
/// fewer lines.
fn start_of_line(data: &[u8], line: usize) -> usize {
    if line <= 1 {
        return 0;
    }
    data.iter()
        .enumerate()
        .filter(|(_, byte)| **byte == b'\n')
        .nth(line - 2)
        .map_or(data.len(), |(index, _)| index + 1)
}

/// Where the last `count` lines of `data` start; the newline that ends the last line, if
/// there is one, does not begin another line.
fn start_of_last_lines(data: &[u8], count: usize) -> usize {
    if count == 0 {
        return data.len();
    }
    let body = data.strip_suffix(b"\n").unwrap_or(data);
    body.iter()
        .enumerate()
        .rev()
        .filter(|(_, byte)| **byte == b'\n')
        .nth(count - 1)
        .map_or(0, |(index, _)| index + 1)
}
