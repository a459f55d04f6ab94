//! Test `t_alloc` (expects `exit=0`): ulib's global allocator.
//!
//! - `Vec` grows by doubling to a few hundred KiB and keeps its contents.
//! - `Box` (of a large array, of a trait object, of an over-aligned value) and `String`
//!   formatting work.
//! - Freed memory is reused: allocating and freeing 64 KiB a thousand times (64 MiB in
//!   total, far more than the 1 MiB arena) never runs out.
//! - Fragmentation heals: after many interleaved small allocations are freed, the arena is
//!   one free block again and a 900 KiB request succeeds.
//! - A request larger than the arena fails cleanly (`try_reserve` reports an error) and the
//!   allocator keeps working afterwards.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;
use core::hint::black_box;

use ulib::heap::{ARENA_SIZE, HEAP};
use ulib::{check, check_eq};

ulib::entry!(main);

fn main() -> i32 {
    check_eq!(
        HEAP.free_space(),
        (ARENA_SIZE, ARENA_SIZE),
        "the arena is free at start"
    );
    check_vec_growth();
    check_boxes();
    check_strings();
    check_reuse();
    check_fragmentation();
    check_exhaustion();
    check_eq!(
        HEAP.free_space(),
        (ARENA_SIZE, ARENA_SIZE),
        "everything was freed at the end"
    );
    ulib::println!("t_alloc: ok");
    0
}

fn check_vec_growth() {
    // 60 000 u32s: 240 KB of data in a 256 KiB buffer after 15 doublings.
    let mut numbers: Vec<u32> = Vec::new();
    for i in 0..60_000u32 {
        numbers.push(i.wrapping_mul(2_654_435_761));
    }
    check!(
        numbers.capacity() * 4 >= 240_000,
        "capacity {} after growth",
        numbers.capacity()
    );
    for (i, &n) in numbers.iter().enumerate() {
        check_eq!(
            n,
            (i as u32).wrapping_mul(2_654_435_761),
            "element {i} survived growth"
        );
    }
    let sum: u64 = numbers.iter().map(|&n| u64::from(n)).sum();
    let expected: u64 = (0..60_000u32)
        .map(|i| u64::from(i.wrapping_mul(2_654_435_761)))
        .sum();
    check_eq!(sum, expected, "sum of the grown vector");
    numbers.truncate(10);
    numbers.shrink_to_fit();
    check_eq!(numbers.len(), 10, "length after shrinking");
    check_eq!(
        numbers[9],
        9u32.wrapping_mul(2_654_435_761),
        "content after shrinking"
    );
}

trait Shape {
    fn area(&self) -> u32;
}

struct Rectangle(u32, u32);

impl Shape for Rectangle {
    fn area(&self) -> u32 {
        self.0 * self.1
    }
}

/// A value that needs page alignment.
#[repr(align(4096))]
struct Page([u8; 4096]);

fn check_boxes() {
    // Built in place on the heap: a 100 KB array could overflow a small user stack.
    let big: Box<[u8]> = black_box(vec![7u8; 100_000].into_boxed_slice());
    check_eq!(big.len(), 100_000, "length of a boxed 100 KB slice");
    check!(
        big.iter().all(|&b| b == 7),
        "a boxed 100 KB slice holds its bytes"
    );
    let answer = black_box(Box::new(42u64));
    check_eq!(*answer, 42, "a boxed u64");
    let shapes: Vec<Box<dyn Shape>> = (1..=10)
        .map(|n| Box::new(Rectangle(n, n + 1)) as Box<dyn Shape>)
        .collect();
    let total: u32 = shapes.iter().map(|shape| shape.area()).sum();
    check_eq!(total, 440, "sum of the areas of the boxed trait objects");
    let pages: Vec<Box<Page>> = (0..3).map(|n| Box::new(Page([n; 4096]))).collect();
    for (n, page) in pages.iter().enumerate() {
        let addr = &raw const **page as usize;
        check_eq!(
            addr % 4096,
            0,
            "boxed page {n} at {addr:#x} is page aligned"
        );
        check!(
            page.0.iter().all(|&b| usize::from(b) == n),
            "boxed page {n} holds its bytes"
        );
    }
}

fn check_strings() {
    let text = format!("{}-{:04x}-{:?}-{:>5}", 42, 255, "quoted", 3.5);
    check_eq!(text.as_str(), "42-00ff-\"quoted\"-  3.5", "format! output");
    let mut long = String::new();
    for i in 0..5000 {
        long.push_str(&i.to_string());
        long.push(',');
    }
    check_eq!(long.len(), 23_890, "length of a string grown 5000 times");
    check!(
        long.starts_with("0,1,2,3,") && long.ends_with("4998,4999,"),
        "string content"
    );
    let words: Vec<&str> = long.split(',').filter(|w| !w.is_empty()).collect();
    check_eq!(words.len(), 5000, "words in the long string");
}

fn check_reuse() {
    for round in 0..1000usize {
        // `black_box` keeps the compiler from eliding the allocation.
        let block = black_box(vec![round as u8; 64 * 1024]);
        check_eq!(
            HEAP.free_space().0,
            ARENA_SIZE - 64 * 1024,
            "only block {round} is allocated"
        );
        check_eq!(block[0], round as u8, "first byte of 64 KiB block {round}");
        check_eq!(
            block[64 * 1024 - 1],
            round as u8,
            "last byte of 64 KiB block {round}"
        );
    }
}

fn check_fragmentation() {
    // Interleave allocations of many sizes so freeing leaves holes between live blocks.
    let mut map = BTreeMap::new();
    let mut keep = Vec::new();
    for i in 0..2000u32 {
        map.insert(i, vec![i as u8; (i as usize % 97) + 1]);
        if i % 3 == 0 {
            keep.push(Box::new(i));
        }
    }
    for i in (0..2000u32).step_by(2) {
        map.remove(&i);
    }
    check_eq!(map.len(), 1000, "entries left in the map");
    for (&key, value) in &map {
        check!(
            value.len() == (key as usize % 97) + 1 && value.iter().all(|&b| b == key as u8),
            "map value {key}"
        );
    }
    drop(map);
    drop(keep);
    check_eq!(
        HEAP.free_space(),
        (ARENA_SIZE, ARENA_SIZE),
        "freed blocks merged into one"
    );
    let mut large: Vec<u8> = Vec::new();
    check!(
        large.try_reserve_exact(900 * 1024).is_ok(),
        "900 KiB fits after coalescing"
    );
    large.resize(900 * 1024, 0xa5);
    check!(
        large.iter().all(|&b| b == 0xa5),
        "the 900 KiB block holds its bytes"
    );
}

fn check_exhaustion() {
    let mut huge: Vec<u8> = Vec::new();
    check!(
        huge.try_reserve_exact(2 * ARENA_SIZE).is_err(),
        "a 2 MiB request fails cleanly"
    );
    check!(
        huge.try_reserve_exact(ARENA_SIZE + 1).is_err(),
        "arena size + 1 fails cleanly"
    );
    let hold = black_box(vec![1u8; ARENA_SIZE / 2]);
    check!(
        huge.try_reserve_exact(ARENA_SIZE / 2 + 4096).is_err(),
        "a request larger than what is left fails cleanly"
    );
    check_eq!(
        hold.iter().map(|&b| usize::from(b)).sum::<usize>(),
        ARENA_SIZE / 2,
        "the held block"
    );
    drop(hold);
    let after = black_box(vec![3u8; 100_000]);
    check_eq!(after[99_999], 3, "allocation works after failures");
}
