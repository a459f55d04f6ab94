//! Test `t_schedbench` (expects `exit=0`): `schedbench --smoke` runs OSTEP's scheduling
//! workloads as real processes (concept S4) and what must hold on any machine holds:
//!
//! - it exits 0 and restores the policy that was in force;
//! - convoy: the three short jobs finish under both fifo and sjf, and their average
//!   turnaround under sjf is lower than under fifo (fifo makes them wait for the long job:
//!   the convoy effect);
//! - starvation: under prio the nice-2 job does not finish within the 2 s window while two
//!   nice-0 hogs run (starvation), and under prio-aging it does (aging cures it: it outranks
//!   the hogs after about 0.3 s of waiting).
//!
//! Every workload is pinned to one hart and bounded (schedbench's time limits), so these
//! outcomes do not depend on the machine's speed or its number of harts; the whole run takes
//! about 7 s. CPU shares (the `fair` scenario) are not checked: they are measured in time,
//! the policies count ticks, and on a busy host a tick's length varies. schedbench's output
//! is copied to this test's output for the log.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::string::String;
use alloc::vec::Vec;

use ulib::abi::wait;
use ulib::fs::{self, BufReader};
use ulib::io::STDOUT;
use ulib::procfs;
use ulib::{Fork, check, check_eq, check_ok, println};

ulib::entry!(main);

const SCHEDBENCH: &str = "/bin/schedbench";

/// A `result <scenario> <policy> key=value...` line of schedbench.
struct Summary {
    scenario: String,
    policy: String,
    pairs: Vec<(String, u64)>,
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
    let value = |scenario: &str, policy: &str, key: &str| -> u64 {
        let found = results
            .iter()
            .find(|r| r.scenario == scenario && r.policy == policy)
            .and_then(|r| r.pairs.iter().find(|(k, _)| k == key))
            .map(|(_, v)| *v);
        match found {
            Some(value) => value,
            None => ulib::fail!("schedbench printed no result {scenario} {policy} {key}"),
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

/// Runs `schedbench --smoke` with its output into a pipe; returns the output (also copied to
/// ours) and its wait status.
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
                &[SCHEDBENCH, "--smoke"],
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
    while let Some(line) = check_ok!(reader.read_line(), "read schedbench's output") {
        println!("{line}");
        output.push_str(&line);
        output.push('\n');
    }
    check_ok!(fs::close(read_end), "close");
    let status = check_ok!(ulib::waitpid(child), "wait for schedbench");
    (output, status)
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
            Some((key.into(), value.parse().ok()?))
        })
        .collect();
    Some(Summary {
        scenario,
        policy,
        pairs,
    })
}
