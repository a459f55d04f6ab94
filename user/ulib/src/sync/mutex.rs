//! [`Mutex`] (T2): mutual exclusion on one futex word, the three-state design of Ulrich
//! Drepper's paper "Futexes Are Tricky".
//!
//! The word is in one of three states:
//! - `UNLOCKED` (0): nobody holds the lock;
//! - `LOCKED` (1): a thread holds it and nobody sleeps on the word;
//! - `CONTENDED` (2): a thread holds it and threads *may* be asleep on the word.
//!
//! Locking an unlocked mutex is one compare-and-swap 0 -> 1, with no system call. A thread
//! that finds the mutex held swaps in `CONTENDED` and sleeps ([`futex_wait`] on 2); the swap
//! also tells it whether the holder let go meanwhile (it read 0: it now holds the lock, in
//! the `CONTENDED` state, which is safe, only pessimistic). Unlocking swaps in 0 and makes
//! the wake-up system call only if the old state was `CONTENDED`, so an uncontended
//! lock/unlock pair never enters the kernel.
//!
//! Why not two states? With only "locked"/"unlocked" the unlocker cannot know whether anyone
//! sleeps, so it would have to call [`futex_wake`] on every unlock. Why does a woken thread
//! set `CONTENDED` rather than `LOCKED`? It cannot know whether other sleepers remain; if it
//! wrote 1 while another thread slept, its unlock would not wake that thread. The price is at
//! most one unnecessary wake-up call.
//!
//! The acquire ordering of the swaps that take the lock and the release ordering of the swap
//! that frees it make everything written inside one critical section visible to the next.

use core::cell::UnsafeCell;
use core::marker::PhantomData;
use core::ops::{Deref, DerefMut};
use core::sync::atomic::{AtomicU32, Ordering};

use super::futex::{futex_wait, futex_wake};

/// Nobody holds the lock.
const UNLOCKED: u32 = 0;
/// Held, and nobody sleeps on the word.
const LOCKED: u32 = 1;
/// Held, and threads may sleep on the word: the unlocker must wake one.
const CONTENDED: u32 = 2;

/// A lock that protects a value of type `T`: [`lock`](Mutex::lock) waits until no other
/// thread holds it and returns a guard through which the value is reached; dropping the guard
/// unlocks.
///
/// Invariant: the value is only reached through a guard, and at most one guard exists at a
/// time (the word is `LOCKED` or `CONTENDED` exactly while one does).
pub struct Mutex<T: ?Sized> {
    state: AtomicU32,
    value: UnsafeCell<T>,
}

// SAFETY: the mutex hands out access to the value to one thread at a time (the type's
// invariant), so sharing it between threads needs only that the value may move between them.
unsafe impl<T: ?Sized + Send> Sync for Mutex<T> {}
// SAFETY: sending the mutex sends the value, which may move between threads.
unsafe impl<T: ?Sized + Send> Send for Mutex<T> {}

/// Proof that the calling thread holds a [`Mutex`]; dereferences to the protected value and
/// unlocks when dropped.
#[must_use = "dropping the guard unlocks the mutex at once"]
pub struct MutexGuard<'a, T: ?Sized> {
    mutex: &'a Mutex<T>,
    /// The guard gives `&mut T`, so it may be shared or sent exactly when `&mut T` may.
    _value: PhantomData<&'a mut T>,
}

impl<T> Mutex<T> {
    /// An unlocked mutex holding `value`. `const`, so a mutex can be a `static`.
    pub const fn new(value: T) -> Mutex<T> {
        Mutex {
            state: AtomicU32::new(UNLOCKED),
            value: UnsafeCell::new(value),
        }
    }

    /// The protected value, taking the mutex apart.
    pub fn into_inner(self) -> T {
        self.value.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Waits until the mutex is free, takes it and returns the guard.
    ///
    /// Locking a mutex the calling thread already holds waits forever (it is not recursive).
    pub fn lock(&self) -> MutexGuard<'_, T> {
        if self
            .state
            .compare_exchange(UNLOCKED, LOCKED, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            self.lock_contended();
        }
        MutexGuard {
            mutex: self,
            _value: PhantomData,
        }
    }

    /// The slow path of [`lock`](Mutex::lock): announce a sleeper, then sleep until the swap
    /// finds the mutex free.
    #[cold]
    fn lock_contended(&self) {
        while self.state.swap(CONTENDED, Ordering::Acquire) != UNLOCKED {
            // Sleeps only if the word is still CONTENDED; any error (EAGAIN: it changed,
            // EINTR: a signal) just means "look again".
            let _ = futex_wait(&self.state, CONTENDED, None);
        }
    }

    /// Takes the mutex if it is free; `None` at once if another thread holds it.
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        self.state
            .compare_exchange(UNLOCKED, LOCKED, Ordering::Acquire, Ordering::Relaxed)
            .ok()
            .map(|_| MutexGuard {
                mutex: self,
                _value: PhantomData,
            })
    }

    /// The value, without locking: `&mut self` proves no guard exists.
    pub fn get_mut(&mut self) -> &mut T {
        self.value.get_mut()
    }

    /// Frees the mutex and wakes one sleeper if there may be any.
    fn unlock(&self) {
        if self.state.swap(UNLOCKED, Ordering::Release) == CONTENDED {
            // Nothing to do about an error: a woken thread finds the mutex free, and without
            // a wake-up the sleepers are woken by the next contended unlock.
            let _ = futex_wake(&self.state, 1);
        }
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Mutex<T> {
        Mutex::new(T::default())
    }
}

impl<'a, T: ?Sized> MutexGuard<'a, T> {
    /// The mutex this guard holds (for [`super::Condvar`], which unlocks and relocks it).
    pub(super) fn mutex(&self) -> &'a Mutex<T> {
        self.mutex
    }
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the guard exists only while its thread holds the mutex, so no other
        // reference to the value is live (the mutex's invariant).
        unsafe { &*self.mutex.value.get() }
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`; `&mut self` makes this the only reference through the guard.
        unsafe { &mut *self.mutex.value.get() }
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        self.mutex.unlock();
    }
}
