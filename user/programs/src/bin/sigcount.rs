//! `sigcount [SECONDS]`: a signal-handler counter to try signals from the shell (concept I5).
//!
//! Installs one handler for SIGINT and SIGUSR1 that counts how often each is delivered,
//! then, for SECONDS seconds (10 if not given), prints once a second its pid and the
//! counts: `sigcount: pid 12, 3 s: SIGINT 1, SIGUSR1 4`. Send it signals from another
//! shell (`kill -USR1 12`) or press Ctrl-C: each one is counted instead of ending it (end
//! it early with `kill 12`). A handler interrupts the sleep between two lines; the program
//! then sleeps for the rest of the second, so the lines stay a second apart. Exit status 0,
//! or 1 for a bad SECONDS or a failed system call.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use core::sync::atomic::{AtomicU32, Ordering::SeqCst};

use ulib::abi::Errno;
use ulib::abi::signal::{SA_RESTART, SIGINT, SIGUSR1};
use ulib::abi::time::{CLOCK_MONOTONIC, NANOS_PER_SEC, Timespec};
use ulib::cli::{Arg, Args, Tool};
use ulib::signal;

ulib::entry!(main);

const TOOL: Tool = Tool::new("sigcount", "sigcount [SECONDS]");

/// How long to count when no SECONDS are given.
const DEFAULT_SECONDS: u64 = 10;

/// Deliveries of SIGINT and of SIGUSR1.
static SIGINTS: AtomicU32 = AtomicU32::new(0);
static SIGUSR1S: AtomicU32 = AtomicU32::new(0);

extern "C" fn count(sig: i32) {
    if sig == SIGINT as i32 {
        SIGINTS.fetch_add(1, SeqCst);
    } else {
        SIGUSR1S.fetch_add(1, SeqCst);
    }
}

fn main() -> i32 {
    let mut seconds = None;
    for arg in Args::new() {
        match arg {
            Arg::Operand(text) if seconds.is_none() => match text.parse::<u64>() {
                Ok(value) => seconds = Some(value),
                Err(_) => return TOOL.usage_error(format_args!("invalid number '{text}'")),
            },
            other => return TOOL.unexpected(other),
        }
    }
    let seconds = seconds.unwrap_or(DEFAULT_SECONDS);
    match count_for(seconds) {
        Ok(()) => 0,
        Err((what, error)) => {
            TOOL.error(what, error);
            1
        }
    }
}

/// Installs the handler and prints the counts once a second for `seconds` seconds.
fn count_for(seconds: u64) -> Result<(), (&'static str, Errno)> {
    for sig in [SIGINT, SIGUSR1] {
        signal::set_handler(sig, count, SA_RESTART, 0).map_err(|error| ("sigaction", error))?;
    }
    let pid = ulib::getpid().map_err(|error| ("getpid", error))?;
    ulib::println!("sigcount: pid {pid}: counting SIGINT and SIGUSR1 for {seconds} s");
    let start = now()?;
    for second in 1..=seconds {
        sleep_until(start.saturating_add(second.saturating_mul(NANOS_PER_SEC)))?;
        ulib::println!(
            "sigcount: pid {pid}, {second} s: SIGINT {}, SIGUSR1 {}",
            SIGINTS.load(SeqCst),
            SIGUSR1S.load(SeqCst)
        );
    }
    Ok(())
}

/// The monotonic clock in nanoseconds.
fn now() -> Result<u64, (&'static str, Errno)> {
    let time = ulib::clock_gettime(CLOCK_MONOTONIC).map_err(|error| ("clock_gettime", error))?;
    time.to_nanos().ok_or(("clock_gettime", Errno::EINVAL))
}

/// Sleeps until the monotonic clock reaches `deadline`, going back to sleep after each
/// handled signal (`nanosleep` is never restarted after a handler, even with `SA_RESTART`).
fn sleep_until(deadline: u64) -> Result<(), (&'static str, Errno)> {
    loop {
        let current = now()?;
        if current >= deadline {
            return Ok(());
        }
        match ulib::nanosleep(&Timespec::from_nanos(deadline - current)) {
            Ok(()) | Err(Errno::EINTR) => {}
            Err(error) => return Err(("nanosleep", error)),
        }
    }
}
