//! Synchronization between threads (T2), all of it built on the `futex` system call.
//!
//! - [`futex`](mod@futex): the raw calls (wait, wake, bit sets, requeue) and how a futex works.
//! - [`Mutex`]: mutual exclusion, the three-state futex lock (no system call unless contended).
//! - [`Condvar`]: sleep until another thread changes state protected by a [`Mutex`].
//! - [`RwLock`]: many readers or one writer, built from a [`Mutex`] and two [`Condvar`]s.
//! - [`Semaphore`]: Dijkstra's counting semaphore, `p`/`wait` and `v`/`post`.
//! - [`Barrier`]: N threads wait for each other, round after round.
//!
//! Each primitive's doc comment states the invariant it keeps and why its futex protocol
//! loses no wake-up. The common shape: the state lives in atomic words that the fast path
//! changes without entering the kernel; a thread that must wait sleeps with
//! [`futex_wait`](futex::futex_wait)`(word, value)`, which the kernel turns into "sleep only
//! if the word still holds the value I last saw", so a change that comes in between is never
//! slept through; and whoever changes the state wakes sleepers when there may be some.
//!
//! None of these is meant for signal handlers (a handler that waits for a lock its own
//! thread holds waits forever), nor across `fork` of a multithreaded program (the child
//! gets a copy of a lock some vanished thread may hold).

pub mod futex;

mod barrier;
mod condvar;
mod mutex;
mod rwlock;
mod semaphore;

pub use barrier::Barrier;
pub use condvar::Condvar;
pub use mutex::{Mutex, MutexGuard};
pub use rwlock::{RwLock, RwLockReadGuard, RwLockWriteGuard};
pub use semaphore::Semaphore;
