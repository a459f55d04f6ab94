//! A process's address space (concepts M2, M4, P4): an Sv39 page table plus the list of
//! regions (VMAs) that say what each part of user memory is and what it may do.
//!
//! Invariants:
//! - VMAs are page aligned, lie below `USER_TOP` and never overlap; they are kept sorted.
//! - Every frame mapped into the user half is held here (`pages`, keyed by page address),
//!   so dropping the address space releases its memory; the page table only mirrors it.
//! - Copy-on-write (concept M4): `fork` shares every page with the child through an `Arc`
//!   (the frame's reference count) and maps writable pages read-only in both. The first write
//!   faults; if the frame is still shared it is copied, else it is simply made writable
//!   again. A page is mapped writable only while its frame has a single owner.
//! - A page is mapped only inside a VMA, with the VMA's permissions plus the U bit.
//! - Stack and heap pages are allocated on first touch (demand-zero): by the page-fault
//!   handler when user code touches them, or by `copy_in`/`copy_out` when the kernel does.

use abi::errno::Errno;
use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;
use hal::mem::Frame;
use hal::paging::{PageSize, PageTable, PteFlags};
use hal::trap::Access;
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

    fn allows(self, access: Access) -> bool {
        match access {
            Access::Read => self.read,
            Access::Write => self.write,
            Access::Execute => self.exec,
        }
    }
}

/// What a region holds (shown by `pmap`, and used to explain faults).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum VmaKind {
    /// Loaded from the program file (code, data, bss).
    Program,
    /// The heap, from the end of the program up to the break (`brk`).
    Heap,
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

impl Vma {
    fn demand_zero(&self) -> bool {
        matches!(self.kind, VmaKind::Heap | VmaKind::Stack)
    }
}

/// A user page: its frame (shared with other address spaces after fork) and whether it is
/// mapped writable right now.
struct Page {
    frame: Arc<Frame>,
    writable: bool,
}

/// A user address space.
pub struct AddressSpace {
    table: PageTable,
    vmas: Vec<Vma>,
    pages: BTreeMap<usize, Page>,
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
            pages: BTreeMap::new(),
        })
    }

    /// A copy of this space for a child process (fork): the same regions and the same
    /// frames, shared copy-on-write: writable pages become read-only in both spaces until
    /// one of them writes.
    pub fn duplicate(&mut self) -> Result<AddressSpace, Errno> {
        let mut copy = AddressSpace::new()?;
        copy.vmas = self.vmas.clone();
        let mut made_read_only = false;
        for (&page, entry) in self.pages.iter_mut() {
            let perm = self.vmas[self.vmas.partition_point(|v| v.end <= page)].perm;
            let flags = Perm { write: false, ..perm }.pte_flags();
            copy.table.map(page, entry.frame.pa(), PageSize::Size4K, flags).map_err(|_| Errno::ENOMEM)?;
            copy.pages.insert(page, Page { frame: entry.frame.clone(), writable: false });
            if entry.writable {
                self.table.protect(page, flags).map_err(|_| Errno::ENOMEM)?;
                entry.writable = false;
                made_read_only = true;
            }
        }
        if made_read_only {
            hal::cpu::flush_tlb_asid(0);
        }
        Ok(copy)
    }

    /// Adds a region; it must be page aligned, below `USER_TOP` and overlap no other.
    pub fn add_vma(&mut self, vma: Vma) -> Result<(), Errno> {
        let aligned = vma.start.is_multiple_of(PAGE_SIZE) && vma.end.is_multiple_of(PAGE_SIZE);
        if !aligned || vma.start >= vma.end || vma.end > USER_TOP {
            return Err(Errno::EINVAL);
        }
        if self.overlaps(vma.start, vma.end, None) {
            return Err(Errno::EEXIST);
        }
        let at = self.vmas.partition_point(|v| v.start < vma.start);
        self.vmas.insert(at, vma);
        Ok(())
    }

    fn overlaps(&self, start: usize, end: usize, except: Option<usize>) -> bool {
        self.vmas
            .iter()
            .any(|v| Some(v.start) != except && v.start < end && start < v.end)
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
        let entry = self.pages.entry(page).or_insert(Page { frame: Arc::new(frame), writable: vma.perm.write });
        Arc::get_mut(&mut entry.frame).ok_or(Errno::EFAULT)
    }

    /// A user page fault at `addr`: a write to a copy-on-write page gets its own copy; a
    /// touch of a demand-zero page not there yet gets a zero page. `Err(EFAULT)` means the
    /// access is invalid (the process gets SIGSEGV); `ENOMEM` that memory ran out.
    pub fn handle_fault(&mut self, addr: usize, access: Access) -> Result<(), Errno> {
        let page = page_of(addr);
        let vma = *self.find_vma(addr).ok_or(Errno::EFAULT)?;
        if !vma.perm.allows(access) {
            return Err(Errno::EFAULT);
        }
        match self.pages.get(&page) {
            Some(entry) if access == Access::Write && !entry.writable => self.break_cow(page, vma),
            Some(_) => Err(Errno::EFAULT),
            None if vma.demand_zero() => self.map_zeroed_page(page).map(|_| ()),
            None => Err(Errno::EFAULT),
        }
    }

    /// Gives `page` (mapped read-only for copy-on-write) a frame of its own and maps it
    /// writable.
    fn break_cow(&mut self, page: usize, vma: Vma) -> Result<(), Errno> {
        let entry = self.pages.get_mut(&page).ok_or(Errno::EFAULT)?;
        if Arc::strong_count(&entry.frame) > 1 {
            let mut copy = Frame::alloc().map_err(|_| Errno::ENOMEM)?;
            copy.bytes_mut().copy_from_slice(entry.frame.bytes());
            entry.frame = Arc::new(copy);
        }
        entry.writable = true;
        let pa = entry.frame.pa();
        self.table.unmap(page).map_err(|_| Errno::EFAULT)?;
        self.table.map(page, pa, PageSize::Size4K, vma.perm.pte_flags()).map_err(|_| Errno::ENOMEM)?;
        hal::cpu::flush_tlb_page(page, 0);
        Ok(())
    }

    /// Makes this the address space of the running hart.
    pub fn activate(&self) {
        self.table.activate(0);
    }

    /// Moves the end of the heap region that starts at `start` to `new_end` (page aligned
    /// here), allocating nothing (pages come on first touch) and freeing pages above a
    /// lowered end. `Err` if the region would overlap another.
    pub fn resize_heap(&mut self, start: usize, new_end: usize) -> Result<(), Errno> {
        let new_end = new_end.next_multiple_of(PAGE_SIZE);
        let index = self
            .vmas
            .iter()
            .position(|v| v.kind == VmaKind::Heap && v.start == start);
        match index {
            None if new_end > start => self.add_vma(Vma {
                start,
                end: new_end,
                perm: Perm::RW,
                kind: VmaKind::Heap,
            }),
            None => Ok(()),
            Some(index) => {
                let old_end = self.vmas[index].end;
                if new_end > old_end && self.overlaps(old_end, new_end, Some(start)) {
                    return Err(Errno::ENOMEM);
                }
                for page in (new_end..old_end).step_by(PAGE_SIZE) {
                    if self.pages.remove(&page).is_some() {
                        let _ = self.table.unmap(page);
                        hal::cpu::flush_tlb_page(page, 0);
                    }
                }
                if new_end <= start {
                    self.vmas.remove(index);
                } else {
                    self.vmas[index].end = new_end;
                }
                Ok(())
            }
        }
    }

    /// Checks that all of `[addr, addr + len)` may be accessed (`access`) by the kernel on
    /// the user's behalf, before a call that may block commits to it.
    pub fn check_access(&mut self, addr: usize, len: usize, access: Access) -> Result<(), Errno> {
        self.prepare_range(addr, len, access)
    }

    /// Checks that all of `[addr, addr + len)` lies in regions that allow `access`,
    /// bringing in demand-zero pages that are not there yet.
    fn prepare_range(&mut self, addr: usize, len: usize, access: Access) -> Result<(), Errno> {
        if len == 0 {
            return Ok(());
        }
        let end = addr.checked_add(len).ok_or(Errno::EFAULT)?;
        if end > USER_TOP {
            return Err(Errno::EFAULT);
        }
        let mut page = page_of(addr);
        while page < end {
            let vma = *self.find_vma(page).ok_or(Errno::EFAULT)?;
            if !vma.perm.allows(access) {
                return Err(Errno::EFAULT);
            }
            match self.pages.get(&page) {
                Some(entry) if access == Access::Write && !entry.writable => self.break_cow(page, vma)?,
                Some(_) => {}
                None if vma.demand_zero() => {
                    self.map_zeroed_page(page)?;
                }
                None => return Err(Errno::EFAULT),
            }
            page += PAGE_SIZE;
        }
        Ok(())
    }

    /// Copies user memory at `addr` into `buf`. `EFAULT` (and nothing copied) if any byte is
    /// outside a readable region.
    pub fn copy_in(&mut self, addr: usize, buf: &mut [u8]) -> Result<(), Errno> {
        self.prepare_range(addr, buf.len(), Access::Read)?;
        let mut done = 0;
        while done < buf.len() {
            let at = addr + done;
            let offset = at % PAGE_SIZE;
            let chunk = (PAGE_SIZE - offset).min(buf.len() - done);
            let frame = &self.pages[&page_of(at)].frame;
            buf[done..done + chunk].copy_from_slice(&frame.bytes()[offset..offset + chunk]);
            done += chunk;
        }
        Ok(())
    }

    /// Copies `data` to user memory at `addr`. `EFAULT` (and nothing written) if any byte is
    /// outside a writable region.
    pub fn copy_out(&mut self, addr: usize, data: &[u8]) -> Result<(), Errno> {
        self.prepare_range(addr, data.len(), Access::Write)?;
        let mut done = 0;
        while done < data.len() {
            let at = addr + done;
            let offset = at % PAGE_SIZE;
            let chunk = (PAGE_SIZE - offset).min(data.len() - done);
            let entry = self.pages.get_mut(&page_of(at)).ok_or(Errno::EFAULT)?;
            let frame = Arc::get_mut(&mut entry.frame).ok_or(Errno::EFAULT)?;
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
