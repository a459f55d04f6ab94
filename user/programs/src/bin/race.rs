//! `race [--fixed] [THREADS [INCREMENTS]]`: the race-condition demo (concept T3).
//!
//! THREADS threads (4 if not given) each add 1 to one shared counter INCREMENTS times (20 000
//! if not given). Without `--fixed` an increment is a separate load and store ("read the
//! counter, compute, write it back") with a little work in between, as in
//! `counter = counter + 1` compiled to three instructions: when two threads both read the
//! same value, both write back that value plus one, and one increment is lost. The atomic
//! load and store make each access whole (so this is a race on the value, not undefined
//! behaviour), but nothing makes the pair whole. The window between them is widened on
//! purpose so that the loss shows on a single hart too, where it takes a timer interrupt
//! inside the window.
//!
//! With `--fixed` the same read-work-write runs under a `ulib::sync::Mutex`: the critical
//! section is mutually exclusive, and no update is lost.
//!
//! Prints what it did, what the total should be and what it is:
//!
//! ```text
//! race: 4 threads x 20000 increments, unsynchronised load and store
//! race: expected 80000, got 31235: 48765 updates lost
//! ```
//!
//! Exit status 0; 1 for bad arguments or a failed system call, and with `--fixed` if the
//! total is wrong (which would be a bug in the mutex).

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::hint::spin_loop;
use core::sync::atomic::{AtomicU64, Ordering};

use ulib::cli::{Arg, Args, Tool};
use ulib::sync::{Barrier, Mutex};
use ulib::thread;

ulib::entry!(main);

const TOOL: Tool = Tool::new("race", "race [--fixed] [THREADS [INCREMENTS]]");

const DEFAULT_THREADS: u64 = 4;
const DEFAULT_INCREMENTS: u64 = 20_000;
/// Most threads the demo starts.
const MAX_THREADS: u64 = 64;

/// Spin iterations between reading the counter and writing it back: the race window.
const WINDOW: u32 = 50;

/// The shared counter, and whether increments take the lock.
enum Counter {
    Racy(AtomicU64),
    Locked(Mutex<u64>),
}

impl Counter {
    /// One increment: read, a little work, write back.
    fn increment(&self) {
        match self {
            Counter::Racy(value) => {
                let read = value.load(Ordering::Relaxed);
                work();
                value.store(read + 1, Ordering::Relaxed);
            }
            Counter::Locked(value) => {
                let mut value = value.lock();
                let read = *value;
                work();
                *value = read + 1;
            }
        }
    }

    fn total(&self) -> u64 {
        match self {
            Counter::Racy(value) => value.load(Ordering::Relaxed),
            Counter::Locked(value) => *value.lock(),
        }
    }
}

/// The "compute" step of the increment, long enough to be interrupted in now and then.
fn work() {
    for _ in 0..WINDOW {
        spin_loop();
    }
}

fn main() -> i32 {
    let mut fixed = false;
    let mut numbers = Vec::new();
    for arg in Args::new() {
        match arg {
            Arg::Long("fixed") => fixed = true,
            Arg::Operand(text) if numbers.len() < 2 => match text.parse::<u64>() {
                Ok(value) if value > 0 => numbers.push(value),
                _ => return TOOL.usage_error(format_args!("invalid number '{text}'")),
            },
            other => return TOOL.unexpected(other),
        }
    }
    let threads = numbers.first().copied().unwrap_or(DEFAULT_THREADS);
    let increments = numbers.get(1).copied().unwrap_or(DEFAULT_INCREMENTS);
    if threads > MAX_THREADS {
        return TOOL.usage_error(format_args!("at most {MAX_THREADS} threads"));
    }
    let counter = Arc::new(if fixed {
        Counter::Locked(Mutex::new(0))
    } else {
        Counter::Racy(AtomicU64::new(0))
    });
    ulib::println!(
        "race: {threads} threads x {increments} increments, {}",
        if fixed {
            "under a mutex"
        } else {
            "unsynchronised load and store"
        }
    );
    // All start together, so that they overlap from the first increment.
    let start = Arc::new(Barrier::new(threads as u32));
    let mut workers = Vec::new();
    for _ in 0..threads {
        let (counter, start) = (Arc::clone(&counter), Arc::clone(&start));
        match thread::spawn(move || {
            start.wait();
            for _ in 0..increments {
                counter.increment();
            }
        }) {
            Ok(worker) => workers.push(worker),
            Err(error) => {
                TOOL.error("spawn", error);
                // The started threads wait at the barrier for the missing ones.
                ulib::exit(1);
            }
        }
    }
    workers.into_iter().for_each(thread::JoinHandle::join);
    let expected = threads * increments;
    let got = counter.total();
    if got == expected {
        ulib::println!("race: expected {expected}, got {got}: no update lost");
    } else {
        ulib::println!(
            "race: expected {expected}, got {got}: {} updates lost",
            expected.abs_diff(got)
        );
    }
    if fixed && got != expected { 1 } else { 0 }
}
