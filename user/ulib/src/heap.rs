//! The global allocator: first fit over a free list, in a static 1 MiB arena in `.bss`.
//!
//! Invariants:
//! - Every block (free or allocated) starts at a multiple of `UNIT` inside the arena and
//!   its size is a non-zero multiple of `UNIT`; a request is rounded up the same way on
//!   `alloc` and on `dealloc`, so no header is needed to know a block's size.
//! - The free list is sorted by address and no two free blocks touch: `dealloc` merges a
//!   freed block with both neighbours, so freeing everything leaves one block again.
//! - Each free block holds its `FreeBlock` node in its first bytes (`UNIT` is its size).
//! - The list is touched only with [`HEAP`]'s lock held.
//!
//! When no block fits, `alloc` returns null: `Vec::try_reserve` and friends see an error,
//! and infallible allocations end in `alloc::alloc::handle_alloc_error`, which in `no_std`
//! panics with "memory allocation of N bytes failed"; the panic handler prints that and
//! exits with status 101.

use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;
use core::mem::size_of;
use core::ptr;
use core::sync::atomic::{AtomicBool, Ordering};

/// Bytes in the arena.
pub const ARENA_SIZE: usize = 1 << 20;

/// Allocation granularity and smallest alignment handed out.
const UNIT: usize = 16;

/// The node at the start of every free block.
#[repr(C)]
struct FreeBlock {
    /// Bytes in this block, including the node.
    size: usize,
    /// The next free block at a higher address, or null.
    next: *mut FreeBlock,
}

const _: () = assert!(size_of::<FreeBlock>() == UNIT);

/// The arena's bytes, page aligned.
#[repr(C, align(4096))]
struct Arena([u8; ARENA_SIZE]);

/// The arena, its free list and the lock that guards both.
pub struct Heap {
    arena: UnsafeCell<Arena>,
    /// First free block; null before the first allocation (or when the arena is full).
    head: UnsafeCell<*mut FreeBlock>,
    /// The free list has been set up (one block spanning the arena).
    ready: UnsafeCell<bool>,
    locked: AtomicBool,
}

// SAFETY: every access to the cells goes through `Heap::lock`, which admits one thread at a
// time, so sharing `&Heap` between threads cannot race.
unsafe impl Sync for Heap {}

/// The allocator behind `alloc::{boxed::Box, vec::Vec, string::String}`.
#[global_allocator]
pub static HEAP: Heap = Heap {
    arena: UnsafeCell::new(Arena([0; ARENA_SIZE])),
    head: UnsafeCell::new(ptr::null_mut()),
    ready: UnsafeCell::new(false),
    locked: AtomicBool::new(false),
};

/// Holds [`Heap::locked`] until dropped.
struct Guard<'a>(&'a AtomicBool);

impl Drop for Guard<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

/// `size` rounded up to [`UNIT`]; `None` on overflow. Zero-sized requests get one unit.
fn block_size(layout: Layout) -> Option<usize> {
    layout.size().max(1).checked_next_multiple_of(UNIT)
}

impl Heap {
    fn lock(&self) -> Guard<'_> {
        while self
            .locked
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            core::hint::spin_loop();
        }
        Guard(&self.locked)
    }

    /// The free-list node at `addr`, which lies inside the arena.
    fn node_at(&self, addr: usize) -> *mut FreeBlock {
        self.arena.get().cast::<u8>().with_addr(addr).cast()
    }

    /// The head of the free list, setting up the single all-arena block on first use.
    ///
    /// # Safety
    /// The caller holds the lock.
    unsafe fn head(&self) -> *mut *mut FreeBlock {
        // SAFETY: the caller holds the lock, so nothing else touches `ready`, `head` or the
        // arena; the arena start is UNIT aligned and the arena has room for the node.
        unsafe {
            if !*self.ready.get() {
                let first = self.arena.get().cast::<FreeBlock>();
                first.write(FreeBlock {
                    size: ARENA_SIZE,
                    next: ptr::null_mut(),
                });
                *self.head.get() = first;
                *self.ready.get() = true;
            }
        }
        self.head.get()
    }

    /// Bytes in free blocks and the size of the largest one (for tests and diagnostics).
    pub fn free_space(&self) -> (usize, usize) {
        let _guard = self.lock();
        let (mut total, mut largest) = (0, 0);
        // SAFETY: the lock is held; the list links only valid free-block nodes in the arena.
        unsafe {
            let mut block = *self.head();
            while !block.is_null() {
                total += (*block).size;
                largest = largest.max((*block).size);
                block = (*block).next;
            }
        }
        (total, largest)
    }
}

// SAFETY: `alloc` hands out UNIT-multiple ranges cut from free blocks that satisfy the
// layout's size and alignment, and removes them from the free list, so live allocations never
// overlap each other or the list; `dealloc` returns exactly the range `alloc` gave out for
// the same layout (same rounding), keeping the list sorted and merged.
unsafe impl GlobalAlloc for Heap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let Some(size) = block_size(layout) else {
            return ptr::null_mut();
        };
        let align = layout.align().max(UNIT);
        let _guard = self.lock();
        // SAFETY: the lock is held, so this thread alone walks and edits the list, whose
        // nodes are valid free blocks inside the arena (see the module invariants).
        unsafe {
            let mut link = self.head();
            while !(*link).is_null() {
                let block = *link;
                let start = block as usize;
                let end = start + (*block).size;
                let fits = start
                    .checked_next_multiple_of(align)
                    .and_then(|aligned| Some((aligned, aligned.checked_add(size)?)))
                    .filter(|&(_, used_end)| used_end <= end);
                if let Some((aligned, used_end)) = fits {
                    // What follows the allocation stays free (`end - used_end` is a UNIT
                    // multiple, as are all addresses and sizes here).
                    let mut rest = (*block).next;
                    if used_end < end {
                        let tail = self.node_at(used_end);
                        tail.write(FreeBlock {
                            size: end - used_end,
                            next: rest,
                        });
                        rest = tail;
                    }
                    // So does the gap that alignment left in front of it.
                    if aligned > start {
                        (*block).size = aligned - start;
                        (*block).next = rest;
                    } else {
                        *link = rest;
                    }
                    return self.node_at(aligned).cast();
                }
                link = &raw mut (*block).next;
            }
        }
        ptr::null_mut()
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // `alloc` succeeded for this layout, so the rounding cannot overflow.
        let size = block_size(layout).unwrap_or(UNIT);
        let start = ptr as usize;
        let end = start + size;
        let _guard = self.lock();
        // SAFETY: the lock is held; `ptr..ptr+size` is a block `alloc` gave out for this
        // layout and the caller no longer uses, so it may become a free-list node, and the
        // other nodes are valid free blocks inside the arena.
        unsafe {
            let head = self.head();
            // Find the free neighbours: `prev` below the block, `next` above it.
            let mut prev: *mut FreeBlock = ptr::null_mut();
            let mut next = *head;
            while !next.is_null() && (next as usize) < start {
                prev = next;
                next = (*next).next;
            }
            let block = ptr.cast::<FreeBlock>();
            block.write(FreeBlock { size, next });
            if !next.is_null() && next as usize == end {
                (*block).size += (*next).size;
                (*block).next = (*next).next;
            }
            if prev.is_null() {
                *head = block;
            } else if prev as usize + (*prev).size == start {
                (*prev).size += (*block).size;
                (*prev).next = (*block).next;
            } else {
                (*prev).next = block;
            }
        }
    }
}
