//! `ps [-l | -s]`: the processes, one line each, in pid order (concepts P1, P2, S3).
//!
//! For every pid directory in `/proc` it reads `/proc/<pid>/status` and prints:
//!
//! - `PID`, `PPID`;
//! - `STATE`: the word of its `State:` line (`new`, `ready`, `running`, `sleeping`,
//!   `zombie`: P2's states);
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

const USAGE: &str = "usage: ps [-l | -s]   (-l, -s: add the scheduling columns)";

fn main() -> i32 {
    let mut long = false;
    for arg in env::args().skip(1) {
        match arg {
            "-l" | "-s" => long = true,
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
    println!(
        "{:>5} {:>5} {:<8} {:>4} {:>9} {:>7}{sched_header} CMD",
        "PID", "PPID", "STATE", "HART", "TIME", "RSS"
    );
    for pid in pids {
        match line(pid, long) {
            Ok(text) => println!("{text}"),
            // Gone between the listing and the read.
            Err(Errno::ENOENT | Errno::ESRCH) => {}
            Err(error) => eprintln!("ps: pid {pid}: {error}"),
        }
    }
    0
}

/// The line of process `pid`.
fn line(pid: Pid, long: bool) -> Result<String, Errno> {
    let status = Fields::read(&format!("/proc/{pid}/status"))?;
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
    let mut text = format!(
        "{:>5} {:>5} {:<8} {:>4} {:>9} {:>7}",
        field("Pid"),
        field("PPid"),
        state,
        field("Hart"),
        time,
        rss
    );
    if long {
        text.push_str(&sched_columns(pid));
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
