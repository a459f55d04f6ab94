//! Memory-mapped device registers.
//!
//! An [`Mmio`] is a window of device registers found in the device tree. It is reached
//! through the direct map (the kernel maps every device region at boot). Accesses are
//! volatile and bounds-checked. A window may not overlap RAM — on QEMU `virt` every device
//! sits below the DRAM base — so a wrong device-tree address cannot alias memory that Rust
//! code owns.

use crate::phys_to_virt;

/// All device registers on QEMU `virt` lie below this physical address (the DRAM base).
const DEVICE_LIMIT: usize = 0x8000_0000;

/// A window of device registers.
#[derive(Debug, Clone, Copy)]
pub struct Mmio {
    pa: usize,
    len: usize,
}

impl Mmio {
    /// The registers at physical `[pa, pa + len)`; `None` if that could be RAM.
    pub fn new(pa: usize, len: usize) -> Option<Mmio> {
        let end = pa.checked_add(len)?;
        (end <= DEVICE_LIMIT && len > 0).then_some(Mmio { pa, len })
    }

    /// Physical base address.
    pub fn pa(&self) -> usize {
        self.pa
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the window is empty (never: `new` refuses that).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn addr<T>(&self, offset: usize) -> *mut T {
        let size = core::mem::size_of::<T>();
        assert!(
            offset.is_multiple_of(size) && offset + size <= self.len,
            "MMIO access at {offset:#x} outside a {:#x}-byte window",
            self.len
        );
        phys_to_virt(self.pa + offset) as *mut T
    }

    pub fn read_u8(&self, offset: usize) -> u8 {
        // SAFETY: the address is inside a device window (not RAM), aligned, and direct-mapped.
        unsafe { self.addr::<u8>(offset).read_volatile() }
    }

    pub fn write_u8(&self, offset: usize, value: u8) {
        // SAFETY: as in `read_u8`.
        unsafe { self.addr::<u8>(offset).write_volatile(value) }
    }

    pub fn read_u32(&self, offset: usize) -> u32 {
        // SAFETY: as in `read_u8`.
        unsafe { self.addr::<u32>(offset).read_volatile() }
    }

    pub fn write_u32(&self, offset: usize, value: u32) {
        // SAFETY: as in `read_u8`.
        unsafe { self.addr::<u32>(offset).write_volatile(value) }
    }
}
