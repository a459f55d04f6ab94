//! `sched`: the scheduling policy and parameters of a running Lantern (concepts S1-S3, S7).
//!
//! ```text
//! sched                     the policy in force and the system-wide averages (/proc/schedstat)
//! sched POLICY              switch the whole system to POLICY (root only)
//! sched -l                  list the policies, * marking the one in force
//! sched show PID            what the scheduler knows of PID (/proc/PID/sched, sched_getattr)
//! sched nice PID N          set PID's nice value, -20..=19 (lowering it needs root)
//! sched tickets PID N       set PID's lottery/stride tickets (N >= 1)
//! sched expect PID MS       declare PID's expected run time for sjf/stcf (0: unknown)
//! sched trace               print the kernel's trace of stints on harts (/proc/sched_trace)
//! sched trace --clear       empty it
//! ```
//!
//! The policy lives in `/proc/sys/kernel/sched_policy`; per-process parameters are set with
//! `sched_setattr` (read, change one field, write back). `sched trace` prints the kernel's
//! lines as they are (`<start_ns> <end_ns> <hart> <pid> <name> <why>`), the input of
//! `lantern-sim gantt` on the host. Exit status: 0, 1 when the kernel refuses, 2 for a usage
//! mistake.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::string::String;

use sched::POLICY_NAMES;
use ulib::procfs::{self, ProcSched, SchedStat};
use ulib::sched::{SchedAttr, sched_getattr, sched_setattr};
use ulib::{Pid, env, eprintln, print, println};

ulib::entry!(main);

const USAGE: &str = "\
usage: sched                     policy in force and system-wide averages
       sched POLICY              switch the system to POLICY (see sched -l)
       sched -l                  list the policies
       sched show PID            scheduling view of PID
       sched nice PID N          set PID's nice value (-20..=19)
       sched tickets PID N       set PID's lottery/stride tickets (>= 1)
       sched expect PID MS       declare PID's expected run time for sjf/stcf (0: unknown)
       sched trace [--clear]     print (or empty) the kernel's scheduling trace";

/// Why a command failed: a usage mistake (status 2) or a refusal (status 1).
enum Failure {
    Usage(String),
    Refused(String),
}

fn main() -> i32 {
    let args: alloc::vec::Vec<&str> = env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => 0,
        Err(Failure::Usage(why)) => {
            eprintln!("sched: {why}\n{USAGE}");
            2
        }
        Err(Failure::Refused(why)) => {
            eprintln!("sched: {why}");
            1
        }
    }
}

fn run(args: &[&str]) -> Result<(), Failure> {
    match args {
        [] => summary(),
        ["-h" | "--help"] => {
            println!("{USAGE}");
            Ok(())
        }
        ["-l"] => list(),
        ["show", pid] => show(number(pid, "PID")?),
        ["nice", pid, value] => {
            let nice: i32 = number(value, "N")?;
            if !(-20..=19).contains(&nice) {
                return Err(Failure::Usage(alloc::format!(
                    "nice {nice} is outside -20..=19"
                )));
            }
            change(number(pid, "PID")?, "nice", |attr| attr.sched_nice = nice)
        }
        ["tickets", pid, value] => {
            let tickets: u32 = number(value, "N")?;
            if tickets == 0 {
                return Err(Failure::Usage("tickets must be at least 1".into()));
            }
            change(number(pid, "PID")?, "tickets", |attr| {
                attr.sched_priority = tickets;
            })
        }
        ["expect", pid, value] => {
            let ms: u64 = number(value, "MS")?;
            change(number(pid, "PID")?, "expected run time", |attr| {
                attr.sched_runtime = ms.saturating_mul(1_000_000);
            })
        }
        ["trace"] => match procfs::read_trace() {
            Ok(text) => {
                print!("{text}");
                Ok(())
            }
            Err(error) => Err(Failure::Refused(alloc::format!(
                "cannot read {}: {error}",
                procfs::SCHED_TRACE
            ))),
        },
        ["trace", "--clear"] => procfs::clear_trace().map_err(|error| {
            Failure::Refused(alloc::format!(
                "cannot clear {}: {error}",
                procfs::SCHED_TRACE
            ))
        }),
        [policy] if !policy.starts_with('-') => switch(policy),
        _ => Err(Failure::Usage(alloc::format!(
            "cannot make sense of {args:?}"
        ))),
    }
}

fn number<T: core::str::FromStr>(text: &str, what: &str) -> Result<T, Failure> {
    text.parse()
        .map_err(|_| Failure::Usage(alloc::format!("{what} {text:?} is not a number")))
}

fn current_policy() -> Result<String, Failure> {
    procfs::policy().map_err(|error| {
        Failure::Refused(alloc::format!(
            "cannot read {}: {error}",
            procfs::SCHED_POLICY
        ))
    })
}

/// `ns` as milliseconds with two decimals.
fn millis(ns: u64) -> String {
    alloc::format!("{}.{:02}", ns / 1_000_000, ns % 1_000_000 / 10_000)
}

fn summary() -> Result<(), Failure> {
    println!("policy: {}", current_policy()?);
    match SchedStat::read() {
        Ok(stat) => {
            println!("finished processes:  {}", stat.finished);
            println!("average response:    {} ms", millis(stat.avg_response_ns));
            println!("average turnaround:  {} ms", millis(stat.avg_turnaround_ns));
            println!("average wait:        {} ms", millis(stat.avg_wait_ns));
            println!("context switches:    {}", stat.context_switches);
            Ok(())
        }
        Err(error) => Err(Failure::Refused(alloc::format!(
            "cannot read {}: {error}",
            procfs::SCHEDSTAT
        ))),
    }
}

/// One line about each policy.
fn describe(policy: &str) -> &'static str {
    match policy {
        "fifo" => "first come, first served; never preempts",
        "sjf" => "shortest declared job first (sched expect); never preempts",
        "stcf" => "shortest time to completion first; preempts for a shorter job",
        "rr" => "round robin, one quantum each",
        "prio" => "static priority by nice; can starve the nicest",
        "prio-np" => "static priority by nice, non-preemptive: runs each until it blocks",
        "prio-aging" => "priority by nice, raised while waiting (aging cures starvation)",
        "prio-aging-np" => "priority by nice with aging, non-preemptive",
        "mlfq" => "multi-level feedback queue: OSTEP's rules 1-5 (levels, allotments, boost)",
        "lottery" => "a random draw per quantum, weighted by tickets",
        "stride" => "deterministic proportional share by tickets",
        "fair" => "least virtual runtime first, weighted by nice (CFS-like)",
        _ => "",
    }
}

fn list() -> Result<(), Failure> {
    let current = current_policy()?;
    for policy in POLICY_NAMES {
        let mark = if *policy == current { '*' } else { ' ' };
        println!("{mark} {policy:<11} {}", describe(policy));
    }
    Ok(())
}

fn switch(policy: &str) -> Result<(), Failure> {
    if !POLICY_NAMES.contains(&policy) {
        return Err(Failure::Usage(alloc::format!(
            "no policy called {policy:?} (sched -l lists them)"
        )));
    }
    let old = current_policy()?;
    procfs::set_policy(policy)
        .map_err(|error| Failure::Refused(alloc::format!("cannot switch to {policy}: {error}")))?;
    println!("policy: {old} -> {}", current_policy()?);
    Ok(())
}

fn attributes(pid: Pid) -> Result<SchedAttr, Failure> {
    sched_getattr(pid)
        .map_err(|error| Failure::Refused(alloc::format!("sched_getattr({pid}): {error}")))
}

fn show(pid: Pid) -> Result<(), Failure> {
    let attr = attributes(pid)?;
    let view = ProcSched::read(pid).map_err(|error| {
        Failure::Refused(alloc::format!("cannot read /proc/{pid}/sched: {error}"))
    })?;
    let instant = |t: Option<u64>| t.map_or_else(|| String::from("-"), |ns| millis(ns) + " ms");
    println!("pid {pid} under {}", view.policy);
    println!(
        "  nice {}, tickets {}",
        attr.sched_nice, attr.sched_priority
    );
    match attr.sched_runtime {
        0 => println!("  expected run time: unknown"),
        ns => println!("  expected run time: {} ms", millis(ns)),
    }
    println!(
        "  response {}, turnaround {}, cpu {} ms, wait {} ms",
        instant(view.response_ns),
        instant(view.turnaround_ns),
        millis(view.cpu_ns),
        millis(view.wait_ns)
    );
    println!(
        "  switches: {} voluntary, {} involuntary",
        view.voluntary_switches, view.involuntary_switches
    );
    if !view.policy_state.is_empty() {
        println!("  the policy says: {}", view.policy_state);
    }
    Ok(())
}

/// Reads `pid`'s attributes, lets `edit` change one, writes them back and shows the change.
fn change(pid: Pid, what: &str, edit: impl FnOnce(&mut SchedAttr)) -> Result<(), Failure> {
    let before = attributes(pid)?;
    let mut attr = before;
    edit(&mut attr);
    sched_setattr(pid, &attr, 0).map_err(|error| {
        Failure::Refused(alloc::format!("sched_setattr({pid}, {what}): {error}"))
    })?;
    let after = attributes(pid)?;
    println!(
        "pid {pid}: nice {} -> {}, tickets {} -> {}, expected {} -> {} ms",
        before.sched_nice,
        after.sched_nice,
        before.sched_priority,
        after.sched_priority,
        millis(before.sched_runtime),
        millis(after.sched_runtime)
    );
    Ok(())
}
