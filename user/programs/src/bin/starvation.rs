//! `starvation [--fair]`: a writer starved by readers (concepts I7, T4), on System V
//! semaphores.
//!
//! Three reader processes and one writer share a resource. Readers may be inside together;
//! the writer must be alone. The lock is two semaphores, each changed atomically with the
//! other by one `semop`:
//! - `readers` counts the readers inside, `writing` is 1 while the writer is.
//! - A reader enters with { wait for `writing == 0`, `readers += 1` } and leaves with
//!   `readers -= 1`. The writer enters with { wait for `readers == 0` and `writing == 0`,
//!   `writing += 1` } and leaves with `writing -= 1`.
//!
//! This is *reader preference*: a reader only waits for a writer that is inside, never for
//! one that is waiting. The readers come and go for two seconds, their visits overlapping,
//! so `readers` never drops to zero and the writer, which asked a tenth of a second in,
//! waits until the stream stops: starvation. Nothing is deadlocked — readers make progress
//! all along — one process just never gets its turn.
//!
//! `--fair` adds a turnstile semaphore: a reader passes it ({ `turnstile -= 1`,
//! `turnstile += 1` } in one call) before entering, and the writer holds it while waiting
//! for the readers inside to leave. New readers queue behind the writer, which gets in
//! after at most one visit's time.
//!
//! Prints each reader's visits and longest wait to enter, and how long the writer waited.
//! Exit status 0, or 1 if a system call failed.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::format;

use ulib::abi::Errno;
use ulib::abi::time::CLOCK_MONOTONIC;
use ulib::abi::wait;
use ulib::cli::{Arg, Args, Tool};
use ulib::ipc::{self, SemSet, sembuf};
use ulib::{Pid, fs};

ulib::entry!(main);

const TOOL: Tool = Tool::new("starvation", "starvation [--fair]");

/// The semaphores of the set.
const READERS: u16 = 0;
const WRITING: u16 = 1;
const TURNSTILE: u16 = 2;

/// Reader processes.
const READER_COUNT: u64 = 3;
/// How long the readers keep coming.
const STREAM_MS: u64 = 2000;
/// How long one visit of a reader lasts; the readers start this far apart divided by their
/// number, so their visits overlap.
const VISIT_MS: u64 = 60;
/// When the writer asks to enter.
const WRITER_START_MS: u64 = 100;
/// How long the writer stays inside.
const WRITE_MS: u64 = 20;

fn main() -> i32 {
    let mut fair = false;
    for arg in Args::new() {
        match arg {
            Arg::Long("fair") if !fair => fair = true,
            other => return TOOL.unexpected(other),
        }
    }
    let lock = match SemSet::private(3, 0o600) {
        Ok(lock) => lock,
        Err(error) => {
            TOOL.error("semget", error);
            return 1;
        }
    };
    let status = match run(lock, fair) {
        Ok(()) => 0,
        Err((what, error)) => {
            TOOL.error(what, error);
            1
        }
    };
    if let Err(error) = lock.remove() {
        TOOL.error("semctl(IPC_RMID)", error);
    }
    status
}

type Failure = (&'static str, Errno);

fn run(lock: SemSet, fair: bool) -> Result<(), Failure> {
    lock.set(TURNSTILE, 1).map_err(|e| ("semctl(SETVAL)", e))?;
    ulib::println!(
        "starvation: {READER_COUNT} readers visit for {} s, {VISIT_MS} ms a visit, overlapping; \
         a writer asks {WRITER_START_MS} ms in ({})",
        STREAM_MS / 1000,
        if fair {
            "with a turnstile: readers queue behind a waiting writer"
        } else {
            "reader preference: readers never wait for a waiting writer"
        }
    );
    // Each child reports through a pipe when it is done: one line of results.
    let (results_r, results_w) = fs::pipe().map_err(|e| ("pipe", e))?;
    let start = now_ms();
    let mut children = [0 as Pid; READER_COUNT as usize + 1];
    for (index, child) in children.iter_mut().enumerate() {
        let spawned = if index < READER_COUNT as usize {
            ulib::spawn(move || reader(lock, index as u64, start, fair, results_w))
        } else {
            ulib::spawn(move || writer(lock, start, fair, results_w))
        };
        *child = spawned.map_err(|e| ("fork", e))?;
    }
    fs::close(results_w).map_err(|e| ("close", e))?;
    let mut failed = false;
    for pid in children {
        failed |= ulib::waitpid(pid).map_err(|e| ("wait4", e))? != wait::exited(0);
    }
    let report = fs::read_to_end(results_r).map_err(|e| ("read", e))?;
    fs::close(results_r).map_err(|e| ("close", e))?;
    ulib::print!("{}", core::str::from_utf8(&report).unwrap_or("?\n"));
    if failed {
        return Err(("a reader or the writer", Errno::EIO));
    }
    if !fair {
        ulib::println!(
            "starvation: while any reader is inside, new readers get in, so the writer waits \
             for the whole stream; try starvation --fair"
        );
    }
    Ok(())
}

/// Reader `index`: visits until the stream ends; writes `reader N: V visits, longest wait
/// W ms` to `report`.
fn reader(lock: SemSet, index: u64, start: u64, fair: bool, report: i32) -> i32 {
    let _ = ulib::sleep_ms(index * VISIT_MS / READER_COUNT);
    let mut visits = 0;
    let mut longest_wait = 0;
    while now_ms() - start < STREAM_MS {
        let asked = now_ms();
        if fair
            && ipc::semop(
                lock.id(),
                &[sembuf(TURNSTILE, -1, 0), sembuf(TURNSTILE, 1, 0)],
            )
            .is_err()
        {
            return 1;
        }
        if ipc::semop(lock.id(), &[sembuf(WRITING, 0, 0), sembuf(READERS, 1, 0)]).is_err() {
            return 1;
        }
        longest_wait = longest_wait.max(now_ms() - asked);
        visits += 1;
        let _ = ulib::sleep_ms(VISIT_MS);
        if ipc::semop(lock.id(), &[sembuf(READERS, -1, 0)]).is_err() {
            return 1;
        }
    }
    // One `write` per line, so the lines of different children do not interleave.
    let line =
        format!("reader {index}: {visits} visits, longest wait to enter {longest_wait} ms\n");
    let _ = fs::write(report, line.as_bytes());
    0
}

/// The writer: asks once, [`WRITER_START_MS`] in; writes how long it waited to `report`.
fn writer(lock: SemSet, start: u64, fair: bool, report: i32) -> i32 {
    let _ = ulib::sleep_ms(WRITER_START_MS);
    let asked = now_ms();
    if fair && lock.wait(TURNSTILE).is_err() {
        return 1;
    }
    let enter = [
        sembuf(READERS, 0, 0),
        sembuf(WRITING, 0, 0),
        sembuf(WRITING, 1, 0),
    ];
    if ipc::semop(lock.id(), &enter).is_err() {
        return 1;
    }
    let entered = now_ms();
    if fair && lock.post(TURNSTILE).is_err() {
        return 1;
    }
    let _ = ulib::sleep_ms(WRITE_MS);
    if ipc::semop(lock.id(), &[sembuf(WRITING, -1, 0)]).is_err() {
        return 1;
    }
    let line = format!(
        "writer: waited {} ms to enter (asked at {} ms, the readers stopped at {STREAM_MS} ms)\n",
        entered - asked,
        asked - start,
    );
    let _ = fs::write(report, line.as_bytes());
    0
}

fn now_ms() -> u64 {
    ulib::clock_gettime(CLOCK_MONOTONIC)
        .ok()
        .and_then(|time| time.to_nanos())
        .unwrap_or(0)
        / 1_000_000
}
