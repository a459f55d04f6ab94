//! Test `t_alloc` (expects `exit=0`): ulib's global allocator on the program break.
//!
//! - The heap starts empty: nothing allocates before `main`.
//! - `Vec` grows by doubling to a few hundred KiB and keeps its contents.
//! - `Box` (of a large array, of a trait object, of an over-aligned value) and `String`
//!   formatting work.
//! - Freed memory is reused: allocating and freeing 64 KiB a thousand times (64 MiB in
//!   total) never raises the break again after the first round.
//! - Fragmentation heals: after many interleaved small allocations are freed, the heap is
//!   one free block again, and a request that fits in it does not raise the break.
//! - Memory goes back to the kernel: freeing a 2 MiB block lowers the break.
//! - A request the kernel cannot satisfy (1 TiB) fails cleanly (`try_reserve` reports an
//!   error) and the allocator keeps working afterwards.

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

use ulib::heap::{HEAP, TRIM_THRESHOLD, Usage};
use ulib::{check, check_eq, raw};

ulib::entry!(main);

fn main() -> i32 {
    check_eq!(HEAP.usage(), Usage::default(), "the heap is empty at start");
    check_vec_growth();
    check_boxes();
    check_strings();
    check_reuse();
    check_fragmentation();
    check_trim();
    check_exhaustion();
    check_all_free("at the end");
    ulib::println!("t_alloc: ok");
    0
}

/// Checks that nothing is allocated: the heap is one free block spanning all it holds.
fn check_all_free(when: &str) {
    let usage = HEAP.usage();
    check!(
        usage.held > 0 && usage.free == usage.held && usage.largest_free == usage.held,
        "{when}, the heap is one free block: {usage:?}"
    );
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
    let mut held = 0;
    for round in 0..1000usize {
        // `black_box` keeps the compiler from eliding the allocation.
        let block = black_box(vec![round as u8; 64 * 1024]);
        let usage = HEAP.usage();
        if round == 0 {
            held = usage.held;
        }
        check_eq!(usage.held, held, "the heap did not grow in round {round}");
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
    check_all_free("after the fragmenting allocations are freed");
    let held = HEAP.usage().held;
    let fits = held - 4096;
    let mut large: Vec<u8> = Vec::new();
    check!(
        large.try_reserve_exact(fits).is_ok(),
        "{fits} bytes fit after coalescing"
    );
    check_eq!(
        HEAP.usage().held,
        held,
        "a request that fits the coalesced block does not grow the heap"
    );
    large.resize(fits, 0xa5);
    check!(
        large.iter().all(|&b| b == 0xa5),
        "the {fits}-byte block holds its bytes"
    );
}

fn check_trim() {
    let held = HEAP.usage().held;
    let size = 2 * 1024 * 1024;
    let big = black_box(vec![0x5au8; size]);
    let grown = HEAP.usage().held;
    let raised = raw::brk(0);
    check!(
        grown >= held + size,
        "the heap grew by at least {size}: {held} -> {grown}"
    );
    check!(
        big.iter().all(|&b| b == 0x5a),
        "the 2 MiB block holds its bytes"
    );
    drop(big);
    let after = HEAP.usage();
    let lowered = raw::brk(0);
    check!(
        after.held < grown - size + TRIM_THRESHOLD,
        "freeing 2 MiB at the top gave it back: held {grown} -> {}",
        after.held
    );
    check!(
        lowered < raised,
        "freeing 2 MiB at the top lowered the break: {raised:#x} -> {lowered:#x}"
    );
}

fn check_exhaustion() {
    let mut huge: Vec<u8> = Vec::new();
    for size in [1usize << 40, 1 << 39] {
        check!(
            huge.try_reserve_exact(size).is_err(),
            "a request for {size:#x} bytes fails cleanly"
        );
    }
    let after = black_box(vec![3u8; 100_000]);
    check_eq!(after[99_999], 3, "allocation works after failures");
}
