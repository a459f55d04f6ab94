//! virtio-mmio block devices (concept F1), through the `virtio-drivers` crate.
//!
//! The crate does the virtqueue bookkeeping; this module gives it memory ([`VirtioHal`]:
//! DMA buffers from the frame allocator, addresses through the direct map) and wraps its
//! non-blocking request API in a safe type: a request's header, status and data buffer are
//! owned by the in-flight table until the device has finished with them, so no buffer can be
//! freed or reused while the device may still write it. The kernel submits requests, sleeps,
//! and collects completions from the interrupt handler ([`VirtioBlock::poll`]).

use crate::mem::{alloc_block, free_block};
use crate::mmio::Mmio;
use crate::{PAGE_SIZE, phys_to_virt, virt_to_phys};
use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use core::ptr::NonNull;
use virtio_drivers::device::blk::{BlkReq, BlkResp, SECTOR_SIZE, VirtIOBlk};
use virtio_drivers::transport::mmio::{MmioTransport, VirtIOHeader};
use virtio_drivers::transport::{DeviceType, Transport};
use virtio_drivers::{BufferDirection, Hal, PhysAddr};

/// Bytes per disk sector.
pub const SECTOR: usize = SECTOR_SIZE;

/// Memory services for the virtio driver.
pub struct VirtioHal;

// SAFETY: `dma_alloc` returns zeroed, physically contiguous, page-aligned blocks that stay
// reserved until `dma_dealloc`; `share` returns the physical address of buffers that live in
// the direct map (kernel heap and frames), which is what the device must use; `unshare` has
// nothing to undo because nothing was copied.
unsafe impl Hal for VirtioHal {
    fn dma_alloc(pages: usize, _direction: BufferDirection) -> (PhysAddr, NonNull<u8>) {
        let order = buddy::order_for_pages(pages);
        let pa = alloc_block(order).expect("no memory for a virtqueue");
        let va = phys_to_virt(pa) as *mut u8;
        // SAFETY: the block was just allocated for us and is mapped by the direct map.
        unsafe { core::ptr::write_bytes(va, 0, PAGE_SIZE << order) };
        (
            pa as PhysAddr,
            NonNull::new(va).expect("direct-map addresses are not null"),
        )
    }

    unsafe fn dma_dealloc(paddr: PhysAddr, _vaddr: NonNull<u8>, pages: usize) -> i32 {
        free_block(paddr as usize, buddy::order_for_pages(pages));
        0
    }

    unsafe fn mmio_phys_to_virt(paddr: PhysAddr, _size: usize) -> NonNull<u8> {
        NonNull::new(phys_to_virt(paddr as usize) as *mut u8)
            .expect("direct-map addresses are not null")
    }

    unsafe fn share(buffer: NonNull<[u8]>, _direction: BufferDirection) -> PhysAddr {
        virt_to_phys(buffer.as_ptr() as *mut u8 as usize) as PhysAddr
    }

    unsafe fn unshare(_paddr: PhysAddr, _buffer: NonNull<[u8]>, _direction: BufferDirection) {}
}

struct InFlight {
    request: Box<BlkReq>,
    response: Box<BlkResp>,
    buffer: Box<[u8]>,
    write: bool,
}

/// A finished request: its token, its buffer back (filled, for a read) and whether the device
/// reported success.
pub struct Completion {
    pub token: u16,
    pub buffer: Box<[u8]>,
    pub ok: bool,
}

/// A virtio block device.
pub struct VirtioBlock {
    device: VirtIOBlk<VirtioHal, MmioTransport<'static>>,
    in_flight: BTreeMap<u16, InFlight>,
    regs: Mmio,
}

/// virtio-mmio `QueueNotify` register.
const QUEUE_NOTIFY: usize = 0x50;

impl VirtioBlock {
    /// The block device in the virtio-mmio slot `regs`, if that slot holds one.
    pub fn probe(regs: Mmio) -> Option<VirtioBlock> {
        let header = NonNull::new(phys_to_virt(regs.pa()) as *mut VirtIOHeader)?;
        // SAFETY: `regs` is a device window (not RAM, see `Mmio::new`) that the kernel maps for
        // its whole life, so the header and config space stay valid for 'static.
        let transport = unsafe { MmioTransport::new(header, regs.len()) }.ok()?;
        if transport.device_type() != DeviceType::Block {
            return None;
        }
        let mut device = VirtIOBlk::new(transport).ok()?;
        device.enable_interrupts();
        Some(VirtioBlock {
            device,
            in_flight: BTreeMap::new(),
            regs,
        })
    }

    /// Size in sectors.
    pub fn capacity_sectors(&self) -> u64 {
        self.device.capacity()
    }

    /// Whether the device refuses writes.
    pub fn readonly(&self) -> bool {
        self.device.readonly()
    }

    /// Queues a read (or write) of `buffer.len()` bytes at `sector`. The buffer travels with
    /// the request; a full queue hands it back.
    pub fn submit(
        &mut self,
        sector: u64,
        buffer: Box<[u8]>,
        write: bool,
    ) -> Result<u16, Box<[u8]>> {
        if buffer.is_empty() || !buffer.len().is_multiple_of(SECTOR) {
            return Err(buffer);
        }
        let mut flight = InFlight {
            request: Box::default(),
            response: Box::default(),
            buffer,
            write,
        };
        // SAFETY: request, response and buffer are heap allocations owned by `flight`, which
        // goes into `in_flight` below and stays there, untouched and unmoved in memory (boxes),
        // until `poll` sees the device finish with this token.
        let result = unsafe {
            if write {
                self.device.write_blocks_nb(
                    sector as usize,
                    &mut flight.request,
                    &flight.buffer,
                    &mut flight.response,
                )
            } else {
                self.device.read_blocks_nb(
                    sector as usize,
                    &mut flight.request,
                    &mut flight.buffer,
                    &mut flight.response,
                )
            }
        };
        match result {
            Ok(token) => {
                self.in_flight.insert(token, flight);
                // Always tell the device. The crate skips the notification when the device
                // says it is busy, but it reads that flag without a full fence after
                // publishing the request, so on a weakly ordered host the two can pass each
                // other and the request would sit unseen forever. A spare notification is
                // harmless; the fence orders the request before it.
                core::sync::atomic::fence(core::sync::atomic::Ordering::SeqCst);
                self.regs.write_u32(QUEUE_NOTIFY, 0);
                Ok(token)
            }
            Err(_) => Err(flight.buffer),
        }
    }

    /// Acknowledges the device's interrupt.
    pub fn ack_interrupt(&mut self) {
        self.device.ack_interrupt();
    }

    /// A request the device has finished, if any.
    pub fn poll(&mut self) -> Option<Completion> {
        let token = self.device.peek_used()?;
        let mut flight = self.in_flight.remove(&token)?;
        // SAFETY: these are the very request, response and buffer passed to `*_blocks_nb` for
        // `token` (kept in `in_flight` until now).
        let result = unsafe {
            if flight.write {
                self.device.complete_write_blocks(
                    token,
                    &flight.request,
                    &flight.buffer,
                    &mut flight.response,
                )
            } else {
                self.device.complete_read_blocks(
                    token,
                    &flight.request,
                    &mut flight.buffer,
                    &mut flight.response,
                )
            }
        };
        Some(Completion {
            token,
            buffer: flight.buffer,
            ok: result.is_ok(),
        })
    }
}
