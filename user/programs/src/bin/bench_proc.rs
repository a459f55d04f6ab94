//! `bench_proc <benchmark> [--smoke]`: creating processes and giving them memory (`cargo
//! xtask bench`; docs/benchmarks.md explains each number).
//!
//! - `fork_exit`: fork a child that exits at once, and wait for it.
//! - `fork_exec`: fork a child that execs `/bin/bench_true` (which exits 0), and wait.
//! - `fork_touch_16m`: fork a child that touches 16 MiB of new heap (one write per page)
//!   before it exits, and wait: creating, filling and tearing down a larger process.
//! - `fork_exit_16m`: `fork_exit` from a parent that has 16 MiB of touched heap: what
//!   copying the parent's memory at fork costs.
//! - `page_fault`: raise the break by N pages and touch each page once; time per page (the
//!   first touch of anonymous memory: a trap, a zeroed frame, a mapping).
//! - `mmap_1m`: `mmap` + `munmap` of 1 MiB of private anonymous memory, untouched.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use core::hint::black_box;

use ulib::abi::mm::PAGE_SIZE;
use ulib::bench::{self, Bench, Context, Failure, Line};
use ulib::heap;
use ulib::mm::Mapping;

ulib::entry!(main);

/// Most processes or mappings created in one batch.
const MAX_OPS: u64 = 1 << 16;
/// The larger process's memory.
const BIG: usize = 16 << 20;
/// The mapping of `mmap_1m`.
const MAPPING: usize = 1 << 20;
/// The tiny program `fork_exec` runs.
const TRUE: &str = "/bin/bench_true";
/// Exit status of a child whose exec failed (as shells use).
const EXEC_FAILED: i32 = 127;

fn main() -> i32 {
    bench::main(&[
        ("fork_exit", fork_exit),
        ("fork_exec", fork_exec),
        ("fork_touch_16m", fork_touch_16m),
        ("fork_exit_16m", fork_exit_16m),
        ("page_fault", page_fault),
        ("mmap_1m", mmap_1m),
    ])
}

/// Writes one byte into each whole page of `region`; returns how many pages that was.
fn touch_pages(region: &mut [u8]) -> usize {
    let skip = region.as_ptr().addr().next_multiple_of(PAGE_SIZE) - region.as_ptr().addr();
    let mut pages = 0;
    for offset in (skip..region.len()).step_by(PAGE_SIZE) {
        region[offset] = 1;
        pages += 1;
    }
    // The stores must happen even though nothing reads them.
    black_box(&*region);
    pages
}

/// Times `ops` times: fork a child that runs `child`, and wait for it to exit with 0.
fn fork_wait_batch(ops: u64, child: impl Fn() -> i32 + Copy) -> Result<u64, Failure> {
    bench::timed(|| {
        for _ in 0..ops {
            let pid = ulib::spawn(child).context("fork")?;
            bench::wait_success(pid)?;
        }
        Ok(())
    })
}

fn fork_exit(bench: &Bench) -> Result<(), Failure> {
    let timing = bench.measure(MAX_OPS, |ops| fork_wait_batch(ops, || 0))?;
    Line::new("fork_exit").timing(&timing).print();
    Ok(())
}

fn fork_exec(bench: &Bench) -> Result<(), Failure> {
    let timing = bench.measure(MAX_OPS, |ops| {
        fork_wait_batch(ops, || {
            let error = ulib::execve(TRUE, &[TRUE], &[]);
            ulib::eprintln!("bench_proc: cannot execute {TRUE}: {error}");
            EXEC_FAILED
        })
    })?;
    Line::new("fork_exec").timing(&timing).print();
    Ok(())
}

fn fork_touch_16m(bench: &Bench) -> Result<(), Failure> {
    let size = bench.pick(BIG, BIG / 16);
    let timing = bench.measure(MAX_OPS, |ops| {
        fork_wait_batch(ops, move || match heap::extend_break(size) {
            Ok(region) => {
                touch_pages(region);
                0
            }
            Err(_) => 1,
        })
    })?;
    Line::new("fork_touch_16m")
        .timing(&timing)
        .field("bytes", size)
        .print();
    Ok(())
}

fn fork_exit_16m(bench: &Bench) -> Result<(), Failure> {
    let size = bench.pick(BIG, BIG / 16);
    // The region stays until the program exits: the allocator may raise the break above
    // it meanwhile, and then it cannot be given back.
    let region = heap::extend_break(size).context("brk")?;
    touch_pages(region);
    let timing = bench.measure(MAX_OPS, |ops| fork_wait_batch(ops, || 0))?;
    Line::new("fork_exit_16m")
        .timing(&timing)
        .field("bytes", size)
        .print();
    Ok(())
}

fn page_fault(bench: &Bench) -> Result<(), Failure> {
    let max_pages = bench.pick(8192, 16);
    let timing = bench.measure(max_pages, |pages| {
        // One page more, as the break need not be page aligned.
        let len = (pages as usize + 1) * PAGE_SIZE;
        let region = heap::extend_break(len).context("brk")?;
        let mut touched = 0;
        let ns = bench::timed(|| {
            touched = touch_pages(region);
            Ok(())
        })?;
        heap::release_break(region).context("brk")?;
        if (touched as u64) < pages {
            return Err(Failure::new("touched fewer pages than asked"));
        }
        Ok(ns * pages / touched as u64)
    })?;
    Line::new("page_fault").timing(&timing).print();
    Ok(())
}

fn mmap_1m(bench: &Bench) -> Result<(), Failure> {
    let timing = bench.measure(MAX_OPS, |ops| {
        bench::timed(|| {
            for _ in 0..ops {
                // Dropping the mapping unmaps it.
                drop(Mapping::anonymous(MAPPING, false).context("mmap")?);
            }
            Ok(())
        })
    })?;
    Line::new("mmap_1m").timing(&timing).print();
    Ok(())
}
