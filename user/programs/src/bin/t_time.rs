//! Test `t_time` (expects `exit=0`): clocks, sleeping, and the small process calls.
//!
//! - `clock_gettime(CLOCK_MONOTONIC)` never goes backwards over many calls and always returns
//!   a normalized timespec; `CLOCK_REALTIME` works too; clock 99 is `EINVAL`.
//! - `nanosleep(20 ms)` advances the monotonic clock by at least 20 ms (and not absurdly
//!   more); a zero sleep returns at once.
//! - `tv_nsec` outside `0..1e9` and negative `tv_sec` are `EINVAL` (bad timespec pointers
//!   are `t_efault`'s business).
//! - `getpid()` is positive and stable, `sched_yield()` returns 0.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use ulib::abi::Errno;
use ulib::abi::time::{CLOCK_MONOTONIC, CLOCK_REALTIME, Timespec};
use ulib::{check, check_eq};

ulib::entry!(main);

/// A sleep that overshoots by this much is broken, not just slow.
const SLEEP_SLACK_NS: u64 = 2_000_000_000;

fn main() -> i32 {
    check_monotonic();
    check_sleep();
    check_realtime();
    check_bad_arguments();
    check_process_calls();
    ulib::println!("t_time: ok");
    0
}

/// The monotonic clock now, in nanoseconds; exits if the call fails.
fn monotonic_ns() -> u64 {
    let now = ulib::clock_gettime(CLOCK_MONOTONIC);
    check!(now.is_ok(), "clock_gettime(CLOCK_MONOTONIC): {now:?}");
    let now = now.unwrap_or(Timespec::from_nanos(0));
    check!(now.is_normalized(), "monotonic time {now:?} is normalized");
    now.to_nanos().unwrap_or(0)
}

fn check_monotonic() {
    let mut previous = monotonic_ns();
    for round in 0..2000 {
        let now = monotonic_ns();
        check!(
            now >= previous,
            "monotonic clock went back at call {round}: {previous} -> {now}"
        );
        previous = now;
    }
}

fn check_sleep() {
    for ms in [20, 1, 35] {
        let before = monotonic_ns();
        let slept = ulib::nanosleep(&Timespec::from_nanos(ms * 1_000_000));
        let after = monotonic_ns();
        check_eq!(slept, Ok(()), "nanosleep({ms} ms)");
        let elapsed = after - before;
        check!(
            elapsed >= ms * 1_000_000,
            "nanosleep({ms} ms) advanced the monotonic clock by only {elapsed} ns"
        );
        check!(
            elapsed < ms * 1_000_000 + SLEEP_SLACK_NS,
            "nanosleep({ms} ms) took {elapsed} ns"
        );
    }

    let before = monotonic_ns();
    check_eq!(ulib::sleep_ms(20), Ok(()), "sleep_ms(20)");
    let elapsed = monotonic_ns() - before;
    check!(
        elapsed >= 20_000_000,
        "sleep_ms(20) lasted only {elapsed} ns"
    );

    let before = monotonic_ns();
    check_eq!(
        ulib::nanosleep(&Timespec::from_nanos(0)),
        Ok(()),
        "nanosleep(0)"
    );
    let elapsed = monotonic_ns() - before;
    check!(elapsed < SLEEP_SLACK_NS, "nanosleep(0) took {elapsed} ns");
}

fn check_realtime() {
    let first = ulib::clock_gettime(CLOCK_REALTIME);
    check!(first.is_ok(), "clock_gettime(CLOCK_REALTIME): {first:?}");
    let first = first.unwrap_or(Timespec::from_nanos(0));
    check!(first.is_normalized(), "realtime {first:?} is normalized");
    check_eq!(
        ulib::sleep_ms(5),
        Ok(()),
        "sleep_ms(5) between realtime readings"
    );
    let second = ulib::clock_gettime(CLOCK_REALTIME).unwrap_or(Timespec::from_nanos(0));
    check!(second.is_normalized(), "realtime {second:?} is normalized");
    check!(
        second.to_nanos() > first.to_nanos(),
        "realtime advanced over a 5 ms sleep: {first:?} -> {second:?}"
    );
}

fn check_bad_arguments() {
    for clock in [99, 1000, 0x7fff_ffff] {
        check_eq!(
            ulib::clock_gettime(clock),
            Err(Errno::EINVAL),
            "clock_gettime with invalid clock id {clock}"
        );
    }

    let invalid = [
        (0, 1_000_000_000),
        (0, -1),
        (-1, 0),
        (-1, 500_000_000),
        (0, i64::MAX),
        (i64::MIN, 0),
    ];
    for (tv_sec, tv_nsec) in invalid {
        let request = Timespec { tv_sec, tv_nsec };
        check_eq!(
            ulib::nanosleep(&request),
            Err(Errno::EINVAL),
            "nanosleep({request:?})"
        );
    }
}

fn check_process_calls() {
    let pid = ulib::getpid();
    check!(
        matches!(pid, Ok(p) if p > 0),
        "getpid() = {pid:?} is a positive pid"
    );
    for round in 0..10 {
        check_eq!(ulib::getpid(), pid, "getpid() is stable (call {round})");
        check_eq!(ulib::sched_yield(), Ok(0), "sched_yield() (call {round})");
    }
}
