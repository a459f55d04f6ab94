//! Test `t_mutex` (expects `exit=0`): mutual exclusion between threads with ulib's futex
//! locks (concepts T2, T3).
//!
//! - `Mutex`: 8 threads each add 1 to a shared counter 100 000 times under the lock; the
//!   total is exactly 800 000 (no update lost). `try_lock` fails while another thread holds
//!   the mutex and succeeds once it is free. A `static` mutex works the same.
//! - `RwLock`: 4 writers keep two fields equal (writing one, yielding, writing the other)
//!   while 4 readers check, again and again, that they are equal and that no writer is inside
//!   with them; writers check that nobody else is inside. Every write is counted.
//! - `Barrier`: 5 threads go through 200 rounds; in each round each writes the round number
//!   into its slot, and after the barrier every slot holds that round's number; exactly one
//!   thread is the leader of each round.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

use ulib::sync::{Barrier, Mutex, RwLock, Semaphore};
use ulib::thread::{self, JoinHandle};
use ulib::{check, check_eq, check_ok};

ulib::entry!(main);

/// Threads of the counter test, and the increments each makes.
const COUNTERS: u64 = 8;
const INCREMENTS: u64 = 100_000;

/// Readers and writers of the RwLock test, and the operations each does.
const READERS: u32 = 4;
const WRITERS: u32 = 4;
const OPERATIONS: u64 = 2_000;

/// Threads and rounds of the barrier test.
const PARTIES: usize = 5;
const ROUNDS: u32 = 200;

fn main() -> i32 {
    counter();
    try_lock();
    static_mutex();
    readers_and_writers();
    barrier_rounds();
    ulib::println!("t_mutex: ok");
    0
}

fn spawn<T: Send + 'static>(main: impl FnOnce() -> T + Send + 'static) -> JoinHandle<T> {
    check_ok!(thread::spawn(main), "spawn a thread")
}

fn counter() {
    let total = Arc::new(Mutex::new(0u64));
    // All start together, so that they really compete for the mutex.
    let start = Arc::new(Barrier::new(COUNTERS as u32));
    let workers: Vec<_> = (0..COUNTERS)
        .map(|_| {
            let (total, start) = (Arc::clone(&total), Arc::clone(&start));
            spawn(move || {
                start.wait();
                for _ in 0..INCREMENTS {
                    *total.lock() += 1;
                }
            })
        })
        .collect();
    workers.into_iter().for_each(JoinHandle::join);
    check_eq!(
        *total.lock(),
        COUNTERS * INCREMENTS,
        "{COUNTERS} threads x {INCREMENTS} increments under the mutex"
    );
}

fn try_lock() {
    let mutex = Arc::new(Mutex::new(()));
    let (held, release) = (Arc::new(Semaphore::new(0)), Arc::new(Semaphore::new(0)));
    let holder = {
        let (mutex, held, release) = (Arc::clone(&mutex), Arc::clone(&held), Arc::clone(&release));
        spawn(move || {
            let guard = mutex.lock();
            held.v();
            release.p();
            drop(guard);
        })
    };
    held.p();
    check!(
        mutex.try_lock().is_none(),
        "try_lock while another thread holds the mutex"
    );
    release.v();
    holder.join();
    check!(mutex.try_lock().is_some(), "try_lock of a free mutex");
}

static STATIC_COUNT: Mutex<u64> = Mutex::new(0);

fn static_mutex() {
    let workers: Vec<_> = (0..4)
        .map(|_| {
            spawn(|| {
                for _ in 0..10_000 {
                    *STATIC_COUNT.lock() += 1;
                }
            })
        })
        .collect();
    workers.into_iter().for_each(JoinHandle::join);
    check_eq!(
        *STATIC_COUNT.lock(),
        40_000,
        "4 threads x 10 000 on a static mutex"
    );
}

/// What the RwLock protects: two fields writers keep equal.
struct Pair {
    first: u64,
    second: u64,
}

/// Who is inside the RwLock, counted independently of it.
#[derive(Default)]
struct Inside {
    readers: AtomicU32,
    writer: AtomicBool,
}

fn readers_and_writers() {
    let lock = Arc::new(RwLock::new(Pair {
        first: 0,
        second: 0,
    }));
    let inside = Arc::new(Inside::default());
    let writes = Arc::new(AtomicU64::new(0));
    let mut workers: Vec<JoinHandle<()>> = Vec::new();
    for _ in 0..WRITERS {
        let (lock, inside, writes) = (Arc::clone(&lock), Arc::clone(&inside), Arc::clone(&writes));
        workers.push(spawn(move || {
            for i in 0..OPERATIONS {
                let mut pair = lock.write();
                check!(
                    !inside.writer.swap(true, Ordering::SeqCst),
                    "a writer entered while another writer was inside"
                );
                check_eq!(
                    inside.readers.load(Ordering::SeqCst),
                    0,
                    "readers inside with a writer"
                );
                pair.first += 1;
                if i.is_multiple_of(64) {
                    let _ = thread::yield_now();
                }
                pair.second += 1;
                writes.fetch_add(1, Ordering::SeqCst);
                inside.writer.store(false, Ordering::SeqCst);
            }
        }));
    }
    for _ in 0..READERS {
        let (lock, inside) = (Arc::clone(&lock), Arc::clone(&inside));
        workers.push(spawn(move || {
            for i in 0..OPERATIONS {
                let pair = lock.read();
                inside.readers.fetch_add(1, Ordering::SeqCst);
                check!(
                    !inside.writer.load(Ordering::SeqCst),
                    "a reader is inside with a writer"
                );
                check_eq!(pair.first, pair.second, "a reader saw a half-done write");
                if i.is_multiple_of(64) {
                    let _ = thread::yield_now();
                }
                inside.readers.fetch_sub(1, Ordering::SeqCst);
            }
        }));
    }
    workers.into_iter().for_each(JoinHandle::join);
    let pair = lock.read();
    let expected = u64::from(WRITERS) * OPERATIONS;
    check_eq!(writes.load(Ordering::SeqCst), expected, "writes done");
    check_eq!(
        (pair.first, pair.second),
        (expected, expected),
        "every write counted in both fields"
    );
}

fn barrier_rounds() {
    let barrier = Arc::new(Barrier::new(PARTIES as u32));
    let slots: Arc<Vec<AtomicU32>> = Arc::new((0..PARTIES).map(|_| AtomicU32::new(0)).collect());
    let leaders = Arc::new(AtomicU32::new(0));
    let workers: Vec<_> = (0..PARTIES)
        .map(|me| {
            let (barrier, slots, leaders) = (
                Arc::clone(&barrier),
                Arc::clone(&slots),
                Arc::clone(&leaders),
            );
            spawn(move || {
                for round in 1..=ROUNDS {
                    slots[me].store(round, Ordering::Relaxed);
                    if barrier.wait() {
                        leaders.fetch_add(1, Ordering::Relaxed);
                    }
                    for (other, slot) in slots.iter().enumerate() {
                        check_eq!(
                            slot.load(Ordering::Relaxed),
                            round,
                            "after round {round}'s barrier, thread {me} reads thread {other}'s slot"
                        );
                    }
                    // Nobody writes the next round's number before everyone has read.
                    barrier.wait();
                }
            })
        })
        .collect();
    workers.into_iter().for_each(JoinHandle::join);
    check_eq!(
        leaders.load(Ordering::Relaxed),
        ROUNDS,
        "one leader per round"
    );
}
