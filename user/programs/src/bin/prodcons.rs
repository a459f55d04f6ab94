//! `prodcons [ITEMS]`: the producer/consumer (bounded buffer) demo with counting semaphores
//! (concept T2).
//!
//! Two producer threads each make ITEMS numbers (6 if not given) and two consumer threads
//! take them out of a 3-slot buffer. The textbook solution with three semaphores:
//!
//! ```text
//! producer:  P(empty); P(mutex); put item; V(mutex); V(full)
//! consumer:  P(full);  P(mutex); take item; V(mutex); V(empty)
//! ```
//!
//! `empty` counts the free slots (starts at 3), `full` the used ones (starts at 0), and
//! `mutex`, a semaphore starting at 1, makes the access to the slots mutually exclusive. In
//! Rust the last one is `ulib::sync::Mutex`, which is that same lock but also owns the slots,
//! so they cannot be touched without it.
//!
//! Producers work faster than consumers, so the buffer fills up and producers wait in
//! `P(empty)`; the log shows it:
//!
//! ```text
//! producer 0: put  0    [#..] 1 of 3 slots used
//! producer 1: put  1000 [##.] 2 of 3 slots used
//! producer 0: put  1    [###] 3 of 3 slots used
//! producer 1: buffer full, waits in P(empty)
//! consumer 0: took 0    [##.] 2 of 3 slots used
//! ```
//!
//! At the end it checks that every item was consumed once: exit status 0, or 1 if not (or
//! for a bad ITEMS or a failed system call).

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

use ulib::cli::{Arg, Args, Tool};
use ulib::sync::{Mutex, Semaphore};
use ulib::thread::{self, JoinHandle};

ulib::entry!(main);

const TOOL: Tool = Tool::new("prodcons", "prodcons [ITEMS]");

/// Items per producer when no ITEMS is given, and the most allowed.
const DEFAULT_ITEMS: u64 = 6;
const MAX_ITEMS: u64 = 1000;
/// Producers and consumers.
const PRODUCERS: u64 = 2;
const CONSUMERS: u64 = 2;
/// Slots of the buffer.
const SLOTS: usize = 3;
/// Pauses that make producers faster than consumers, in milliseconds.
const PRODUCER_PAUSE_MS: u64 = 10;
const CONSUMER_PAUSE_MS: u64 = 35;

/// The bounded buffer.
struct Buffer {
    /// Free slots.
    empty: Semaphore,
    /// Used slots.
    full: Semaphore,
    /// The slots, and the lock that makes using them mutually exclusive.
    slots: Mutex<VecDeque<u64>>,
}

impl Buffer {
    fn put(&self, who: &str, item: u64) {
        if !self.empty.try_p() {
            ulib::println!("{who}: buffer full, waits in P(empty)");
            self.empty.p();
        }
        let mut slots = self.slots.lock();
        slots.push_back(item);
        ulib::println!("{who}: put  {item:<5}{}", picture(&slots));
        drop(slots);
        self.full.v();
    }

    fn take(&self, who: &str) -> u64 {
        if !self.full.try_p() {
            ulib::println!("{who}: buffer empty, waits in P(full)");
            self.full.p();
        }
        let mut slots = self.slots.lock();
        // `full` counted an item in, so there is one.
        let item = slots.pop_front().unwrap_or(u64::MAX);
        ulib::println!("{who}: took {item:<5}{}", picture(&slots));
        drop(slots);
        self.empty.v();
        item
    }
}

/// `[##.] 2 of 3 slots used`.
fn picture(slots: &VecDeque<u64>) -> String {
    let mut text = String::from("[");
    text.extend((0..SLOTS).map(|slot| if slot < slots.len() { '#' } else { '.' }));
    text.push_str(&alloc::format!("] {} of {SLOTS} slots used", slots.len()));
    text
}

fn main() -> i32 {
    let mut items = None;
    for arg in Args::new() {
        match arg {
            Arg::Operand(text) if items.is_none() => match text.parse::<u64>() {
                Ok(value) if (1..=MAX_ITEMS).contains(&value) => items = Some(value),
                _ => return TOOL.usage_error(format_args!("invalid count '{text}'")),
            },
            other => return TOOL.unexpected(other),
        }
    }
    let items = items.unwrap_or(DEFAULT_ITEMS);
    let total = PRODUCERS * items;
    let buffer = Arc::new(Buffer {
        empty: Semaphore::new(SLOTS as u32),
        full: Semaphore::new(0),
        slots: Mutex::new(VecDeque::with_capacity(SLOTS)),
    });
    ulib::println!(
        "prodcons: {PRODUCERS} producers x {items} items, {CONSUMERS} consumers, {SLOTS} slots"
    );

    let mut producers = Vec::new();
    for producer in 0..PRODUCERS {
        let buffer = Arc::clone(&buffer);
        producers.push(spawn(move || {
            let who = alloc::format!("producer {producer}");
            for i in 0..items {
                buffer.put(&who, producer * 1000 + i);
                let _ = ulib::sleep_ms(PRODUCER_PAUSE_MS);
            }
            Vec::new()
        }));
    }
    let mut consumers = Vec::new();
    for consumer in 0..CONSUMERS {
        let buffer = Arc::clone(&buffer);
        // The consumers share the items out: the first takes any remainder.
        let share = total / CONSUMERS + if consumer == 0 { total % CONSUMERS } else { 0 };
        consumers.push(spawn(move || {
            let who = alloc::format!("consumer {consumer}");
            (0..share)
                .map(|_| {
                    let _ = ulib::sleep_ms(CONSUMER_PAUSE_MS);
                    buffer.take(&who)
                })
                .collect()
        }));
    }

    producers
        .into_iter()
        .for_each(|producer| drop(producer.join()));
    let mut consumed: Vec<u64> = consumers.into_iter().flat_map(JoinHandle::join).collect();
    consumed.sort_unstable();
    let mut produced: Vec<u64> = (0..PRODUCERS)
        .flat_map(|producer| (0..items).map(move |i| producer * 1000 + i))
        .collect();
    produced.sort_unstable();
    if consumed == produced {
        ulib::println!("prodcons: all {total} items consumed exactly once");
        0
    } else {
        ulib::println!("prodcons: produced {produced:?} but consumed {consumed:?}");
        1
    }
}

/// Starts a thread, or ends the demo if the system cannot make one.
fn spawn(main: impl FnOnce() -> Vec<u64> + Send + 'static) -> JoinHandle<Vec<u64>> {
    thread::spawn(main).unwrap_or_else(|error| {
        TOOL.error("spawn", error);
        ulib::exit(1)
    })
}
