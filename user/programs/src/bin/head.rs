//! `head [-n N | -N | -c N] [-qv] [FILE]...`: the first lines (or bytes) of each file
//! (concept U4).
//!
//! `-n N` or `-N`: the first N lines (10 by default); `-c N`: the first N bytes. With no
//! file, or for `-`, it reads standard input. With several files each is preceded by
//! `==> FILE <==` (`-q`: never, `-v`: always). It stops reading a file once it has what it
//! needs. Exit status 0, or 1 if a file could not be read (the others are still shown) or
//! for a bad count (`head: invalid number of lines: 'x'`).

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::vec::Vec;

use ulib::abi::Errno;
use ulib::cli::{self, Arg, Args, Input, Output, Tool};

ulib::entry!(main);

const TOOL: Tool = Tool::new(
    "head",
    "head [-n LINES | -LINES | -c BYTES] [-qv] [FILE]...",
);

/// Lines shown without `-n`.
const DEFAULT_LINES: u64 = 10;

/// What to keep of each input.
#[derive(Clone, Copy)]
enum Amount {
    Lines(u64),
    Bytes(u64),
}

fn main() -> i32 {
    let mut amount = Amount::Lines(DEFAULT_LINES);
    let mut headers: Option<bool> = None;
    let mut operands = Vec::new();
    let mut args = Args::new();
    while let Some(arg) = args.next() {
        match arg {
            Arg::Flag('n') => match TOOL.value(&mut args, 'n') {
                Ok(text) => match text.parse() {
                    Ok(count) => amount = Amount::Lines(count),
                    Err(_) => return bad_count("lines", text),
                },
                Err(status) => return status,
            },
            Arg::Number(text) => match text.parse() {
                Ok(count) => amount = Amount::Lines(count),
                Err(_) => return bad_count("lines", text),
            },
            Arg::Flag('c') => match TOOL.value(&mut args, 'c') {
                Ok(text) => match text.parse() {
                    Ok(count) => amount = Amount::Bytes(count),
                    Err(_) => return bad_count("bytes", text),
                },
                Err(status) => return status,
            },
            Arg::Flag('q') => headers = Some(false),
            Arg::Flag('v') => headers = Some(true),
            Arg::Operand(operand) => operands.push(operand),
            other => return TOOL.unexpected(other),
        }
    }
    let operands = cli::operands_or_stdin(operands);
    let headers = headers.unwrap_or(operands.len() > 1);
    let mut out = Output::stdout();
    let mut status = 0;
    let mut first = true;
    for operand in operands {
        let mut input = match Input::open(operand) {
            Ok(input) => input,
            Err(error) => {
                TOOL.error(operand, error);
                status = 1;
                continue;
            }
        };
        if headers {
            cli::write_file_header(&mut out, operand, first);
        }
        first = false;
        if let Err(error) = copy_start(&mut input, amount, &mut out) {
            TOOL.error(operand, error);
            status = 1;
        }
    }
    TOOL.finish(&mut out, status)
}

/// Reports a count that is not a number.
fn bad_count(what: &str, text: &str) -> i32 {
    TOOL.complain(format_args!("invalid number of {what}: '{text}'"));
    1
}

/// Copies the first `amount` of `input` to `out`.
fn copy_start(input: &mut Input, amount: Amount, out: &mut Output) -> Result<(), Errno> {
    let mut left = match amount {
        Amount::Lines(count) | Amount::Bytes(count) => count,
    };
    if left == 0 {
        return Ok(());
    }
    input.for_each_chunk(|chunk| {
        let keep = match amount {
            Amount::Bytes(_) => {
                let keep = chunk.len().min(usize::try_from(left).unwrap_or(usize::MAX));
                left -= keep as u64;
                keep
            }
            Amount::Lines(_) => {
                let mut keep = chunk.len();
                for (index, _) in chunk.iter().enumerate().filter(|(_, b)| **b == b'\n') {
                    left -= 1;
                    if left == 0 {
                        keep = index + 1;
                        break;
                    }
                }
                keep
            }
        };
        out.bytes(&chunk[..keep]);
        left > 0 && out.flush().is_ok()
    })
}
