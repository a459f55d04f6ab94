//! Test `t_sched_np` (expects `exit=0`): the run-time switch between preemptive and
//! non-preemptive priority scheduling (concepts S1, S2): `prio` and `prio-aging` let a more
//! important job that becomes ready take the CPU at the next tick; `prio-np` and
//! `prio-aging-np` let the running job keep it until it ends.
//!
//! Under each of the four, on one hart (the last this test may use): a high-priority job
//! (nice -5) blocks reading a pipe; a low-priority job (nice 5) starts burning 300 ms of CPU;
//! once it has used some, the test (on another hart) writes to the pipe, which wakes the
//! high-priority job while the low one runs. Each job reports on a result pipe when it is
//! done, the low one with its involuntary context switches. Preemptive: the high-priority
//! job finishes first and the low one was preempted at least once. Non-preemptive: the low
//! one finishes first, never preempted.
//!
//! The wake-up must come from another hart (on one hart, under a non-preemptive policy, the
//! test itself could not run until the low job ends): with a single hart the test says so
//! and exits 0. The policy, nice value and affinity in force at the start are restored.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use core::hint::black_box;

use ulib::abi::time::CLOCK_PROCESS_CPUTIME_ID;
use ulib::fs::{self, BufReader};
use ulib::procfs::{self, Fields, ProcSched};
use ulib::sched::{PRIO_PROCESS, getpriority, sched_getaffinity, sched_setaffinity, setpriority};
use ulib::{Pid, check, check_eq, check_ok, println};

ulib::entry!(main);

const NS_PER_MS: u64 = 1_000_000;
/// CPU the low-priority job burns.
const LOW_CPU_MS: u64 = 300;
/// CPU it has used when the high-priority job is woken.
const WAKE_AFTER_MS: u64 = 30;
/// How long to wait for a child to reach a state.
const PATIENCE_MS: u64 = 10_000;
const OWN_NICE: i32 = -10;

fn main() -> i32 {
    check_eq!(ulib::process::geteuid(), Ok(0), "t_sched_np runs as root");
    let mask = check_ok!(sched_getaffinity(0), "sched_getaffinity");
    if mask.count_ones() < 2 {
        println!("t_sched_np: only one hart to run on ({mask:#b}), skipping");
        return 0;
    }
    let (jobs_hart, own_hart) = (63 - mask.leading_zeros(), mask.trailing_zeros());
    let policy = check_ok!(procfs::policy(), "read the policy");
    let nice = check_ok!(getpriority(PRIO_PROCESS, 0), "getpriority");
    check_ok!(setpriority(PRIO_PROCESS, 0, OWN_NICE), "setpriority");
    check_ok!(
        sched_setaffinity(0, 1 << own_hart),
        "move to hart {own_hart}"
    );
    for (name, preemptive) in [
        ("prio", true),
        ("prio-np", false),
        ("prio-aging", true),
        ("prio-aging-np", false),
    ] {
        check_ok!(procfs::set_policy(name), "switch to {name}");
        check_eq!(
            procfs::policy(),
            Ok(String::from(name)),
            "the policy read back"
        );
        let (first, preemptions) = race(jobs_hart);
        println!(
            "t_sched_np: {name}: the {first} job finished first; the low one was preempted {preemptions} times"
        );
        if preemptive {
            check_eq!(
                first,
                "high",
                "{name}: the woken high-priority job finishes first"
            );
            check!(
                preemptions >= 1,
                "{name}: the low-priority job was preempted"
            );
        } else {
            check_eq!(
                first,
                "low",
                "{name}: the running low-priority job finishes first"
            );
            check_eq!(
                preemptions,
                0,
                "{name}: the low-priority job was never preempted"
            );
        }
    }
    check_ok!(procfs::set_policy(&policy), "restore the policy {policy}");
    check_ok!(setpriority(PRIO_PROCESS, 0, nice), "restore nice {nice}");
    check_ok!(sched_setaffinity(0, mask), "restore the affinity");
    println!("t_sched_np: ok");
    0
}

/// Wakes a high-priority job on `hart` while a low-priority one runs there; returns which
/// finished first (`high` or `low`) and how often the low one was preempted.
fn race(hart: u32) -> (String, u64) {
    let (go_read, go_write) = check_ok!(fs::pipe(), "pipe");
    let (done_read, done_write) = check_ok!(fs::pipe(), "pipe");
    let high = check_ok!(
        ulib::spawn(|| {
            let _ = fs::close(go_write);
            let mut byte = [0u8];
            let woken = sched_setaffinity(0, 1 << hart).is_ok()
                && fs::read(go_read, &mut byte) == Ok(1)
                && fs::write_all(done_write, b"high 0\n").is_ok();
            if woken { 0 } else { 1 }
        }),
        "fork the high-priority job"
    );
    set_nice(high, -5);
    await_state(high, 'S');
    let low = check_ok!(
        ulib::spawn(|| {
            let _ = fs::close(go_write);
            if sched_setaffinity(0, 1 << hart).is_err() {
                return 1;
            }
            burn(LOW_CPU_MS * NS_PER_MS);
            let preempted = ProcSched::read(0).map_or(u64::MAX, |s| s.involuntary_switches);
            match fs::write_all(done_write, format!("low {preempted}\n").as_bytes()) {
                Ok(()) => 0,
                Err(_) => 1,
            }
        }),
        "fork the low-priority job"
    );
    set_nice(low, 5);
    check_ok!(fs::close(done_write), "close");
    check_ok!(fs::close(go_read), "close");
    let deadline = now_ms() + PATIENCE_MS;
    while check_ok!(ProcSched::read(low), "read /proc/{low}/sched").cpu_ns
        < WAKE_AFTER_MS * NS_PER_MS
    {
        check!(now_ms() < deadline, "the low-priority job {low} runs");
        check_ok!(ulib::sleep_ms(1), "sleep");
    }
    check_ok!(fs::write_all(go_write, b"!"), "wake the high-priority job");
    check_ok!(fs::close(go_write), "close");
    let mut reader = BufReader::new(done_read);
    let mut first = String::new();
    let mut preemptions = None;
    while let Some(line) = check_ok!(reader.read_line(), "read the result pipe") {
        let mut words = line.split_whitespace();
        let (Some(who), Some(count)) = (words.next(), words.next()) else {
            ulib::fail!("malformed result {line:?}");
        };
        if first.is_empty() {
            first = who.into();
        }
        if who == "low" {
            preemptions = count.parse().ok();
        }
    }
    check_ok!(fs::close(done_read), "close");
    for pid in [high, low] {
        check_eq!(
            ulib::waitpid(pid),
            Ok(ulib::abi::wait::exited(0)),
            "job {pid} exit status"
        );
    }
    match preemptions {
        Some(count) => (first, count),
        None => ulib::fail!("the low-priority job reported no preemption count"),
    }
}

fn set_nice(pid: Pid, nice: i32) {
    check_ok!(
        setpriority(PRIO_PROCESS, pid, nice),
        "setpriority({pid}, {nice})"
    );
}

/// Waits until `pid`'s state letter is `state`.
fn await_state(pid: Pid, state: char) {
    let deadline = now_ms() + PATIENCE_MS;
    loop {
        let status = check_ok!(
            Fields::read(&format!("/proc/{pid}/status")),
            "read /proc/{pid}/status"
        );
        if status.get("State").is_some_and(|s| s.starts_with(state)) {
            return;
        }
        check!(now_ms() < deadline, "job {pid} reaches state {state}");
        check_ok!(ulib::sleep_ms(1), "sleep");
    }
}

fn now_ms() -> u64 {
    ulib::bench::now_ns().map_or(0, |ns| ns / NS_PER_MS)
}

/// Burns `ns` of the caller's CPU time.
fn burn(ns: u64) {
    let cpu = || {
        ulib::clock_gettime(CLOCK_PROCESS_CPUTIME_ID)
            .ok()
            .and_then(|t| t.to_nanos())
            .unwrap_or(u64::MAX)
    };
    let start = cpu();
    let mut x = 1u64;
    while cpu() < start.saturating_add(ns) {
        for _ in 0..1000 {
            x = black_box(x.wrapping_mul(3).wrapping_add(1));
        }
    }
}
