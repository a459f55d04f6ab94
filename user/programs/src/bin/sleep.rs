//! `sleep NUMBER[SUFFIX]...`: waits for the total of the given times (concept U4).
//!
//! A time is a decimal number with an optional fraction (`0.5`, `.25`, `3`) and an optional
//! unit: `s` seconds (the default), `m` minutes, `h` hours, `d` days. Several times add up.
//! Exit status 0, or 1 for a missing or malformed time (`sleep: invalid time interval
//! 'x'`).

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::vec::Vec;

use ulib::abi::time::{NANOS_PER_SEC, Timespec};
use ulib::cli::{Arg, Args, Tool};

ulib::entry!(main);

const TOOL: Tool = Tool::new("sleep", "sleep NUMBER[s|m|h|d]...");

fn main() -> i32 {
    let mut operands = Vec::new();
    for arg in Args::new() {
        match arg {
            Arg::Operand(operand) => operands.push(operand),
            other => return TOOL.unexpected(other),
        }
    }
    if operands.is_empty() {
        return TOOL.usage_error(format_args!("missing operand"));
    }
    let mut total: u64 = 0;
    for operand in operands {
        match parse_interval(operand) {
            Some(nanos) => total = total.saturating_add(nanos),
            None => {
                return TOOL.usage_error(format_args!("invalid time interval '{operand}'"));
            }
        }
    }
    match ulib::nanosleep(&Timespec::from_nanos(total)) {
        Ok(()) => 0,
        Err(error) => {
            TOOL.error("nanosleep", error);
            1
        }
    }
}

/// The nanoseconds `text` stands for (`1.5m` is 90 s); `None` if it is not a time.
/// Digits past the ninth after the point are ignored; huge times saturate.
fn parse_interval(text: &str) -> Option<u64> {
    let (number, unit) = match text.as_bytes().last()? {
        b's' => (&text[..text.len() - 1], 1),
        b'm' => (&text[..text.len() - 1], 60),
        b'h' => (&text[..text.len() - 1], 3600),
        b'd' => (&text[..text.len() - 1], 86_400),
        _ => (text, 1),
    };
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    let all_digits = |part: &str| part.bytes().all(|byte| byte.is_ascii_digit());
    if whole.is_empty() && fraction.is_empty() || !all_digits(whole) || !all_digits(fraction) {
        return None;
    }
    let seconds: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().unwrap_or(u64::MAX)
    };
    let mut nanos: u64 = 0;
    let mut scale = NANOS_PER_SEC;
    for digit in fraction.bytes().take(9) {
        scale /= 10;
        nanos += u64::from(digit - b'0') * scale;
    }
    let total = seconds
        .saturating_mul(NANOS_PER_SEC)
        .saturating_add(nanos)
        .saturating_mul(unit);
    Some(total)
}
