//! The swap area (concept M7): the second virtio disk (disk 1), used raw as an array of
//! 4 KiB slots. Slot `n` is the bytes `[n * 4096, (n + 1) * 4096)` of the disk; no header,
//! nothing survives a reboot. Without a second disk there is no swap: the pager then only
//! drops clean file pages, and `SwapTotal` is 0.
//!
//! A page swapped out is remembered by its address space as a [`SwapSlot`]: an owned
//! reference to one slot, released when dropped (the page is read back, unmapped, or its
//! space dies). `fork` clones it (the slot's reference count, kept by `crates/swap`'s
//! [`SlotMap`], goes up), so parent and child each read the same bytes back into a frame of
//! their own.
//!
//! Locks: `swap-slots` is a leaf spinlock. Disk I/O happens outside it.

use crate::drivers::block::{self, Disk};
use abi::errno::Errno;
use alloc::boxed::Box;
use alloc::vec::Vec;
use hal::PAGE_SIZE;
use hal::mem::Frame;
use hal::sync::{Once, SpinLock};
use swap::SlotMap;

/// The disk that holds swap, if there is one.
const SWAP_DISK: usize = 1;

struct SwapArea {
    disk: &'static Disk,
    slots: SpinLock<SlotMap>,
}

static AREA: Once<SwapArea> = Once::new();

/// Takes disk 1 as the swap area, if it exists.
pub fn init() {
    let Some(disk) = block::disk(SWAP_DISK) else {
        log::info!("swap: no second disk, running without swap");
        return;
    };
    let slots = (disk.size() / PAGE_SIZE as u64).min(u32::MAX as u64) as usize;
    let _ = AREA.set(SwapArea {
        disk,
        slots: SpinLock::new("swap-slots", SlotMap::new(slots)),
    });
    log::info!("swap: disk {SWAP_DISK}, {} MiB, {slots} slots", slots / 256);
}

/// Slots in all and free (both 0 without swap).
pub fn slots() -> (usize, usize) {
    AREA.get().map_or((0, 0), |area| {
        let slots = area.slots.lock();
        (slots.total(), slots.free())
    })
}

/// One reference to a slot holding a page of an address space.
#[derive(Debug)]
pub struct SwapSlot(u32);

impl SwapSlot {
    /// The slot's number.
    pub fn number(&self) -> usize {
        self.0 as usize
    }

    /// Byte offset of the slot on the disk.
    fn offset(&self) -> u64 {
        self.0 as u64 * PAGE_SIZE as u64
    }
}

impl Clone for SwapSlot {
    /// Another reference to the same slot (fork).
    fn clone(&self) -> SwapSlot {
        if let Some(area) = AREA.get() {
            // A live SwapSlot names a slot in use; only 65535 sharers would overflow it,
            // more processes than can exist.
            area.slots
                .lock()
                .share(self.0 as usize)
                .expect("sharing a swap slot in use");
        }
        SwapSlot(self.0)
    }
}

impl Drop for SwapSlot {
    fn drop(&mut self) {
        if let Some(area) = AREA.get() {
            let _ = area.slots.lock().release(self.0 as usize);
        }
    }
}

/// Up to `want` free slots, as few contiguous runs as the free space allows; fewer (maybe
/// none) when swap is (nearly) full or absent.
pub fn alloc(want: usize) -> Vec<SwapSlot> {
    let mut taken = Vec::new();
    let Some(area) = AREA.get() else {
        return taken;
    };
    let mut slots = area.slots.lock();
    while taken.len() < want {
        let Some((first, count)) = slots.alloc_run(want - taken.len()) else {
            break;
        };
        taken.extend((first..first + count).map(|slot| SwapSlot(slot as u32)));
    }
    taken
}

/// The most pages one disk request carries.
pub const CLUSTER: usize = 32;

/// A zeroed buffer of `len` bytes, or `None` if the kernel heap has no room: swap I/O
/// happens when memory is short, and must not panic then.
fn buffer(len: usize) -> Option<Box<[u8]>> {
    let mut bytes = Vec::new();
    bytes.try_reserve_exact(len).ok()?;
    bytes.resize(len, 0);
    Some(bytes.into_boxed_slice())
}

/// Pages whose copies are in flight at once: the copies come out of the kernel's reserve
/// of frames while memory is short, so a large batch is written a part at a time.
const WRITE_WINDOW: usize = 2 * CLUSTER;

/// Writes each frame to its slot. Frames bound for consecutive slots travel in one request
/// (up to [`CLUSTER`] pages, memory permitting), and up to [`WRITE_WINDOW`] pages are in
/// flight together.
pub fn write(pages: &[(&SwapSlot, &Frame)]) -> Result<(), Errno> {
    for window in pages.chunks(WRITE_WINDOW) {
        write_window(window)?;
    }
    Ok(())
}

fn write_window(pages: &[(&SwapSlot, &Frame)]) -> Result<(), Errno> {
    let area = AREA.get().ok_or(Errno::EIO)?;
    let mut requests = Vec::new();
    let mut at = 0;
    while at < pages.len() {
        let first = pages[at].0.0;
        let mut run = 1;
        while at + run < pages.len() && run < CLUSTER && pages[at + run].0.0 == first + run as u32 {
            run += 1;
        }
        let mut bytes = match buffer(run * PAGE_SIZE) {
            Some(bytes) => bytes,
            None => {
                run = 1;
                buffer(PAGE_SIZE).ok_or(Errno::ENOMEM)?
            }
        };
        for (chunk, (_, frame)) in bytes.chunks_exact_mut(PAGE_SIZE).zip(&pages[at..at + run]) {
            frame.read_bytes(0, chunk);
        }
        requests.push((pages[at].0.offset(), bytes));
        at += run;
    }
    area.disk.write_all(requests)
}

/// Reads the pages of `frames.len()` consecutive slots, starting at `first`, into
/// `frames`, in one request.
pub fn read(first: &SwapSlot, frames: &[Frame]) -> Result<(), Errno> {
    let area = AREA.get().ok_or(Errno::EIO)?;
    let bytes = buffer(frames.len() * PAGE_SIZE).ok_or(Errno::ENOMEM)?;
    let bytes = area.disk.read_into(first.offset(), bytes)?;
    for (chunk, frame) in bytes.chunks_exact(PAGE_SIZE).zip(frames) {
        frame.write_bytes(0, chunk);
    }
    Ok(())
}
