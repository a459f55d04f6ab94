//! Kernel stacks with guard pages (concept K5: a per-process kernel stack).
//!
//! Stacks live in their own kernel-half region, one slot each: an unmapped guard page, then
//! `KERNEL_STACK_PAGES` mapped pages. Running off the bottom of a stack faults on the guard
//! page instead of silently corrupting the neighbour. Slots are recycled through a free
//! list and stay mapped (with their frames) forever, so a stack's translation never
//! changes and no TLB shootdown is ever needed for it.

use crate::PAGE_SIZE;
use crate::mem::{Frame, OutOfMemory};
use crate::paging::{KERNEL_STACK_REGION, map_kernel_stack_page};
use crate::sync::SpinLock;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// Pages of usable stack per kernel stack (32 KiB).
pub const KERNEL_STACK_PAGES: usize = 8;
const SLOT_SIZE: usize = (KERNEL_STACK_PAGES + 1) * PAGE_SIZE;
const MAX_SLOTS: usize = (KERNEL_STACK_REGION.end - KERNEL_STACK_REGION.start) / SLOT_SIZE;

struct Pool {
    free: Vec<usize>,
    next_slot: usize,
    /// Frames behind every slot ever mapped (never freed: slots are reused).
    frames: Vec<Frame>,
}

static POOL: SpinLock<Pool> = SpinLock::new(
    "kernel-stacks",
    Pool {
        free: Vec::new(),
        next_slot: 0,
        frames: Vec::new(),
    },
);

/// Slots mapped so far (a lock-free mirror of `Pool::next_slot`, for the panic path).
static MAPPED_SLOTS: AtomicUsize = AtomicUsize::new(0);

/// Whether `[va, va + len)` lies inside the mapped part of one kernel stack slot.
pub(crate) fn is_stack_memory(va: usize, len: usize) -> bool {
    if !KERNEL_STACK_REGION.contains(&va) {
        return false;
    }
    let offset = va - KERNEL_STACK_REGION.start;
    let (slot, within) = (offset / SLOT_SIZE, offset % SLOT_SIZE);
    slot < MAPPED_SLOTS.load(Ordering::Acquire) && within >= PAGE_SIZE && within + len <= SLOT_SIZE
}

/// Bumped whenever a new slot is mapped; a hart fences its TLB before running on a stack
/// newer than the last generation it fenced for.
pub(crate) static GENERATION: AtomicU64 = AtomicU64::new(0);

/// A kernel stack; its slot returns to the pool when dropped.
#[derive(Debug)]
pub struct KernelStack {
    slot: usize,
    generation: u64,
}

impl KernelStack {
    /// A stack from the pool, or a newly mapped one.
    pub fn new() -> Result<KernelStack, OutOfMemory> {
        let mut pool = POOL.lock();
        if let Some(slot) = pool.free.pop() {
            return Ok(KernelStack {
                slot,
                generation: 0,
            });
        }
        let slot = pool.next_slot;
        if slot >= MAX_SLOTS {
            return Err(OutOfMemory);
        }
        let base = KERNEL_STACK_REGION.start + slot * SLOT_SIZE + PAGE_SIZE;
        for page in 0..KERNEL_STACK_PAGES {
            let frame = Frame::alloc()?;
            map_kernel_stack_page(base + page * PAGE_SIZE, frame.pa()).map_err(|_| OutOfMemory)?;
            pool.frames.push(frame);
        }
        pool.next_slot += 1;
        MAPPED_SLOTS.store(pool.next_slot, Ordering::Release);
        let generation = GENERATION.fetch_add(1, Ordering::AcqRel) + 1;
        Ok(KernelStack { slot, generation })
    }

    /// The address just above the stack (the initial stack pointer).
    pub fn top(&self) -> usize {
        KERNEL_STACK_REGION.start + (self.slot + 1) * SLOT_SIZE
    }

    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }
}

impl Drop for KernelStack {
    fn drop(&mut self) {
        POOL.lock().free.push(self.slot);
    }
}
