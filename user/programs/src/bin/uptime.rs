//! `uptime`: the time, how long the system has been up, and the load averages (concept U4),
//! as ` 12:34:56 up 1:05,  load average: 0.00, 0.01, 0.05`.
//!
//! The time of day is UTC, from `CLOCK_REALTIME`. The time up is the first number of
//! `/proc/uptime`, or, without that file, the `CLOCK_MONOTONIC` clock (which counts from
//! boot); it shows as `N min` under an hour, `H:MM` after, with `N days, ` in front after a
//! day. The load averages come from `/proc/loadavg` and are left out if it does not exist
//! (Lantern has none). There is no user count: nothing records logins. Exit status 0, or
//! 1 if no clock could be read.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use core::fmt::Write;

use ulib::abi::time::{CLOCK_MONOTONIC, CLOCK_REALTIME};
use ulib::cli::{Args, DateTime, Output, Tool};
use ulib::fs;

ulib::entry!(main);

const TOOL: Tool = Tool::new("uptime", "uptime");

fn main() -> i32 {
    if let Some(arg) = Args::new().next() {
        return TOOL.unexpected(arg);
    }
    let up_secs = match uptime_secs() {
        Some(secs) => secs,
        None => {
            TOOL.complain(format_args!("cannot read the time since boot"));
            return 1;
        }
    };
    let mut out = Output::stdout();
    if let Ok(now) = ulib::clock_gettime(CLOCK_REALTIME) {
        let time = DateTime::from_unix(now.tv_sec);
        let _ = write!(
            out,
            " {:02}:{:02}:{:02}",
            time.hour, time.minute, time.second
        );
    }
    let (days, hours, minutes) = (up_secs / 86_400, up_secs / 3600 % 24, up_secs / 60 % 60);
    let _ = write!(out, " up ");
    match days {
        0 => {}
        1 => {
            let _ = write!(out, "1 day, ");
        }
        _ => {
            let _ = write!(out, "{days} days, ");
        }
    }
    if hours > 0 {
        let _ = write!(out, "{hours:2}:{minutes:02}");
    } else {
        let _ = write!(out, "{minutes} min");
    }
    if let Some(loads) = load_averages() {
        let _ = write!(out, ",  load average: {loads}");
    }
    out.bytes(b"\n");
    TOOL.finish(&mut out, 0)
}

/// Whole seconds since boot.
fn uptime_secs() -> Option<u64> {
    let from_proc = fs::read_to_string("/proc/uptime").ok().and_then(|text| {
        let first = text.split_whitespace().next()?;
        first.split('.').next()?.parse().ok()
    });
    from_proc.or_else(|| {
        ulib::clock_gettime(CLOCK_MONOTONIC)
            .ok()
            .and_then(|now| u64::try_from(now.tv_sec).ok())
    })
}

/// The three load averages of `/proc/loadavg`, as `a, b, c`.
fn load_averages() -> Option<alloc::string::String> {
    let text = fs::read_to_string("/proc/loadavg").ok()?;
    let loads: alloc::vec::Vec<&str> = text.split_whitespace().take(3).collect();
    (loads.len() == 3).then(|| loads.join(", "))
}
