//! The heap (P4): the memory between the end of the program's image and the program break,
//! which `brk` moves, and the global allocator that carves it up (`malloc`/`free` of the
//! user library).
//!
//! This module owns the break. The allocator raises it in steps of at least [`CHUNK`] bytes
//! when no free block fits a request, and lowers it again when a free block of at least
//! [`TRIM_THRESHOLD`] bytes lies at the top ([`CHUNK`] bytes of it stay). [`extend_break`]
//! and [`release_break`] hand whole regions above the break to a program, for tests of
//! `brk` itself. `raw::brk` bypasses all of this: a program that lowers the break under
//! memory this module handed out loses that memory.
//!
//! Allocator invariants:
//! - Every block (free or allocated) starts at a multiple of `UNIT` and its size is a
//!   non-zero multiple of `UNIT`; a request is rounded up the same way on `alloc` and on
//!   `dealloc`, so no header is needed to know a block's size.
//! - The free list is sorted by address and no two free blocks touch: freeing merges a block
//!   with both neighbours, and so does adding a region obtained from `brk`, so freeing
//!   everything leaves one block per run of contiguous regions (one, unless something else
//!   moved the break in between).
//! - Each free block holds its `FreeBlock` node in its first bytes (`UNIT` is its size).
//! - `top` is the break as the allocator last set it. The allocator lowers the break only
//!   if the break is still `top` (nobody else raised it) and only over the free block that
//!   ends there, so it never gives back memory in use or memory it does not hold.
//! - The state, and moving the break, are done only with [`HEAP`]'s lock held.
//!
//! The lock is a futex [`Mutex`]: a thread that finds it held sleeps instead of spinning,
//! which matters when the holder was preempted on the same hart (a spinner would burn its
//! whole time slice while the holder cannot run). A thread never holds it while allocating
//! again, and signal handlers must not allocate (one that interrupts an allocation in its
//! own thread would wait for itself forever).
//!
//! When no block fits and the kernel refuses to raise the break, `alloc` returns null:
//! `Vec::try_reserve` and friends see an error, and infallible allocations end in
//! `alloc::alloc::handle_alloc_error`, which in `no_std` panics with "memory allocation of
//! N bytes failed"; the panic handler prints that and exits with status 101.

use core::alloc::{GlobalAlloc, Layout};
use core::mem::size_of;
use core::ptr;

use abi::Errno;
use abi::mm::PAGE_SIZE;

use crate::raw;
use crate::sync::{Mutex, MutexGuard};

/// Allocation granularity and smallest alignment handed out.
const UNIT: usize = 16;

/// The allocator raises the break by at least this many bytes at a time.
pub const CHUNK: usize = 64 * 1024;

/// A free block at the top at least this large is given back to the kernel, but for
/// [`CHUNK`] bytes (so a program that frees and reallocates does not move the break each
/// time).
pub const TRIM_THRESHOLD: usize = 4 * CHUNK;

/// The node at the start of every free block.
#[repr(C)]
struct FreeBlock {
    /// Bytes in this block, including the node.
    size: usize,
    /// The next free block at a higher address, or null.
    next: *mut FreeBlock,
}

const _: () = assert!(size_of::<FreeBlock>() == UNIT);

/// How much memory the allocator holds, from [`Heap::usage`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    /// Bytes obtained from the kernel with `brk` and not given back.
    pub held: usize,
    /// Bytes of those in free blocks.
    pub free: usize,
    /// Bytes in the largest free block.
    pub largest_free: usize,
}

/// What the lock guards.
struct State {
    /// First free block, or null.
    head: *mut FreeBlock,
    /// The break as the allocator last set it; 0 before it first raised it.
    top: usize,
    /// Bytes obtained from the kernel and not given back.
    held: usize,
}

/// The allocator's state, behind the lock that also guards moving the break.
pub struct Heap {
    state: Mutex<State>,
}

// SAFETY: the raw pointers in `State` point into heap memory that belongs to the allocator
// as a whole, not to the thread that last touched it; `Mutex` lets one thread at a time use
// them.
unsafe impl Send for State {}

/// The allocator behind `alloc::{boxed::Box, vec::Vec, string::String}`.
#[global_allocator]
pub static HEAP: Heap = Heap {
    state: Mutex::new(State {
        head: ptr::null_mut(),
        top: 0,
        held: 0,
    }),
};

/// `size` rounded up to [`UNIT`]; `None` on overflow. Zero-sized requests get one unit.
fn block_size(layout: Layout) -> Option<usize> {
    layout.size().max(1).checked_next_multiple_of(UNIT)
}

/// The free-list node at `addr` (memory the kernel mapped for the heap, so the pointer
/// takes its provenance from the address).
fn node_at(addr: usize) -> *mut FreeBlock {
    ptr::with_exposed_provenance_mut(addr)
}

impl State {
    /// Cuts a block of `size` bytes aligned to `align` out of the first free block that has
    /// room, and returns its address.
    fn take_first_fit(&mut self, size: usize, align: usize) -> Option<usize> {
        // SAFETY: `&mut self` means the lock is held, so this thread alone walks and edits
        // the list, whose nodes are valid free blocks (module invariants).
        unsafe {
            let mut link: *mut *mut FreeBlock = &mut self.head;
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
                        let tail = node_at(used_end);
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
                    return Some(aligned);
                }
                link = &raw mut (*block).next;
            }
        }
        None
    }

    /// Adds `start..start + size` to the free list, merged with the free blocks it touches,
    /// and returns the block that now holds it.
    ///
    /// # Safety
    /// The range is UNIT aligned, a non-zero multiple of UNIT long, mapped and writable, and
    /// no longer used by anything: not allocated, not in the free list.
    unsafe fn insert_free(&mut self, start: usize, size: usize) -> *mut FreeBlock {
        let end = start + size;
        // SAFETY: the lock is held (`&mut self`); the caller hands over the range, so it may
        // become a node, and the other nodes are valid free blocks (module invariants).
        unsafe {
            // Find the free neighbours: `prev` below the range, `next` above it.
            let mut prev: *mut FreeBlock = ptr::null_mut();
            let mut next = self.head;
            while !next.is_null() && (next as usize) < start {
                prev = next;
                next = (*next).next;
            }
            let block = node_at(start);
            block.write(FreeBlock { size, next });
            if !next.is_null() && next as usize == end {
                (*block).size += (*next).size;
                (*block).next = (*next).next;
            }
            if prev.is_null() {
                self.head = block;
                block
            } else if prev as usize + (*prev).size == start {
                (*prev).size += (*block).size;
                (*prev).next = (*block).next;
                prev
            } else {
                (*prev).next = block;
                block
            }
        }
    }

    /// Raises the break so that a free block of at least `need` bytes, UNIT aligned, exists.
    fn grow(&mut self, need: usize) -> Result<(), Errno> {
        let old = raw::brk(0);
        let start = old.checked_next_multiple_of(UNIT).ok_or(Errno::ENOMEM)?;
        let end = start
            .checked_add(need.max(CHUNK))
            .and_then(|end| end.checked_next_multiple_of(PAGE_SIZE))
            .ok_or(Errno::ENOMEM)?;
        if raw::brk(end) != end {
            return Err(Errno::ENOMEM);
        }
        self.top = end;
        self.held += end - start;
        // SAFETY: the kernel just mapped `old..end` for the heap (the break moved there), no
        // Rust code refers to memory that lay above the old break, and `start..end` is UNIT
        // aligned and a UNIT multiple long (`end` is a page boundary).
        unsafe { self.insert_free(start, end - start) };
        Ok(())
    }

    /// Gives the top of `block` back to the kernel if it is a large free block that ends at
    /// the break the allocator set (see [`TRIM_THRESHOLD`]).
    ///
    /// # Safety
    /// `block` is a node of the free list.
    unsafe fn trim(&mut self, block: *mut FreeBlock) {
        let start = block as usize;
        // SAFETY: the caller passes a valid node, and `&mut self` means the lock is held.
        let size = unsafe { (*block).size };
        if start + size != self.top || size < TRIM_THRESHOLD || raw::brk(0) != self.top {
            return;
        }
        let new_top = (start + CHUNK).next_multiple_of(PAGE_SIZE);
        if raw::brk(new_top) == new_top {
            // SAFETY: as above; the block now ends at the lowered break.
            unsafe { (*block).size = new_top - start };
            self.held -= self.top - new_top;
            self.top = new_top;
        }
    }
}

impl Heap {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock()
    }

    /// How much memory the allocator holds and how much of it is free.
    pub fn usage(&self) -> Usage {
        let state = self.lock();
        let mut usage = Usage {
            held: state.held,
            ..Usage::default()
        };
        let mut block = state.head;
        while !block.is_null() {
            // SAFETY: the lock is held; the list links only valid free-block nodes.
            let (size, next) = unsafe { ((*block).size, (*block).next) };
            usage.free += size;
            usage.largest_free = usage.largest_free.max(size);
            block = next;
        }
        usage
    }
}

// SAFETY: `alloc` hands out UNIT-multiple ranges cut from free blocks that satisfy the
// layout's size and alignment, and removes them from the free list, so live allocations never
// overlap each other or the list; `dealloc` returns exactly the range `alloc` gave out for
// the same layout (same rounding), keeping the list sorted and merged; the break is lowered
// only over free memory (module invariants).
unsafe impl GlobalAlloc for Heap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let Some(size) = block_size(layout) else {
            return ptr::null_mut();
        };
        let align = layout.align().max(UNIT);
        let mut state = self.lock();
        if let Some(addr) = state.take_first_fit(size, align) {
            return node_at(addr).cast();
        }
        // A new region starts UNIT aligned, so `align - UNIT` bytes of slack always suffice.
        let grown = size
            .checked_add(align - UNIT)
            .ok_or(Errno::ENOMEM)
            .and_then(|need| state.grow(need));
        match grown.ok().and_then(|()| state.take_first_fit(size, align)) {
            Some(addr) => node_at(addr).cast(),
            None => ptr::null_mut(),
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // `alloc` succeeded for this layout, so the rounding cannot overflow.
        let size = block_size(layout).unwrap_or(UNIT);
        let mut state = self.lock();
        // SAFETY: `ptr..ptr+size` is a block `alloc` gave out for this layout, which the
        // caller no longer uses; `insert_free` returns a node of the list.
        unsafe {
            let block = state.insert_free(ptr as usize, size);
            state.trim(block);
        }
    }
}

/// Raises the break by `len` bytes and returns the new memory, which the kernel has zeroed.
/// It belongs to the caller until it is given back with [`release_break`]; the allocator
/// never uses it. `ENOMEM` if the kernel refuses.
pub fn extend_break(len: usize) -> Result<&'static mut [u8], Errno> {
    let _locked = HEAP.lock();
    let start = raw::brk(0);
    let end = start
        .checked_add(len)
        .filter(|_| len <= isize::MAX as usize)
        .ok_or(Errno::ENOMEM)?;
    if start == 0 || raw::brk(end) != end {
        return Err(Errno::ENOMEM);
    }
    // The kernel mapped `start..end` read-write when the break moved, and nothing else refers
    // to it (the break is raised only here and by the allocator, under the lock); it stays
    // mapped until the slice comes back to `release_break` (see the module comment).
    // SAFETY: as above; `start` is not null and `len` fits an isize.
    Ok(unsafe { core::slice::from_raw_parts_mut(ptr::with_exposed_provenance_mut(start), len) })
}

/// Lowers the break to the start of `region`, which must end exactly at the break (as the
/// last slice [`extend_break`] returned does, or any tail of it): `EINVAL` otherwise,
/// `ENOMEM` if the kernel refuses. Taking the only reference to the memory guarantees that
/// nothing uses it once it is unmapped.
pub fn release_break(region: &'static mut [u8]) -> Result<(), Errno> {
    let _locked = HEAP.lock();
    let start = region.as_ptr() as usize;
    if raw::brk(0) != start + region.len() {
        return Err(Errno::EINVAL);
    }
    if raw::brk(start) != start {
        return Err(Errno::ENOMEM);
    }
    Ok(())
}
