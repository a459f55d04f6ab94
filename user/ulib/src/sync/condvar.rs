//! [`Condvar`] (T2): a condition variable, the way to sleep until another thread changes
//! some state protected by a [`Mutex`].
//!
//! The pattern, always in a loop because a wait may end without the condition holding:
//!
//! ```text
//! let mut queue = mutex.lock();
//! while queue.is_empty() {
//!     queue = not_empty.wait(queue);   // unlocks, sleeps, relocks
//! }
//! ```
//!
//! and on the other side: change the state under the mutex, then `notify_one` or
//! `notify_all`.
//!
//! The design is a sequence counter on one futex word. A waiter reads the counter *while it
//! still holds the mutex*, unlocks, and sleeps with [`futex_wait`] only if the counter still
//! has the value it read. Every notify first increments the counter, then wakes. So a notify
//! that slips in between the unlock and the sleep is not lost: it changed the counter, the
//! kernel sees that atomically with going to sleep, and the wait returns at once (`EAGAIN`).
//! This is why the counter must be read before unlocking: any state change the waiter did
//! not see under the mutex happens after that read, and so does its notify.
//!
//! A second word counts the threads between "read the counter" and "woke up"; a notify
//! makes the wake-up system call only when that count is not zero, so signalling a condition
//! nobody waits for costs two atomic operations. (The counter may wrap around after 2^32
//! notifies; a waiter that slept through exactly that many would miss one. That is
//! accepted, as in every counter-based condition variable.)
//!
//! `notify_all` wakes every sleeper, and they then compete for the mutex (a "thundering
//! herd"); `FUTEX_CMP_REQUEUE` could move them onto the mutex's word instead, at the price
//! of tying the condition variable to one mutex. Waits may also end spuriously (a signal, a
//! notify meant for another waiter); callers re-check their condition, or use
//! [`Condvar::wait_while`].

use core::sync::atomic::{AtomicU32, Ordering};
use core::time::Duration;

use abi::Errno;

use super::futex::{ALL, futex_wait, futex_wake};
use super::mutex::MutexGuard;

/// A condition variable: threads sleep in [`wait`](Condvar::wait) until another thread calls
/// [`notify_one`](Condvar::notify_one) or [`notify_all`](Condvar::notify_all).
///
/// Invariants: `sequence` changes on every notify; `waiters` is the number of threads that
/// have read `sequence` in a wait and not yet returned from it.
pub struct Condvar {
    sequence: AtomicU32,
    waiters: AtomicU32,
}

impl Condvar {
    /// A condition variable nobody waits on. `const`, so it can be a `static`.
    pub const fn new() -> Condvar {
        Condvar {
            sequence: AtomicU32::new(0),
            waiters: AtomicU32::new(0),
        }
    }

    /// Unlocks the guard's mutex, sleeps until notified, relocks and returns the guard.
    /// May return without a notify: check the condition again.
    pub fn wait<'a, T: ?Sized>(&self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
        self.wait_for(guard, None).0
    }

    /// Like [`wait`](Condvar::wait), for at most `timeout`; the flag is `true` if the time
    /// ran out without a notify.
    pub fn wait_timeout<'a, T: ?Sized>(
        &self,
        guard: MutexGuard<'a, T>,
        timeout: Duration,
    ) -> (MutexGuard<'a, T>, bool) {
        self.wait_for(guard, Some(timeout))
    }

    /// Waits as long as `condition` holds for the protected value, and returns the guard
    /// once it does not: the loop every user of [`wait`](Condvar::wait) writes.
    pub fn wait_while<'a, T: ?Sized>(
        &self,
        mut guard: MutexGuard<'a, T>,
        mut condition: impl FnMut(&mut T) -> bool,
    ) -> MutexGuard<'a, T> {
        while condition(&mut *guard) {
            guard = self.wait(guard);
        }
        guard
    }

    fn wait_for<'a, T: ?Sized>(
        &self,
        guard: MutexGuard<'a, T>,
        timeout: Option<Duration>,
    ) -> (MutexGuard<'a, T>, bool) {
        let mutex = guard.mutex();
        // Counted and read while the mutex is held: see the module comment.
        self.waiters.fetch_add(1, Ordering::SeqCst);
        let seen = self.sequence.load(Ordering::SeqCst);
        drop(guard);
        let outcome = futex_wait(&self.sequence, seen, timeout);
        self.waiters.fetch_sub(1, Ordering::Relaxed);
        (mutex.lock(), outcome == Err(Errno::ETIMEDOUT))
    }

    /// Wakes one thread waiting on this condition variable, if there is one.
    pub fn notify_one(&self) {
        self.notify(1);
    }

    /// Wakes every thread waiting on this condition variable.
    pub fn notify_all(&self) {
        self.notify(ALL);
    }

    fn notify(&self, count: u32) {
        self.sequence.fetch_add(1, Ordering::SeqCst);
        if self.waiters.load(Ordering::SeqCst) != 0 {
            // An error cannot be helped: the waiters re-check the counter in any case.
            let _ = futex_wake(&self.sequence, count);
        }
    }
}

impl Default for Condvar {
    fn default() -> Condvar {
        Condvar::new()
    }
}
