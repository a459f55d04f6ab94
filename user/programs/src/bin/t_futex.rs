//! Test `t_futex` (expects `exit=0`): the `futex` system call between threads (concept T2).
//!
//! - `FUTEX_WAIT` returns `EAGAIN` at once when the word does not hold the expected value
//!   (also `FUTEX_WAIT_BITSET`).
//! - Timeouts: a relative `FUTEX_WAIT` timeout and an absolute `FUTEX_WAIT_BITSET` deadline
//!   (`CLOCK_MONOTONIC`) end the wait with `ETIMEDOUT`, no earlier than asked; a zero timeout
//!   and a deadline in the past end it at once.
//! - `FUTEX_WAKE` returns the number of threads it woke: three sleepers, wake 2 -> 2, then
//!   wake all -> 1, then 0; exactly the woken threads return from their wait.
//! - Bit sets: with one sleeper on bit 0 and one on bit 1, `FUTEX_WAKE_BITSET` with bit 1
//!   wakes only the second, with bit 2 nobody; a plain `FUTEX_WAKE` (all bits) wakes the first.
//! - Requeue: `FUTEX_CMP_REQUEUE` with a stale compare value is `EAGAIN` and moves nobody;
//!   with the right one it wakes one of three sleepers, moves the other two to the second
//!   word and returns 3; a wake on the first word then finds nobody, on the second two.
//!   `FUTEX_REQUEUE` moves sleepers without a compare and returns how many it moved.
//! - Bad arguments: a word at NULL, in the kernel half or unmapped is `EFAULT` for
//!   `FUTEX_WAIT`, as is a timeout pointer there; an unaligned word is `EINVAL` for wait and
//!   wake; an unknown operation is `ENOSYS`; a bit set of 0 is `EINVAL` for both bit-set
//!   operations; a timeout with `tv_nsec` >= 1e9 or negative seconds is `EINVAL`; requeueing
//!   a word onto itself with `FUTEX_CMP_REQUEUE` is `EINVAL`.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use core::time::Duration;

use ulib::abi::Errno;
use ulib::abi::process::{
    FUTEX_BITSET_MATCH_ANY, FUTEX_CMP_REQUEUE, FUTEX_PRIVATE_FLAG, FUTEX_WAIT, FUTEX_WAIT_BITSET,
    FUTEX_WAKE, FUTEX_WAKE_BITSET,
};
use ulib::abi::time::{CLOCK_MONOTONIC, Timespec};
use ulib::hazard::{BAD_POINTERS, KERNEL_ADDR, UNMAPPED_ADDR};
use ulib::sync::futex::{
    ALL, futex_cmp_requeue, futex_requeue, futex_wait, futex_wait_bitset, futex_wake,
    futex_wake_bitset,
};
use ulib::syscall::decode;
use ulib::thread::{self, JoinHandle};
use ulib::{check, check_eq, check_ok, raw};

ulib::entry!(main);

/// How long to wait for something another thread does before giving up; also the limit on
/// every sleeper's wait, so a wake-up that never comes fails the test instead of hanging it.
const PATIENCE_MS: u64 = 10_000;

/// How long sleepers are given to be really asleep after they said they are about to sleep,
/// and how long a sleeper that should stay asleep is given to (wrongly) wake up.
const SETTLE_MS: u64 = 200;

/// The timeout of the timeout tests.
const TIMEOUT_MS: u64 = 50;

fn main() -> i32 {
    wrong_value();
    timeouts();
    wake_counts();
    bit_sets();
    requeue();
    bad_arguments();
    ulib::println!("t_futex: ok");
    0
}

fn now() -> Duration {
    let time = check_ok!(ulib::clock_gettime(CLOCK_MONOTONIC), "clock_gettime");
    Duration::new(time.tv_sec as u64, time.tv_nsec as u32)
}

fn timespec(time: Duration) -> Timespec {
    Timespec {
        tv_sec: time.as_secs() as i64,
        tv_nsec: i64::from(time.subsec_nanos()),
    }
}

/// Waits until `condition` holds, at most [`PATIENCE_MS`].
fn wait_until(what: &str, condition: impl Fn() -> bool) {
    let deadline = now() + Duration::from_millis(PATIENCE_MS);
    while !condition() {
        check!(now() < deadline, "{what}: not after {PATIENCE_MS} ms");
        check_ok!(ulib::sleep_ms(1), "sleep");
    }
}

fn settle() {
    check_ok!(ulib::sleep_ms(SETTLE_MS), "sleep");
}

fn wrong_value() {
    let word = AtomicU32::new(5);
    check_eq!(
        futex_wait(&word, 4, None),
        Err(Errno::EAGAIN),
        "FUTEX_WAIT on a word that does not hold the value"
    );
    check_eq!(
        futex_wait_bitset(&word, 6, None, FUTEX_BITSET_MATCH_ANY),
        Err(Errno::EAGAIN),
        "FUTEX_WAIT_BITSET on a word that does not hold the value"
    );
}

fn timeouts() {
    let word = AtomicU32::new(0);
    let timeout = Duration::from_millis(TIMEOUT_MS);
    let start = now();
    check_eq!(
        futex_wait(&word, 0, Some(timeout)),
        Err(Errno::ETIMEDOUT),
        "FUTEX_WAIT with a {TIMEOUT_MS} ms timeout"
    );
    let waited = now() - start;
    check!(
        waited >= timeout,
        "FUTEX_WAIT timed out after {waited:?}, before its {timeout:?}"
    );

    let deadline = now() + timeout;
    check_eq!(
        futex_wait_bitset(&word, 0, Some(&timespec(deadline)), FUTEX_BITSET_MATCH_ANY),
        Err(Errno::ETIMEDOUT),
        "FUTEX_WAIT_BITSET with a deadline {TIMEOUT_MS} ms away"
    );
    let ended = now();
    check!(
        ended >= deadline,
        "FUTEX_WAIT_BITSET timed out at {ended:?}, before its deadline {deadline:?}"
    );

    check_eq!(
        futex_wait(&word, 0, Some(Duration::ZERO)),
        Err(Errno::ETIMEDOUT),
        "FUTEX_WAIT with a zero timeout"
    );
    let past = now() - Duration::from_millis(1);
    check_eq!(
        futex_wait_bitset(&word, 0, Some(&timespec(past)), FUTEX_BITSET_MATCH_ANY),
        Err(Errno::ETIMEDOUT),
        "FUTEX_WAIT_BITSET with a deadline in the past"
    );
}

/// Sleepers on one word: each counts itself in `arrived` just before it sleeps and in
/// `woken` as soon as its wait returned.
struct Sleepers {
    arrived: Arc<AtomicUsize>,
    woken: Arc<AtomicUsize>,
    threads: Vec<JoinHandle<Result<(), Errno>>>,
}

impl Sleepers {
    fn new() -> Sleepers {
        Sleepers {
            arrived: Arc::new(AtomicUsize::new(0)),
            woken: Arc::new(AtomicUsize::new(0)),
            threads: Vec::new(),
        }
    }

    /// Starts a thread that sleeps on `word` (which must hold 0) with `bitset`, for at most
    /// [`PATIENCE_MS`], and returns how its wait ended. Waits until it is asleep.
    fn add(&mut self, word: &'static AtomicU32, bitset: u32) {
        let (arrived, woken) = (Arc::clone(&self.arrived), Arc::clone(&self.woken));
        let sleeper = check_ok!(
            thread::spawn(move || {
                let deadline = timespec(now() + Duration::from_millis(PATIENCE_MS));
                arrived.fetch_add(1, Ordering::SeqCst);
                let outcome = futex_wait_bitset(word, 0, Some(&deadline), bitset);
                woken.fetch_add(1, Ordering::SeqCst);
                outcome
            }),
            "spawn a sleeper"
        );
        self.threads.push(sleeper);
        let count = self.threads.len();
        wait_until("the sleeper started", || {
            self.arrived.load(Ordering::SeqCst) == count
        });
        settle();
    }

    fn woken(&self) -> usize {
        self.woken.load(Ordering::SeqCst)
    }

    /// Waits until `count` sleepers in all have woken, then checks that no more do.
    fn expect_woken(&self, count: usize, what: &str) {
        wait_until(what, || self.woken() >= count);
        settle();
        check_eq!(self.woken(), count, "{what}: sleepers woken");
    }

    /// Joins every sleeper; each must have been woken (`Ok`), not timed out.
    fn join(self, what: &str) {
        for (i, sleeper) in self.threads.into_iter().enumerate() {
            check_eq!(
                sleeper.join(),
                Ok(()),
                "{what}: how sleeper {i}'s wait ended"
            );
        }
    }
}

static WAKE_WORD: AtomicU32 = AtomicU32::new(0);

fn wake_counts() {
    check_eq!(
        futex_wake(&WAKE_WORD, ALL),
        Ok(0),
        "FUTEX_WAKE with no sleeper"
    );
    let mut sleepers = Sleepers::new();
    for _ in 0..3 {
        sleepers.add(&WAKE_WORD, FUTEX_BITSET_MATCH_ANY);
    }
    check_eq!(sleepers.woken(), 0, "nobody wakes before FUTEX_WAKE");
    check_eq!(futex_wake(&WAKE_WORD, 2), Ok(2), "FUTEX_WAKE of 2 out of 3");
    sleepers.expect_woken(2, "after waking 2");
    check_eq!(
        futex_wake(&WAKE_WORD, ALL),
        Ok(1),
        "FUTEX_WAKE of the last one"
    );
    sleepers.expect_woken(3, "after waking all");
    check_eq!(
        futex_wake(&WAKE_WORD, ALL),
        Ok(0),
        "FUTEX_WAKE with nobody left"
    );
    sleepers.join("FUTEX_WAKE");
}

static BITSET_WORD: AtomicU32 = AtomicU32::new(0);

fn bit_sets() {
    let mut sleepers = Sleepers::new();
    sleepers.add(&BITSET_WORD, 0b01);
    sleepers.add(&BITSET_WORD, 0b10);
    check_eq!(
        futex_wake_bitset(&BITSET_WORD, ALL, 0b10),
        Ok(1),
        "FUTEX_WAKE_BITSET with bit 1 wakes one"
    );
    sleepers.expect_woken(1, "after waking bit 1");
    check!(
        sleepers.threads[1].is_finished() && !sleepers.threads[0].is_finished(),
        "the sleeper on bit 1 woke, not the one on bit 0"
    );
    check_eq!(
        futex_wake_bitset(&BITSET_WORD, ALL, 0b100),
        Ok(0),
        "FUTEX_WAKE_BITSET with bit 2 wakes nobody"
    );
    check_eq!(
        futex_wake(&BITSET_WORD, ALL),
        Ok(1),
        "a plain FUTEX_WAKE (every bit) wakes the sleeper on bit 0"
    );
    sleepers.expect_woken(2, "after the plain wake");
    sleepers.join("bit sets");
}

static REQUEUE_FROM: AtomicU32 = AtomicU32::new(0);
static REQUEUE_TO: AtomicU32 = AtomicU32::new(0);

fn requeue() {
    let mut sleepers = Sleepers::new();
    for _ in 0..3 {
        sleepers.add(&REQUEUE_FROM, FUTEX_BITSET_MATCH_ANY);
    }
    check_eq!(
        futex_cmp_requeue(&REQUEUE_FROM, 1, &REQUEUE_TO, ALL, 1),
        Err(Errno::EAGAIN),
        "FUTEX_CMP_REQUEUE when the word does not hold the compare value"
    );
    check_eq!(
        sleepers.woken(),
        0,
        "a failed FUTEX_CMP_REQUEUE wakes nobody"
    );
    check_eq!(
        futex_cmp_requeue(&REQUEUE_FROM, 1, &REQUEUE_TO, ALL, 0),
        Ok(3),
        "FUTEX_CMP_REQUEUE counts the woken and the moved"
    );
    sleepers.expect_woken(1, "after FUTEX_CMP_REQUEUE woke one");
    check_eq!(
        futex_wake(&REQUEUE_FROM, ALL),
        Ok(0),
        "nobody is left on the first word"
    );
    check_eq!(
        futex_wake(&REQUEUE_TO, ALL),
        Ok(2),
        "the moved sleepers are on the second word"
    );
    sleepers.expect_woken(3, "after the wake on the second word");
    sleepers.join("FUTEX_CMP_REQUEUE");

    let mut sleepers = Sleepers::new();
    for _ in 0..2 {
        sleepers.add(&REQUEUE_FROM, FUTEX_BITSET_MATCH_ANY);
    }
    check_eq!(
        futex_requeue(&REQUEUE_FROM, 0, &REQUEUE_TO, ALL),
        Ok(2),
        "FUTEX_REQUEUE moving two sleepers"
    );
    settle();
    check_eq!(
        sleepers.woken(),
        0,
        "FUTEX_REQUEUE with no wake count woke nobody"
    );
    check_eq!(
        futex_wake(&REQUEUE_TO, ALL),
        Ok(2),
        "the sleepers moved by FUTEX_REQUEUE"
    );
    sleepers.expect_woken(2, "after the wake on the second word");
    sleepers.join("FUTEX_REQUEUE");
}

/// `futex(addr, op | FUTEX_PRIVATE_FLAG, val, timeout, addr2, val3)`, decoded.
fn futex(
    addr: usize,
    op: u32,
    val: u32,
    timeout: usize,
    addr2: usize,
    val3: u32,
) -> Result<usize, Errno> {
    decode(raw::futex(
        addr,
        op | FUTEX_PRIVATE_FLAG,
        val,
        timeout,
        addr2,
        val3,
    ))
}

fn bad_arguments() {
    let word = AtomicU32::new(0);
    let addr = word.as_ptr() as usize;
    for bad in BAD_POINTERS {
        check_eq!(
            futex(bad, FUTEX_WAIT, 0, 0, 0, 0),
            Err(Errno::EFAULT),
            "FUTEX_WAIT on the word at {bad:#x}"
        );
    }
    // NULL is "no timeout", so only the other two.
    for bad in [KERNEL_ADDR, UNMAPPED_ADDR] {
        check_eq!(
            futex(addr, FUTEX_WAIT, 0, bad, 0, 0),
            Err(Errno::EFAULT),
            "FUTEX_WAIT with the timeout at {bad:#x}"
        );
    }
    let words = [AtomicU32::new(0), AtomicU32::new(0)];
    let unaligned = words[0].as_ptr() as usize + 1;
    check_eq!(
        futex(unaligned, FUTEX_WAIT, 0, 0, 0, 0),
        Err(Errno::EINVAL),
        "FUTEX_WAIT on an unaligned word"
    );
    check_eq!(
        futex(unaligned, FUTEX_WAKE, 1, 0, 0, 0),
        Err(Errno::EINVAL),
        "FUTEX_WAKE on an unaligned word"
    );
    for op in [14, 63, 127] {
        check_eq!(
            futex(addr, op, 0, 0, 0, 0),
            Err(Errno::ENOSYS),
            "unknown futex operation {op}"
        );
    }
    check_eq!(
        futex(addr, FUTEX_WAIT_BITSET, 0, 0, 0, 0),
        Err(Errno::EINVAL),
        "FUTEX_WAIT_BITSET with bit set 0"
    );
    check_eq!(
        futex(addr, FUTEX_WAKE_BITSET, 1, 0, 0, 0),
        Err(Errno::EINVAL),
        "FUTEX_WAKE_BITSET with bit set 0"
    );
    let bad_times = [
        Timespec {
            tv_sec: 0,
            tv_nsec: 1_000_000_000,
        },
        Timespec {
            tv_sec: 0,
            tv_nsec: -1,
        },
        Timespec {
            tv_sec: -1,
            tv_nsec: 0,
        },
    ];
    for time in &bad_times {
        check_eq!(
            futex(addr, FUTEX_WAIT, 0, time as *const Timespec as usize, 0, 0),
            Err(Errno::EINVAL),
            "FUTEX_WAIT with the timeout {time:?}"
        );
    }
    let target = words[1].as_ptr() as usize;
    for (wake, requeue) in [(u32::MAX, 1u32), (1, 0x8000_0000)] {
        check_eq!(
            futex(addr, FUTEX_CMP_REQUEUE, wake, requeue as usize, target, 0),
            Err(Errno::EINVAL),
            "FUTEX_CMP_REQUEUE with the counts {wake:#x} and {requeue:#x} (negative ints)"
        );
    }
}
