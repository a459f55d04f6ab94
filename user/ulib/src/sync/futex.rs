//! The `futex` system call (T2): the kernel's half of every lock in [`crate::sync`].
//!
//! A futex ("fast user-space mutex") is any aligned 32-bit word of memory. The kernel keeps
//! no state for it until someone sleeps on it; it offers two basic operations:
//! - [`futex_wait`]`(word, expected)`: *if `word` still holds `expected`*, sleep until woken
//!   (or the timeout passes, or a signal arrives). The comparison and going to sleep are one
//!   atomic step with respect to [`futex_wake`] on the same word, which is what makes
//!   "check a condition, then sleep" free of lost wake-ups: a waker that changes the word
//!   before the sleeper is queued makes the wait fail with `EAGAIN` instead.
//! - [`futex_wake`]`(word, n)`: wake up to `n` threads sleeping on `word`; returns how many.
//!
//! The fast path of a lock touches only the word, with atomic instructions; the system call
//! is made only when a thread must sleep or someone may be asleep. Everything else here is a
//! refinement: bit sets that select which sleepers a wake reaches
//! ([`futex_wait_bitset`], [`futex_wake_bitset`]), and moving sleepers from one word to
//! another without waking them ([`futex_requeue`], [`futex_cmp_requeue`]).
//!
//! All the calls here use `FUTEX_PRIVATE_FLAG` (the word is in memory private to this
//! process, so the kernel can key it by address alone), except [`futex_wait_shared`]: the
//! kernel's wake-up at thread exit (`CLONE_CHILD_CLEARTID`) is a *shared* wake, and Linux
//! keys private and shared futexes differently, so a private waiter would not be woken.
//!
//! Waits can always end early (a signal: `EINTR`; or a stray wake-up that returns `Ok`), so
//! every caller re-checks its condition in a loop. Errors are Linux's: `EAGAIN` (the word did
//! not hold `expected`), `ETIMEDOUT`, `EINTR`, `EINVAL` (unaligned word, bad timeout, bit set
//! 0), `EFAULT` (the word is not readable memory; [`crate::raw::futex`] passes bad addresses).

use core::sync::atomic::AtomicU32;
use core::time::Duration;

use abi::Errno;
use abi::nr;
use abi::process::{
    FUTEX_CMP_REQUEUE, FUTEX_PRIVATE_FLAG, FUTEX_REQUEUE, FUTEX_WAIT, FUTEX_WAIT_BITSET,
    FUTEX_WAKE, FUTEX_WAKE_BITSET,
};
use abi::time::Timespec;

use crate::syscall::{decode, syscall6};

/// A count for the wake and requeue calls meaning "all of them" (the kernel's count is an
/// `int`).
pub const ALL: u32 = i32::MAX as u32;

/// `timeout` as a `timespec` (seconds beyond `i64::MAX` are cut, which is forever anyway).
fn timespec(timeout: Duration) -> Timespec {
    Timespec {
        tv_sec: i64::try_from(timeout.as_secs()).unwrap_or(i64::MAX),
        tv_nsec: i64::from(timeout.subsec_nanos()),
    }
}

/// Where the fourth argument of `futex` comes from: the waits pass a timeout's address
/// (NULL for none), the requeues a second count in the same register.
enum Fourth<'a> {
    Timeout(Option<&'a Timespec>),
    Count(u32),
}

/// `futex(word, op, val, fourth, word2, val3)`.
fn futex(
    word: &AtomicU32,
    op: u32,
    val: u32,
    fourth: Fourth<'_>,
    word2: Option<&AtomicU32>,
    val3: u32,
) -> Result<usize, Errno> {
    let fourth = match fourth {
        Fourth::Timeout(time) => time.map_or(0, |time| time as *const Timespec as usize),
        Fourth::Count(count) => count as usize,
    };
    let word2 = word2.map_or(0, |word| word.as_ptr() as usize);
    // The operations of this module (wait, wake, requeue and their bit-set and compare forms)
    // never write user memory; a count in the fourth argument is not dereferenced.
    // SAFETY: they only read `word`, the timeout and `word2`, all borrowed for the call; and
    // sleeping on an atomic is invisible to Rust code.
    decode(unsafe {
        syscall6(
            nr::FUTEX,
            word.as_ptr() as usize,
            op as usize,
            val as usize,
            fourth,
            word2,
            val3 as usize,
        )
    })
}

/// `FUTEX_WAIT`: sleeps while `word` holds `expected`, for at most `timeout` (measured on
/// `CLOCK_MONOTONIC`; `None`: no limit). `Ok` after a wake-up (maybe a stray one), `EAGAIN`
/// if `word` did not hold `expected`, `ETIMEDOUT`, `EINTR`.
pub fn futex_wait(word: &AtomicU32, expected: u32, timeout: Option<Duration>) -> Result<(), Errno> {
    let time = timeout.map(timespec);
    futex(
        word,
        FUTEX_WAIT | FUTEX_PRIVATE_FLAG,
        expected,
        Fourth::Timeout(time.as_ref()),
        None,
        0,
    )
    .map(|_| ())
}

/// [`futex_wait`] without `FUTEX_PRIVATE_FLAG`: the form that the kernel's shared wake-up
/// reaches, which is the one it makes when a `CLONE_CHILD_CLEARTID` thread exits.
pub fn futex_wait_shared(
    word: &AtomicU32,
    expected: u32,
    timeout: Option<Duration>,
) -> Result<(), Errno> {
    let time = timeout.map(timespec);
    futex(
        word,
        FUTEX_WAIT,
        expected,
        Fourth::Timeout(time.as_ref()),
        None,
        0,
    )
    .map(|_| ())
}

/// `FUTEX_WAKE`: wakes up to `count` threads sleeping on `word` ([`ALL`]: every one);
/// returns how many it woke.
pub fn futex_wake(word: &AtomicU32, count: u32) -> Result<usize, Errno> {
    futex(
        word,
        FUTEX_WAKE | FUTEX_PRIVATE_FLAG,
        count,
        Fourth::Timeout(None),
        None,
        0,
    )
}

/// `FUTEX_WAIT_BITSET`: [`futex_wait`] that only wakes for wakes whose bit set shares a bit
/// with `bitset` (`EINVAL` if it is 0). The `deadline` is an absolute `CLOCK_MONOTONIC`
/// time, not an interval ([`crate::clock_gettime`] plus the wait).
pub fn futex_wait_bitset(
    word: &AtomicU32,
    expected: u32,
    deadline: Option<&Timespec>,
    bitset: u32,
) -> Result<(), Errno> {
    futex(
        word,
        FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG,
        expected,
        Fourth::Timeout(deadline),
        None,
        bitset,
    )
    .map(|_| ())
}

/// `FUTEX_WAKE_BITSET`: [`futex_wake`] that wakes only sleepers whose bit set shares a bit
/// with `bitset` (`EINVAL` if it is 0). Plain waits and wakes use all ones
/// (`FUTEX_BITSET_MATCH_ANY`).
pub fn futex_wake_bitset(word: &AtomicU32, count: u32, bitset: u32) -> Result<usize, Errno> {
    futex(
        word,
        FUTEX_WAKE_BITSET | FUTEX_PRIVATE_FLAG,
        count,
        Fourth::Timeout(None),
        None,
        bitset,
    )
}

/// `FUTEX_REQUEUE`: wakes up to `wake` sleepers of `word` and moves up to `requeue` more to
/// sleep on `target` instead; returns how many it woke and moved together.
pub fn futex_requeue(
    word: &AtomicU32,
    wake: u32,
    target: &AtomicU32,
    requeue_count: u32,
) -> Result<usize, Errno> {
    futex(
        word,
        FUTEX_REQUEUE | FUTEX_PRIVATE_FLAG,
        wake,
        Fourth::Count(requeue_count),
        Some(target),
        0,
    )
}

/// `FUTEX_CMP_REQUEUE`: [`futex_requeue`], but only if `word` still holds `expected`
/// (`EAGAIN` otherwise), checked atomically with the move as [`futex_wait`] checks.
pub fn futex_cmp_requeue(
    word: &AtomicU32,
    wake: u32,
    target: &AtomicU32,
    requeue_count: u32,
    expected: u32,
) -> Result<usize, Errno> {
    futex(
        word,
        FUTEX_CMP_REQUEUE | FUTEX_PRIVATE_FLAG,
        wake,
        Fourth::Count(requeue_count),
        Some(target),
        expected,
    )
}
