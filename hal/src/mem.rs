//! Physical memory: frames and the kernel heap (concept M1).
//!
//! - Frames come from a binary buddy allocator (`crates/buddy`, host-tested). Its metadata
//!   array (one entry per frame of RAM) is carved out of RAM right after the kernel image.
//! - A [`Frame`] is an owned 4 KiB frame: it is freed when dropped, and its contents are
//!   reachable only through it (via the direct map), which is what makes access safe.
//! - The kernel heap is a size-class (slab) allocator: requests up to 2 KiB come from
//!   per-class free lists carved out of frames; bigger ones are whole buddy blocks.
//! - Boot ranges (device tree, initrd, firmware) are reserved before the allocator starts
//!   and never handed out, so `'static` read-only slices of them are sound.
//!
//! Locks: `HEAP` is taken before `FRAMES` (the heap refills from the frame allocator);
//! `FRAMES` is a leaf lock.

use crate::sync::SpinLock;
use crate::{PAGE_SIZE, phys_to_virt, virt_to_phys};
use buddy::{BuddyAllocator, BuddyStats, FrameMeta};
use core::alloc::{GlobalAlloc, Layout};
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// The frame allocator has no free frame of the requested size.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct OutOfMemory;

/// RAM that the boot page table maps and where firmware puts boot data on QEMU `virt`.
const BOOT_RAM: core::ops::Range<usize> = 0x8000_0000..0x1_0000_0000;

const MAX_RESERVED: usize = 16;

struct BootReservations {
    ranges: [(usize, usize); MAX_RESERVED],
    count: usize,
}

static RESERVED: SpinLock<BootReservations> = SpinLock::new(
    "boot-reservations",
    BootReservations {
        ranges: [(0, 0); MAX_RESERVED],
        count: 0,
    },
);

static FRAMES: SpinLock<Option<BuddyAllocator<'static>>> = SpinLock::new("frames", None);

/// Whether `[pa, pa + len)` lies in the RAM window the boot page table maps.
pub fn is_boot_ram(pa: usize, len: usize) -> bool {
    pa.checked_add(len)
        .is_some_and(|end| BOOT_RAM.start <= pa && end <= BOOT_RAM.end)
}

/// Set once [`init`] has handed the free RAM to the frame allocator.
static STARTED: AtomicBool = AtomicBool::new(false);

/// Keeps `[start, end)` away from the frame allocator. Must be called before [`init`].
pub fn reserve_boot_range(start: usize, end: usize) {
    assert!(
        !STARTED.load(Ordering::Acquire),
        "boot range reserved after the frame allocator started"
    );
    let mut reserved = RESERVED.lock();
    let start = start & !(PAGE_SIZE - 1);
    let end = end.next_multiple_of(PAGE_SIZE);
    if reserved.ranges[..reserved.count]
        .iter()
        .any(|&(s, e)| s <= start && end <= e)
    {
        return;
    }
    let count = reserved.count;
    assert!(count < MAX_RESERVED, "too many reserved boot ranges");
    reserved.ranges[count] = (start, end);
    reserved.count += 1;
}

fn is_reserved(start: usize, end: usize) -> bool {
    let reserved = RESERVED.lock();
    reserved.ranges[..reserved.count]
        .iter()
        .any(|&(s, e)| s < end && start < e)
}

/// Physical RAM span `[start, end)` as handed to [`init`] (0..0 before). Atomics, not a
/// lock: the panic path reads them.
static RAM_START: AtomicUsize = AtomicUsize::new(0);
static RAM_END: AtomicUsize = AtomicUsize::new(0);

/// Whether the kernel address range `[va, va + len)` is RAM reached through the direct map.
pub fn is_kernel_ram_va(va: usize, len: usize) -> bool {
    let (start, end) = (
        RAM_START.load(Ordering::Relaxed),
        RAM_END.load(Ordering::Relaxed),
    );
    va >= crate::PHYS_OFFSET
        && virt_to_phys(va) >= start
        && virt_to_phys(va).checked_add(len).is_some_and(|e| e <= end)
}

fn is_within_reservation(start: usize, end: usize) -> bool {
    let reserved = RESERVED.lock();
    reserved.ranges[..reserved.count]
        .iter()
        .any(|&(s, e)| s <= start && end <= e)
}

/// A read-only view of boot data the firmware or QEMU left in RAM (the initrd). Before
/// [`init`] the range is reserved here; afterwards it must have been reserved already.
/// `None` if the range is not boot RAM or was not kept from the allocator.
pub fn boot_blob(start: usize, end: usize) -> Option<&'static [u8]> {
    if end < start || !is_boot_ram(start, end - start) {
        return None;
    }
    if !STARTED.load(Ordering::Acquire) {
        reserve_boot_range(start, end);
    } else if !is_within_reservation(start, end) {
        return None;
    }
    // SAFETY: the range is RAM mapped by the direct map and now reserved: the frame
    // allocator never hands it out and nothing writes it, so a shared 'static slice is sound.
    Some(unsafe { core::slice::from_raw_parts(phys_to_virt(start) as *const u8, end - start) })
}

/// Starts the frame allocator over the RAM ranges `[start, end)` (physical), minus the
/// kernel image, the firmware below it and every reserved boot range.
pub fn init(ram: &[(usize, usize)]) {
    let image = crate::boot::kernel_image();
    let kernel_end = virt_to_phys(image.end);
    let lowest = ram.iter().map(|r| r.0).min().expect("no RAM") & !(PAGE_SIZE - 1);
    let highest = ram.iter().map(|r| r.1).max().expect("no RAM") & !(PAGE_SIZE - 1);
    reserve_boot_range(lowest, kernel_end);
    RAM_START.store(lowest, Ordering::Relaxed);
    RAM_END.store(highest, Ordering::Relaxed);

    let frames = (highest - lowest) / PAGE_SIZE;
    let meta_bytes = frames * core::mem::size_of::<FrameMeta>();
    let meta_start = kernel_end;
    let meta_end = (meta_start + meta_bytes).next_multiple_of(PAGE_SIZE);
    assert!(
        !is_reserved(meta_start, meta_end),
        "no room for frame metadata after the kernel"
    );
    assert!(
        is_boot_ram(meta_start, meta_end - meta_start),
        "frame metadata outside boot RAM"
    );
    reserve_boot_range(meta_start, meta_end);

    // SAFETY: `meta_start..meta_end` is RAM after the kernel image, mapped by the direct map,
    // aligned to a page (more than FrameMeta needs), reserved above so no one else ever uses
    // it; it is initialised below before being read, and this is its only reference.
    let meta: &'static mut [FrameMeta] = unsafe {
        let ptr = phys_to_virt(meta_start) as *mut FrameMeta;
        for i in 0..frames {
            ptr.add(i).write(FrameMeta::RESERVED);
        }
        core::slice::from_raw_parts_mut(ptr, frames)
    };
    let mut allocator = BuddyAllocator::new(meta, lowest / PAGE_SIZE);

    let reserved = RESERVED.lock();
    let holes = &reserved.ranges[..reserved.count];
    for &(ram_start, ram_end) in ram {
        let mut cursor = ram_start.next_multiple_of(PAGE_SIZE);
        let end = ram_end & !(PAGE_SIZE - 1);
        while cursor < end {
            // The next reserved range at or after the cursor cuts the free run short.
            let next_hole = holes
                .iter()
                .filter(|&&(s, e)| e > cursor && s < end)
                .min_by_key(|&&(s, _)| s);
            match next_hole {
                Some(&(s, e)) if s <= cursor => cursor = e,
                Some(&(s, e)) => {
                    allocator.add_free_range(cursor / PAGE_SIZE, s / PAGE_SIZE);
                    cursor = e;
                }
                None => {
                    allocator.add_free_range(cursor / PAGE_SIZE, end / PAGE_SIZE);
                    cursor = end;
                }
            }
        }
    }
    drop(reserved);
    *FRAMES.lock() = Some(allocator);
    STARTED.store(true, Ordering::Release);
}

/// A snapshot of the frame allocator's counters.
pub fn frame_stats() -> BuddyStats {
    FRAMES
        .lock()
        .as_ref()
        .map(|a| a.stats())
        .unwrap_or_default()
}

pub(crate) fn alloc_block(order: usize) -> Result<usize, OutOfMemory> {
    let frame = FRAMES
        .lock()
        .as_mut()
        .and_then(|a| a.alloc(order))
        .ok_or(OutOfMemory)?;
    Ok(frame * PAGE_SIZE)
}

pub(crate) fn free_block(pa: usize, order: usize) {
    let result = FRAMES
        .lock()
        .as_mut()
        .map(|a| a.free(pa / PAGE_SIZE, order));
    if let Some(Err(e)) = result {
        panic!("freeing frame block {pa:#x} (order {order}): {e:?}");
    }
}

/// One owned 4 KiB physical frame; returned to the allocator when dropped.
#[derive(Debug)]
pub struct Frame {
    pa: usize,
}

impl Frame {
    /// A frame with unspecified contents.
    pub fn alloc() -> Result<Frame, OutOfMemory> {
        Ok(Frame {
            pa: alloc_block(0)?,
        })
    }

    /// A frame filled with zeros.
    pub fn alloc_zeroed() -> Result<Frame, OutOfMemory> {
        let mut frame = Frame::alloc()?;
        frame.bytes_mut().fill(0);
        Ok(frame)
    }

    /// The frame's physical address.
    pub fn pa(&self) -> usize {
        self.pa
    }

    /// The frame's contents.
    pub fn bytes(&self) -> &[u8; PAGE_SIZE] {
        // SAFETY: this `Frame` owns the frame exclusively; the direct map maps it; the
        // borrow of `self` bounds the reference.
        unsafe { &*(phys_to_virt(self.pa) as *const [u8; PAGE_SIZE]) }
    }

    /// The frame's contents, writable.
    pub fn bytes_mut(&mut self) -> &mut [u8; PAGE_SIZE] {
        // SAFETY: as in `bytes`, and `&mut self` makes this the only reference.
        unsafe { &mut *(phys_to_virt(self.pa) as *mut [u8; PAGE_SIZE]) }
    }

    /// Copies `data` into the frame at `offset`. For frames mapped into user space (maybe
    /// into several address spaces at once), whose bytes user code may change at any moment:
    /// no Rust reference to the contents is ever formed, only raw copies, as with
    /// memory shared with a device.
    pub fn write_bytes(&self, offset: usize, data: &[u8]) {
        assert!(
            offset
                .checked_add(data.len())
                .is_some_and(|end| end <= PAGE_SIZE),
            "write outside the frame"
        );
        // SAFETY: the range lies inside the frame (checked), which this handle keeps allocated
        // and which the direct map maps; a raw copy never asserts exclusive access.
        unsafe {
            core::ptr::copy_nonoverlapping(
                data.as_ptr(),
                (phys_to_virt(self.pa) + offset) as *mut u8,
                data.len(),
            )
        };
    }

    /// Copies bytes of the frame at `offset` into `buf` (see [`Frame::write_bytes`]).
    pub fn read_bytes(&self, offset: usize, buf: &mut [u8]) {
        assert!(
            offset
                .checked_add(buf.len())
                .is_some_and(|end| end <= PAGE_SIZE),
            "read outside the frame"
        );
        // SAFETY: as in `write_bytes`.
        unsafe {
            core::ptr::copy_nonoverlapping(
                (phys_to_virt(self.pa) + offset) as *const u8,
                buf.as_mut_ptr(),
                buf.len(),
            )
        };
    }

    /// Gives up ownership without freeing (the page-table code keeps tables this way).
    pub(crate) fn into_raw(self) -> usize {
        let pa = self.pa;
        core::mem::forget(self);
        pa
    }

    /// Takes back ownership of a frame from [`Frame::into_raw`] (and frees it on drop).
    pub(crate) fn from_raw(pa: usize) -> Frame {
        Frame { pa }
    }
}

impl Drop for Frame {
    fn drop(&mut self) {
        free_block(self.pa, 0);
    }
}

/// Object sizes served from slabs; bigger requests get whole buddy blocks.
const SIZE_CLASSES: [usize; 8] = [16, 32, 64, 128, 256, 512, 1024, 2048];

struct Heap {
    /// Per class: kernel address of the first free object (0 = empty). A free object's
    /// first word holds the address of the next.
    free: [usize; SIZE_CLASSES.len()],
    in_use: usize,
    high_water: usize,
}

static HEAP: SpinLock<Heap> = SpinLock::new(
    "heap",
    Heap {
        free: [0; SIZE_CLASSES.len()],
        in_use: 0,
        high_water: 0,
    },
);

/// Heap usage in bytes: (in use now, highest ever).
pub fn heap_usage() -> (usize, usize) {
    let heap = HEAP.lock();
    (heap.in_use, heap.high_water)
}

fn size_class(layout: &Layout) -> Option<usize> {
    let size = layout.size().max(layout.align());
    SIZE_CLASSES.iter().position(|&class| size <= class)
}

fn large_order(layout: &Layout) -> usize {
    buddy::order_for_pages(layout.size().max(layout.align()).div_ceil(PAGE_SIZE))
}

/// The kernel's global allocator.
pub struct KernelHeap;

// SAFETY: objects handed out are disjoint (each lives on exactly one free list or is in use),
// aligned to their class size (classes are powers of two carved from page-aligned frames,
// and the class is at least the requested alignment), and `dealloc` receives the same
// layout as `alloc`, so it returns the object to the class it came from.
unsafe impl GlobalAlloc for KernelHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let mut heap = HEAP.lock();
        let Some(class) = size_class(&layout) else {
            let order = large_order(&layout);
            return match alloc_block(order) {
                Ok(pa) => {
                    heap.in_use += PAGE_SIZE << order;
                    heap.high_water = heap.high_water.max(heap.in_use);
                    phys_to_virt(pa) as *mut u8
                }
                Err(OutOfMemory) => core::ptr::null_mut(),
            };
        };
        let size = SIZE_CLASSES[class];
        if heap.free[class] == 0 {
            let Ok(pa) = alloc_block(0) else {
                return core::ptr::null_mut();
            };
            let base = phys_to_virt(pa);
            for offset in (0..PAGE_SIZE).step_by(size).rev() {
                let object = (base + offset) as *mut usize;
                // SAFETY: the fresh frame is ours alone and `object` is inside it, aligned.
                unsafe { object.write(heap.free[class]) };
                heap.free[class] = object as usize;
            }
        }
        let object = heap.free[class] as *mut usize;
        // SAFETY: `object` heads this class's free list, so it is a free, aligned object whose
        // first word holds the next free object.
        heap.free[class] = unsafe { object.read() };
        heap.in_use += size;
        heap.high_water = heap.high_water.max(heap.in_use);
        object as *mut u8
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let mut heap = HEAP.lock();
        match size_class(&layout) {
            Some(class) => {
                let object = ptr as *mut usize;
                // SAFETY: `ptr` came from `alloc` with this layout, so it is an object of this
                // class that the caller no longer uses; we link it into the free list.
                unsafe { object.write(heap.free[class]) };
                heap.free[class] = object as usize;
                heap.in_use -= SIZE_CLASSES[class];
            }
            None => {
                let order = large_order(&layout);
                heap.in_use -= PAGE_SIZE << order;
                drop(heap);
                free_block(virt_to_phys(ptr as usize), order);
            }
        }
    }
}

#[global_allocator]
static GLOBAL_HEAP: KernelHeap = KernelHeap;
