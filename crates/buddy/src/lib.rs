//! Concept M1, the physical frame allocator: a binary buddy system over 4 KiB frames.
//!
//! Memory is handed out in blocks of `2^order` frames (order 0..=[`MAX_ORDER`]) whose first
//! frame number is a multiple of `2^order`. The buddy of the block at frame `f` of order `k`
//! is the block at `f ^ (1 << k)`; a freed block merges with its buddy whenever the buddy is
//! free with the same order, and the merged block (at `f & !(1 << k)`, order `k + 1`) tries
//! again, so free memory always sits in the largest aligned blocks it can.
//!
//! The allocator keeps no memory of its own: the kernel carves an array of [`FrameMeta`] out
//! of RAM at boot, one slot per frame, and the free lists are threaded through that array.
//!
//! Invariants:
//! - `meta[i]` describes frame `base_frame + i`. Buddies are computed on absolute frame
//!   numbers, so `base_frame` need not be aligned; a buddy outside the array is never free.
//! - Every managed frame is in exactly one block, free or allocated. The block's first frame
//!   (its head) records the order and whether the block is free or allocated; every other
//!   frame of the block is a tail. Frames never handed to the allocator are reserved.
//! - Free list `k` holds exactly the heads of the free blocks of order `k`, linked both ways
//!   by `u32` indices into the array, so a buddy can be unlinked from the middle in O(1) and
//!   `alloc`/`free` take O(`MAX_ORDER`) steps.
//! - Two free buddies of the same order never coexist: they would have been merged.
//! - `free_frames` equals the frames in the free lists, and
//!   `free_frames + allocated frames == managed_frames`.

#![no_std]
#![forbid(unsafe_code)]

#[cfg(test)]
extern crate std;

/// Largest block order: `2^10` frames, 4 MiB.
pub const MAX_ORDER: usize = 10;
/// Number of block orders (0..=MAX_ORDER).
pub const ORDERS: usize = MAX_ORDER + 1;

/// "No frame" in a free-list link or list head.
const NO_FRAME: u32 = u32::MAX;

/// What a frame's metadata slot says about the frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FrameState {
    /// Not managed: never handed to the allocator.
    Reserved,
    /// Head of a free block, linked into the free list of its order.
    FreeHead,
    /// Head of an allocated block.
    AllocatedHead,
    /// Inside a block, not its first frame.
    Tail,
}

/// Per-frame metadata: the free-list links and, for a block head, the block's order and
/// state. The kernel allocates one per frame and lets the allocator own them.
#[derive(Clone, Copy, Debug)]
pub struct FrameMeta {
    previous_free: u32,
    next_free: u32,
    order: u8,
    state: FrameState,
}

impl FrameMeta {
    /// The slot of a frame that has not been handed to the allocator.
    pub const RESERVED: FrameMeta = FrameMeta {
        previous_free: NO_FRAME,
        next_free: NO_FRAME,
        order: 0,
        state: FrameState::Reserved,
    };
}

/// Why [`BuddyAllocator::free`] refused a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuddyError {
    /// The frame is not described by the metadata array.
    OutOfRange,
    /// The frame is not a multiple of `2^order`.
    Misaligned,
    /// No block of that order is allocated at that frame (double free, wrong order, or a
    /// frame the allocator never handed out).
    NotAllocated,
}

/// Counters and free-block census of an allocator.
#[derive(Debug, Clone, Copy, Default)]
pub struct BuddyStats {
    /// Frames handed to the allocator by `add_free_range`.
    pub managed_frames: usize,
    /// Managed frames currently free.
    pub free_frames: usize,
    /// Number of free blocks of each order.
    pub free_blocks: [usize; ORDERS],
    /// Successful `alloc` calls.
    pub allocations: u64,
    /// Successful `free` calls.
    pub frees: u64,
    /// Blocks split in two to serve a smaller allocation.
    pub splits: u64,
    /// Buddy pairs merged back into a larger block.
    pub merges: u64,
    /// `alloc` calls that returned `None`.
    pub failed: u64,
}

impl BuddyStats {
    /// Managed frames currently allocated.
    pub fn allocated_frames(&self) -> usize {
        self.managed_frames - self.free_frames
    }

    /// Unusable-free-space index for an order, in per-mille (0..=1000): the share of free
    /// frames sitting in blocks too small to satisfy an allocation of that order (0 when
    /// there are no free frames). This is the external-fragmentation figure /proc shows.
    pub fn unusable_index_permille(&self, order: usize) -> u32 {
        if self.free_frames == 0 {
            return 0;
        }
        let usable: usize = (order.min(ORDERS)..ORDERS)
            .map(|larger| self.free_blocks[larger] << larger)
            .sum();
        let unusable = self.free_frames - usable;
        (unusable * 1000 / self.free_frames) as u32
    }

    /// The order of the largest free block, `None` when nothing is free.
    pub fn largest_free_order(&self) -> Option<usize> {
        (0..ORDERS).rev().find(|&order| self.free_blocks[order] > 0)
    }
}

/// Smallest order whose block holds at least `pages` frames (0 for 0 or 1 page). The result
/// may exceed [`MAX_ORDER`], in which case `alloc` refuses it.
pub fn order_for_pages(pages: usize) -> usize {
    pages.max(1).next_power_of_two().trailing_zeros() as usize
}

/// A binary buddy allocator over the frames `base_frame .. base_frame + meta.len()`.
pub struct BuddyAllocator<'a> {
    meta: &'a mut [FrameMeta],
    base_frame: usize,
    free_list_heads: [u32; ORDERS],
    stats: BuddyStats,
}

impl<'a> BuddyAllocator<'a> {
    /// `meta[i]` describes frame number `base_frame + i`; all frames start reserved (not
    /// allocatable) whatever the slots held before.
    ///
    /// # Panics
    /// If `meta` has `u32::MAX` or more slots (links are `u32` indices).
    pub fn new(meta: &'a mut [FrameMeta], base_frame: usize) -> Self {
        assert!(
            meta.len() < NO_FRAME as usize,
            "frame metadata array too large for u32 links"
        );
        meta.fill(FrameMeta::RESERVED);
        BuddyAllocator {
            meta,
            base_frame,
            free_list_heads: [NO_FRAME; ORDERS],
            stats: BuddyStats::default(),
        }
    }

    /// Hands frames `[start, end)` (frame numbers) to the allocator, as maximal aligned
    /// blocks, coalescing with free neighbours. Frames outside the metadata array, and frames
    /// already handed over by an earlier call, are skipped, so overlapping calls are harmless.
    pub fn add_free_range(&mut self, start: usize, end: usize) {
        let first = start.max(self.base_frame);
        let last = end.min(self.base_frame + self.meta.len());
        let mut frame = first;
        while frame < last {
            if self.meta[self.index_of(frame)].state != FrameState::Reserved {
                frame += 1;
                continue;
            }
            let run_start = frame;
            while frame < last && self.meta[self.index_of(frame)].state == FrameState::Reserved {
                frame += 1;
            }
            self.add_reserved_run(run_start, frame);
        }
    }

    /// Adds a run of reserved frames, cutting it into the largest aligned blocks that fit.
    fn add_reserved_run(&mut self, start: usize, end: usize) {
        let mut block = start;
        while block < end {
            let aligned_order = block.trailing_zeros() as usize;
            let fitting_order = (end - block).ilog2() as usize;
            let order = aligned_order.min(fitting_order).min(MAX_ORDER);
            let size = 1 << order;
            for tail in block + 1..block + size {
                let index = self.index_of(tail);
                self.meta[index].state = FrameState::Tail;
            }
            self.stats.managed_frames += size;
            self.release_block(block, order);
            block += size;
        }
    }

    /// A block of `2^order` frames aligned to `2^order` (its first frame number), splitting
    /// larger blocks; `None` when exhausted or `order > MAX_ORDER`.
    pub fn alloc(&mut self, order: usize) -> Option<usize> {
        let Some(found_order) =
            (order..ORDERS).find(|&larger| self.free_list_heads[larger] != NO_FRAME)
        else {
            self.stats.failed += 1;
            return None;
        };
        let block = self.base_frame + self.free_list_heads[found_order] as usize;
        self.unlink_free(block, found_order);
        let mut block_order = found_order;
        while block_order > order {
            block_order -= 1;
            self.link_free(block + (1 << block_order), block_order);
            self.stats.splits += 1;
        }
        self.set_head(block, order, FrameState::AllocatedHead);
        self.stats.free_frames -= 1 << order;
        self.stats.allocations += 1;
        Some(block)
    }

    /// Returns a block; merges with its buddy while the buddy is free and of the same order.
    /// Fails on a frame outside the range, misaligned for the order, or not currently
    /// allocated with that order (double free).
    pub fn free(&mut self, frame: usize, order: usize) -> Result<(), BuddyError> {
        if !self.manages(frame) {
            return Err(BuddyError::OutOfRange);
        }
        if order > MAX_ORDER {
            return Err(BuddyError::NotAllocated);
        }
        if frame & ((1 << order) - 1) != 0 {
            return Err(BuddyError::Misaligned);
        }
        let head = self.meta[self.index_of(frame)];
        if head.state != FrameState::AllocatedHead || head.order as usize != order {
            return Err(BuddyError::NotAllocated);
        }
        self.stats.frees += 1;
        self.release_block(frame, order);
        Ok(())
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> BuddyStats {
        self.stats
    }

    /// Puts a block on the free lists, merging it with free buddies first. The block's tails
    /// are already tails; its head may be in any state and ends up a free head or a tail.
    fn release_block(&mut self, frame: usize, order: usize) {
        let mut block = frame;
        let mut block_order = order;
        while block_order < MAX_ORDER {
            let buddy = block ^ (1 << block_order);
            if !self.is_free_head(buddy, block_order) {
                break;
            }
            self.unlink_free(buddy, block_order);
            let upper_half = block.max(buddy);
            let index = self.index_of(upper_half);
            self.meta[index].state = FrameState::Tail;
            block = block.min(buddy);
            block_order += 1;
            self.stats.merges += 1;
        }
        self.link_free(block, block_order);
        self.stats.free_frames += 1 << order;
    }

    fn manages(&self, frame: usize) -> bool {
        frame
            .checked_sub(self.base_frame)
            .is_some_and(|index| index < self.meta.len())
    }

    fn index_of(&self, frame: usize) -> usize {
        frame - self.base_frame
    }

    fn is_free_head(&self, frame: usize, order: usize) -> bool {
        self.manages(frame) && {
            let slot = self.meta[self.index_of(frame)];
            slot.state == FrameState::FreeHead && slot.order as usize == order
        }
    }

    fn set_head(&mut self, frame: usize, order: usize, state: FrameState) {
        let index = self.index_of(frame);
        let slot = &mut self.meta[index];
        slot.order = order as u8;
        slot.state = state;
        slot.previous_free = NO_FRAME;
        slot.next_free = NO_FRAME;
    }

    /// Makes `frame` the head of a free block of `order` at the front of that free list.
    fn link_free(&mut self, frame: usize, order: usize) {
        self.set_head(frame, order, FrameState::FreeHead);
        let index = self.index_of(frame) as u32;
        let old_first = self.free_list_heads[order];
        self.meta[index as usize].next_free = old_first;
        if old_first != NO_FRAME {
            self.meta[old_first as usize].previous_free = index;
        }
        self.free_list_heads[order] = index;
        self.stats.free_blocks[order] += 1;
    }

    /// Takes the free block headed by `frame` off the list of `order`; its head keeps the
    /// `FreeHead` state until the caller gives it a new one.
    fn unlink_free(&mut self, frame: usize, order: usize) {
        let index = self.index_of(frame);
        let FrameMeta {
            previous_free,
            next_free,
            ..
        } = self.meta[index];
        if previous_free == NO_FRAME {
            self.free_list_heads[order] = next_free;
        } else {
            self.meta[previous_free as usize].next_free = next_free;
        }
        if next_free != NO_FRAME {
            self.meta[next_free as usize].previous_free = previous_free;
        }
        self.meta[index].previous_free = NO_FRAME;
        self.meta[index].next_free = NO_FRAME;
        self.stats.free_blocks[order] -= 1;
    }
}

#[cfg(test)]
mod tests;
