//! `vmstat [delay [count]]`: virtual-memory activity, one line per interval (concepts M7,
//! M8, P2, U4), in the spirit of procps `vmstat`:
//!
//! ```text
//!  r  b  s   swpd   free     si     so  flt/s  maj/s  cow/s evict/s susp policy
//!  1  2  0  10240  81920      0     12    150      3      0      16    0 clock
//! ```
//!
//! - `r`, `b`, `s`: processes runnable (`R`), blocked (`S`), and suspended — P2's
//!   ready-suspended and blocked-suspended states, from `/proc/<pid>/status`;
//! - `swpd`, `free`: swap in use and free memory in KiB (`/proc/meminfo`);
//! - `si`, `so`: KiB per second read back from and written to swap;
//! - `flt/s`, `maj/s`, `cow/s`: page faults, major faults and copy-on-write faults per
//!   second; `evict/s`: pages evicted per second (all policies);
//! - `susp`: processes suspended by thrashing control in the interval;
//! - `policy`: the page-replacement policy in force (`/proc/sys/vm/page_replacement`).
//!
//! Rates come from `/proc/vmstat`. Like procps, the first line averages since boot; then
//! one line every `delay` seconds, `count` lines in all (forever without `count`; one line
//! without `delay`). Exit status 0, 1 if `/proc` could not be read, 2 for a usage mistake.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::string::String;
use core::fmt::Write;

use ulib::cli::{Arg, Args, Output, Tool};
use ulib::procfs::{self, Fields};

ulib::entry!(main);

const TOOL: Tool = Tool::new("vmstat", "vmstat [delay [count]]").with_trouble_status(2);

/// The counters one line is made of, read at one moment.
struct Sample {
    at_ns: u64,
    faults: u64,
    major: u64,
    cow: u64,
    swap_in: u64,
    swap_out: u64,
    evicted: u64,
    suspensions: u64,
}

impl Sample {
    fn read() -> Option<Sample> {
        let text = ulib::fs::read_to_string("/proc/vmstat").ok()?;
        let mut sample = Sample::boot();
        sample.at_ns = ulib::bench::now_ns().ok()?;
        for line in text.lines() {
            let mut words = line.split_whitespace();
            let (Some(name), Some(Ok(value))) = (words.next(), words.next().map(str::parse)) else {
                continue;
            };
            match name {
                "pgfault" => sample.faults = value,
                "pgmajfault" => sample.major = value,
                "cow_fault" => sample.cow = value,
                "pswpin" => sample.swap_in = value,
                "pswpout" => sample.swap_out = value,
                "thrash_suspend" => sample.suspensions = value,
                name if name.starts_with("evict_") => sample.evicted += value,
                _ => {}
            }
        }
        Some(sample)
    }

    /// Since boot: every counter started at 0.
    fn boot() -> Sample {
        Sample {
            at_ns: 0,
            faults: 0,
            major: 0,
            cow: 0,
            swap_in: 0,
            swap_out: 0,
            evicted: 0,
            suspensions: 0,
        }
    }
}

/// (runnable, blocked, suspended) processes.
fn process_states() -> (usize, usize, usize) {
    let mut counts = (0, 0, 0);
    for pid in procfs::pids().unwrap_or_default() {
        let Ok(status) = Fields::read(&alloc::format!("/proc/{pid}/status")) else {
            continue;
        };
        match status.get("State").unwrap_or("") {
            state if state.contains("suspended") => counts.2 += 1,
            state if state.starts_with('R') => counts.0 += 1,
            state if state.starts_with('S') => counts.1 += 1,
            _ => {}
        }
    }
    counts
}

fn line(out: &mut Output, from: &Sample, to: &Sample) -> bool {
    let Ok(meminfo) = Fields::read("/proc/meminfo") else {
        return false;
    };
    let kib = |key: &str| meminfo.number::<u64>(key).unwrap_or(0);
    let swpd = kib("SwapTotal").saturating_sub(kib("SwapFree"));
    let policy: String = ulib::fs::read_to_string("/proc/sys/vm/page_replacement")
        .map(|text| text.trim().into())
        .unwrap_or_else(|_| "-".into());
    let ms = to.at_ns.saturating_sub(from.at_ns).max(1_000_000) / 1_000_000;
    let rate = |a: u64, b: u64| b.saturating_sub(a) * 1000 / ms;
    let (r, b, s) = process_states();
    let _ = writeln!(
        out,
        "{r:2} {b:2} {s:2} {swpd:6} {:6} {:6} {:6} {:6} {:6} {:6} {:7} {:4} {policy}",
        kib("MemFree"),
        rate(from.swap_in, to.swap_in) * 4,
        rate(from.swap_out, to.swap_out) * 4,
        rate(from.faults, to.faults),
        rate(from.major, to.major),
        rate(from.cow, to.cow),
        rate(from.evicted, to.evicted),
        to.suspensions.saturating_sub(from.suspensions),
    );
    let _ = out.flush();
    true
}

fn main() -> i32 {
    let mut numbers = [None, None];
    let mut given = 0;
    for arg in Args::new() {
        match arg {
            Arg::Operand(text) if given < 2 => match text.parse::<u64>() {
                Ok(n) if given == 0 && n == 0 => {
                    return TOOL.usage_error(format_args!("delay must be at least 1 second"));
                }
                Ok(n) => {
                    numbers[given] = Some(n);
                    given += 1;
                }
                Err(_) => return TOOL.usage_error(format_args!("not a number: {text:?}")),
            },
            other => return TOOL.unexpected(other),
        }
    }
    let [delay, count] = numbers;
    let mut out = Output::stdout();
    let _ = writeln!(
        out,
        " r  b  s   swpd   free     si     so  flt/s  maj/s  cow/s evict/s susp policy"
    );
    let Some(mut last) = Sample::read() else {
        TOOL.complain(format_args!("cannot read /proc/vmstat"));
        return 1;
    };
    if !line(&mut out, &Sample::boot(), &last) {
        TOOL.complain(format_args!("cannot read /proc/meminfo"));
        return 1;
    }
    let Some(delay) = delay else {
        return TOOL.finish(&mut out, 0);
    };
    let mut printed = 1;
    while count.is_none_or(|count| printed < count) {
        let _ = ulib::sys::sleep(delay);
        let Some(now) = Sample::read() else {
            return 1;
        };
        if !line(&mut out, &last, &now) {
            return 1;
        }
        last = now;
        printed += 1;
    }
    TOOL.finish(&mut out, 0)
}
