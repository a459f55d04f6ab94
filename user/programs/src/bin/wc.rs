//! `wc [-lwc] [FILE]...`: counts the lines, words and bytes of each file (concept U4).
//!
//! `-l` lines (newline characters), `-w` words (runs of bytes that are not white space),
//! `-c` bytes; without an option, all three, always in that order. With no file, or for
//! `-`, it reads standard input (and, with no file, prints no name). Several files get a
//! `total` line. As in GNU `wc`, the columns are as wide as the digits of the files' total
//! size, at least 7 wide when an input is not a regular file (its size is unknown), and not
//! padded when one number is printed for one input. Exit status 0, or 1 if a file could
//! not be read.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::vec::Vec;
use core::fmt::Write;

use ulib::abi::Errno;
use ulib::abi::fs::{S_IFMT, S_IFREG};
use ulib::cli::{Arg, Args, Input, Output, Tool};
use ulib::fs;

ulib::entry!(main);

const TOOL: Tool = Tool::new("wc", "wc [-lwc] [FILE]...");

/// Column width when an input's size is unknown (a pipe, a terminal).
const UNKNOWN_SIZE_WIDTH: usize = 7;

/// What one input holds.
#[derive(Clone, Copy, Default)]
struct Counts {
    lines: u64,
    words: u64,
    bytes: u64,
}

impl Counts {
    /// The selected numbers: lines, words, bytes.
    fn selected(&self, show: [bool; 3]) -> impl Iterator<Item = u64> {
        [self.lines, self.words, self.bytes]
            .into_iter()
            .zip(show)
            .filter_map(|(count, shown)| shown.then_some(count))
    }
}

fn main() -> i32 {
    let (mut lines, mut words, mut bytes) = (false, false, false);
    let mut operands = Vec::new();
    for arg in Args::new() {
        match arg {
            Arg::Flag('l') => lines = true,
            Arg::Flag('w') => words = true,
            Arg::Flag('c') => bytes = true,
            Arg::Operand(operand) => operands.push(operand),
            other => return TOOL.unexpected(other),
        }
    }
    let show = if lines || words || bytes {
        [lines, words, bytes]
    } else {
        [true; 3]
    };
    let named = !operands.is_empty();
    if !named {
        operands.push("-");
    }

    let mut status = 0;
    let mut rows: Vec<(Counts, &str)> = Vec::new();
    let mut total = Counts::default();
    let mut total_size: u64 = 0;
    let mut size_unknown = false;
    for &operand in &operands {
        match count_input(operand) {
            Ok((counts, size)) => {
                match size {
                    Some(size) => total_size += size,
                    None => size_unknown = true,
                }
                total.lines += counts.lines;
                total.words += counts.words;
                total.bytes += counts.bytes;
                rows.push((counts, operand));
            }
            Err(error) => {
                TOOL.error(operand, error);
                status = 1;
            }
        }
    }
    if operands.len() > 1 {
        rows.push((total, "total"));
    }

    let columns = show.iter().filter(|&&shown| shown).count();
    let width = if columns == 1 && operands.len() == 1 {
        1
    } else {
        let digits = total_size
            .checked_ilog10()
            .map_or(1, |log| log as usize + 1);
        if size_unknown {
            digits.max(UNKNOWN_SIZE_WIDTH)
        } else {
            digits
        }
    };
    let mut out = Output::stdout();
    for (counts, name) in rows {
        for (index, count) in counts.selected(show).enumerate() {
            let separator = if index == 0 { "" } else { " " };
            let _ = write!(out, "{separator}{count:>width$}");
        }
        if named {
            let _ = write!(out, " {name}");
        }
        out.bytes(b"\n");
    }
    TOOL.finish(&mut out, status)
}

/// The counts of `operand` and its size if it is a regular file.
fn count_input(operand: &str) -> Result<(Counts, Option<u64>), Errno> {
    let mut input = Input::open(operand)?;
    let stat = fs::fstat(input.fd())?;
    let size = (stat.st_mode & S_IFMT == S_IFREG).then_some(stat.st_size.max(0) as u64);
    let mut counts = Counts::default();
    let mut in_word = false;
    input.for_each_chunk(|chunk| {
        for &byte in chunk {
            if byte == b'\n' {
                counts.lines += 1;
            }
            // C's isspace: space, \t, \n, \v, \f, \r.
            if byte.is_ascii_whitespace() || byte == 0x0b {
                in_word = false;
            } else if !in_word {
                in_word = true;
                counts.words += 1;
            }
        }
        counts.bytes += chunk.len() as u64;
        true
    })?;
    Ok((counts, size))
}
