//! Wait queues: sleep until a condition holds, and wake-ups (concept K7).
//!
//! The condition is checked with the queue's lock held, and wakers take the same lock, so a
//! wake-up between "condition false" and "asleep" cannot be lost: the sleeper is already on
//! the queue when the waker looks. A woken process re-checks its condition (wake-ups may be
//! spurious). A pending signal ends the wait with `EINTR`; signal senders do not take the
//! queue's lock, so the sleeper checks for signals again after marking itself blocked.

use super::{Process, State, sched};
use abi::errno::Errno;
use alloc::sync::Arc;
use alloc::vec::Vec;
use hal::sync::SpinLock;

/// Processes waiting for something, each with a key (a deadline for the timer queue).
pub struct WaitQueue {
    waiters: SpinLock<Vec<(Arc<Process>, u64)>>,
}

impl WaitQueue {
    pub const fn new() -> WaitQueue {
        WaitQueue {
            waiters: SpinLock::new("wait-queue", Vec::new()),
        }
    }

    /// Blocks `me` until `ready()` returns true (checked under the queue lock).
    /// `Err(EINTR)` if a signal arrives first.
    #[track_caller]
    pub fn wait_until(
        &self,
        me: &Arc<Process>,
        key: u64,
        ready: impl FnMut() -> bool,
    ) -> Result<(), Errno> {
        self.wait(me, key, true, core::panic::Location::caller(), ready)
    }

    /// Like [`wait_until`](Self::wait_until), but signals do not end the wait: for waits
    /// that always end soon by themselves (a disk request, a sleep lock) and whose callers
    /// cannot back out.
    #[track_caller]
    pub fn wait_uninterruptible(&self, me: &Arc<Process>, ready: impl FnMut() -> bool) {
        let _ = self.wait(me, 0, false, core::panic::Location::caller(), ready);
    }

    fn wait(
        &self,
        me: &Arc<Process>,
        key: u64,
        interruptible: bool,
        at: &'static core::panic::Location<'static>,
        mut ready: impl FnMut() -> bool,
    ) -> Result<(), Errno> {
        loop {
            {
                let mut waiters = self.waiters.lock();
                if ready() {
                    return Ok(());
                }
                if interruptible && super::signal::interrupted(me) {
                    return Err(Errno::EINTR);
                }
                waiters.push((me.clone(), key));
                let mut inner = me.inner();
                inner.waiting_at = Some(at);
                me.set_state(&mut inner, State::Blocked);
                // Signals wake a sleeper without this queue's lock (`signal::send` sets the
                // pending bit, then wakes through the `proc` lock). A signal sent between
                // the check above and `Blocked` found us still running, so look again now
                // that we hold `proc`: a later sender sees `Blocked` and wakes us.
                if interruptible && super::signal::interrupted(me) {
                    me.set_state(&mut inner, State::Running);
                    waiters.pop();
                    return Err(Errno::EINTR);
                }
            }
            sched::block_current(me);
        }
    }

    /// Wakes every waiter.
    pub fn wake_all(&self) {
        let waiters = core::mem::take(&mut *self.waiters.lock());
        for (process, _) in waiters {
            sched::wake(&process);
        }
    }

    /// Wakes the waiters whose key is at most `limit` (expired deadlines).
    pub fn wake_up_to(&self, limit: u64) {
        let mut expired = Vec::new();
        {
            let mut waiters = self.waiters.lock();
            let mut at = 0;
            while at < waiters.len() {
                if waiters[at].1 <= limit {
                    expired.push(waiters.swap_remove(at));
                } else {
                    at += 1;
                }
            }
        }
        for (process, _) in expired {
            sched::wake(&process);
        }
    }
}
