//! Test `t_schedbench` (expects `exit=0`): `schedbench --smoke --trace` runs OSTEP's scheduling
//! workloads as real processes (concept S4) and what must hold on any machine holds:
//!
//! - it exits 0 and restores the policy that was in force;
//! - convoy (all four jobs arrive together): the three short jobs finish under both fifo and
//!   sjf; under fifo the long job A, first in line, finishes first and the short ones wait
//!   for it (the convoy effect); under sjf every short job finishes before A, and their
//!   average turnaround is lower than under fifo;
//! - late arrivals (the short jobs arrive 50 ms after A started): sjf, non-preemptive, lets
//!   A finish first; under stcf every short job finishes before A (preemption);
//! - starvation: under prio the nice-2 job does not finish within the 2 s window while two
//!   nice-0 hogs run (starvation), and under prio-aging it does (aging cures it: it outranks
//!   the hogs after about 0.3 s of waiting).
//!
//! - the kernel's trace of every run (`--trace`): each framed line is a well-formed stint,
//!   and every job of the scenario has at least one (but the starving one). The traces of the convoy and late runs
//!   are copied to this test's output once schedbench has exited (so no kernel log line lands
//!   inside one), framed for `lantern-sim gantt --input target/lantern/test.log`; the others
//!   are summed up in one line each.
//!
//! Every workload is pinned to one hart and bounded (schedbench's time limits), so these
//! outcomes do not depend on the machine's speed or its number of harts; the whole run takes
//! about 8 s. CPU shares (the `fair` scenario) are not checked here: `t_sched_share` checks
//! them from the kernel's own accounting. schedbench's output is copied to this test's
//! output for the log.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use ulib::abi::wait;
use ulib::fs::{self, BufReader};
use ulib::io::STDOUT;
use ulib::procfs::{self, TraceStint};
use ulib::{Fork, check, check_eq, check_ok, println};

ulib::entry!(main);

const SCHEDBENCH: &str = "/bin/schedbench";
/// Scenarios whose traces are copied to the log in full.
const SHOWN: &[&str] = &["convoy", "late"];
/// schedbench's trace markers (what `lantern-sim gantt` looks for).
const BEGIN: &str = "--- sched_trace ";
const END: &str = "--- end sched_trace";

/// A `result <scenario> <policy> key=value...` line of schedbench.
struct Summary {
    scenario: String,
    policy: String,
    pairs: Vec<(String, String)>,
}

fn main() -> i32 {
    let before = check_ok!(procfs::policy(), "read the policy");
    let (output, status) = run_schedbench();
    check_eq!(status, wait::exited(0), "schedbench --smoke exit status");
    check_eq!(
        procfs::policy(),
        Ok(before.clone()),
        "the policy after schedbench"
    );
    let results: Vec<Summary> = output.lines().filter_map(parse_result).collect();
    let text = |scenario: &str, policy: &str, key: &str| -> String {
        let found = results
            .iter()
            .find(|r| r.scenario == scenario && r.policy == policy)
            .and_then(|r| r.pairs.iter().find(|(k, _)| k == key))
            .map(|(_, v)| v.clone());
        match found {
            Some(value) => value,
            None => ulib::fail!("schedbench printed no result {scenario} {policy} {key}"),
        }
    };
    let value = |scenario: &str, policy: &str, key: &str| -> u64 {
        let found = text(scenario, policy, key);
        match found.parse() {
            Ok(value) => value,
            Err(_) => ulib::fail!("result {scenario} {policy} {key}={found} is not a number"),
        }
    };

    for policy in ["fifo", "sjf"] {
        check_eq!(
            value("convoy", policy, "short_finished"),
            3,
            "short jobs finished under {policy}"
        );
    }
    let (fifo, sjf) = (
        value("convoy", "fifo", "short_turnaround_us"),
        value("convoy", "sjf", "short_turnaround_us"),
    );
    check!(
        sjf < fifo,
        "the short jobs' average turnaround under sjf ({sjf} us) is below fifo's ({fifo} us)"
    );
    // The long job is A; B, C and D are the short ones.
    for (scenario, policy, long_first) in [
        ("convoy", "fifo", true),
        ("convoy", "sjf", false),
        ("late", "sjf", true),
        ("late", "stcf", false),
    ] {
        let order = text(scenario, policy, "finish_order");
        check_eq!(
            order.len(),
            4,
            "{scenario} under {policy}: all four jobs finished"
        );
        if long_first {
            check!(
                order.starts_with('A'),
                "{scenario} under {policy}: the long job finishes first: {order}"
            );
        } else {
            check!(
                order.ends_with('A'),
                "{scenario} under {policy}: every short job finishes before the long one: {order}"
            );
        }
    }

    check_eq!(
        value("starvation", "prio", "low_finished"),
        0,
        "the low-priority job starves under prio"
    );
    check_eq!(
        value("starvation", "prio-aging", "low_finished"),
        1,
        "the low-priority job finishes under prio-aging"
    );

    println!(
        "t_schedbench: ok (short jobs: fifo {fifo} us, sjf {sjf} us; policy {before} restored)"
    );
    0
}

/// Runs `schedbench --smoke --trace` with its output into a pipe; returns the output and its
/// wait status. The output is copied to ours as it comes, except the traces: each is checked,
/// and those of [`SHOWN`] scenarios are copied once schedbench has exited.
fn run_schedbench() -> (String, i32) {
    let (read_end, write_end) = check_ok!(fs::pipe(), "pipe");
    let child = match check_ok!(ulib::fork(), "fork") {
        Fork::Child => {
            let _ = fs::close(read_end);
            if fs::dup2(write_end, STDOUT).is_err() {
                ulib::exit(126);
            }
            let error = ulib::execve(
                SCHEDBENCH,
                &[SCHEDBENCH, "--smoke", "--trace"],
                &["PATH=/bin", "HOME=/"],
            );
            ulib::eprintln!("t_schedbench: exec {SCHEDBENCH}: {error}");
            ulib::exit(127)
        }
        Fork::Parent(pid) => pid,
    };
    check_ok!(fs::close(write_end), "close");
    let mut output = String::new();
    let mut reader = BufReader::new(read_end);
    let mut trace: Option<(String, Vec<String>)> = None;
    let mut shown = String::new();
    while let Some(line) = check_ok!(reader.read_line(), "read schedbench's output") {
        output.push_str(&line);
        output.push('\n');
        if let Some(label) = line.strip_prefix(BEGIN) {
            check!(trace.is_none(), "a trace begins inside another: {line:?}");
            trace = Some((label.into(), Vec::new()));
        } else if line == END {
            let Some((label, lines)) = trace.take() else {
                ulib::fail!("a trace ends that did not begin");
            };
            check_trace(&label, &lines);
            if SHOWN.iter().any(|s| label.split('/').next() == Some(s)) {
                shown.push_str(&format!("{BEGIN}{label}\n{}\n{END}\n", lines.join("\n")));
            } else {
                println!("(trace {label}: {} stints, checked)", lines.len());
            }
        } else if let Some((_, lines)) = &mut trace {
            lines.push(line);
        } else {
            println!("{line}");
        }
    }
    check!(trace.is_none(), "every trace ends");
    check_ok!(fs::close(read_end), "close");
    let status = check_ok!(ulib::waitpid(child), "wait for schedbench");
    ulib::print!("{shown}");
    (output, status)
}

/// Checks the trace of run `label` (`scenario/policy`): every line is a stint, and each job
/// of the scenario (`A`, `B`...: as many as its `simulate` line has) ran at least once, but
/// the low-priority job A of `starvation`, which may not run at all.
fn check_trace(label: &str, lines: &[String]) {
    let stints: Vec<TraceStint> = lines
        .iter()
        .map(|line| match TraceStint::parse(line) {
            Some(stint) => stint,
            None => ulib::fail!("trace {label}: {line:?} is not a stint"),
        })
        .collect();
    let jobs = match label.split('/').next() {
        Some("convoy" | "late" | "io") => "ABCD",
        Some("starvation") => "BC",
        _ => "AB",
    };
    for job in jobs.chars() {
        check!(
            stints
                .iter()
                .any(|s| s.name.starts_with(job) && s.name.len() == 1),
            "trace {label}: job {job} ran"
        );
    }
}

fn parse_result(line: &str) -> Option<Summary> {
    let mut words = line.split_whitespace();
    if words.next()? != "result" {
        return None;
    }
    let scenario = words.next()?.into();
    let policy = words.next()?.into();
    let pairs = words
        .filter_map(|pair| {
            let (key, value) = pair.split_once('=')?;
            Some((key.into(), value.into()))
        })
        .collect();
    Some(Summary {
        scenario,
        policy,
        pairs,
    })
}
