//! [`Semaphore`] (T2): Dijkstra's counting semaphore, a count of available "permits" with
//! two operations:
//! - **P** (*proberen*, "try"; here [`p`](Semaphore::p), also called
//!   [`wait`](Semaphore::wait)): wait until the count is positive, then decrement it;
//! - **V** (*verhogen*, "raise"; here [`v`](Semaphore::v), also called
//!   [`post`](Semaphore::post)): increment the count, waking a waiter if there is one.
//!
//! A semaphore that starts at 1 is a lock; one that starts at 0 is a signal from one thread
//! to another ("V when done, P to wait for it"); one that starts at N bounds how many
//! threads do something at once, or counts free slots in a buffer (see the `prodcons` demo:
//! `empty` starts at the buffer size, `full` at 0).
//!
//! The count is the futex word itself. P takes a permit with a compare-and-swap when the
//! count is positive, and otherwise sleeps with [`futex_wait`] on "the count is still 0": a V
//! that raised it first makes that wait return at once. A second word counts the sleepers,
//! so that V makes the wake-up system call only when someone may be asleep. The two sides
//! each write their own word and then read the other's (sequentially consistent): at least
//! one of them sees the other, so either V wakes the sleeper or the sleeper sees the permit.
//!
//! Woken threads do not get the permit handed to them: they compete for it like anyone else,
//! and a thread that loses goes back to sleep. So this semaphore is not fair (FIFO), but no
//! permit is lost and no V leaves a sleeper asleep while a permit is free.

use core::sync::atomic::{AtomicU32, Ordering};

use super::futex::{futex_wait, futex_wake};

/// A counting semaphore.
///
/// Invariant: `count` is the number of V operations minus the number of completed P
/// operations, plus the initial value, and never negative; `sleepers` is the number of
/// threads inside P that found the count 0 and have not yet looked again.
pub struct Semaphore {
    count: AtomicU32,
    sleepers: AtomicU32,
}

impl Semaphore {
    /// A semaphore with `permits` permits. `const`, so it can be a `static`.
    pub const fn new(permits: u32) -> Semaphore {
        Semaphore {
            count: AtomicU32::new(permits),
            sleepers: AtomicU32::new(0),
        }
    }

    /// P: waits until a permit is free and takes it.
    pub fn p(&self) {
        while !self.try_p() {
            self.sleepers.fetch_add(1, Ordering::SeqCst);
            // Sleeps only while the count is 0; any error (EAGAIN: a permit appeared, EINTR)
            // means "try again".
            let _ = futex_wait(&self.count, 0, None);
            self.sleepers.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// P without waiting: takes a permit if one is free and says whether it did.
    pub fn try_p(&self) -> bool {
        let mut count = self.count.load(Ordering::Relaxed);
        while count > 0 {
            match self.count.compare_exchange_weak(
                count,
                count - 1,
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(now) => count = now,
            }
        }
        false
    }

    /// V: returns a permit and wakes one waiter, if any.
    ///
    /// # Panics
    /// If the count would pass `u32::MAX` (more V than any program means to do).
    pub fn v(&self) {
        let before = self.count.fetch_add(1, Ordering::SeqCst);
        assert!(before != u32::MAX, "semaphore count overflow");
        if self.sleepers.load(Ordering::SeqCst) != 0 {
            // Nothing to do about an error: a sleeper that is not woken sees the permit
            // the next time it looks.
            let _ = futex_wake(&self.count, 1);
        }
    }

    /// Another name for [`p`](Semaphore::p) (POSIX `sem_wait`).
    pub fn wait(&self) {
        self.p();
    }

    /// Another name for [`v`](Semaphore::v) (POSIX `sem_post`).
    pub fn post(&self) {
        self.v();
    }

    /// The number of free permits right now (already stale when it returns, unless no other
    /// thread uses the semaphore).
    pub fn permits(&self) -> u32 {
        self.count.load(Ordering::Relaxed)
    }
}
