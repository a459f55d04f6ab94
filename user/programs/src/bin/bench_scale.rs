//! `bench_scale scale [--smoke]`: how a CPU-bound parallel workload scales with harts
//! (`cargo xtask bench`; docs/benchmarks.md explains each number).
//!
//! Four worker processes each run the same fixed amount of integer work (a xorshift loop,
//! about 100 ms of one hart's time), once with the parent and workers pinned to one hart
//! (`sched_setaffinity`; children inherit it) and once allowed on every hart the parent
//! may use. The runs alternate; each is timed from the first fork to the last reaped
//! worker. Prints `scale_1hart`, `scale_all_harts` (time per run of four workers) and
//! `scale_speedup` (the ratio of their medians; ideally the number of harts).

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::vec::Vec;
use core::hint::black_box;

use ulib::bench::{self, Bench, Context, Failure, Line, Timing};
use ulib::sched;

ulib::entry!(main);

/// Worker processes per run.
const WORKERS: usize = 4;
/// How long one worker alone should compute.
const WORKER_NS: u64 = 100_000_000;
/// Iterations of the loop timed to size the work.
const PROBE_ITERATIONS: u64 = 1 << 20;
/// Iterations per worker in a smoke run.
const SMOKE_ITERATIONS: u64 = 10_000;

fn main() -> i32 {
    bench::main(&[("scale", scale)])
}

/// The integer work: `iterations` steps of xorshift64.
fn work(iterations: u64) -> u64 {
    let mut x = black_box(0x9e37_79b9_7f4a_7c15u64);
    for _ in 0..iterations {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    black_box(x)
}

/// Runs [`WORKERS`] workers of `iterations` each with the caller (and so the workers)
/// allowed on the harts in `mask`; returns the nanoseconds until all have exited.
fn parallel_run(mask: u64, iterations: u64) -> Result<u64, Failure> {
    sched::sched_setaffinity(0, mask).context("sched_setaffinity")?;
    bench::timed(|| {
        let mut workers = Vec::new();
        for _ in 0..WORKERS {
            let pid = ulib::spawn(|| {
                work(iterations);
                0
            })
            .context("fork")?;
            workers.push(pid);
        }
        workers.into_iter().try_for_each(bench::wait_success)
    })
}

fn scale(bench: &Bench) -> Result<(), Failure> {
    let allowed = sched::sched_getaffinity(0).context("sched_getaffinity")?;
    let one = allowed & allowed.wrapping_neg();
    let iterations = if bench.smoke() {
        SMOKE_ITERATIONS
    } else {
        let ns = bench::timed(|| {
            work(PROBE_ITERATIONS);
            Ok(())
        })?
        .max(1);
        (u128::from(PROBE_ITERATIONS) * u128::from(WORKER_NS) / u128::from(ns)) as u64
    };
    let (mut single, mut all) = (Vec::new(), Vec::new());
    for _ in 0..bench.fixed_runs() {
        single.push(parallel_run(one, iterations)?);
        all.push(parallel_run(allowed, iterations)?);
    }
    sched::sched_setaffinity(0, allowed).context("sched_setaffinity")?;
    let single = Timing {
        ops: 1,
        runs: single,
    };
    let all = Timing { ops: 1, runs: all };
    let speedup = single.median_ns() / all.median_ns().max(1.0);
    let harts = allowed.count_ones();
    Line::new("scale_1hart")
        .timing(&single)
        .field("workers", WORKERS)
        .field("harts", 1)
        .print();
    Line::new("scale_all_harts")
        .timing(&all)
        .field("workers", WORKERS)
        .field("harts", harts)
        .print();
    Line::new("scale_speedup")
        .field("ratio", format_args!("{speedup:.2}"))
        .field("harts", harts)
        .print();
    Ok(())
}
