//! Test `t_sched_mlfq` (expects `exit=0`): the kernel's MLFQ (concepts S1, S4, S5) keeps an
//! I/O-bound process above CPU hogs, and its priority boost lifts the hogs again.
//!
//! On one hart (the last this test may use): an I/O-bound job (1 ms of CPU, then a 90 ms
//! sleep, over and over) and two CPU hogs, under `mlfq` with the kernel's configuration
//! (levels 0-2 with quanta of 1, 2 and 4 ticks, allotments of 2 and 4 ticks on the upper
//! levels, a boost every 100 ticks). The test samples the level each is on (`level=` in
//! `/proc/<pid>/sched`) every 10 ms for 3.5 s, from another hart when there is one, and
//! checks:
//!
//! - the I/O-bound job is never seen on the bottom level: it uses about 1.5 ticks of CPU a
//!   second against the 6 ticks it takes to sink there, and every boost starts it afresh
//!   (rule 4 charges its real bursts; charged a whole tick per burst, as the kernel once did,
//!   it sank within 6 bursts);
//! - it is above both hogs in most samples (they sink to the bottom within about 12 ticks of
//!   a boost);
//! - each hog is seen on the bottom level and, later, above it: the boost lifted it (rule 5);
//! - the CPU the policy charged the I/O-bound job (`cpu=` ticks) matches the CPU time it used
//!   (`cpu_ns`): at least three quarters of it less 3 ticks (blocking hides no CPU: rule 4;
//!   the policy is told each stint just before the switch, and carries up to a tick), and no
//!   more than half as much again plus 3 ticks (short bursts are not rounded up to ticks).
//!
//! The jobs exit by themselves once the test is gone, so a failed check leaves none behind.
//! The policy, nice value and affinity in force at the start are restored.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::vec::Vec;
use core::hint::black_box;

use ulib::abi::signal::SIGKILL;
use ulib::abi::time::CLOCK_PROCESS_CPUTIME_ID;
use ulib::procfs::{self, ProcSched};
use ulib::sched::{PRIO_PROCESS, getpriority, sched_getaffinity, sched_setaffinity, setpriority};
use ulib::{Pid, check, check_eq, check_ok, println};

ulib::entry!(main);

const NS_PER_MS: u64 = 1_000_000;
const TICK_NS: u64 = 10 * NS_PER_MS;
/// The I/O-bound job's CPU burst and sleep.
const BURST_NS: u64 = NS_PER_MS;
const SLEEP_MS: u64 = 90;
/// How long and how often the levels are sampled.
const RUN_MS: u64 = 3500;
const SAMPLE_MS: u64 = 10;
/// The kernel's MLFQ has three levels: 2 is the bottom.
const BOTTOM: u64 = 2;
/// The test's own nice value (it is not under a priority policy, but keeps it high anyway).
const OWN_NICE: i32 = -10;

fn main() -> i32 {
    check_eq!(ulib::process::geteuid(), Ok(0), "t_sched_mlfq runs as root");
    let policy = check_ok!(procfs::policy(), "read the policy");
    let nice = check_ok!(getpriority(PRIO_PROCESS, 0), "getpriority");
    let mask = check_ok!(sched_getaffinity(0), "sched_getaffinity");
    check!(mask != 0, "the test may run somewhere");
    let (jobs_hart, own_hart) = (63 - mask.leading_zeros(), mask.trailing_zeros());
    check_ok!(setpriority(PRIO_PROCESS, 0, OWN_NICE), "setpriority");
    check_ok!(procfs::set_policy("mlfq"), "switch to mlfq");

    check_ok!(
        sched_setaffinity(0, 1 << jobs_hart),
        "move to the jobs' hart"
    );
    let parent = check_ok!(ulib::getpid(), "getpid");
    let io = check_ok!(ulib::spawn(|| io_bound(parent)), "fork the I/O-bound job");
    let hogs = [0, 1].map(|_| check_ok!(ulib::spawn(|| hog(parent)), "fork a hog"));
    check_ok!(
        sched_setaffinity(0, 1 << own_hart),
        "move to hart {own_hart}"
    );

    let mut samples: Vec<[u64; 3]> = Vec::new();
    for _ in 0..RUN_MS / SAMPLE_MS {
        check_ok!(ulib::sleep_ms(SAMPLE_MS), "sleep");
        samples.push([level(io), level(hogs[0]), level(hogs[1])]);
    }
    let io_view = check_ok!(ProcSched::read(io), "read /proc/{io}/sched");
    for pid in [io, hogs[0], hogs[1]] {
        check_ok!(ulib::kill(pid, SIGKILL), "kill {pid}");
        check_ok!(ulib::waitpid(pid), "reap {pid}");
    }
    check_ok!(procfs::set_policy(&policy), "restore the policy {policy}");
    check_ok!(setpriority(PRIO_PROCESS, 0, nice), "restore nice {nice}");
    check_ok!(sched_setaffinity(0, mask), "restore the affinity");

    check_levels(&samples);
    check_charged(&io_view);
    println!("t_sched_mlfq: ok");
    0
}

fn check_levels(samples: &[[u64; 3]]) {
    let count = |keep: &dyn Fn(&[u64; 3]) -> bool| samples.iter().filter(|s| keep(s)).count();
    let io_lowest = samples.iter().map(|s| s[0]).max().unwrap_or(0);
    let io_above = count(&|s| s[0] < s[1].min(s[2]));
    println!(
        "t_sched_mlfq: {} samples; the I/O-bound job's lowest level {io_lowest}, above both hogs in {io_above}",
        samples.len()
    );
    check!(
        io_lowest < BOTTOM,
        "the I/O-bound job never sinks to the bottom level {BOTTOM}"
    );
    check!(
        io_above * 2 > samples.len(),
        "the I/O-bound job is above both hogs in most samples: {io_above} of {}",
        samples.len()
    );
    for hog in [1, 2] {
        let sunk = samples.iter().position(|s| s[hog] == BOTTOM);
        let lifted = sunk.map(|at| samples[at..].iter().any(|s| s[hog] < BOTTOM));
        check_eq!(
            lifted,
            Some(true),
            "hog {hog} sank to the bottom and was lifted later (the boost)"
        );
    }
}

fn check_charged(io: &ProcSched) {
    let ticks: u64 = match io
        .policy_state
        .split_whitespace()
        .find_map(|word| word.strip_prefix("cpu=")?.parse().ok())
    {
        Some(ticks) => ticks,
        None => ulib::fail!("no cpu= in {:?}", io.policy_state),
    };
    let charged = ticks * TICK_NS;
    println!(
        "t_sched_mlfq: the I/O-bound job used {} us of CPU and was charged {ticks} ticks",
        io.cpu_ns / 1000
    );
    check!(
        charged + 3 * TICK_NS >= io.cpu_ns / 4 * 3,
        "blocking hides no CPU: {ticks} ticks charged for {} ns used",
        io.cpu_ns
    );
    check!(
        charged <= io.cpu_ns + io.cpu_ns / 2 + 3 * TICK_NS,
        "short bursts are charged what they used, not a tick each: {ticks} ticks for {} ns",
        io.cpu_ns
    );
}

/// The MLFQ level of `pid` now.
fn level(pid: Pid) -> u64 {
    let view = check_ok!(ProcSched::read(pid), "read /proc/{pid}/sched");
    match view
        .policy_state
        .split_whitespace()
        .find_map(|word| word.strip_prefix("level=")?.parse().ok())
    {
        Some(level) => level,
        None => ulib::fail!("no level= in {:?}", view.policy_state),
    }
}

/// CPU time of the calling process.
fn cpu_ns() -> u64 {
    ulib::clock_gettime(CLOCK_PROCESS_CPUTIME_ID)
        .ok()
        .and_then(|t| t.to_nanos())
        .unwrap_or(0)
}

/// Burns CPU for a moment.
fn spin() {
    let mut x = 1u64;
    for _ in 0..500 {
        x = black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
    }
}

/// The I/O-bound job: short bursts of CPU between sleeps, until its parent is gone.
fn io_bound(parent: Pid) -> i32 {
    while ulib::getppid() == Ok(parent) {
        let start = cpu_ns();
        while cpu_ns() < start + BURST_NS {
            spin();
        }
        if ulib::sleep_ms(SLEEP_MS).is_err() {
            return 1;
        }
    }
    0
}

/// A CPU hog, until its parent is gone.
fn hog(parent: Pid) -> i32 {
    while ulib::getppid() == Ok(parent) {
        spin();
    }
    0
}
