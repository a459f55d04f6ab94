//! Test `t_condvar` (expects `exit=0`): the bounded buffer (producer/consumer) between
//! threads, once with a mutex and condition variables and once with counting semaphores
//! (concept T2).
//!
//! - Mutex + Condvar: 4 producers each put 50 000 distinct numbers through an 8-slot buffer
//!   to 4 consumers; producers wait on `not_full`, consumers on `not_empty`. Every number
//!   comes out exactly once (a bitmap catches duplicates; the count and the sum catch
//!   losses), and the buffer is empty at the end.
//! - Semaphores: the same with `empty` (starts at 8) and `full` (starts at 0) counting the
//!   free and used slots, P before and V after each access, and a mutex only around the
//!   slots themselves.
//! - `wait_timeout` with nobody notifying returns "timed out" no earlier than asked;
//!   `notify_all` wakes every waiter; a waiter that is notified sees the state change.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::collections::VecDeque;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};
use core::time::Duration;

use ulib::abi::time::CLOCK_MONOTONIC;
use ulib::sync::{Condvar, Mutex, Semaphore};
use ulib::thread::{self, JoinHandle};
use ulib::{check, check_eq, check_ok};

ulib::entry!(main);

const PRODUCERS: u64 = 4;
const CONSUMERS: u64 = 4;
/// Items each producer makes (and, as there are as many consumers, each consumer takes).
const ITEMS: u64 = 50_000;
const TOTAL: u64 = PRODUCERS * ITEMS;
/// Slots of the bounded buffer.
const SLOTS: usize = 8;

fn main() -> i32 {
    monitor_buffer();
    semaphore_buffer();
    wait_timeout();
    notify_all();
    ulib::println!("t_condvar: ok");
    0
}

fn spawn<T: Send + 'static>(main: impl FnOnce() -> T + Send + 'static) -> JoinHandle<T> {
    check_ok!(thread::spawn(main), "spawn a thread")
}

/// The numbers producer `producer` makes: all producers together make `0..TOTAL`, once each.
fn items(producer: u64) -> impl Iterator<Item = u64> {
    (0..ITEMS).map(move |i| producer * ITEMS + i)
}

/// Which numbers came out, one bit each; `record` catches duplicates.
struct Seen(Vec<AtomicU64>);

impl Seen {
    fn new() -> Seen {
        Seen((0..TOTAL.div_ceil(64)).map(|_| AtomicU64::new(0)).collect())
    }

    fn record(&self, item: u64) {
        check!(item < TOTAL, "item {item} was never produced");
        let bit = 1 << (item % 64);
        let before = self.0[(item / 64) as usize].fetch_or(bit, Ordering::Relaxed);
        check!(before & bit == 0, "item {item} came out twice");
    }
}

/// What every consumer returns: how many items it took and their sum.
type Tally = (u64, u64);

/// Checks the consumers' tallies against what the producers made.
fn check_tallies(tallies: Vec<Tally>, what: &str) {
    let count: u64 = tallies.iter().map(|&(count, _)| count).sum();
    let sum: u64 = tallies.iter().map(|&(_, sum)| sum).sum();
    check_eq!(count, TOTAL, "{what}: items consumed");
    check_eq!(
        sum,
        TOTAL * (TOTAL - 1) / 2,
        "{what}: sum of the items consumed"
    );
}

/// The buffer of the condition-variable version.
struct Monitor {
    slots: Mutex<VecDeque<u64>>,
    not_full: Condvar,
    not_empty: Condvar,
}

fn monitor_buffer() {
    let buffer = Arc::new(Monitor {
        slots: Mutex::new(VecDeque::with_capacity(SLOTS)),
        not_full: Condvar::new(),
        not_empty: Condvar::new(),
    });
    let seen = Arc::new(Seen::new());
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|producer| {
            let buffer = Arc::clone(&buffer);
            spawn(move || {
                for item in items(producer) {
                    let slots = buffer.slots.lock();
                    let mut slots = buffer
                        .not_full
                        .wait_while(slots, |slots| slots.len() == SLOTS);
                    slots.push_back(item);
                    drop(slots);
                    buffer.not_empty.notify_one();
                }
            })
        })
        .collect();
    let consumers: Vec<_> = (0..CONSUMERS)
        .map(|_| {
            let (buffer, seen) = (Arc::clone(&buffer), Arc::clone(&seen));
            spawn(move || {
                let mut tally: Tally = (0, 0);
                for _ in 0..ITEMS {
                    let slots = buffer.slots.lock();
                    let mut slots = buffer.not_empty.wait_while(slots, |slots| slots.is_empty());
                    let Some(item) = slots.pop_front() else {
                        ulib::fail!("the buffer is empty after waiting for it not to be");
                    };
                    drop(slots);
                    buffer.not_full.notify_one();
                    seen.record(item);
                    tally = (tally.0 + 1, tally.1 + item);
                }
                tally
            })
        })
        .collect();
    producers.into_iter().for_each(JoinHandle::join);
    let tallies = consumers.into_iter().map(JoinHandle::join).collect();
    check_tallies(tallies, "mutex and condition variables");
    check!(
        buffer.slots.lock().is_empty(),
        "the buffer is empty at the end"
    );
}

/// The buffer of the semaphore version.
struct Counted {
    slots: Mutex<VecDeque<u64>>,
    /// Free slots.
    empty: Semaphore,
    /// Used slots.
    full: Semaphore,
}

fn semaphore_buffer() {
    let buffer = Arc::new(Counted {
        slots: Mutex::new(VecDeque::with_capacity(SLOTS)),
        empty: Semaphore::new(SLOTS as u32),
        full: Semaphore::new(0),
    });
    let seen = Arc::new(Seen::new());
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|producer| {
            let buffer = Arc::clone(&buffer);
            spawn(move || {
                for item in items(producer) {
                    buffer.empty.p();
                    let mut slots = buffer.slots.lock();
                    check!(
                        slots.len() < SLOTS,
                        "a producer got past `empty` into a full buffer"
                    );
                    slots.push_back(item);
                    drop(slots);
                    buffer.full.v();
                }
            })
        })
        .collect();
    let consumers: Vec<_> = (0..CONSUMERS)
        .map(|_| {
            let (buffer, seen) = (Arc::clone(&buffer), Arc::clone(&seen));
            spawn(move || {
                let mut tally: Tally = (0, 0);
                for _ in 0..ITEMS {
                    buffer.full.p();
                    let item = buffer.slots.lock().pop_front();
                    let Some(item) = item else {
                        ulib::fail!("a consumer got past `full` into an empty buffer");
                    };
                    buffer.empty.v();
                    seen.record(item);
                    tally = (tally.0 + 1, tally.1 + item);
                }
                tally
            })
        })
        .collect();
    producers.into_iter().for_each(JoinHandle::join);
    let tallies = consumers.into_iter().map(JoinHandle::join).collect();
    check_tallies(tallies, "semaphores");
    check!(
        buffer.slots.lock().is_empty(),
        "the buffer is empty at the end"
    );
    check_eq!(
        (buffer.empty.permits(), buffer.full.permits()),
        (SLOTS as u32, 0),
        "every slot is free again"
    );
}

fn now() -> Duration {
    let time = check_ok!(ulib::clock_gettime(CLOCK_MONOTONIC), "clock_gettime");
    Duration::new(time.tv_sec as u64, time.tv_nsec as u32)
}

fn wait_timeout() {
    let mutex = Mutex::new(());
    let condvar = Condvar::new();
    let timeout = Duration::from_millis(50);
    let start = now();
    let mut guard = mutex.lock();
    // A wait may end early (a stray wake-up): wait out the rest.
    let mut timed_out = false;
    while !timed_out {
        let Some(left) = timeout.checked_sub(now() - start) else {
            break;
        };
        (guard, timed_out) = condvar.wait_timeout(guard, left);
    }
    drop(guard);
    let waited = now() - start;
    check!(timed_out, "wait_timeout never said it timed out");
    check!(
        waited >= timeout,
        "wait_timeout gave up after {waited:?}, before its {timeout:?}"
    );
}

fn notify_all() {
    let state = Arc::new((Mutex::new(false), Condvar::new()));
    let waiters: Vec<_> = (0..3)
        .map(|_| {
            let state = Arc::clone(&state);
            spawn(move || {
                let (flag, changed) = &*state;
                let flag = changed.wait_while(flag.lock(), |set| !*set);
                *flag
            })
        })
        .collect();
    check_ok!(ulib::sleep_ms(100), "sleep");
    let (flag, changed) = &*state;
    *flag.lock() = true;
    changed.notify_all();
    for waiter in waiters {
        check!(waiter.join(), "a woken waiter sees the flag set");
    }
}
