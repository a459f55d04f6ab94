//! [`RwLock`] (T2): a readers-writer lock, many readers or one writer at a time.
//!
//! Built the textbook way (OSTEP chapter 31) from the primitives below it: a [`Mutex`]
//! protects the bookkeeping (how many readers are inside, whether a writer is, how many
//! writers wait) and two [`Condvar`]s are where readers and writers sleep. The mutex is held
//! only while the bookkeeping changes, never while the protected value is used.
//!
//! Policy: writers first. A reader does not enter while a writer is inside *or waiting*, so
//! a steady stream of readers cannot starve a writer; the other side of that choice is that
//! a steady stream of writers can starve readers. When a writer leaves it hands over to the
//! next waiting writer if there is one, else lets every waiting reader in.

use core::cell::UnsafeCell;
use core::marker::PhantomData;
use core::ops::{Deref, DerefMut};

use super::condvar::Condvar;
use super::mutex::Mutex;

/// Who is inside the lock and who waits for it.
struct Occupancy {
    /// Readers holding the lock.
    readers: u32,
    /// Whether a writer holds the lock.
    writer: bool,
    /// Writers waiting to get in.
    writers_waiting: u32,
}

/// A lock that lets many threads read the value at once or one thread write it.
///
/// Invariants: a write guard exists only while `writer` is set, and then `readers` is 0 and
/// no read guard exists; `readers` is the number of live read guards.
pub struct RwLock<T: ?Sized> {
    occupancy: Mutex<Occupancy>,
    /// Readers sleep here while a writer is inside or waiting.
    readers_may_enter: Condvar,
    /// Writers sleep here while anyone is inside.
    writer_may_enter: Condvar,
    value: UnsafeCell<T>,
}

// SAFETY: readers on several threads share `&T` (needs `T: Sync`) and a writer on any
// thread gets `&mut T` (needs `T: Send`); the occupancy rules keep the two apart.
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLock<T> {}
// SAFETY: sending the lock sends the value.
unsafe impl<T: ?Sized + Send> Send for RwLock<T> {}

/// Shared access to the value of an [`RwLock`]; leaving (dropping it) may let a writer in.
#[must_use = "dropping the guard releases the lock at once"]
pub struct RwLockReadGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
}

/// Exclusive access to the value of an [`RwLock`]; dropping it lets others in.
#[must_use = "dropping the guard releases the lock at once"]
pub struct RwLockWriteGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
    /// The guard gives `&mut T`, so it may be shared or sent exactly when `&mut T` may.
    _value: PhantomData<&'a mut T>,
}

impl<T> RwLock<T> {
    /// An unlocked lock holding `value`. `const`, so it can be a `static`.
    pub const fn new(value: T) -> RwLock<T> {
        RwLock {
            occupancy: Mutex::new(Occupancy {
                readers: 0,
                writer: false,
                writers_waiting: 0,
            }),
            readers_may_enter: Condvar::new(),
            writer_may_enter: Condvar::new(),
            value: UnsafeCell::new(value),
        }
    }

    /// The protected value, taking the lock apart.
    pub fn into_inner(self) -> T {
        self.value.into_inner()
    }
}

impl<T: ?Sized> RwLock<T> {
    /// Waits until no writer is inside or waiting, then enters as one more reader.
    pub fn read(&self) -> RwLockReadGuard<'_, T> {
        let occupancy = self.occupancy.lock();
        let mut occupancy = self
            .readers_may_enter
            .wait_while(occupancy, |now| now.writer || now.writers_waiting > 0);
        occupancy.readers += 1;
        RwLockReadGuard { lock: self }
    }

    /// Waits until nobody is inside, then enters as the writer.
    pub fn write(&self) -> RwLockWriteGuard<'_, T> {
        let mut occupancy = self.occupancy.lock();
        occupancy.writers_waiting += 1;
        let mut occupancy = self
            .writer_may_enter
            .wait_while(occupancy, |now| now.writer || now.readers > 0);
        occupancy.writers_waiting -= 1;
        occupancy.writer = true;
        RwLockWriteGuard {
            lock: self,
            _value: PhantomData,
        }
    }

    /// The value, without locking: `&mut self` proves no guard exists.
    pub fn get_mut(&mut self) -> &mut T {
        self.value.get_mut()
    }

    fn read_unlock(&self) {
        let mut occupancy = self.occupancy.lock();
        occupancy.readers -= 1;
        if occupancy.readers == 0 && occupancy.writers_waiting > 0 {
            self.writer_may_enter.notify_one();
        }
    }

    fn write_unlock(&self) {
        let mut occupancy = self.occupancy.lock();
        occupancy.writer = false;
        if occupancy.writers_waiting > 0 {
            self.writer_may_enter.notify_one();
        } else {
            self.readers_may_enter.notify_all();
        }
    }
}

impl<T: Default> Default for RwLock<T> {
    fn default() -> RwLock<T> {
        RwLock::new(T::default())
    }
}

impl<T: ?Sized> Deref for RwLockReadGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: a read guard exists only while `readers > 0`, when no write guard exists
        // (the lock's invariant): only shared references to the value are live.
        unsafe { &*self.lock.value.get() }
    }
}

impl<T: ?Sized> Drop for RwLockReadGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.read_unlock();
    }
}

impl<T: ?Sized> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: a write guard is the only guard while it exists (the lock's invariant).
        unsafe { &*self.lock.value.get() }
    }
}

impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`; `&mut self` makes this the only reference through the guard.
        unsafe { &mut *self.lock.value.get() }
    }
}

impl<T: ?Sized> Drop for RwLockWriteGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.write_unlock();
    }
}
