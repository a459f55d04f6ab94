//! `ps [-l | -s] [-T]`: the processes, one line each, in pid order (concepts P1, P2, S3,
//! T1).
//!
//! For every pid directory in `/proc` it reads `/proc/<pid>/status` and prints:
//!
//! - `PID`, `PPID`;
//! - `STATE`: the word of its `State:` line (`new`, `ready`, `running`, `sleeping`,
//!   `stopped`, `zombie`, and `ready-suspended` / `blocked-suspended` for a process not
//!   running with pages out on swap: P2's states);
//! - `HART`: the hart it runs on or last ran on (`-`: never ran);
//! - `TIME`: CPU time used, as `mm:ss.cc`;
//! - `RSS`: resident memory in KiB;
//! - `CMD`: its name.
//!
//! `-l` (or `-s`) adds the scheduler's view from `/proc/<pid>/sched` before `CMD`: `NICE`,
//! `TICKETS` (lottery/stride share), `RESP` (response time: first run - arrival) and `WAIT`
//! (time in the system not on a hart), both in ms, and the voluntary and involuntary
//! context switches `VCSW` and `NVCSW`.
//!
//! `-T` shows threads: one line per thread (from `/proc/<pid>/task/<tid>/status`) with its
//! thread id in a `TID` column after `PID`; threads of one process share its `PID`.
//!
//! A process that exits while `ps` reads it is left out. Fields a kernel does not provide
//! show as `-` (so `ps` also runs on Linux, where `Hart:` and `CpuTimeNs:` do not exist).
//! Exit status: 0, or 1 if `/proc` could not be listed, 2 for a usage mistake.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::format;
use alloc::string::{String, ToString};

use ulib::abi::Errno;
use ulib::procfs::{self, Fields, ProcSched};
use ulib::{Pid, env, eprintln, println};

ulib::entry!(main);

const USAGE: &str = "usage: ps [-l | -s] [-T]   (-l, -s: add the scheduling columns; -T: threads)";

fn main() -> i32 {
    let mut long = false;
    let mut threads = false;
    for arg in env::args().skip(1) {
        match arg {
            "-l" | "-s" => long = true,
            "-T" => threads = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return 0;
            }
            other => {
                eprintln!("ps: unknown argument {other:?}\n{USAGE}");
                return 2;
            }
        }
    }
    let pids = match procfs::pids() {
        Ok(pids) => pids,
        Err(error) => {
            eprintln!("ps: cannot list /proc: {error}");
            return 1;
        }
    };
    let sched_header = if long {
        " NICE TICKETS  RESP ms  WAIT ms   VCSW  NVCSW"
    } else {
        ""
    };
    let tid_header = if threads { "   TID" } else { "" };
    println!(
        "{:>5}{tid_header} {:>5} {:<8} {:>4} {:>9} {:>7}{sched_header} CMD",
        "PID", "PPID", "STATE", "HART", "TIME", "RSS"
    );
    for pid in pids {
        let tasks = if threads {
            procfs::tids(pid).map(|tids| tids.into_iter().map(Some).collect())
        } else {
            Ok(alloc::vec![None])
        };
        let lines = tasks.and_then(|tasks: alloc::vec::Vec<Option<Pid>>| {
            tasks.into_iter().map(|tid| line(pid, tid, long)).collect()
        });
        match lines {
            Ok(lines) => {
                let lines: alloc::vec::Vec<String> = lines;
                for text in lines {
                    println!("{text}");
                }
            }
            // Gone between the listing and the read.
            Err(Errno::ENOENT | Errno::ESRCH) => {}
            Err(error) => eprintln!("ps: pid {pid}: {error}"),
        }
    }
    0
}

/// The line of process `pid`, or of its thread `tid`.
fn line(pid: Pid, tid: Option<Pid>, long: bool) -> Result<String, Errno> {
    let dir = match tid {
        Some(tid) => format!("/proc/{pid}/task/{tid}"),
        None => format!("/proc/{pid}"),
    };
    let status = Fields::read(&format!("{dir}/status"))?;
    let field = |key: &str| status.get(key).unwrap_or("-").to_string();
    let state = status
        .get("State")
        .and_then(|s| {
            s.split_once('(')
                .map(|(_, word)| word.trim_end_matches(')'))
        })
        .unwrap_or("-");
    let time = status
        .number::<u64>("CpuTimeNs")
        .map_or_else(|_| "-".to_string(), cpu_time);
    let rss = status
        .number::<u64>("VmRSS")
        .map_or_else(|_| "-".to_string(), |kib| kib.to_string());
    let mut text = format!("{:>5}", field("Tgid"));
    if tid.is_some() {
        text.push_str(&format!(" {:>5}", field("Pid")));
    }
    text.push_str(&format!(
        " {:>5} {:<8} {:>4} {:>9} {:>7}",
        field("PPid"),
        state,
        field("Hart"),
        time,
        rss
    ));
    if long {
        text.push_str(&sched_columns(tid.unwrap_or(pid)));
    }
    text.push(' ');
    text.push_str(&field("Name"));
    Ok(text)
}

/// `NICE TICKETS RESP WAIT VCSW NVCSW` of `pid`, dashes if its `/proc/<pid>/sched` cannot
/// be read.
fn sched_columns(pid: Pid) -> String {
    match ProcSched::read(pid) {
        Ok(s) => format!(
            " {:>4} {:>7} {:>8} {:>8} {:>6} {:>6}",
            s.nice,
            s.tickets,
            s.response_ns.map_or_else(|| "-".to_string(), millis),
            millis(s.wait_ns),
            s.voluntary_switches,
            s.involuntary_switches
        ),
        Err(_) => format!(
            " {:>4} {:>7} {:>8} {:>8} {:>6} {:>6}",
            "-", "-", "-", "-", "-", "-"
        ),
    }
}

/// `ns` as milliseconds with one decimal.
fn millis(ns: u64) -> String {
    format!("{}.{}", ns / 1_000_000, ns % 1_000_000 / 100_000)
}

/// CPU time as `mm:ss.cc` (minutes may grow past 59).
fn cpu_time(ns: u64) -> String {
    let centis = ns / 10_000_000;
    format!(
        "{:02}:{:02}.{:02}",
        centis / 6000,
        centis / 100 % 60,
        centis % 100
    )
}
