//! `echo [-n] [STRING]...`: prints the strings separated by single spaces, then a newline
//! (concept U4).
//!
//! Leading arguments made only of `n` letters after a dash (`-n`, `-nn`) leave out the
//! newline; every other argument, `--` and `-e` included, is printed as it is (escape
//! sequences are not interpreted). Exit status 0, or 1 if the output could not be written.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use ulib::cli::{Output, Tool};
use ulib::env;

ulib::entry!(main);

const TOOL: Tool = Tool::new("echo", "echo [-n] [STRING]...");

fn main() -> i32 {
    let mut args = env::args().skip(1).peekable();
    let mut newline = true;
    while args.next_if(|arg| is_no_newline_option(arg)).is_some() {
        newline = false;
    }
    let mut out = Output::stdout();
    for (index, arg) in args.enumerate() {
        if index > 0 {
            out.bytes(b" ");
        }
        out.bytes(arg.as_bytes());
    }
    if newline {
        out.bytes(b"\n");
    }
    TOOL.finish(&mut out, 0)
}

/// Whether `arg` is `-n`, `-nn`, ...
fn is_no_newline_option(arg: &str) -> bool {
    arg.strip_prefix('-')
        .is_some_and(|letters| !letters.is_empty() && letters.bytes().all(|byte| byte == b'n'))
}
