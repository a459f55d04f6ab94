//! `bench_suite [--smoke] [--only NAME]`: runs Lantern's benchmarks and prints one line per
//! result (the format is in `ulib::bench`); `cargo xtask bench` boots it as pid 1 with
//! `init=/bin/bench_suite` and reads the lines (docs/benchmarks.md explains each number).
//!
//! - Arguments come from the command line or, when there are none (the kernel starts init
//!   with none), from the words of `/etc/bench_args` if that file exists (xtask writes it
//!   into the initrd for `--only`).
//! - First it prints `bench start clock_ns=<monotonic clock> smoke=<0|1> [only=<NAME>]`, then
//!   `mem_boot`: the frames in use (MemTotal - MemFree of `/proc/meminfo`) and the kernel
//!   heap right after boot.
//! - Each benchmark runs in a fresh process: fork, then exec of its `bench_*` program with
//!   the benchmark's name (and `--smoke`); a benchmark that fails gets a
//!   `bench <name> error: <why>` line. `--only NAME` runs just the benchmark of that name,
//!   or the one that prints a line of that name.
//! - `mem_process` is measured here: the free frames before and after starting
//!   [`SLEEPERS`] copies of `bench_true --sleep` (fork + exec, then asleep), per process.
//! - Last come `mem_end` (as `mem_boot`, after the suite), `mem_heap_peak` (the kernel
//!   heap's high-water mark, `KernelHeapPeak`) and `bench done harts=<H> failures=<F>`.
//!
//! As pid 1 it must never exit (the kernel panics when init exits outside test mode), so
//! after `bench done` it reaps orphans forever, as init does. Started any other way it
//! exits with the number of failed benchmarks (at most 255): `--smoke`, which runs every
//! benchmark once with tiny counts, is the smoke test `bench_smoke` runs.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use ulib::abi::signal::SIGKILL;
use ulib::abi::time::CLOCK_MONOTONIC;
use ulib::abi::wait::{WNOHANG, WaitStatus};
use ulib::bench::{self, Context, Failure, Line, SMOKE_FLAG};
use ulib::{Errno, Fork, Pid, fs, println, sched};

ulib::entry!(main);

/// Where the arguments come from when the command line has none.
const ARGS_FILE: &str = "/etc/bench_args";
/// The environment of every benchmark program.
const ENV: [&str; 2] = ["PATH=/bin", "HOME=/"];
/// Exit status of a child whose exec failed (as shells use).
const EXEC_FAILED: i32 = 127;
/// Exit status with which a benchmark program reports a failure it has printed itself.
const REPORTED_FAILURE: u8 = 1;
/// How many sleeping minimal processes `mem_process` starts.
const SLEEPERS: usize = 4;
/// The minimal process of `mem_process`.
const TRUE: &str = "/bin/bench_true";
/// How long `mem_process` waits for its sleepers to be asleep.
const SETTLE_LIMIT_NS: u64 = 5_000_000_000;

/// What runs a benchmark.
#[derive(Clone, Copy)]
enum Runner {
    /// The program `/bin/<name>`, given the benchmark's name.
    Program(&'static str),
    /// `mem_process`, measured by the suite itself.
    MemProcess,
}

/// A benchmark: its name, what runs it, and the names of the lines it prints besides its
/// own name.
struct Entry {
    name: &'static str,
    runner: Runner,
    prints: &'static [&'static str],
}

const fn program(name: &'static str, program: &'static str) -> Entry {
    Entry {
        name,
        runner: Runner::Program(program),
        prints: &[],
    }
}

/// Every benchmark, in the order they run.
const ENTRIES: [Entry; 18] = [
    program("null_syscall", "bench_syscall"),
    program("read_zero", "bench_syscall"),
    program("write_null", "bench_syscall"),
    program("ctx_switch", "bench_ipc"),
    program("thread_switch", "bench_ipc"),
    program("pipe_rtt", "bench_ipc"),
    program("pipe_bw", "bench_ipc"),
    program("fork_exit", "bench_proc"),
    program("fork_exec", "bench_proc"),
    program("fork_touch_16m", "bench_proc"),
    program("fork_exit_16m", "bench_proc"),
    program("page_fault", "bench_proc"),
    program("mmap_1m", "bench_proc"),
    program("file_write_4k", "bench_fs"),
    Entry {
        prints: &["file_create", "file_delete"],
        ..program("file_create_delete", "bench_fs")
    },
    Entry {
        prints: &["seq_write", "seq_read", "seq_read_cold"],
        ..program("seq_io", "bench_fs")
    },
    Entry {
        prints: &["scale_1hart", "scale_all_harts", "scale_speedup"],
        ..program("scale", "bench_scale")
    },
    Entry {
        name: "mem_process",
        runner: Runner::MemProcess,
        prints: &[],
    },
];

/// What the suite was asked to do.
struct Options {
    smoke: bool,
    only: Option<String>,
}

fn main() -> i32 {
    let clock = ulib::clock_gettime(CLOCK_MONOTONIC)
        .ok()
        .and_then(|now| now.to_nanos())
        .unwrap_or(0);
    let options = options();
    let smoke = options.as_ref().is_ok_and(|options| options.smoke);
    let only = match &options {
        Ok(Options {
            only: Some(name), ..
        }) => format!(" only={name}"),
        _ => String::new(),
    };
    println!(
        "bench start clock_ns={clock} smoke={}{only}",
        u8::from(smoke)
    );
    let failures = match options {
        Ok(options) => run(&options),
        Err(why) => {
            bench::error("suite", why);
            1
        }
    };
    // Counted at the end: a hart joins the mask when its scheduler starts, which may be
    // after pid 1 does.
    let harts = sched::sched_getaffinity(0).map_or(0, u64::count_ones);
    println!("bench done harts={harts} failures={failures}");
    if ulib::getpid() == Ok(1) {
        reap_forever()
    }
    failures.min(255) as i32
}

/// The options from the command line, or from [`ARGS_FILE`] if the command line has none.
fn options() -> Result<Options, String> {
    let from_file;
    let words: Vec<&str> = if ulib::env::args().count() > 1 {
        ulib::env::args().skip(1).collect()
    } else {
        from_file = match fs::read_to_string(ARGS_FILE) {
            Ok(text) => text,
            Err(Errno::ENOENT) => String::new(),
            Err(error) => return Err(format!("cannot read {ARGS_FILE}: {error}")),
        };
        from_file.split_whitespace().collect()
    };
    let mut options = Options {
        smoke: false,
        only: None,
    };
    let mut words = words.into_iter();
    while let Some(word) = words.next() {
        match word {
            SMOKE_FLAG => options.smoke = true,
            "--only" => match words.next() {
                Some(name) => options.only = Some(String::from(name)),
                None => return Err(String::from("--only needs the name of a benchmark")),
            },
            other => {
                return Err(format!(
                    "unknown argument {other:?}; usage: bench_suite [{SMOKE_FLAG}] [--only NAME]"
                ));
            }
        }
    }
    if let Some(only) = &options.only {
        let known = ENTRIES
            .iter()
            .any(|entry| entry.name == only || entry.prints.contains(&only.as_str()));
        if !known {
            let names: Vec<&str> = ENTRIES
                .iter()
                .flat_map(|entry| core::iter::once(entry.name).chain(entry.prints.iter().copied()))
                .collect();
            return Err(format!(
                "unknown benchmark {only:?}; benchmarks: {}",
                names.join(" ")
            ));
        }
    }
    Ok(options)
}

/// Runs the selected benchmarks between the two memory lines; returns how many failed.
fn run(options: &Options) -> u32 {
    let mut failures = 0;
    if let Err(why) = mem_boot() {
        bench::error("mem_boot", why);
        failures += 1;
    }
    let selected = ENTRIES.iter().filter(|entry| match &options.only {
        Some(only) => entry.name == only || entry.prints.contains(&only.as_str()),
        None => true,
    });
    for entry in selected {
        let result = match entry.runner {
            Runner::Program(program) => run_program(entry.name, program, options.smoke),
            Runner::MemProcess => mem_process(),
        };
        match result {
            Ok(()) => {}
            Err(Some(why)) => {
                bench::error(entry.name, why);
                failures += 1;
            }
            // The program printed its own error line.
            Err(None) => failures += 1,
        }
    }
    if let Err(why) = mem_end() {
        bench::error("mem_end", why);
        failures += 1;
    }
    failures
}

/// Runs benchmark `name` in a new process running `/bin/<program>`. `Err(None)` when the
/// program failed and said why itself.
fn run_program(name: &str, program: &str, smoke: bool) -> Result<(), Option<Failure>> {
    let path = format!("/bin/{program}");
    let mut argv = Vec::from([path.as_str(), name]);
    if smoke {
        argv.push(SMOKE_FLAG);
    }
    let pid = match ulib::fork().context("fork")? {
        Fork::Child => {
            let error = ulib::execve(&path, &argv, &ENV);
            ulib::eprintln!("bench_suite: cannot execute {path}: {error}");
            ulib::exit(EXEC_FAILED)
        }
        Fork::Parent(pid) => pid,
    };
    let status = wait_for(pid)?;
    match WaitStatus::decode(status) {
        Some(WaitStatus::Exited(0)) => Ok(()),
        Some(WaitStatus::Exited(REPORTED_FAILURE)) => Err(None),
        _ => Err(Some(Failure::new(format!(
            "{path} {}",
            bench::describe_status(status)
        )))),
    }
}

/// Waits until the child `pid` has ended and returns its wait status, reaping any other
/// child on the way (as pid 1 the suite adopts orphans).
fn wait_for(pid: Pid) -> Result<i32, Failure> {
    loop {
        match ulib::wait4(-1, 0) {
            Ok((child, status)) if child == pid => return Ok(status),
            Ok(_) | Err(Errno::EINTR) => {}
            Err(error) => return Err(Failure::new(format!("wait4: {error}"))),
        }
    }
}

/// The figures of `/proc/meminfo` the suite reports, in KiB.
struct Meminfo {
    total: u64,
    free: u64,
    heap: u64,
    heap_peak: u64,
}

impl Meminfo {
    fn read() -> Result<Meminfo, Failure> {
        let text = fs::read_to_string("/proc/meminfo").context("read /proc/meminfo")?;
        let field = |name: &str| -> Result<u64, Failure> {
            text.lines()
                .find_map(|line| {
                    let value = line.strip_prefix(name)?.strip_prefix(':')?;
                    value.trim().strip_suffix("kB")?.trim().parse().ok()
                })
                .ok_or_else(|| Failure::new(format!("/proc/meminfo has no {name} line in kB")))
        };
        Ok(Meminfo {
            total: field("MemTotal")?,
            free: field("MemFree")?,
            heap: field("KernelHeap")?,
            heap_peak: field("KernelHeapPeak")?,
        })
    }
}

/// KiB per frame.
const FRAME_KB: u64 = 4;

fn mem_boot() -> Result<(), Failure> {
    let info = Meminfo::read()?;
    let used = info.total.saturating_sub(info.free);
    Line::new("mem_boot")
        .field("frames", used / FRAME_KB)
        .field("kb", used)
        .field("total_kb", info.total)
        .field("heap_kb", info.heap)
        .print();
    Ok(())
}

/// Prints `mem_end`, memory in use after the suite (which leaves no files or processes
/// behind, so growth since `mem_boot` is kept caches or leaks), and `mem_heap_peak`.
fn mem_end() -> Result<(), Failure> {
    let info = Meminfo::read()?;
    let used = info.total.saturating_sub(info.free);
    Line::new("mem_end")
        .field("frames", used / FRAME_KB)
        .field("kb", used)
        .field("heap_kb", info.heap)
        .print();
    Line::new("mem_heap_peak")
        .field("kb", info.heap_peak)
        .print();
    Ok(())
}

/// Whether process `pid` runs `bench_true` and sleeps, from `/proc/<pid>/status`.
fn asleep_in_true(pid: Pid) -> bool {
    let Ok(status) = fs::read_to_string(&format!("/proc/{pid}/status")) else {
        return false;
    };
    let has = |wanted: &str| status.lines().any(|line| line.starts_with(wanted));
    has("Name:\tbench_true") && has("State:\tS")
}

/// Starts [`SLEEPERS`] sleeping copies of `bench_true` and returns the frames each costs;
/// they are killed and reaped before it returns.
fn mem_process() -> Result<(), Option<Failure>> {
    // A first read sizes the buffers, so later reads allocate nothing new.
    Meminfo::read()?;
    let before = Meminfo::read()?;
    let mut sleepers = Vec::with_capacity(SLEEPERS);
    let started = start_sleepers(&mut sleepers);
    let after = Meminfo::read();
    // Best effort: a sleeper that died early was reaped already, and `started` says why.
    for &pid in &sleepers {
        let _ = ulib::kill(pid, SIGKILL);
    }
    for &pid in &sleepers {
        let _ = ulib::waitpid(pid);
    }
    started?;
    let after = after?;
    let per_process = before.free.saturating_sub(after.free) / SLEEPERS as u64;
    Line::new("mem_process")
        .field("frames", per_process / FRAME_KB)
        .field("kb", per_process)
        .field("procs", SLEEPERS)
        .print();
    Ok(())
}

/// Forks [`SLEEPERS`] children that exec `bench_true --sleep`, records their pids in
/// `sleepers`, and waits until all of them sleep in it.
fn start_sleepers(sleepers: &mut Vec<Pid>) -> Result<(), Failure> {
    for _ in 0..SLEEPERS {
        match ulib::fork().context("fork")? {
            Fork::Child => {
                let error = ulib::execve(TRUE, &[TRUE, "--sleep"], &ENV);
                ulib::eprintln!("bench_suite: cannot execute {TRUE}: {error}");
                ulib::exit(EXEC_FAILED)
            }
            Fork::Parent(pid) => sleepers.push(pid),
        }
    }
    let deadline = bench::now_ns()? + SETTLE_LIMIT_NS;
    while !sleepers.iter().all(|&pid| asleep_in_true(pid)) {
        if let Ok((pid, status)) = ulib::wait4(-1, WNOHANG)
            && sleepers.contains(&pid)
        {
            return Err(Failure::new(format!(
                "{TRUE} --sleep {}",
                bench::describe_status(status)
            )));
        }
        if bench::now_ns()? > deadline {
            return Err(Failure::new("the sleeping processes did not fall asleep"));
        }
        ulib::sleep_ms(10).context("nanosleep")?;
    }
    Ok(())
}

/// What pid 1 does after the suite: reap orphans forever.
fn reap_forever() -> ! {
    loop {
        if ulib::wait4(-1, 0).is_err() {
            let _ = ulib::sleep(1);
        }
    }
}
