//! Test `t_smp` (expects `exit=0`): two CPU-bound processes run on two harts at the same
//! time (K7, S5).
//!
//! Two children each compute until they have used [`SPIN_CPU_MS`] of CPU time (by
//! `clock_gettime(CLOCK_PROCESS_CPUTIME_ID)`), noting with `getcpu` every hart they ran on,
//! and exit with that set as a bit mask (0 means something failed; the child says what).
//! Nothing pins them: the kernel must spread runnable work over idle harts by itself.
//!
//! The parent checks that each child saw at least one hart, that together they saw at least
//! two, and that the children's CPU time, measured by `getrusage(RUSAGE_CHILDREN)` once both
//! are reaped, exceeds the wall time from the first fork to the last reap: more than one
//! second of CPU per second of wall time is only possible if they ran in parallel.
//!
//! `times()` must agree with `getrusage` on the children's CPU time (to two clock ticks).
//!
//! With a single usable hart (the affinity mask has one bit) there is nothing to test: it
//! says so and exits 0. Harts 8 and up cannot be reported in an exit status, so a child
//! maps them to bit 7.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use core::hint::black_box;

use ulib::abi::process::{AT_CLKTCK, RUSAGE_CHILDREN};
use ulib::abi::time::{CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID, NANOS_PER_SEC, Timeval};
use ulib::abi::wait::WaitStatus;
use ulib::process::getrusage;
use ulib::sched::{getcpu, sched_getaffinity};
use ulib::{Fork, Pid, check, env};

ulib::entry!(main);

/// CPU time each child burns.
const SPIN_CPU_MS: u64 = 300;

/// A child gives up after this much wall time, whatever its CPU clock says.
const SPIN_WALL_LIMIT_MS: u64 = 10_000;

const NANOS_PER_MS: u64 = 1_000_000;

fn main() -> i32 {
    let harts = sched_getaffinity(0);
    check!(harts.is_ok(), "sched_getaffinity(0): {harts:?}");
    if harts.unwrap_or(0).count_ones() < 2 {
        ulib::println!("t_smp: only one hart to run on ({harts:?}), skipping");
        return 0;
    }
    let before = children_cpu_ns();
    let start = now_ns(CLOCK_MONOTONIC);
    let first = spawn();
    let second = spawn();
    let seen = [reap(first), reap(second)];
    let wall = now_ns(CLOCK_MONOTONIC) - start;
    let cpu = children_cpu_ns() - before;
    ulib::println!(
        "t_smp: harts seen {:#b} and {:#b}; children's CPU {} ms in {} ms of wall time",
        seen[0],
        seen[1],
        cpu / NANOS_PER_MS,
        wall / NANOS_PER_MS
    );
    check!(
        (seen[0] | seen[1]).count_ones() >= 2,
        "the two children ran on two harts between them: {:#b} and {:#b}",
        seen[0],
        seen[1]
    );
    check!(
        cpu >= 2 * SPIN_CPU_MS * NANOS_PER_MS,
        "getrusage(RUSAGE_CHILDREN) accounts both children's {SPIN_CPU_MS} ms: {cpu} ns"
    );
    check_times(cpu);
    check!(
        cpu > wall,
        "CPU time {cpu} ns exceeds the wall time {wall} ns, so the children ran in parallel"
    );
    ulib::println!("t_smp: ok");
    0
}

/// The time on `clock` in nanoseconds; exits if it cannot be read.
fn now_ns(clock: i32) -> u64 {
    let now = ulib::clock_gettime(clock);
    check!(now.is_ok(), "clock_gettime({clock}): {now:?}");
    now.ok().and_then(|now| now.to_nanos()).unwrap_or(0)
}

/// User plus system CPU time of the reaped children, in nanoseconds.
fn children_cpu_ns() -> u64 {
    let usage = getrusage(RUSAGE_CHILDREN);
    check!(usage.is_ok(), "getrusage(RUSAGE_CHILDREN): {usage:?}");
    let usage = usage.unwrap_or_default();
    let micros = |time: Timeval| time.to_micros().unwrap_or(0);
    (micros(usage.ru_utime) + micros(usage.ru_stime)) * 1000
}

/// Checks that `times()` counts the same CPU time for the reaped children as `getrusage`
/// (`cpu_ns`), within two clock ticks (`AT_CLKTCK` per second: 100 on Linux).
fn check_times(cpu_ns: u64) {
    let ticks_per_sec = env::auxv(AT_CLKTCK).unwrap_or(100) as u64;
    let counts = ulib::process::times();
    check!(counts.is_ok(), "times(): {counts:?}");
    let (counts, _) = counts.unwrap_or_default();
    let ticks = (counts.tms_cutime + counts.tms_cstime) as u64;
    let tick_ns = NANOS_PER_SEC / ticks_per_sec.max(1);
    check!(
        (ticks * tick_ns).abs_diff(cpu_ns) <= 2 * tick_ns,
        "times() counts {ticks} ticks of {tick_ns} ns for the children, getrusage {cpu_ns} ns"
    );
}

/// Forks a spinning child.
fn spawn() -> Pid {
    match ulib::fork() {
        Ok(Fork::Child) => ulib::exit(i32::from(spin())),
        Ok(Fork::Parent(child)) => child,
        Err(error) => ulib::fail!("fork: {error}"),
    }
}

/// Waits for a spinning child and returns the harts it saw.
fn reap(child: Pid) -> u8 {
    let status = ulib::waitpid(child).map(WaitStatus::decode);
    match status {
        Ok(Some(WaitStatus::Exited(seen))) if seen != 0 => seen,
        _ => ulib::fail!("child {child} ended with {status:?}, not a set of harts"),
    }
}

/// The child: computes until it has used `SPIN_CPU_MS` of CPU time and returns the harts it
/// ran on as a bit mask (0 after reporting a failure).
fn spin() -> u8 {
    let start = now_ns(CLOCK_MONOTONIC);
    let mut seen = 0u8;
    let mut work = 0u64;
    loop {
        for step in 0..10_000u64 {
            work = black_box(
                work.wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(step),
            );
        }
        match getcpu() {
            Ok((hart, _)) => seen |= 1 << hart.min(7),
            Err(error) => {
                ulib::eprintln!("t_smp: getcpu failed: {error}");
                return 0;
            }
        }
        if now_ns(CLOCK_PROCESS_CPUTIME_ID) >= SPIN_CPU_MS * NANOS_PER_MS {
            return seen;
        }
        let elapsed = now_ns(CLOCK_MONOTONIC) - start;
        if elapsed > SPIN_WALL_LIMIT_MS * NANOS_PER_MS {
            ulib::eprintln!(
                "t_smp: only {} ns of CPU time after {elapsed} ns",
                now_ns(CLOCK_PROCESS_CPUTIME_ID)
            );
            return 0;
        }
    }
}
