//! `hexdump [-C] [-v] [FILE]...`: the bytes of files in hexadecimal (concept U4), the
//! files read one after the other as a single stream (standard input with no file or for
//! `-`).
//!
//! - Default format, 16 bytes a line as eight little-endian 16-bit words:
//!   `0000000 6568 6c6c 0a6f` (an odd last byte is a word with a zero high byte).
//! - `-C` (canonical): the offset in 8 hex digits, the 16 bytes in hex in two groups of
//!   eight, and the bytes as text between bars, `.` standing for anything not printable:
//!   `00000000  68 65 6c 6c 6f 0a                                 |hello.|`.
//!
//! Both end with a line holding just the total length. A full line equal to the line
//! before is shown as a single `*` line (`-v`: show every line). Exit status 0, or 1 if a
//! file could not be read (the others are still shown).

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::vec::Vec;
use core::fmt::Write;

use ulib::cli::{self, Arg, Args, Input, Output, Tool};

ulib::entry!(main);

const TOOL: Tool = Tool::new("hexdump", "hexdump [-C] [-v] [FILE]...");

/// Bytes per line.
const LINE: usize = 16;

/// Turns the stream of bytes into lines.
struct Dumper {
    canonical: bool,
    squeeze: bool,
    /// Bytes of the line being gathered.
    line: Vec<u8>,
    /// Offset of `line`'s first byte.
    offset: u64,
    /// The last full line written, to spot repeats.
    previous: Option<[u8; LINE]>,
    /// Whether the `*` of the current run of repeats is written.
    starred: bool,
    out: Output,
}

impl Dumper {
    /// Takes in the next bytes of the stream.
    fn feed(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            let take = (LINE - self.line.len()).min(data.len());
            self.line.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.line.len() == LINE {
                self.full_line();
            }
        }
    }

    /// Writes (or squeezes) the full line gathered.
    fn full_line(&mut self) {
        let mut bytes = [0u8; LINE];
        bytes.copy_from_slice(&self.line);
        if self.squeeze && self.previous == Some(bytes) {
            if !self.starred {
                self.out.bytes(b"*\n");
                self.starred = true;
            }
        } else {
            self.write_line();
            self.previous = Some(bytes);
            self.starred = false;
        }
        self.offset += LINE as u64;
        self.line.clear();
    }

    /// Writes what is gathered as one line.
    fn write_line(&mut self) {
        let out = &mut self.out;
        if self.canonical {
            let _ = write!(out, "{:08x} ", self.offset);
            for index in 0..LINE {
                if index == LINE / 2 {
                    out.bytes(b" ");
                }
                match self.line.get(index) {
                    Some(byte) => {
                        let _ = write!(out, " {byte:02x}");
                    }
                    None => out.bytes(b"   "),
                }
            }
            out.bytes(b"  |");
            for &byte in &self.line {
                let shown = if byte == b' ' || byte.is_ascii_graphic() {
                    byte
                } else {
                    b'.'
                };
                out.bytes(&[shown]);
            }
            out.bytes(b"|\n");
        } else {
            let _ = write!(out, "{:07x}", self.offset);
            for index in (0..LINE).step_by(2) {
                match self.line.get(index) {
                    Some(&low) => {
                        let high = self.line.get(index + 1).copied().unwrap_or(0);
                        let _ = write!(out, " {:04x}", u16::from_le_bytes([low, high]));
                    }
                    None => out.bytes(b"     "),
                }
            }
            out.bytes(b"\n");
        }
    }

    /// Writes the last, partial line and the total length.
    fn finish(&mut self) {
        if !self.line.is_empty() {
            self.write_line();
            self.offset += self.line.len() as u64;
            self.line.clear();
        }
        if self.offset > 0 {
            let width = if self.canonical { 8 } else { 7 };
            let _ = writeln!(self.out, "{:0width$x}", self.offset);
        }
    }
}

fn main() -> i32 {
    let (mut canonical, mut squeeze) = (false, true);
    let mut operands = Vec::new();
    for arg in Args::new() {
        match arg {
            Arg::Flag('C') => canonical = true,
            Arg::Flag('v') => squeeze = false,
            Arg::Operand(operand) => operands.push(operand),
            other => return TOOL.unexpected(other),
        }
    }
    let mut dumper = Dumper {
        canonical,
        squeeze,
        line: Vec::with_capacity(LINE),
        offset: 0,
        previous: None,
        starred: false,
        out: Output::stdout(),
    };
    let mut status = 0;
    for operand in cli::operands_or_stdin(operands) {
        let read = Input::open(operand).and_then(|mut input| {
            input.for_each_chunk(|chunk| {
                dumper.feed(chunk);
                true
            })
        });
        if let Err(error) = read {
            TOOL.error(operand, error);
            status = 1;
        }
    }
    dumper.finish();
    TOOL.finish(&mut dumper.out, status)
}
