//! The virtio block driver (concept F1): interrupt-driven, several requests in flight.
//!
//! A process that reads or writes a block submits a request and sleeps on the disk's wait
//! queue; the interrupt handler collects finished requests and wakes the sleepers, each of
//! which takes its own completion. Before the scheduler runs (mounting the root file system
//! at boot) there is no process to put to sleep, so requests are polled instead.
//!
//! Locks: `disk` (the device and its in-flight table) and `disk-done` (finished requests)
//! are leaf locks, also taken by the interrupt handler.

use crate::proc::sched;
use crate::proc::wait_queue::WaitQueue;
use abi::errno::Errno;
use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::vec;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use hal::mmio::Mmio;
use hal::sync::{Once, SpinLock};
use hal::virtio::{Completion, SECTOR, VirtioBlock};

/// The device with its requests in flight. The device names a request by a token that it
/// reuses as soon as the request is collected, so the driver gives every request its own
/// id and keys finished requests by that.
struct Queue {
    device: VirtioBlock,
    ids: BTreeMap<u16, u64>,
    next_id: u64,
}

/// A disk.
pub struct Disk {
    device: SpinLock<Queue>,
    done: SpinLock<BTreeMap<u64, Completion>>,
    waiters: WaitQueue,
    irq: u32,
    sectors: u64,
    reads: AtomicU64,
    writes: AtomicU64,
    /// Requests collected from the device so far (a full queue waits for this to move).
    collected: AtomicU64,
}

/// The disks found at boot, in slot order (`/dev/vda` is the first).
static DISKS: Once<alloc::vec::Vec<&'static Disk>> = Once::new();
static IRQ_MASK: AtomicU32 = AtomicU32::new(0);

/// Probes every virtio-mmio slot for block devices; returns their interrupt lines.
pub fn probe(slots: &[(usize, usize, u32)]) -> alloc::vec::Vec<u32> {
    let mut disks = alloc::vec::Vec::new();
    for &(base, size, irq) in slots {
        let Some(device) = Mmio::new(base, size).and_then(VirtioBlock::probe) else {
            continue;
        };
        let sectors = device.capacity_sectors();
        log::info!(
            "disk {}: virtio-blk at {base:#x}, irq {irq}, {} MiB",
            disks.len(),
            (sectors * SECTOR as u64) >> 20
        );
        let disk = Box::leak(Box::new(Disk {
            device: SpinLock::new(
                "disk",
                Queue {
                    device,
                    ids: BTreeMap::new(),
                    next_id: 0,
                },
            ),
            done: SpinLock::new("disk-done", BTreeMap::new()),
            waiters: WaitQueue::new(),
            irq,
            sectors,
            reads: AtomicU64::new(0),
            writes: AtomicU64::new(0),
            collected: AtomicU64::new(0),
        }));
        IRQ_MASK.fetch_or(1 << irq, Ordering::Relaxed);
        disks.push(&*disk);
    }
    let irqs = disks.iter().map(|d| d.irq).collect();
    let _ = DISKS.set(disks);
    irqs
}

/// Disk number `index`.
pub fn disk(index: usize) -> Option<&'static Disk> {
    DISKS.get()?.get(index).copied()
}

/// The interrupt of line `irq`, if it belongs to a disk: collect finished requests.
pub fn handle_interrupt(irq: u32) -> bool {
    if irq >= 32 || IRQ_MASK.load(Ordering::Relaxed) & (1 << irq) == 0 {
        return false;
    }
    for disk in DISKS.get().into_iter().flatten().filter(|d| d.irq == irq) {
        disk.collect();
        disk.waiters.wake_all();
    }
    true
}

impl Disk {
    /// Size in bytes.
    pub fn size(&self) -> u64 {
        self.sectors * SECTOR as u64
    }

    /// Requests served: (reads, writes).
    pub fn counters(&self) -> (u64, u64) {
        (
            self.reads.load(Ordering::Relaxed),
            self.writes.load(Ordering::Relaxed),
        )
    }

    fn collect(&self) {
        let mut queue = self.device.lock();
        queue.device.ack_interrupt();
        while let Some(completion) = queue.device.poll() {
            if let Some(id) = queue.ids.remove(&completion.token) {
                self.done.lock().insert(id, completion);
            }
            self.collected.fetch_add(1, Ordering::Release);
        }
    }

    /// Queues a transfer of `buffer` to or from byte `offset` (sector aligned), waiting
    /// for room in the queue if it is full; returns the request's id.
    fn submit(&self, offset: u64, mut buffer: Box<[u8]>, write: bool) -> Result<u64, Errno> {
        if !offset.is_multiple_of(SECTOR as u64) || offset + buffer.len() as u64 > self.size() {
            return Err(Errno::EIO);
        }
        let me = sched::current();
        Ok(loop {
            let submitted = {
                let mut queue = self.device.lock();
                match queue.device.submit(offset / SECTOR as u64, buffer, write) {
                    Ok(token) => {
                        let id = queue.next_id;
                        queue.next_id += 1;
                        queue.ids.insert(token, id);
                        Ok(id)
                    }
                    // Read under the device lock: whatever is collected after this failed
                    // attempt counts as progress.
                    Err(returned) => Err((returned, self.collected.load(Ordering::Acquire))),
                }
            };
            match submitted {
                Ok(id) => break id,
                Err((returned, seen)) => {
                    // The queue is full: collect what the device has finished (its
                    // interrupt may not have been served yet), else wait until something
                    // is collected. (Waiting for "some request done" instead would spin
                    // while other processes' finished requests wait for their owners.)
                    buffer = returned;
                    self.collect();
                    if let Some(me) = &me {
                        self.waiters.wait_uninterruptible(me, || {
                            self.collected.load(Ordering::Acquire) != seen
                        });
                    }
                }
            }
        })
    }

    /// Waits for request `id` to finish; returns its buffer (filled, for a read).
    fn finish(&self, id: u64, write: bool) -> Result<Box<[u8]>, Errno> {
        let me = sched::current();
        let completion = loop {
            if let Some(done) = self.done.lock().remove(&id) {
                break done;
            }
            match &me {
                Some(me) => self
                    .waiters
                    .wait_uninterruptible(me, || self.done.lock().contains_key(&id)),
                None => self.collect(),
            }
        };
        if write {
            self.writes.fetch_add(1, Ordering::Relaxed);
        } else {
            self.reads.fetch_add(1, Ordering::Relaxed);
        }
        if completion.ok {
            Ok(completion.buffer)
        } else {
            Err(Errno::EIO)
        }
    }

    /// Reads `buf.len()` bytes at byte `offset`.
    pub fn read(&self, offset: u64, buf: &mut [u8]) -> Result<(), Errno> {
        let data = self.read_into(offset, vec![0; buf.len()].into_boxed_slice())?;
        buf.copy_from_slice(&data);
        Ok(())
    }

    /// Reads `buffer.len()` bytes at byte `offset` into `buffer` (allocated by the caller,
    /// who may have had to allocate it fallibly) and hands it back.
    pub fn read_into(&self, offset: u64, buffer: Box<[u8]>) -> Result<Box<[u8]>, Errno> {
        let id = self.submit(offset, buffer, false)?;
        self.finish(id, false)
    }

    /// Writes every `(offset, data)` pair, with all of them in flight at once, and waits for
    /// them all.
    pub fn write_all(&self, writes: alloc::vec::Vec<(u64, Box<[u8]>)>) -> Result<(), Errno> {
        let mut ids = alloc::vec::Vec::with_capacity(writes.len());
        let mut result = Ok(());
        for (offset, data) in writes {
            match self.submit(offset, data, true) {
                Ok(id) => ids.push(id),
                Err(e) => result = Err(e),
            }
        }
        for id in ids {
            if let Err(e) = self.finish(id, true) {
                result = Err(e);
            }
        }
        result
    }
}
