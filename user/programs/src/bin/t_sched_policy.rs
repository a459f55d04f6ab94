//! Test `t_sched_policy` (expects `exit=0`): the scheduling policy and parameters a user
//! can see and change (concepts S1-S3, S7). Runs as root (init's tests do).
//!
//! - Every policy of `sched::POLICY_NAMES` (the non-preemptive `prio-np` and `prio-aging-np`
//!   too) can be switched to through
//!   `/proc/sys/kernel/sched_policy`, reads back, shows in `/proc/schedstat` and
//!   `/proc/self/sched`, and runs a small fork/exec/wait workload to the end (a CPU burner,
//!   a sleeper and an exec of `/bin/bench_true`, each with its own exit status). An unknown
//!   name (`edf`, `FIFO`, empty, `rr-np`: only prio and prio-aging have a non-preemptive
//!   twin) is `EINVAL` and leaves the policy as it was. The policy in
//!   force at the start is restored. (A non-root writer gets `EACCES`; there is no way to
//!   drop root yet, so that is not tested.)
//! - `/proc/<pid>/sched` has every field and they agree: for the caller, a first run at or
//!   after its arrival, a response of first run - arrival, no finish yet; for a zombie child
//!   that burned CPU, finish >= first run >= arrival, turnaround = finish - arrival >= CPU
//!   time, wait = turnaround - CPU. A pid that does not exist is `ENOENT`.
//! - `setpriority`/`getpriority` (`PRIO_PROCESS`): round trips for the caller and a child,
//!   shown as `nice:` in `/proc/<pid>/sched`; root may lower the nice value; values beyond
//!   -20..=19 are clamped; another `which` is `EINVAL`, a missing pid `ESRCH`.
//! - `sched_setattr`/`sched_getattr`: nice, tickets (`sched_priority`) and the expected run
//!   time (`sched_runtime`, whole ticks of 10 ms) round trip and show in `/proc/self/sched`
//!   (and sjf reports the expected run time in ticks); `sched_priority` 0 keeps the tickets,
//!   `sched_runtime` 0 makes the run time unknown; a policy other than `SCHED_OTHER` /
//!   `SCHED_BATCH`, non-zero `sched_flags` or `flags`, or pid -1 are `EINVAL`, a missing pid
//!   `ESRCH`; `sched_getattr` with a size below 48 bytes, flags or pid -1 is `EINVAL`.
//! - `/proc/schedstat`: `finished` and `context_switches` grow when a child runs and is
//!   reaped; average turnaround >= average response and >= average wait.
//! - `/proc/sched_trace`: every line is `<start_ns> <end_ns> <hart> <pid> <name> <why>`; a
//!   reaped child's stints are there, the last one `exited` (soon after the reaping: its hart
//!   records it once it has switched away); after a write the child's are gone.
//! - The `ulib::procfs` parsers on made-up text: `-1` reads as "not yet", a missing or
//!   non-numeric field is an error naming the field, malformed trace lines are rejected.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::format;
use alloc::string::String;

use sched::POLICY_NAMES;
use ulib::abi::Errno;
use ulib::abi::time::CLOCK_PROCESS_CPUTIME_ID;
use ulib::abi::wait;
use ulib::fs;
use ulib::procfs::{self, Fields, ProcError, ProcSched, SchedStat, TraceStint};
use ulib::sched::{
    PRIO_PROCESS, SCHED_BATCH, SCHED_OTHER, SchedAttr, getpriority, sched_getattr,
    sched_getattr_sized, sched_setattr, setpriority,
};
use ulib::{Fork, Pid, check, check_eq, check_ok, println};

ulib::entry!(main);

/// The kernel's tick, the unit of declared run times.
const TICK_NS: u64 = 10_000_000;
/// How long to wait for a child to become a zombie.
const PATIENCE_MS: u64 = 5000;
/// A pid no process has.
const NO_SUCH_PID: Pid = 30_000;
/// A number of CPU nanoseconds a child burns.
const BURN_NS: u64 = 20_000_000;

fn main() -> i32 {
    check_eq!(
        ulib::process::geteuid(),
        Ok(0),
        "t_sched_policy runs as root"
    );
    check_parsers();
    let original = check_ok!(procfs::policy(), "read {}", procfs::SCHED_POLICY);
    check!(
        POLICY_NAMES.contains(&original.as_str()),
        "the policy in force {original:?} is one of {POLICY_NAMES:?}"
    );
    for policy in POLICY_NAMES {
        check_policy(policy);
    }
    check_unknown_names();
    check_ok!(procfs::set_policy(&original), "restore {original}");
    check_eq!(procfs::policy(), Ok(original.clone()), "restored policy");
    check_own_sched();
    check_zombie_sched();
    check_priority();
    check_attributes(&original);
    check_schedstat();
    check_trace();
    println!("t_sched_policy: ok");
    0
}

/// Burns `ns` of the caller's CPU time.
fn burn(ns: u64) {
    let cpu = || check_ok!(ulib::clock_gettime(CLOCK_PROCESS_CPUTIME_ID), "cpu clock");
    let start = cpu().to_nanos().unwrap_or(0);
    let mut x = 1u64;
    while cpu().to_nanos().unwrap_or(0) < start + ns {
        for _ in 0..1000 {
            x = core::hint::black_box(x.wrapping_mul(3).wrapping_add(1));
        }
    }
}

/// Waits for child `pid` and checks it exited with `code`.
fn reap(pid: Pid, code: u8, what: &str) {
    check_eq!(
        ulib::waitpid(pid),
        Ok(wait::exited(code)),
        "{what} (pid {pid}) exit status"
    );
}

fn check_policy(policy: &str) {
    check_ok!(procfs::set_policy(policy), "switch to {policy}");
    check_eq!(
        procfs::policy(),
        Ok(String::from(policy)),
        "{} after writing {policy}",
        procfs::SCHED_POLICY
    );
    let stat = check_ok!(SchedStat::read(), "read {}", procfs::SCHEDSTAT);
    check_eq!(stat.policy, policy, "policy in {}", procfs::SCHEDSTAT);
    let own = check_ok!(ProcSched::read(0), "read /proc/self/sched");
    check_eq!(own.policy, policy, "policy in /proc/self/sched");

    let burner = check_ok!(
        ulib::spawn(|| {
            burn(BURN_NS);
            7
        }),
        "fork a burner under {policy}"
    );
    let sleeper = check_ok!(
        ulib::spawn(|| match ulib::sleep_ms(10) {
            Ok(()) => 9,
            Err(_) => 1,
        }),
        "fork a sleeper under {policy}"
    );
    let execer = match check_ok!(ulib::fork(), "fork under {policy}") {
        Fork::Child => {
            let error = ulib::execve("/bin/bench_true", &["/bin/bench_true"], &["PATH=/bin"]);
            ulib::eprintln!("t_sched_policy: exec /bin/bench_true: {error}");
            ulib::exit(127)
        }
        Fork::Parent(pid) => pid,
    };
    reap(burner, 7, &format!("the burner under {policy}"));
    reap(sleeper, 9, &format!("the sleeper under {policy}"));
    reap(execer, 0, &format!("/bin/bench_true under {policy}"));
}

fn check_unknown_names() {
    let before = check_ok!(procfs::policy(), "read the policy");
    // Only prio and prio-aging have a non-preemptive twin: the others are one or the other
    // by definition.
    for name in [
        "edf",
        "FIFO",
        "",
        "fifo2",
        "rr-np",
        "fifo-np",
        "mlfq-np",
        "prio-np-aging",
    ] {
        check_eq!(
            procfs::set_policy(name),
            Err(Errno::EINVAL),
            "writing {name:?} to {}",
            procfs::SCHED_POLICY
        );
    }
    check_eq!(
        procfs::policy(),
        Ok(before),
        "the policy after refused writes"
    );
}

fn check_own_sched() {
    let own = check_ok!(ProcSched::read(0), "read /proc/self/sched");
    let pid = check_ok!(ulib::getpid(), "getpid");
    let by_pid = check_ok!(ProcSched::read(pid), "read /proc/{pid}/sched");
    check_eq!(
        by_pid.arrival_ns,
        own.arrival_ns,
        "/proc/self is /proc/{pid}"
    );
    let first = match own.first_run_ns {
        Some(first) => first,
        None => ulib::fail!("a running process has a first run"),
    };
    check!(
        first >= own.arrival_ns,
        "first run {first} >= arrival {}",
        own.arrival_ns
    );
    check_eq!(
        own.response_ns,
        Some(first - own.arrival_ns),
        "response = first run - arrival"
    );
    check_eq!(own.finish_ns, None, "a running process has not finished");
    check_eq!(own.turnaround_ns, None, "nor a turnaround");
    check!(own.cpu_ns > 0, "CPU time {} > 0", own.cpu_ns);
    check_eq!(
        ProcSched::read(NO_SUCH_PID),
        Err(ProcError::Io(Errno::ENOENT)),
        "/proc/{NO_SUCH_PID}/sched"
    );
}

/// The `State:` letter of `pid`.
fn state_of(pid: Pid) -> char {
    let status = check_ok!(
        Fields::read(&format!("/proc/{pid}/status")),
        "read /proc/{pid}/status"
    );
    status
        .get("State")
        .and_then(|s| s.chars().next())
        .unwrap_or('?')
}

/// Waits until child `pid` is a zombie (not reaped).
fn await_zombie(pid: Pid) {
    for _ in 0..PATIENCE_MS / 10 {
        if state_of(pid) == 'Z' {
            return;
        }
        check_ok!(ulib::sleep_ms(10), "sleep");
    }
    ulib::fail!("child {pid} did not become a zombie");
}

fn check_zombie_sched() {
    let child = check_ok!(
        ulib::spawn(|| {
            burn(BURN_NS);
            0
        }),
        "fork"
    );
    await_zombie(child);
    let s = check_ok!(ProcSched::read(child), "read /proc/{child}/sched");
    let (Some(first), Some(finish), Some(response), Some(turnaround)) =
        (s.first_run_ns, s.finish_ns, s.response_ns, s.turnaround_ns)
    else {
        ulib::fail!("a zombie has a first run, finish, response and turnaround: {s:?}");
    };
    check!(
        first >= s.arrival_ns && finish >= first,
        "arrival {} <= first run {first} <= finish {finish}",
        s.arrival_ns
    );
    check_eq!(
        response,
        first - s.arrival_ns,
        "response = first run - arrival"
    );
    check_eq!(
        turnaround,
        finish - s.arrival_ns,
        "turnaround = finish - arrival"
    );
    check!(
        s.cpu_ns >= BURN_NS / 2 && turnaround >= s.cpu_ns,
        "CPU time {} of a child that burned {BURN_NS} ns, within its turnaround {turnaround}",
        s.cpu_ns
    );
    check_eq!(
        s.wait_ns,
        turnaround.saturating_sub(s.cpu_ns),
        "wait = turnaround - CPU time"
    );
    reap(child, 0, "the burner");
}

fn check_priority() {
    let original = check_ok!(getpriority(PRIO_PROCESS, 0), "getpriority");
    check!(
        (-20..=19).contains(&original),
        "nice {original} is in -20..=19"
    );
    for nice in [5, -3, 0] {
        check_ok!(setpriority(PRIO_PROCESS, 0, nice), "setpriority {nice}");
        check_eq!(getpriority(PRIO_PROCESS, 0), Ok(nice), "getpriority");
        let own = check_ok!(ProcSched::read(0), "read /proc/self/sched");
        check_eq!(own.nice, nice, "nice: in /proc/self/sched");
    }
    for (asked, clamped) in [(100, 19), (-100, -20)] {
        check_ok!(setpriority(PRIO_PROCESS, 0, asked), "setpriority {asked}");
        check_eq!(
            getpriority(PRIO_PROCESS, 0),
            Ok(clamped),
            "nice {asked} clamped"
        );
    }
    check_eq!(
        setpriority(1, 0, 0),
        Err(Errno::EINVAL),
        "setpriority with which = PRIO_PGRP"
    );
    check_eq!(
        getpriority(PRIO_PROCESS, NO_SUCH_PID),
        Err(Errno::ESRCH),
        "getpriority of a missing pid"
    );
    check_eq!(
        setpriority(PRIO_PROCESS, NO_SUCH_PID, 0),
        Err(Errno::ESRCH),
        "setpriority of a missing pid"
    );
    let (r, w) = check_ok!(fs::pipe(), "pipe");
    let child = check_ok!(
        ulib::spawn(|| {
            let mut byte = [0u8];
            match fs::read(r, &mut byte) {
                Ok(_) => 0,
                Err(_) => 1,
            }
        }),
        "fork"
    );
    check_ok!(
        setpriority(PRIO_PROCESS, child, 7),
        "setpriority of the child"
    );
    check_eq!(
        getpriority(PRIO_PROCESS, child),
        Ok(7),
        "getpriority of the child"
    );
    let view = check_ok!(ProcSched::read(child), "read /proc/{child}/sched");
    check_eq!(view.nice, 7, "nice: in /proc/{child}/sched");
    check_ok!(fs::write(w, b"x"), "wake the child");
    reap(child, 0, "the child");
    check_ok!(fs::close(r), "close");
    check_ok!(fs::close(w), "close");
    check_ok!(
        setpriority(PRIO_PROCESS, 0, original),
        "restore nice {original}"
    );
}

fn check_attributes(original_policy: &str) {
    let start = check_ok!(sched_getattr(0), "sched_getattr");
    check_eq!(start.size as usize, SchedAttr::SIZE, "sched_attr.size");
    check_eq!(start.sched_policy, SCHED_OTHER, "sched_attr.sched_policy");
    let wanted = SchedAttr {
        sched_nice: 2,
        sched_priority: 300,
        sched_runtime: 5 * TICK_NS,
        ..start
    };
    check_ok!(sched_setattr(0, &wanted, 0), "sched_setattr");
    let got = check_ok!(sched_getattr(0), "sched_getattr");
    check_eq!(
        (got.sched_nice, got.sched_priority, got.sched_runtime),
        (2, 300, 5 * TICK_NS),
        "nice, tickets and run time read back"
    );
    let own = check_ok!(ProcSched::read(0), "read /proc/self/sched");
    check_eq!(
        (own.nice, own.tickets),
        (2, 300),
        "nice and tickets in /proc/self/sched"
    );
    // A freshly chosen policy is told the parameters too.
    check_ok!(procfs::set_policy("sjf"), "switch to sjf");
    let under_sjf = check_ok!(ProcSched::read(0), "read /proc/self/sched");
    check_ok!(
        procfs::set_policy(original_policy),
        "restore {original_policy}"
    );
    check!(
        under_sjf.policy_state.contains("expected=5"),
        "sjf knows the declared run time of 5 ticks: {:?}",
        under_sjf.policy_state
    );
    let batch = SchedAttr {
        sched_policy: SCHED_BATCH,
        sched_priority: 0,
        sched_runtime: 0,
        ..got
    };
    check_ok!(sched_setattr(0, &batch, 0), "sched_setattr SCHED_BATCH");
    let kept = check_ok!(sched_getattr(0), "sched_getattr");
    check_eq!(
        kept.sched_priority,
        300,
        "sched_priority 0 keeps the tickets"
    );
    check_eq!(kept.sched_runtime, 0, "sched_runtime 0: run time unknown");
    for (bad, what) in [
        (
            SchedAttr {
                sched_policy: 1,
                ..got
            },
            "SCHED_FIFO",
        ),
        (
            SchedAttr {
                sched_flags: 1,
                ..got
            },
            "sched_flags 1",
        ),
    ] {
        check_eq!(
            sched_setattr(0, &bad, 0),
            Err(Errno::EINVAL),
            "sched_setattr with {what}"
        );
    }
    check_eq!(
        sched_setattr(0, &got, 1),
        Err(Errno::EINVAL),
        "sched_setattr with flags 1"
    );
    check_eq!(
        sched_setattr(NO_SUCH_PID, &got, 0),
        Err(Errno::ESRCH),
        "sched_setattr of a missing pid"
    );
    check_eq!(
        sched_setattr(-1, &got, 0),
        Err(Errno::EINVAL),
        "sched_setattr of pid -1"
    );
    check_eq!(
        sched_getattr(-1).map(|a| a.size),
        Err(Errno::EINVAL),
        "sched_getattr of pid -1"
    );
    for (size, flags, what) in [
        (SchedAttr::SIZE - 1, 0, "a size one byte short"),
        (16, 0, "a size of 16"),
        (0, 0, "a size of 0"),
        (SchedAttr::SIZE, 1, "flags 1"),
    ] {
        check_eq!(
            sched_getattr_sized(0, size, flags).map(|a| a.size),
            Err(Errno::EINVAL),
            "sched_getattr with {what}"
        );
    }
    check_eq!(
        sched_getattr(NO_SUCH_PID).map(|a| a.size),
        Err(Errno::ESRCH),
        "sched_getattr of a missing pid"
    );
    check_ok!(sched_setattr(0, &start, 0), "restore the attributes");
    check_eq!(
        sched_getattr(0).map(|a| (a.sched_nice, a.sched_priority)),
        Ok((start.sched_nice, start.sched_priority)),
        "restored attributes"
    );
}

fn check_schedstat() {
    let before = check_ok!(SchedStat::read(), "read {}", procfs::SCHEDSTAT);
    let child = check_ok!(ulib::spawn(|| 0), "fork");
    reap(child, 0, "the child");
    let after = check_ok!(SchedStat::read(), "read {}", procfs::SCHEDSTAT);
    check!(
        after.finished > before.finished,
        "finished grows: {} -> {}",
        before.finished,
        after.finished
    );
    check!(
        after.context_switches > before.context_switches,
        "context_switches grows: {} -> {}",
        before.context_switches,
        after.context_switches
    );
    check!(
        after.avg_turnaround_ns >= after.avg_response_ns
            && after.avg_turnaround_ns >= after.avg_wait_ns,
        "average turnaround {} >= average response {} and wait {}",
        after.avg_turnaround_ns,
        after.avg_response_ns,
        after.avg_wait_ns
    );
}

/// The stints of `pid` in the trace, checking every line's format on the way.
fn stints_of(pid: Pid) -> alloc::vec::Vec<TraceStint> {
    let text = check_ok!(procfs::read_trace(), "read {}", procfs::SCHED_TRACE);
    let mut stints = alloc::vec::Vec::new();
    for line in text.lines() {
        let Some(stint) = TraceStint::parse(line) else {
            ulib::fail!("{} line {line:?} is not a stint", procfs::SCHED_TRACE);
        };
        if stint.pid == pid {
            stints.push(stint);
        }
    }
    stints
}

fn check_trace() {
    let child = check_ok!(
        ulib::spawn(|| {
            burn(BURN_NS / 4);
            0
        }),
        "fork"
    );
    reap(child, 0, "the child");
    // The child's hart records its last stint once it has switched away from it, which may
    // be just after this process (on another hart) reaped it: wait for it a little.
    let mut stints = stints_of(child);
    for _ in 0..PATIENCE_MS / 10 {
        if stints.last().is_some_and(|s| s.why == "exited") {
            break;
        }
        check_ok!(ulib::sleep_ms(10), "sleep");
        stints = stints_of(child);
    }
    check!(
        !stints.is_empty(),
        "{} has stints of child {child}",
        procfs::SCHED_TRACE
    );
    check_eq!(
        stints.last().map(|s| s.why.as_str()),
        Some("exited"),
        "the child's last stint"
    );
    check_eq!(
        stints[0].name.as_str(),
        "t_sched_policy",
        "the child's name"
    );
    check_ok!(procfs::clear_trace(), "clear {}", procfs::SCHED_TRACE);
    check!(
        stints_of(child).is_empty(),
        "no stint of child {child} after clearing"
    );
}

fn check_parsers() {
    let text = "policy: rr\nnice: -2\ntickets: 100\narrival_ns: 10\nfirst_run_ns: -1\n\
                finish_ns: -1\nresponse_ns: -1\nturnaround_ns: -1\ncpu_ns: 0\nwait_ns: 5\n\
                voluntary_switches: 1\ninvoluntary_switches: 2\npolicy_state: cpu=0 level=1\n";
    let parsed = check_ok!(ProcSched::parse(text), "parse a sched file");
    check_eq!(
        (parsed.nice, parsed.first_run_ns, parsed.wait_ns),
        (-2, None, 5),
        "parsed fields"
    );
    check_eq!(
        parsed.policy_state.as_str(),
        "cpu=0 level=1",
        "policy_state"
    );
    check_eq!(
        ProcSched::parse(&text.replace("cpu_ns: 0\n", "")),
        Err(ProcError::Missing("cpu_ns".into())),
        "a sched file without cpu_ns"
    );
    check_eq!(
        ProcSched::parse(&text.replace("nice: -2", "nice: low")),
        Err(ProcError::Malformed("nice".into(), "low".into())),
        "a sched file with a word for nice"
    );
    check_eq!(
        ProcSched::parse(&text.replace("first_run_ns: -1", "first_run_ns: -5")),
        Err(ProcError::Malformed("first_run_ns".into(), "-5".into())),
        "a negative time other than -1"
    );
    let stat = check_ok!(
        SchedStat::parse(
            "policy fair\nfinished 3\navg_response_ns 1\navg_turnaround_ns 9\navg_wait_ns 4\ncontext_switches 12\n"
        ),
        "parse a schedstat file"
    );
    check_eq!(
        (stat.policy.as_str(), stat.finished, stat.context_switches),
        ("fair", 3, 12),
        "schedstat fields"
    );
    let status = Fields::parse("Name:\tinit\nVmRSS:\t12 kB\nState:\tS (sleeping)\n");
    check_eq!(status.number::<u64>("VmRSS"), Ok(12), "VmRSS in kB");
    check_eq!(status.get("State"), Some("S (sleeping)"), "State");
    let stint = TraceStint::parse("1 2 0 7 my prog exited");
    check_eq!(
        stint.map(|s| (s.pid, s.name)),
        Some((7, String::from("my prog"))),
        "a trace line with a space in the name"
    );
    for bad in [
        "1 2 0 7 A slept",
        "5 2 0 7 A exited",
        "1 2 0 A exited",
        "x 2 0 7 A exited",
    ] {
        check_eq!(TraceStint::parse(bad), None, "trace line {bad:?}");
    }
}
