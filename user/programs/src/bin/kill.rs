//! `kill [-s SIGNAL | -SIGNAL] PID...`, `kill -l [SIGNAL]...`: sends a signal to processes
//! (concept U4).
//!
//! The signal is `TERM` unless given, as a number (`-9`, `-s 9`) or a name with or without
//! `SIG`, in any case (`-INT`, `-sigint`, `-s KILL`); `0` only checks that the processes
//! exist. A PID below -1 is a process group and -1 is every process the caller may signal
//! (write `kill -- -12` so the group is not read as a signal). `-l` lists the names of
//! signals 1 to 31 on one line; `-l SIGNAL` translates a number (or a shell's `128 + N`
//! exit status) to a name and a name to a number. Exit status 0, or 1 if a process could
//! not be signalled (`kill: 12: No such process`) or for a bad signal or PID.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;

use ulib::Pid;
use ulib::abi::signal::{NSIG, SIGTERM, signal_from_name, signal_name};
use ulib::cli::{Output, Tool};
use ulib::env;

ulib::entry!(main);

const TOOL: Tool = Tool::new(
    "kill",
    "kill [-s SIGNAL | -SIGNAL] PID...  or  kill -l [SIGNAL]...",
);

/// The last standard signal, the end of `kill -l`'s list.
const LAST_STANDARD_SIGNAL: u32 = 31;

/// Exit statuses above this stand for death by signal `status - 128` in shells.
const SIGNAL_STATUS_BASE: u32 = 128;

fn main() -> i32 {
    let args: Vec<&str> = env::args().skip(1).collect();
    let (signal, pids) = match args[..] {
        ["-l" | "-L", ref rest @ ..] => return list(rest),
        ["--help", ..] => {
            ulib::println!("usage: {}", TOOL.usage);
            return 0;
        }
        ["--", ref rest @ ..] => (SIGTERM, rest),
        ["-s", name, ref rest @ ..] => match parse_signal(name) {
            Some(signal) => (signal, rest),
            None => return bad_signal(name),
        },
        [first, ref rest @ ..] if first.len() > 1 && first.starts_with('-') => {
            match parse_signal(&first[1..]) {
                Some(signal) => (signal, rest),
                None => return bad_signal(&first[1..]),
            }
        }
        ref all => (SIGTERM, all),
    };
    let pids = match pids {
        ["--", rest @ ..] => rest,
        all => all,
    };
    if pids.is_empty() {
        return TOOL.usage_error(format_args!("not enough arguments"));
    }
    let mut status = 0;
    for &text in pids {
        match text.parse::<Pid>() {
            Ok(pid) => {
                if let Err(error) = ulib::kill(pid, signal) {
                    TOOL.error(text, error);
                    status = 1;
                }
            }
            Err(_) => {
                TOOL.complain(format_args!("{text}: arguments must be process or job IDs"));
                status = 1;
            }
        }
    }
    status
}

/// The signal `text` names: a number below `NSIG` or a name, with or without `SIG`, in
/// any case.
fn parse_signal(text: &str) -> Option<u32> {
    if let Ok(number) = text.parse::<u32>() {
        return (number < NSIG).then_some(number);
    }
    let upper: String = text.chars().map(|c| c.to_ascii_uppercase()).collect();
    signal_from_name(&upper)
}

/// Reports a signal that does not exist.
fn bad_signal(text: &str) -> i32 {
    TOOL.complain(format_args!("{text}: invalid signal specification"));
    1
}

/// `kill -l [SIGNAL]...`.
fn list(signals: &[&str]) -> i32 {
    let mut out = Output::stdout();
    let mut status = 0;
    if signals.is_empty() {
        let names: Vec<&str> = (1..=LAST_STANDARD_SIGNAL)
            .filter_map(signal_name)
            .map(|name| name.trim_start_matches("SIG"))
            .collect();
        let _ = writeln!(out, "{}", names.join(" "));
    }
    for &text in signals {
        match text.parse::<u32>() {
            Ok(number) => {
                let number = if number > SIGNAL_STATUS_BASE {
                    number - SIGNAL_STATUS_BASE
                } else {
                    number
                };
                match signal_name(number) {
                    Some(name) => {
                        let _ = writeln!(out, "{}", name.trim_start_matches("SIG"));
                    }
                    None => {
                        bad_signal(text);
                        status = 1;
                    }
                }
            }
            Err(_) => match parse_signal(text) {
                Some(number) => {
                    let _ = writeln!(out, "{number}");
                }
                None => {
                    bad_signal(text);
                    status = 1;
                }
            },
        }
    }
    TOOL.finish(&mut out, status)
}
