//! Host tests of the buddy allocator: splitting, merging, alignment, error reporting,
//! fragmentation figures, and a randomized stress test that checks the allocator's
//! invariants (every managed frame in exactly one block, consistent free lists, no two free
//! buddies of the same order) after every step.

use super::*;
use std::vec;
use std::vec::Vec;

/// A metadata array for `frames` frames.
fn metadata(frames: usize) -> Vec<FrameMeta> {
    vec![FrameMeta::RESERVED; frames]
}

/// The free blocks as sorted (frame, order) pairs, after checking the free lists' links,
/// head states and counters against each other.
fn free_blocks(allocator: &BuddyAllocator<'_>) -> Vec<(usize, usize)> {
    let mut blocks = Vec::new();
    for order in 0..ORDERS {
        let mut previous = NO_FRAME;
        let mut index = allocator.free_list_heads[order];
        let mut count = 0;
        while index != NO_FRAME {
            let slot = allocator.meta[index as usize];
            assert_eq!(slot.state, FrameState::FreeHead);
            assert_eq!(slot.order as usize, order);
            assert_eq!(slot.previous_free, previous, "broken back link");
            blocks.push((allocator.base_frame + index as usize, order));
            previous = index;
            index = slot.next_free;
            count += 1;
        }
        assert_eq!(count, allocator.stats.free_blocks[order], "order {order}");
    }
    let free_frames: usize = blocks.iter().map(|&(_, order)| 1 << order).sum();
    assert_eq!(free_frames, allocator.stats.free_frames);
    blocks.sort_unstable();
    blocks
}

/// Checks that free blocks and `live` blocks tile the managed frames exactly, that heads and
/// tails are marked as such, and that no free block has a free buddy of its order.
fn check_invariants(allocator: &BuddyAllocator<'_>, live: &[(usize, usize)]) {
    let free = free_blocks(allocator);
    let mut owner = vec![false; allocator.meta.len()];
    let mut covered = 0;
    for &(frame, order) in free.iter().chain(live) {
        assert_eq!(
            frame % (1 << order),
            0,
            "block {frame} misaligned for order {order}"
        );
        for member in frame..frame + (1 << order) {
            let index = allocator.index_of(member);
            assert!(!owner[index], "frame {member} is in two blocks");
            owner[index] = true;
            covered += 1;
            if member != frame {
                assert_eq!(allocator.meta[index].state, FrameState::Tail);
            }
        }
    }
    for &(frame, order) in live {
        let head = allocator.meta[allocator.index_of(frame)];
        assert_eq!(head.state, FrameState::AllocatedHead);
        assert_eq!(head.order as usize, order);
    }
    for &(frame, order) in &free {
        if order < MAX_ORDER {
            assert!(
                !allocator.is_free_head(frame ^ (1 << order), order),
                "free buddies of order {order} at {frame} were not merged"
            );
        }
    }
    let stats = allocator.stats();
    assert_eq!(covered, stats.managed_frames);
    let live_frames: usize = live.iter().map(|&(_, order)| 1 << order).sum();
    assert_eq!(stats.free_frames + live_frames, stats.managed_frames);
    assert_eq!(stats.allocated_frames(), live_frames);
}

#[test]
fn new_allocator_has_nothing_to_give() {
    let mut meta = metadata(16);
    let mut allocator = BuddyAllocator::new(&mut meta, 0);
    assert_eq!(allocator.alloc(0), None);
    let stats = allocator.stats();
    assert_eq!(
        (stats.managed_frames, stats.free_frames, stats.failed),
        (0, 0, 1)
    );
    assert_eq!(stats.largest_free_order(), None);
    assert_eq!(stats.unusable_index_permille(0), 0);
}

#[test]
fn alloc_splits_and_free_merges_back_to_the_original_blocks() {
    let mut meta = metadata(2048);
    let mut allocator = BuddyAllocator::new(&mut meta, 0);
    allocator.add_free_range(0, 2048);
    let original = free_blocks(&allocator);
    assert_eq!(original, [(0, MAX_ORDER), (1024, MAX_ORDER)]);

    let frame = allocator.alloc(0).unwrap();
    let stats = allocator.stats();
    assert_eq!(stats.splits, MAX_ORDER as u64);
    assert_eq!(stats.free_blocks, [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    assert_eq!(stats.free_frames, 2047);
    check_invariants(&allocator, &[(frame, 0)]);

    allocator.free(frame, 0).unwrap();
    assert_eq!(allocator.stats().merges, MAX_ORDER as u64);
    assert_eq!(free_blocks(&allocator), original);

    let mut live = Vec::new();
    for order in [3, 0, 7, 1, 0, 10, 2, 5, 0, 4] {
        let frame = allocator.alloc(order).unwrap();
        live.push((frame, order));
        check_invariants(&allocator, &live);
    }
    for &(frame, order) in live.iter().rev().step_by(2).chain(live.iter().step_by(2)) {
        allocator.free(frame, order).unwrap();
    }
    check_invariants(&allocator, &[]);
    assert_eq!(free_blocks(&allocator), original);
    let stats = allocator.stats();
    assert_eq!((stats.allocations, stats.frees), (11, 11));
    assert_eq!(stats.splits, stats.merges);
}

#[test]
fn split_halves_sit_at_the_xor_buddy_addresses() {
    let mut meta = metadata(32);
    let mut allocator = BuddyAllocator::new(&mut meta, 0);
    allocator.add_free_range(8, 16);
    let frame = allocator.alloc(0).unwrap();
    assert_eq!(frame, 8);
    let expected: Vec<_> = (0..3).map(|order| (frame ^ (1 << order), order)).collect();
    assert_eq!(free_blocks(&allocator), expected);

    let buddy = allocator.alloc(0).unwrap();
    assert_eq!(buddy, frame ^ 1);
    allocator.free(frame, 0).unwrap();
    assert_eq!(allocator.stats().merges, 0, "its buddy is still allocated");
    allocator.free(buddy, 0).unwrap();
    assert_eq!(free_blocks(&allocator), [(8, 3)]);
}

#[test]
fn every_block_is_aligned_even_with_an_unaligned_base() {
    let base = 0x80200 + 3;
    let frames = 1500;
    let mut meta = metadata(frames);
    let mut allocator = BuddyAllocator::new(&mut meta, base);
    allocator.add_free_range(base, base + frames);
    let mut live = Vec::new();
    for round in 0.. {
        let order = [4, 0, 2, 9, 1, 3][round % 6];
        match allocator.alloc(order) {
            Some(frame) => {
                assert_eq!(frame % (1 << order), 0, "order {order} block at {frame:#x}");
                assert!(frame >= base && frame + (1 << order) <= base + frames);
                live.push((frame, order));
            }
            None => match allocator.alloc(0) {
                Some(frame) => live.push((frame, 0)),
                None => break,
            },
        }
    }
    check_invariants(&allocator, &live);
    assert_eq!(allocator.stats().free_frames, 0);
}

#[test]
fn exhaustion_returns_none_and_counts_failures() {
    let mut meta = metadata(4);
    let mut allocator = BuddyAllocator::new(&mut meta, 0);
    allocator.add_free_range(0, 4);
    assert_eq!(allocator.alloc(3), None, "a block larger than all memory");
    assert_eq!(allocator.alloc(2), Some(0));
    assert_eq!(allocator.alloc(0), None);
    assert_eq!(allocator.alloc(MAX_ORDER + 1), None);
    let stats = allocator.stats();
    assert_eq!((stats.allocations, stats.failed), (1, 3));
    allocator.free(0, 2).unwrap();
    assert_eq!(allocator.alloc(0), Some(0));
}

#[test]
fn bad_frees_are_reported() {
    let base = 64;
    let mut meta = metadata(64);
    let mut allocator = BuddyAllocator::new(&mut meta, base);
    allocator.add_free_range(base, base + 32);
    let block = allocator.alloc(2).unwrap();
    let before = allocator.stats();

    assert_eq!(allocator.free(base - 1, 0), Err(BuddyError::OutOfRange));
    assert_eq!(allocator.free(base + 64, 0), Err(BuddyError::OutOfRange));
    assert_eq!(allocator.free(block + 2, 2), Err(BuddyError::Misaligned));
    assert_eq!(allocator.free(block, 1), Err(BuddyError::NotAllocated));
    assert_eq!(allocator.free(block, 3), Err(BuddyError::NotAllocated));
    assert_eq!(allocator.free(block + 1, 0), Err(BuddyError::NotAllocated));
    assert_eq!(
        allocator.free(block, MAX_ORDER + 1),
        Err(BuddyError::NotAllocated)
    );
    assert_eq!(
        allocator.free(base + 40, 0),
        Err(BuddyError::NotAllocated),
        "reserved"
    );
    assert_eq!(allocator.stats().frees, before.frees);

    allocator.free(block, 2).unwrap();
    assert_eq!(
        allocator.free(block, 2),
        Err(BuddyError::NotAllocated),
        "double free"
    );
    let free_head = free_blocks(&allocator)[0].0;
    assert_eq!(allocator.free(free_head, 5), Err(BuddyError::NotAllocated));
    check_invariants(&allocator, &[]);
}

#[test]
fn add_free_range_with_unaligned_bounds() {
    let mut meta = metadata(2048);
    let mut allocator = BuddyAllocator::new(&mut meta, 0);
    allocator.add_free_range(3, 1030);
    assert_eq!(
        free_blocks(&allocator),
        [
            (3, 0),
            (4, 2),
            (8, 3),
            (16, 4),
            (32, 5),
            (64, 6),
            (128, 7),
            (256, 8),
            (512, 9),
            (1024, 2),
            (1028, 1),
        ]
    );
    assert_eq!(allocator.stats().managed_frames, 1027);
    assert_eq!(allocator.stats().merges, 0);

    allocator.add_free_range(0, 3);
    assert_eq!(free_blocks(&allocator), [(0, 10), (1024, 2), (1028, 1)]);
    assert_eq!(allocator.stats().managed_frames, 1030);

    allocator.add_free_range(0, 1030);
    assert_eq!(
        allocator.stats().managed_frames,
        1030,
        "already managed frames are skipped"
    );
    allocator.add_free_range(1020, 100_000);
    assert_eq!(free_blocks(&allocator), [(0, 10), (1024, 10)]);
    assert_eq!(
        allocator.stats().managed_frames,
        2048,
        "clamped to the metadata array"
    );
    check_invariants(&allocator, &[]);
}

#[test]
fn add_free_range_around_allocated_blocks() {
    let mut meta = metadata(64);
    let mut allocator = BuddyAllocator::new(&mut meta, 0);
    allocator.add_free_range(0, 16);
    let live = [(allocator.alloc(4).unwrap(), 4)];
    allocator.add_free_range(0, 64);
    check_invariants(&allocator, &live);
    assert_eq!(free_blocks(&allocator), [(16, 4), (32, 5)]);
    allocator.free(live[0].0, 4).unwrap();
    assert_eq!(free_blocks(&allocator), [(0, 6)]);
}

#[test]
fn fragmentation_index_follows_free_block_sizes() {
    let frames = 1 << MAX_ORDER;
    let mut meta = metadata(frames);
    let mut allocator = BuddyAllocator::new(&mut meta, 0);
    allocator.add_free_range(0, frames);
    assert_eq!(allocator.stats().unusable_index_permille(MAX_ORDER), 0);

    let all: Vec<usize> = (0..frames).map(|_| allocator.alloc(0).unwrap()).collect();
    assert_eq!(allocator.stats().free_frames, 0);
    assert_eq!(allocator.stats().largest_free_order(), None);

    for &frame in all.iter().filter(|&&frame| frame.is_multiple_of(2)) {
        allocator.free(frame, 0).unwrap();
    }
    let stats = allocator.stats();
    assert_eq!(stats.free_frames, frames / 2);
    assert_eq!(stats.largest_free_order(), Some(0));
    assert_eq!(stats.unusable_index_permille(0), 0);
    assert_eq!(stats.unusable_index_permille(1), 1000);
    assert_eq!(stats.unusable_index_permille(MAX_ORDER), 1000);

    for &frame in all.iter().filter(|&&frame| !frame.is_multiple_of(2)) {
        allocator.free(frame, 0).unwrap();
    }
    let stats = allocator.stats();
    assert_eq!(stats.free_frames, frames);
    assert_eq!(stats.largest_free_order(), Some(MAX_ORDER));
    for order in 0..=MAX_ORDER {
        assert_eq!(stats.unusable_index_permille(order), 0);
    }
    assert_eq!(free_blocks(&allocator), [(0, MAX_ORDER)]);
}

#[test]
fn fragmentation_index_counts_partial_usability() {
    let mut meta = metadata(16);
    let mut allocator = BuddyAllocator::new(&mut meta, 0);
    allocator.add_free_range(0, 16);
    let quarter = allocator.alloc(2).unwrap();
    let single = allocator.alloc(0).unwrap();
    assert_eq!((quarter, single), (0, 4));
    // Free: 5 (order 0), 6 (order 1), 8 (order 3) — 11 frames.
    let stats = allocator.stats();
    assert_eq!(stats.free_frames, 11);
    assert_eq!(stats.unusable_index_permille(1), 1000 / 11);
    assert_eq!(stats.unusable_index_permille(2), 3000 / 11);
    assert_eq!(stats.unusable_index_permille(3), 3000 / 11);
    assert_eq!(stats.unusable_index_permille(4), 1000);
    assert_eq!(stats.largest_free_order(), Some(3));
}

#[test]
fn order_for_pages_rounds_up_to_a_power_of_two() {
    let expected = [
        (0, 0),
        (1, 0),
        (2, 1),
        (3, 2),
        (4, 2),
        (5, 3),
        (1024, 10),
        (1025, 11),
    ];
    for (pages, order) in expected {
        assert_eq!(order_for_pages(pages), order, "{pages} pages");
    }
}

/// Marsaglia's xorshift64: a small deterministic generator for the stress test.
struct XorShift64(u64);

impl XorShift64 {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound as u64) as usize
    }
}

#[test]
fn randomized_alloc_free_keeps_every_invariant() {
    let base = 0x8_0000 + 5;
    let frames = 3000;
    let mut meta = metadata(frames);
    let mut allocator = BuddyAllocator::new(&mut meta, base);
    allocator.add_free_range(base, base + 1200);
    allocator.add_free_range(base + 1300, base + frames);
    let original = free_blocks(&allocator);

    let mut random = XorShift64(0x2545_f491_4f6c_dd1d);
    let mut live: Vec<(usize, usize)> = Vec::new();
    let mut last_freed = None;
    for _ in 0..4000 {
        let roll = random.below(100);
        if roll < 50 || live.is_empty() {
            let order = if roll.is_multiple_of(10) {
                random.below(MAX_ORDER + 2)
            } else {
                random.below(4)
            };
            let failures = allocator.stats().failed;
            match allocator.alloc(order) {
                Some(frame) => live.push((frame, order)),
                None => assert_eq!(allocator.stats().failed, failures + 1),
            }
        } else if roll < 95 {
            let (frame, order) = live.swap_remove(random.below(live.len()));
            assert_eq!(allocator.free(frame, order), Ok(()));
            last_freed = Some((frame, order));
        } else if let Some((frame, order)) = last_freed
            && !live.iter().any(|&(live_frame, _)| live_frame == frame)
        {
            assert_eq!(allocator.free(frame, order), Err(BuddyError::NotAllocated));
        }
        check_invariants(&allocator, &live);
    }

    let stats = allocator.stats();
    assert!(stats.allocations > 1000 && stats.splits > 0 && stats.merges > 0);
    for (frame, order) in live.drain(..) {
        allocator.free(frame, order).unwrap();
    }
    check_invariants(&allocator, &[]);
    assert_eq!(free_blocks(&allocator), original);
}
