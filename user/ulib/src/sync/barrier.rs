//! [`Barrier`] (T2): a meeting point for a fixed number of threads. Each thread that calls
//! [`wait`](Barrier::wait) sleeps until all of them have called it; then all go on, and the
//! barrier is ready for the next round ("generation") at once.
//!
//! Two words: `arrived` counts the threads of the current round, `generation` numbers the
//! rounds and is the futex word the others sleep on. The last thread to arrive resets
//! `arrived`, then increments `generation` and wakes every sleeper. A thread reads
//! `generation` *before* it counts itself as arrived; otherwise the last thread could end the
//! round between the two steps and the thread would wait for a round that already ended.
//! It then sleeps while `generation` still has the value it read.
//!
//! Reusing the barrier at once is safe: a thread can only start the next round after it saw
//! `generation` change, and the last thread reset `arrived` before changing it, so the next
//! round's arrivals are never wiped out by the previous round's reset.

use core::sync::atomic::{AtomicU32, Ordering};

use super::futex::{ALL, futex_wait, futex_wake};

/// A barrier for a fixed number of threads.
///
/// Invariant: `arrived < threads` between rounds and during them (the thread that would make
/// it `threads` resets it instead); `generation` counts the completed rounds (mod 2^32).
pub struct Barrier {
    threads: u32,
    arrived: AtomicU32,
    generation: AtomicU32,
}

impl Barrier {
    /// A barrier that releases its waiters when `threads` threads wait (0 counts as 1).
    pub const fn new(threads: u32) -> Barrier {
        Barrier {
            threads: if threads == 0 { 1 } else { threads },
            arrived: AtomicU32::new(0),
            generation: AtomicU32::new(0),
        }
    }

    /// Waits until all the barrier's threads have called `wait` in this round. Returns
    /// `true` in exactly one of them (the last to arrive, the "leader"), `false` in the
    /// others.
    pub fn wait(&self) -> bool {
        let generation = self.generation.load(Ordering::Acquire);
        if self.arrived.fetch_add(1, Ordering::AcqRel) + 1 == self.threads {
            self.arrived.store(0, Ordering::Relaxed);
            self.generation.fetch_add(1, Ordering::Release);
            // An error cannot be helped: sleepers re-check `generation` when they wake.
            let _ = futex_wake(&self.generation, ALL);
            return true;
        }
        while self.generation.load(Ordering::Acquire) == generation {
            // Sleeps only while the round has not ended; EAGAIN, EINTR: look again.
            let _ = futex_wait(&self.generation, generation, None);
        }
        false
    }
}
