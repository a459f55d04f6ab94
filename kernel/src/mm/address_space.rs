//! A process's address space (concepts M2, P4): an Sv39 page table plus the list of regions
//! (VMAs) that say what each part of user memory is and what it may do.
//!
//! Invariants:
//! - VMAs are page aligned, lie below `USER_TOP` and never overlap; they are kept sorted.
//! - Every frame mapped into the user half is owned here (`frames`, keyed by page address),
//!   so dropping the address space frees its memory; the page table only mirrors it.
//! - A page is mapped only inside a VMA, with the VMA's permissions plus the U bit.

use abi::errno::Errno;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use hal::mem::Frame;
use hal::paging::{PageSize, PageTable, PteFlags};
use hal::{PAGE_SIZE, USER_TOP};

/// What a region may be used for.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Perm {
    pub read: bool,
    pub write: bool,
    pub exec: bool,
}

impl Perm {
    pub const NONE: Perm = Perm {
        read: false,
        write: false,
        exec: false,
    };
    pub const RW: Perm = Perm {
        read: true,
        write: true,
        exec: false,
    };

    fn pte_flags(self) -> PteFlags {
        let mut flags = PteFlags::U;
        if self.read {
            flags = flags | PteFlags::R;
        }
        if self.write {
            flags = flags | PteFlags::W | PteFlags::R;
        }
        if self.exec {
            flags = flags | PteFlags::X;
        }
        flags
    }
}

/// What a region holds (shown by `pmap`, and used to explain faults).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum VmaKind {
    /// Loaded from the program file (code, data, bss).
    Program,
    /// The user stack.
    Stack,
    /// An unmapped page below the stack: touching it is a stack overflow.
    Guard,
}

/// A virtual memory area: `[start, end)` with one permission and kind.
#[derive(Clone, Copy, Debug)]
pub struct Vma {
    pub start: usize,
    pub end: usize,
    pub perm: Perm,
    pub kind: VmaKind,
}

/// A user address space.
pub struct AddressSpace {
    table: PageTable,
    vmas: Vec<Vma>,
    frames: BTreeMap<usize, Frame>,
}

fn page_of(addr: usize) -> usize {
    addr & !(PAGE_SIZE - 1)
}

impl AddressSpace {
    /// An empty user space (only the shared kernel half is mapped).
    pub fn new() -> Result<AddressSpace, Errno> {
        let table = PageTable::new_user().map_err(|_| Errno::ENOMEM)?;
        Ok(AddressSpace {
            table,
            vmas: Vec::new(),
            frames: BTreeMap::new(),
        })
    }

    /// Adds a region; it must be page aligned, below `USER_TOP` and overlap no other.
    pub fn add_vma(&mut self, vma: Vma) -> Result<(), Errno> {
        let aligned = vma.start.is_multiple_of(PAGE_SIZE) && vma.end.is_multiple_of(PAGE_SIZE);
        if !aligned || vma.start >= vma.end || vma.end > USER_TOP {
            return Err(Errno::EINVAL);
        }
        if self
            .vmas
            .iter()
            .any(|v| v.start < vma.end && vma.start < v.end)
        {
            return Err(Errno::EEXIST);
        }
        let at = self.vmas.partition_point(|v| v.start < vma.start);
        self.vmas.insert(at, vma);
        Ok(())
    }

    /// The region containing `addr`.
    pub fn find_vma(&self, addr: usize) -> Option<&Vma> {
        let at = self.vmas.partition_point(|v| v.end <= addr);
        self.vmas.get(at).filter(|v| v.start <= addr)
    }

    /// Backs the page at `page` (inside a VMA) with a new zeroed frame and maps it with the
    /// VMA's permissions; returns the frame so the caller can fill it.
    pub fn map_zeroed_page(&mut self, page: usize) -> Result<&mut Frame, Errno> {
        let vma = *self.find_vma(page).ok_or(Errno::EFAULT)?;
        if !page.is_multiple_of(PAGE_SIZE) || vma.kind == VmaKind::Guard {
            return Err(Errno::EINVAL);
        }
        let frame = Frame::alloc_zeroed().map_err(|_| Errno::ENOMEM)?;
        self.table
            .map(page, frame.pa(), PageSize::Size4K, vma.perm.pte_flags())
            .map_err(|_| Errno::ENOMEM)?;
        Ok(self.frames.entry(page).or_insert(frame))
    }

    /// Makes this the address space of the running hart.
    pub fn activate(&self) {
        self.table.activate(0);
    }

    /// Checks that all of `[addr, addr + len)` lies in present pages of regions that allow
    /// reading (or writing, with `write`).
    fn check_range(&self, addr: usize, len: usize, write: bool) -> Result<(), Errno> {
        let end = addr.checked_add(len).ok_or(Errno::EFAULT)?;
        if end > USER_TOP {
            return Err(Errno::EFAULT);
        }
        let mut page = page_of(addr);
        while page < end {
            let vma = self.find_vma(page).ok_or(Errno::EFAULT)?;
            let allowed = if write { vma.perm.write } else { vma.perm.read };
            if !allowed || !self.frames.contains_key(&page) {
                return Err(Errno::EFAULT);
            }
            page += PAGE_SIZE;
        }
        Ok(())
    }

    /// Copies user memory at `addr` into `buf`. `EFAULT` (and nothing copied) if any byte is
    /// outside a readable, present region.
    pub fn copy_in(&self, addr: usize, buf: &mut [u8]) -> Result<(), Errno> {
        self.check_range(addr, buf.len(), false)?;
        let mut done = 0;
        while done < buf.len() {
            let at = addr + done;
            let offset = at % PAGE_SIZE;
            let chunk = (PAGE_SIZE - offset).min(buf.len() - done);
            let frame = &self.frames[&page_of(at)];
            buf[done..done + chunk].copy_from_slice(&frame.bytes()[offset..offset + chunk]);
            done += chunk;
        }
        Ok(())
    }

    /// Copies `data` to user memory at `addr`. `EFAULT` (and nothing written) if any byte is
    /// outside a writable, present region.
    pub fn copy_out(&mut self, addr: usize, data: &[u8]) -> Result<(), Errno> {
        self.check_range(addr, data.len(), true)?;
        let mut done = 0;
        while done < data.len() {
            let at = addr + done;
            let offset = at % PAGE_SIZE;
            let chunk = (PAGE_SIZE - offset).min(data.len() - done);
            let frame = self.frames.get_mut(&page_of(at)).ok_or(Errno::EFAULT)?;
            frame.bytes_mut()[offset..offset + chunk].copy_from_slice(&data[done..done + chunk]);
            done += chunk;
        }
        Ok(())
    }
}

impl Drop for AddressSpace {
    fn drop(&mut self) {
        // The hart may still have this table loaded: move it to the kernel table first, so
        // the root frame is not freed while in use.
        hal::paging::activate_kernel_space();
    }
}
