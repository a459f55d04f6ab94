//! `cat [-u] [FILE]...`: writes the files, one after the other, to standard output (concept
//! U4).
//!
//! With no file, or for `-`, it reads standard input. Data is copied as it is read, up to
//! 64 KiB per `read` and one `write` per `read` (so a terminal sees each line as it is
//! typed). `-u` (unbuffered) is accepted and changes nothing. A file that cannot be read
//! is reported (`cat: FILE: No such file or directory`) and the others are still copied.
//! Exit status 0, or 1 if something could not be read or written.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::vec::Vec;

use ulib::cli::{self, Arg, Args, Input, Output, Tool};

ulib::entry!(main);

const TOOL: Tool = Tool::new("cat", "cat [-u] [FILE]...");

fn main() -> i32 {
    let mut operands = Vec::new();
    for arg in Args::new() {
        match arg {
            Arg::Flag('u') => {}
            Arg::Operand(operand) => operands.push(operand),
            other => return TOOL.unexpected(other),
        }
    }
    let mut out = Output::stdout();
    let mut status = 0;
    for operand in cli::operands_or_stdin(operands) {
        let copied = Input::open(operand).and_then(|mut input| {
            input.for_each_chunk(|chunk| {
                out.bytes(chunk);
                out.flush().is_ok()
            })
        });
        if let Err(error) = copied {
            TOOL.error(operand, error);
            status = 1;
        }
    }
    TOOL.finish(&mut out, status)
}
