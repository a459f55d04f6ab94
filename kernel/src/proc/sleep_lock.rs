//! Sleep locks (concept K7): a lock whose waiters sleep instead of spinning, for critical
//! sections that are long or may block (a big console write now; disk I/O later).
//!
//! The protected value is moved out of the lock into the guard while held and moved back on
//! release, so the implementation is entirely safe Rust. Waiters sleep on a wait queue and
//! are woken on release; interrupts stay on while the lock is held.

use super::sched;
use super::wait_queue::WaitQueue;
use core::ops::{Deref, DerefMut};
use hal::sync::SpinLock;

/// A mutual-exclusion lock for process context; waiting processes sleep.
pub struct SleepLock<T> {
    value: SpinLock<Option<T>>,
    waiters: WaitQueue,
}

impl<T> SleepLock<T> {
    pub const fn new(value: T) -> SleepLock<T> {
        SleepLock {
            value: SpinLock::new("sleep-lock", Some(value)),
            waiters: WaitQueue::new(),
        }
    }

    /// Takes the lock, sleeping while another process holds it. Outside any process (at
    /// boot, before the scheduler runs) it spins instead. Signals do not interrupt the wait.
    pub fn lock(&self) -> SleepLockGuard<'_, T> {
        let mut taken = None;
        match sched::current() {
            Some(me) => self.waiters.wait_uninterruptible(&me, || {
                taken = self.value.lock().take();
                taken.is_some()
            }),
            None => {
                while taken.is_none() {
                    taken = self.value.lock().take();
                    core::hint::spin_loop();
                }
            }
        }
        SleepLockGuard {
            lock: self,
            value: taken,
        }
    }
}

impl<T> SleepLock<T> {
    /// Takes the lock if it is free now; never sleeps.
    pub fn try_lock(&self) -> Option<SleepLockGuard<'_, T>> {
        let taken = self.value.lock().take()?;
        Some(SleepLockGuard {
            lock: self,
            value: Some(taken),
        })
    }
}

/// Access to the value of a held [`SleepLock`]; releases it on drop.
pub struct SleepLockGuard<'a, T> {
    lock: &'a SleepLock<T>,
    value: Option<T>,
}

impl<T> Deref for SleepLockGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.value
            .as_ref()
            .expect("a guard holds the value until dropped")
    }
}

impl<T> DerefMut for SleepLockGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        self.value
            .as_mut()
            .expect("a guard holds the value until dropped")
    }
}

impl<T> Drop for SleepLockGuard<'_, T> {
    fn drop(&mut self) {
        *self.lock.value.lock() = self.value.take();
        self.lock.waiters.wake_all();
    }
}
