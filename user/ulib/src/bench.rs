//! Benchmark support for the `bench_*` programs (`cargo xtask bench`, docs/benchmarks.md):
//! the arguments every benchmark program takes, timed runs summarised by their median, the
//! one-line results `cargo xtask bench` reads from the console.
//!
//! Result lines, each printed with one `write` so lines of different programs never mix:
//! ```text
//! bench <name> n=<ops per run> runs=<R> median_ns=<ns per op> min_ns=<ns> max_ns=<ns>
//!       [mb_s=<x>] [<key>=<value>...]    (all on one line)
//! bench <name> <key>=<value>...        (figures that are not times: kb=, frames=, ratio=)
//! bench <name> skipped: <why>
//! bench <name> error: <why>
//! ```
//! Names and values never contain spaces. `bench_suite` prints `bench start ...` first and
//! `bench done ...` last.
//!
//! Timing: the monotonic clock (`clock_gettime`; the `time` CSR, 100 ns steps on QEMU virt)
//! is read around a batch of operations, never around a single one, so its own cost and
//! coarseness vanish in the batch. [`Bench::measure`] first sizes the batch so that one run
//! lasts about [`RUN_NS`], then times [`RUNS`] runs; [`Bench::repeat`] times
//! [`FIXED_RUNS`] runs of a fixed amount of work (64 MiB copies). The median of the
//! per-operation times is the result; min and max show the spread. With `--smoke` every
//! benchmark does one tiny run, only to show that it completes.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::{self, Display, Write};

use abi::Errno;
use abi::signal::signal_name;
use abi::time::CLOCK_MONOTONIC;
use abi::wait::WaitStatus;

use crate::process::Pid;

/// How long one measured run of [`Bench::measure`] should last.
pub const RUN_NS: u64 = 200_000_000;
/// Measured runs of [`Bench::measure`] (after sizing the batch).
pub const RUNS: usize = 5;
/// Runs of [`Bench::repeat`], whose runs each do a fixed, large amount of work.
pub const FIXED_RUNS: usize = 3;
/// Operations in the single batch of a smoke run.
pub const SMOKE_OPS: u64 = 2;
/// The command-line flag for a smoke run.
pub const SMOKE_FLAG: &str = "--smoke";
/// Bytes in the megabyte of `mb_s` (lmbench's: 2^20).
pub const MB: f64 = (1u64 << 20) as f64;

/// Why a benchmark could not finish: a failed system call, with what it was doing, or a
/// result that makes no sense (a child that failed, a short read).
#[derive(Debug)]
pub struct Failure(String);

impl Failure {
    /// A failure described by `why`.
    pub fn new(why: impl Into<String>) -> Failure {
        Failure(why.into())
    }
}

impl From<Errno> for Failure {
    fn from(error: Errno) -> Failure {
        Failure(alloc::format!("{error}"))
    }
}

impl Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Says what failed: `fs::open(path, ..).context("open /tmp/x")?`.
pub trait Context<T> {
    /// The error, if any, as a [`Failure`] that starts with `what`.
    fn context(self, what: &str) -> Result<T, Failure>;
}

impl<T> Context<T> for Result<T, Errno> {
    fn context(self, what: &str) -> Result<T, Failure> {
        self.map_err(|error| Failure(alloc::format!("{what}: {error}")))
    }
}

/// The monotonic clock in nanoseconds.
pub fn now_ns() -> Result<u64, Failure> {
    let now = crate::sys::clock_gettime(CLOCK_MONOTONIC).context("clock_gettime")?;
    now.to_nanos()
        .ok_or_else(|| Failure::new("clock_gettime returned a negative time"))
}

/// Runs `work` and returns how many nanoseconds it took.
pub fn timed(work: impl FnOnce() -> Result<(), Failure>) -> Result<u64, Failure> {
    let start = now_ns()?;
    work()?;
    Ok(now_ns()?.saturating_sub(start))
}

/// "exited with status N" / "killed by SIGKILL", for messages.
pub fn describe_status(status: i32) -> String {
    match WaitStatus::decode(status) {
        Some(WaitStatus::Exited(code)) => alloc::format!("exited with status {code}"),
        Some(WaitStatus::Signaled { sig, .. }) => {
            alloc::format!(
                "killed by {}",
                signal_name(sig).unwrap_or("an unknown signal")
            )
        }
        _ => alloc::format!("wait status {status:#x}"),
    }
}

/// Waits for the child `pid`; fails unless it exited with status 0.
pub fn wait_success(pid: Pid) -> Result<(), Failure> {
    let status = crate::process::waitpid(pid).context("wait4")?;
    if WaitStatus::decode(status) == Some(WaitStatus::Exited(0)) {
        Ok(())
    } else {
        Err(Failure(alloc::format!(
            "child {pid} {}",
            describe_status(status)
        )))
    }
}

/// The times of the runs of one benchmark.
#[derive(Clone, Debug)]
pub struct Timing {
    /// Operations in each run.
    pub ops: u64,
    /// Nanoseconds each run took.
    pub runs: Vec<u64>,
}

impl Timing {
    /// Nanoseconds per operation of each run, sorted.
    fn per_op_sorted(&self) -> Vec<f64> {
        let ops = self.ops.max(1) as f64;
        let mut per_op: Vec<f64> = self.runs.iter().map(|&ns| ns as f64 / ops).collect();
        per_op.sort_by(f64::total_cmp);
        per_op
    }

    /// The median time per operation, in nanoseconds.
    pub fn median_ns(&self) -> f64 {
        let sorted = self.per_op_sorted();
        match sorted.len() {
            0 => 0.0,
            len if len % 2 == 1 => sorted[len / 2],
            len => (sorted[len / 2 - 1] + sorted[len / 2]) / 2.0,
        }
    }

    /// The fastest and the slowest run, per operation, in nanoseconds.
    pub fn min_max_ns(&self) -> (f64, f64) {
        let sorted = self.per_op_sorted();
        (
            sorted.first().copied().unwrap_or(0.0),
            sorted.last().copied().unwrap_or(0.0),
        )
    }

    /// The throughput of the median run, in MB/s ([`MB`]), when each operation moves
    /// `bytes_per_op` bytes.
    pub fn mb_per_s(&self, bytes_per_op: u64) -> f64 {
        let ns = self.median_ns();
        if ns <= 0.0 {
            return 0.0;
        }
        bytes_per_op as f64 / MB / (ns / 1e9)
    }

    /// The same runs counted as `factor` times as many operations (a round trip of a token
    /// is two context switches).
    pub fn split(&self, factor: u64) -> Timing {
        Timing {
            ops: self.ops * factor,
            runs: self.runs.clone(),
        }
    }
}

/// One result line, built field by field and printed with [`Line::print`].
pub struct Line(String);

impl Line {
    /// `bench <name>`.
    pub fn new(name: &str) -> Line {
        Line(alloc::format!("bench {name}"))
    }

    /// Appends ` <key>=<value>`.
    pub fn field(mut self, key: &str, value: impl Display) -> Line {
        let _ = write!(self.0, " {key}={value}");
        self
    }

    /// Appends the operations per run, the number of runs and the median, fastest and
    /// slowest time per operation in whole nanoseconds.
    pub fn timing(self, timing: &Timing) -> Line {
        let (min, max) = timing.min_max_ns();
        self.field("n", timing.ops)
            .field("runs", timing.runs.len())
            .field("median_ns", round_ns(timing.median_ns()))
            .field("min_ns", round_ns(min))
            .field("max_ns", round_ns(max))
    }

    /// Appends `mb_s=`, the throughput of the median run when each operation moves
    /// `bytes_per_op` bytes.
    pub fn rate(self, timing: &Timing, bytes_per_op: u64) -> Line {
        let rate = timing.mb_per_s(bytes_per_op);
        self.field("mb_s", format_args!("{rate:.1}"))
    }

    /// Prints the line on standard output.
    pub fn print(self) {
        crate::println!("{}", self.0);
    }
}

/// `x` nanoseconds rounded to the nearest whole number (`core` has no `f64::round`).
fn round_ns(x: f64) -> u64 {
    if x <= 0.0 { 0 } else { (x + 0.5) as u64 }
}

/// Prints `bench <name> skipped: <why>`.
pub fn skipped(name: &str, why: impl Display) {
    crate::println!("bench {name} skipped: {why}");
}

/// Prints `bench <name> error: <why>`.
pub fn error(name: &str, why: impl Display) {
    crate::println!("bench {name} error: {why}");
}

/// How a benchmark program was asked to measure.
#[derive(Clone, Copy, Debug)]
pub struct Bench {
    smoke: bool,
}

impl Bench {
    /// Full measurements, or with `smoke` one tiny run of each.
    pub fn new(smoke: bool) -> Bench {
        Bench { smoke }
    }

    /// Whether this is a smoke run.
    pub fn smoke(&self) -> bool {
        self.smoke
    }

    /// `full` normally, `smoke` in a smoke run: for sizes and counts.
    pub fn pick<T>(&self, full: T, smoke: T) -> T {
        if self.smoke { smoke } else { full }
    }

    /// Times `batch(ops)`, which does `ops` operations and returns the nanoseconds they took
    /// (so it can leave set-up out). First finds an `ops` (at most `max_ops`) that takes
    /// about [`RUN_NS`], then returns [`RUNS`] runs of it. A smoke run is one batch of
    /// [`SMOKE_OPS`].
    pub fn measure(
        &self,
        max_ops: u64,
        mut batch: impl FnMut(u64) -> Result<u64, Failure>,
    ) -> Result<Timing, Failure> {
        let max_ops = max_ops.max(1);
        if self.smoke {
            let ops = SMOKE_OPS.min(max_ops);
            let ns = batch(ops)?;
            return Ok(Timing {
                ops,
                runs: alloc::vec![ns],
            });
        }
        let mut ops = 1;
        loop {
            let ns = batch(ops)?;
            if ns >= RUN_NS / 2 || ops >= max_ops {
                break;
            }
            // Aim at RUN_NS from what this batch took, growing at most 16-fold per step
            // (a short batch is mostly clock steps).
            let aim = if ns == 0 {
                u64::MAX
            } else {
                (u128::from(ops) * u128::from(RUN_NS) / u128::from(ns)) as u64
            };
            ops = aim.clamp(ops + 1, ops.saturating_mul(16)).min(max_ops);
        }
        let runs = (0..RUNS)
            .map(|_| batch(ops))
            .collect::<Result<Vec<u64>, Failure>>()?;
        Ok(Timing { ops, runs })
    }

    /// How many runs [`Bench::repeat`] makes: [`FIXED_RUNS`], or 1 in a smoke run.
    pub fn fixed_runs(&self) -> usize {
        self.pick(FIXED_RUNS, 1)
    }

    /// Times `run()`, which does `ops` operations of a fixed size and returns the
    /// nanoseconds they took, [`Bench::fixed_runs`] times.
    pub fn repeat(
        &self,
        ops: u64,
        mut run: impl FnMut() -> Result<u64, Failure>,
    ) -> Result<Timing, Failure> {
        let runs = (0..self.fixed_runs())
            .map(|_| run())
            .collect::<Result<Vec<u64>, Failure>>()?;
        Ok(Timing { ops, runs })
    }
}

/// A benchmark of a program: its name and the function that measures and prints it.
pub type Benchmark = (&'static str, fn(&Bench) -> Result<(), Failure>);

/// The `main` of a benchmark program: `<program> <benchmark> [--smoke]` runs the benchmark
/// of that name from `benchmarks`. Returns the exit status: 0, 1 after printing
/// `bench <name> error: <why>` if it failed, 2 for bad arguments.
pub fn main(benchmarks: &[Benchmark]) -> i32 {
    let mut args = crate::env::args();
    let program = args.next().unwrap_or("bench");
    let name = args.next();
    let mut smoke = false;
    let mut bad_flag = None;
    for arg in args {
        if arg == SMOKE_FLAG {
            smoke = true;
        } else {
            bad_flag = Some(arg);
        }
    }
    let found = name.and_then(|name| benchmarks.iter().find(|(known, _)| *known == name));
    match (found, bad_flag) {
        (Some(&(name, run)), None) => match run(&Bench::new(smoke)) {
            Ok(()) => 0,
            Err(failure) => {
                error(name, failure);
                1
            }
        },
        _ => {
            let names: Vec<&str> = benchmarks.iter().map(|(name, _)| *name).collect();
            crate::eprintln!(
                "usage: {program} <benchmark> [{SMOKE_FLAG}]; benchmarks: {}",
                names.join(" ")
            );
            2
        }
    }
}
