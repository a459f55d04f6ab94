//! Spinlocks that disable interrupts (concept K7).
//!
//! A [`SpinLock`] turns interrupts off on the acquiring hart before spinning (so an
//! interrupt handler on the same hart can never spin on a lock its own hart holds) and
//! restores them when the outermost lock is released (`cpu::push_off`/`pop_off`).
//! Acquiring a lock the same hart already holds is a deadlock, so it panics with the lock's
//! name instead. Lock order (outermost first) is documented in `kernel/src/lock_order.rs`.

use crate::cpu;
use core::cell::UnsafeCell;
use core::ops::{Deref, DerefMut};
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

const NO_HART: usize = usize::MAX;

/// A mutual-exclusion lock for short critical sections, usable from interrupt handlers.
pub struct SpinLock<T: ?Sized> {
    name: &'static str,
    locked: AtomicBool,
    holder: AtomicUsize,
    data: UnsafeCell<T>,
}

// SAFETY: the lock hands out access to `data` to one holder at a time, so sharing the lock
// between harts is sound whenever `T` itself may be sent between them.
unsafe impl<T: ?Sized + Send> Sync for SpinLock<T> {}
// SAFETY: moving the lock moves the data; sound when `T: Send`.
unsafe impl<T: ?Sized + Send> Send for SpinLock<T> {}

impl<T> SpinLock<T> {
    /// A new unlocked lock; `name` appears in deadlock panics.
    pub const fn new(name: &'static str, data: T) -> Self {
        SpinLock {
            name,
            locked: AtomicBool::new(false),
            holder: AtomicUsize::new(NO_HART),
            data: UnsafeCell::new(data),
        }
    }
}

impl<T: ?Sized> SpinLock<T> {
    /// Spins until the lock is free, with interrupts off on this hart while held.
    pub fn lock(&self) -> SpinLockGuard<'_, T> {
        cpu::push_off();
        let me = cpu::hart_id();
        if self.holder.load(Ordering::Relaxed) == me {
            panic!(
                "deadlock: hart {me} acquires spinlock '{}' it already holds",
                self.name
            );
        }
        while self
            .locked
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            core::hint::spin_loop();
        }
        self.holder.store(me, Ordering::Relaxed);
        SpinLockGuard { lock: self }
    }

    /// The lock's name.
    pub fn name(&self) -> &'static str {
        self.name
    }
}

/// Access to the data of a held [`SpinLock`]; releases on drop.
pub struct SpinLockGuard<'a, T: ?Sized> {
    lock: &'a SpinLock<T>,
}

impl<T: ?Sized> Deref for SpinLockGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard exists only while this hart holds the lock.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> DerefMut for SpinLockGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard exists only while this hart holds the lock, and `&mut self`
        // makes this the only reference handed out through it.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T: ?Sized> Drop for SpinLockGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.holder.store(NO_HART, Ordering::Relaxed);
        self.lock.locked.store(false, Ordering::Release);
        cpu::pop_off();
    }
}

/// A value set once (at boot) and read freely afterwards.
pub struct Once<T> {
    state: AtomicUsize,
    value: UnsafeCell<Option<T>>,
}

const ONCE_EMPTY: usize = 0;
const ONCE_WRITING: usize = 1;
const ONCE_READY: usize = 2;

// SAFETY: the value is written once before `state` becomes READY (release) and only read
// after observing READY (acquire), so shared access from many harts is sound for `T: Sync`.
unsafe impl<T: Send + Sync> Sync for Once<T> {}

impl<T> Once<T> {
    pub const fn new() -> Self {
        Once {
            state: AtomicUsize::new(ONCE_EMPTY),
            value: UnsafeCell::new(None),
        }
    }

    /// Stores the value; returns it back if the cell was already set.
    pub fn set(&self, value: T) -> Result<(), T> {
        if self
            .state
            .compare_exchange(
                ONCE_EMPTY,
                ONCE_WRITING,
                Ordering::Acquire,
                Ordering::Relaxed,
            )
            .is_err()
        {
            return Err(value);
        }
        // SAFETY: the WRITING state gives this caller exclusive access; readers wait for READY.
        unsafe { *self.value.get() = Some(value) };
        self.state.store(ONCE_READY, Ordering::Release);
        Ok(())
    }

    /// The value, if set.
    pub fn get(&self) -> Option<&T> {
        if self.state.load(Ordering::Acquire) != ONCE_READY {
            return None;
        }
        // SAFETY: READY means the value was written and will never be written again.
        unsafe { (*self.value.get()).as_ref() }
    }
}

impl<T> Default for Once<T> {
    fn default() -> Self {
        Self::new()
    }
}
