//! A process's address space (concepts M2, M4, M5, M6, P4): an Sv39 page table plus the
//! list of regions (VMAs) that say what each part of user memory is and what it may do.
//!
//! Invariants:
//! - VMAs are page aligned, lie below `USER_TOP` and never overlap; they are kept sorted.
//! - Every frame mapped into the user half is held here (`pages`, keyed by page address),
//!   so dropping the address space releases its memory; the page table only mirrors it.
//! - A page is mapped only inside a VMA, with the VMA's permissions plus the U bit — minus
//!   write permission while a private page is shared copy-on-write.
//! - Copy-on-write (M4): `fork` shares every page with the child through an `Arc` (the
//!   frame's reference count). Private writable pages become read-only in both; the first
//!   write faults, and the writer gets its own copy if the frame is still shared (else it is
//!   simply made writable again). Pages of shared mappings (M6) stay shared and writable.
//! - Demand paging: heap, stack and mmap pages are allocated on first touch (zero pages, or
//!   read from the mapped file), by the fault handler when user code touches them or by
//!   `copy_in`/`copy_out` when the kernel does.
//! - Threads share one address space ([`super::shared::SharedSpace`]); when a hart changes
//!   or removes a mapping that other harts may have cached in their TLBs (unmap, mprotect,
//!   copy-on-write, DONTNEED, fork making pages read-only), it shoots those entries down
//!   on every hart that has this space loaded ([`AddressSpace::shootdown`]) before the old
//!   frame can be reused.
//! - Swapping (M7, see [`super::pager`]): every resident page holds a [`Ticket`] that lets
//!   the replacement policy consider it; a page pushed out to the swap device is no longer
//!   in `pages` but in `swapped`, as the [`SwapSlot`] holding its bytes, and the next touch
//!   reads it back (a major fault). A page is in at most one of the two. User frames come
//!   from [`pager::alloc_frame`], which evicts pages when memory runs low; the eviction
//!   itself lives in the child module `swapping`.
//! - Shared file mappings are written back to the file on `msync`, `munmap` and exit.
//!   Lantern has no unified page cache yet: `read`/`write` on the file do not see a mapping's
//!   changes before that write-back.

mod swapping;

use super::asid::Tag;
use super::pager::{self, Ticket};
use super::shmem::ShmemBacking;
use super::swap::SwapSlot;
use super::vmstat;
use crate::exec::ProgramImage;
use crate::fs::Inode;
use abi::errno::Errno;
use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicUsize, Ordering};
use hal::mem::Frame;
use hal::paging::{PageSize, PageTable, PteFlags};
use hal::trap::Access;
use hal::{PAGE_SIZE, USER_TOP};

/// Ids for new address spaces.
static NEXT_ID: AtomicUsize = AtomicUsize::new(1);

/// Puts this hart back on the kernel's table.
pub fn unload_hart() {
    hal::paging::activate_kernel_space();
}

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
    /// Anonymous memory from `mmap`.
    Anonymous,
    /// A file mapped with `mmap`.
    File,
    /// The signal trampoline: the code signal handlers return into.
    Trampoline,
    /// An attached System V shared memory segment (`shmat`).
    Shm,
}

impl VmaKind {
    /// How `/proc/<pid>/maps` names a region of this kind.
    pub fn label(self) -> &'static str {
        match self {
            VmaKind::Program => "[program]",
            VmaKind::Heap => "[heap]",
            VmaKind::Stack => "[stack]",
            VmaKind::Guard => "[guard]",
            VmaKind::Anonymous => "",
            VmaKind::File => "[file]",
            VmaKind::Trampoline => "[sigpage]",
            VmaKind::Shm => "[shm]",
        }
    }
}

/// The file behind a file mapping: `start` maps `offset` of `inode`.
#[derive(Clone)]
pub struct FileBacking {
    pub inode: Arc<dyn Inode>,
    pub offset: u64,
}

/// A virtual memory area: `[start, end)` with one permission and kind.
#[derive(Clone)]
pub struct Vma {
    pub start: usize,
    pub end: usize,
    pub perm: Perm,
    pub kind: VmaKind,
    /// MAP_SHARED: writes are seen by every process mapping it (and reach the file).
    pub shared: bool,
    pub file: Option<FileBacking>,
    /// Shared anonymous memory (MAP_SHARED | MAP_ANONYMOUS, System V shm): its pages are
    /// the object's frames.
    pub shmem: Option<ShmemBacking>,
    /// A program's image (its text and data come from the program file on first touch).
    pub program: Option<Arc<ProgramImage>>,
}

impl Vma {
    /// A private region without a file.
    pub fn new(start: usize, end: usize, perm: Perm, kind: VmaKind) -> Vma {
        Vma {
            start,
            end,
            perm,
            kind,
            shared: false,
            file: None,
            shmem: None,
            program: None,
        }
    }

    fn demand_paged(&self) -> bool {
        matches!(
            self.kind,
            VmaKind::Heap | VmaKind::Stack | VmaKind::Anonymous | VmaKind::File | VmaKind::Shm
        ) || self.program.is_some()
    }

    /// The part of this region from `at` on (its file offset moves along).
    fn tail_from(&self, at: usize) -> Vma {
        let mut tail = self.clone();
        if let Some(file) = &mut tail.file {
            file.offset += (at - self.start) as u64;
        }
        if let Some(shmem) = &mut tail.shmem {
            shmem.first_page += (at - self.start) / PAGE_SIZE;
        }
        tail.start = at;
        tail
    }
}

/// A user page: its frame (shared with other address spaces after fork, or for shared
/// mappings), whether it is mapped writable right now, and its place in the pager's view.
struct Page {
    frame: Arc<Frame>,
    writable: bool,
    tracked: Ticket,
}

/// How many pages unmapping or forgetting a range handles at a time.
const RELEASE_BATCH: usize = 256;

/// Fills `batch` (emptied first) with up to [`RELEASE_BATCH`] keys of `map` in `range` for
/// which `which` holds, and returns the key to go on from, if the range has more: large
/// ranges are released a batch at a time, so the kernel's list of pages stays small (a
/// whole process's would be a large allocation, which a fragmented heap may not have).
fn next_batch<V>(
    map: &BTreeMap<usize, V>,
    range: core::ops::Range<usize>,
    which: impl Fn(usize) -> bool,
    batch: &mut Vec<usize>,
) -> Option<usize> {
    batch.clear();
    for &page in map.range(range).map(|(page, _)| page) {
        if batch.len() == RELEASE_BATCH {
            return Some(page);
        }
        if which(page) {
            batch.push(page);
        }
    }
    None
}

/// A user address space.
pub struct AddressSpace {
    table: PageTable,
    vmas: Vec<Vma>,
    pages: BTreeMap<usize, Page>,
    /// Pages out on the swap device (never also in `pages`).
    swapped: BTreeMap<usize, SwapSlot>,
    /// Pages read in from a device (swap, readahead included, or a mapped file): what
    /// thrashing control measures.
    page_ins: u64,
    /// Unique among live address spaces.
    id: usize,
    /// Its ASID and the harts that may cache its translations.
    tag: Arc<Tag>,
    /// Where the heap starts (the page after the program image) and the current break.
    pub heap_start: usize,
    pub brk: usize,
}

/// Makes the page table map `page` to `pa` with `flags` — or not at all when `flags` allow
/// no access (PROT_NONE: the frame stays in the address space, unmapped, so any touch
/// faults).
fn set_pte(table: &mut PageTable, page: usize, pa: usize, flags: PteFlags) -> Result<(), Errno> {
    let accessible = flags.contains(PteFlags::R) || flags.contains(PteFlags::X);
    let mapped = table.translate(page).is_some();
    match (accessible, mapped) {
        (false, true) => table.unmap(page).map(|_| ()),
        (false, false) => Ok(()),
        (true, true) => table.protect(page, flags),
        (true, false) => table.map(page, pa, PageSize::Size4K, flags),
    }
    .map_err(|_| Errno::ENOMEM)
}

fn page_of(addr: usize) -> usize {
    addr & !(PAGE_SIZE - 1)
}

/// The pages `[addr, addr + len)` touches (none if `len` is 0); `EFAULT` if the range wraps
/// around or reaches past user space.
fn user_pages(addr: usize, len: usize) -> Result<impl Iterator<Item = usize>, Errno> {
    let end = addr.checked_add(len).ok_or(Errno::EFAULT)?;
    if len > 0 && end > USER_TOP {
        return Err(Errno::EFAULT);
    }
    let first = if len == 0 { end } else { page_of(addr) };
    Ok((first..end).step_by(PAGE_SIZE))
}

impl AddressSpace {
    /// An empty user space (only the shared kernel half is mapped).
    pub fn new() -> Result<AddressSpace, Errno> {
        let table = PageTable::new_user().map_err(|_| Errno::ENOMEM)?;
        Ok(AddressSpace {
            table,
            vmas: Vec::new(),
            pages: BTreeMap::new(),
            swapped: BTreeMap::new(),
            page_ins: 0,
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            tag: Arc::new(Tag::new()),
            heap_start: 0,
            brk: 0,
        })
    }

    fn vma_index(&self, addr: usize) -> Option<usize> {
        let at = self.vmas.partition_point(|v| v.end <= addr);
        (at < self.vmas.len() && self.vmas[at].start <= addr).then_some(at)
    }

    /// The region containing `addr`.
    pub fn find_vma(&self, addr: usize) -> Option<&Vma> {
        self.vma_index(addr).map(|i| &self.vmas[i])
    }

    /// Every region, in address order.
    pub fn vmas(&self) -> &[Vma] {
        &self.vmas
    }

    /// Pages present in memory (the resident set).
    pub fn resident_pages(&self) -> usize {
        self.pages.len()
    }

    /// Pages out on the swap device.
    pub fn swapped_pages(&self) -> usize {
        self.swapped.len()
    }

    /// Resident and swapped pages in `[start, end)` (for `/proc/<pid>/smaps`).
    pub fn pages_in(&self, start: usize, end: usize) -> (usize, usize) {
        (
            self.pages.range(start..end).count(),
            self.swapped.range(start..end).count(),
        )
    }

    /// Pages read in from a device so far.
    pub fn page_ins(&self) -> u64 {
        self.page_ins
    }

    /// A copy of this space for a child process (fork): the same regions and the same
    /// frames. Private writable pages become copy-on-write in both spaces; pages of shared
    /// mappings stay shared and writable.
    pub fn duplicate(&mut self) -> Result<AddressSpace, Errno> {
        let mut copy = AddressSpace::new()?;
        copy.vmas = self.vmas.clone();
        copy.heap_start = self.heap_start;
        copy.brk = self.brk;
        copy.swapped = self.swapped.clone();
        let mut made_read_only = false;
        for (&page, entry) in self.pages.iter_mut() {
            let vma = &self.vmas[self.vmas.partition_point(|v| v.end <= page)];
            let writable = vma.shared && vma.perm.write;
            let flags = Perm {
                write: writable,
                ..vma.perm
            }
            .pte_flags();
            set_pte(&mut copy.table, page, entry.frame.pa(), flags)?;
            copy.pages.insert(
                page,
                Page {
                    frame: entry.frame.clone(),
                    writable,
                    tracked: pager::track(copy.id, page),
                },
            );
            if entry.writable && !writable {
                set_pte(&mut self.table, page, entry.frame.pa(), flags)?;
                entry.writable = false;
                made_read_only = true;
            }
        }
        if made_read_only {
            self.shootdown(None);
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

    /// Whether `[start, end)` overlaps a region (other than the one starting at `except`).
    pub fn overlaps(&self, start: usize, end: usize, except: Option<usize>) -> bool {
        self.vmas
            .iter()
            .any(|v| Some(v.start) != except && v.start < end && start < v.end)
    }

    /// The highest free, page-aligned gap of `len` bytes ending at or below `top`.
    pub fn find_free(&self, len: usize, top: usize) -> Option<usize> {
        let mut ceiling = top;
        for vma in self.vmas.iter().rev() {
            if vma.start >= ceiling {
                continue;
            }
            if vma.end <= ceiling && ceiling - vma.end >= len {
                return Some(ceiling - len);
            }
            ceiling = ceiling.min(vma.start);
        }
        (ceiling >= len + PAGE_SIZE).then(|| ceiling - len)
    }

    fn map_frame(&mut self, page: usize, frame: Frame, vma: &Vma) -> Result<(), Errno> {
        self.table
            .map(page, frame.pa(), PageSize::Size4K, vma.perm.pte_flags())
            .map_err(|_| Errno::ENOMEM)?;
        self.pages.insert(
            page,
            Page {
                frame: Arc::new(frame),
                writable: vma.perm.write,
                tracked: pager::track(self.id, page),
            },
        );
        Ok(())
    }

    /// Backs the page at `page` (inside a VMA) with a new zeroed frame and maps it with the
    /// VMA's permissions; returns the frame so the caller can fill it.
    pub fn map_zeroed_page(&mut self, page: usize) -> Result<&Frame, Errno> {
        let vma = self.find_vma(page).ok_or(Errno::EFAULT)?.clone();
        if !page.is_multiple_of(PAGE_SIZE)
            || vma.kind == VmaKind::Guard
            || self.pages.contains_key(&page)
        {
            return Err(Errno::EINVAL);
        }
        let frame = pager::alloc_frame(self, true)?;
        self.map_frame(page, frame, &vma)?;
        Ok(&self.pages[&page].frame)
    }

    /// Brings in a page that is not resident: from swap if it was pushed out, else (in a
    /// demand-paged region) zeros, the program's or mapped file's bytes, or the shared
    /// memory object's frame. `EFAULT` if the region has no way to supply it.
    fn bring_in(&mut self, page: usize, vma: &Vma) -> Result<(), Errno> {
        if self.swapped.contains_key(&page) {
            self.swap_in(page, vma)
        } else if vma.demand_paged() {
            self.page_in(page, vma)
        } else {
            Err(Errno::EFAULT)
        }
    }

    /// Brings in a page of a demand-paged region: zeros, the program's or mapped file's
    /// bytes, or the shared memory object's frame.
    fn page_in(&mut self, page: usize, vma: &Vma) -> Result<(), Errno> {
        if let Some(shmem) = &vma.shmem {
            // The object keeps the frame too, so the pager never evicts it from here.
            let frame = shmem
                .object
                .frame(shmem.first_page + (page - vma.start) / PAGE_SIZE)?;
            self.table
                .map(page, frame.pa(), PageSize::Size4K, vma.perm.pte_flags())
                .map_err(|_| Errno::ENOMEM)?;
            self.pages.insert(
                page,
                Page {
                    frame,
                    writable: vma.perm.write,
                    tracked: pager::track(self.id, page),
                },
            );
            return Ok(());
        }
        let frame = pager::alloc_frame(self, true)?;
        if let Some(image) = &vma.program {
            let mut bytes = [0u8; PAGE_SIZE];
            image.read_page(page, &mut bytes)?;
            frame.write_bytes(0, &bytes);
            self.page_ins += 1;
            vmstat::PGMAJFAULT.bump();
        } else if let Some(file) = &vma.file {
            let mut bytes = [0u8; PAGE_SIZE];
            let offset = file.offset + (page - vma.start) as u64;
            let mut done = 0;
            while done < PAGE_SIZE {
                let count = file
                    .inode
                    .read_at(offset + done as u64, &mut bytes[done..])?;
                if count == 0 {
                    break;
                }
                done += count;
            }
            frame.write_bytes(0, &bytes[..done]);
            self.map_frame(page, frame, vma)?;
            // The page equals the file: clean until written (a clean page of a private
            // mapping can be dropped instead of swapped).
            self.table.clear_dirty(page);
            self.page_ins += 1;
            vmstat::PGMAJFAULT.bump();
            return Ok(());
        }
        self.map_frame(page, frame, vma)
    }

    /// A user page fault at `addr`: a write to a copy-on-write page gets its own copy; a
    /// touch of a demand-paged page not there yet brings it in. `Err(EFAULT)` means the
    /// access is invalid (the process gets SIGSEGV); `ENOMEM` that memory ran out.
    pub fn handle_fault(&mut self, addr: usize, access: Access) -> Result<(), Errno> {
        let page = page_of(addr);
        let vma = self.find_vma(addr).ok_or(Errno::EFAULT)?.clone();
        if !vma.perm.allows(access) {
            return Err(Errno::EFAULT);
        }
        vmstat::PGFAULT.bump();
        match self.pages.get(&page) {
            Some(entry) if access == Access::Write && !entry.writable => self.break_cow(page, &vma),
            Some(_) => {
                // Present and allowed: this hart's TLB held a stale entry (another thread
                // changed the mapping on another hart), or the hardware traps instead of
                // setting the accessed or dirty bit (Svade). Set them, drop the entry and
                // retry the access.
                self.table.mark_used(page, access == Access::Write);
                hal::cpu::flush_tlb_page(page, self.tag.asid());
                Ok(())
            }
            None => self.bring_in(page, &vma),
        }
    }

    /// Gives `page` (mapped read-only for copy-on-write) a frame of its own and maps it
    /// writable.
    fn break_cow(&mut self, page: usize, vma: &Vma) -> Result<(), Errno> {
        let shared_frame = self
            .pages
            .get(&page)
            .is_some_and(|entry| Arc::strong_count(&entry.frame) > 1);
        if shared_frame && !vma.shared {
            let copy = pager::alloc_frame(self, false)?;
            // Making room may have evicted this very page: then the access is simply
            // tried again (and finds it in swap).
            let Some(entry) = self.pages.get_mut(&page) else {
                return Ok(());
            };
            let mut bytes = [0u8; PAGE_SIZE];
            entry.frame.read_bytes(0, &mut bytes);
            copy.write_bytes(0, &bytes);
            entry.frame = Arc::new(copy);
            vmstat::COW_FAULT.bump();
        }
        let entry = self.pages.get_mut(&page).ok_or(Errno::EFAULT)?;
        entry.writable = true;
        let pa = entry.frame.pa();
        self.table.unmap(page).map_err(|_| Errno::EFAULT)?;
        self.table
            .map(page, pa, PageSize::Size4K, vma.perm.pte_flags())
            .map_err(|_| Errno::ENOMEM)?;
        self.shootdown(Some(page));
        Ok(())
    }

    /// What a hart loads to run in this space (see [`super::shared::SharedSpace`]).
    pub fn root(&self) -> hal::paging::TableRoot {
        self.table.root(self.tag.asid())
    }

    /// Unique among live address spaces.
    pub fn id(&self) -> usize {
        self.id
    }

    /// Drops stale translations of `page` (or of every page, `None`) from every TLB that may
    /// hold them (see [`Tag::shootdown`]).
    fn shootdown(&self, page: Option<usize>) {
        self.tag.shootdown(page);
    }

    /// Its ASID and the harts that may cache its translations.
    pub fn tag(&self) -> &Arc<Tag> {
        &self.tag
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
            None if new_end > start => {
                self.add_vma(Vma::new(start, new_end, Perm::RW, VmaKind::Heap))
            }
            None => Ok(()),
            Some(index) => {
                let old_end = self.vmas[index].end;
                if new_end > old_end && self.overlaps(old_end, new_end, Some(start)) {
                    return Err(Errno::ENOMEM);
                }
                if new_end < old_end {
                    self.unmap_range(new_end.max(start), old_end);
                } else {
                    self.vmas[index].end = new_end;
                }
                Ok(())
            }
        }
    }

    /// Splits the region containing `addr` so that a region boundary falls at `addr`.
    fn split_at(&mut self, addr: usize) {
        if let Some(index) = self.vma_index(addr)
            && self.vmas[index].start < addr
        {
            let tail = self.vmas[index].tail_from(addr);
            self.vmas[index].end = addr;
            self.vmas.insert(index + 1, tail);
        }
    }

    /// Writes the pages of shared file mappings in `[start, end)` back to their files.
    pub fn write_back(&self, start: usize, end: usize) -> Result<(), Errno> {
        for vma in self
            .vmas
            .iter()
            .filter(|v| v.shared && v.perm.write && v.start < end && start < v.end)
        {
            let Some(file) = &vma.file else { continue };
            let size = file.inode.metadata()?.size;
            for (&page, entry) in self.pages.range(vma.start.max(start)..vma.end.min(end)) {
                let offset = file.offset + (page - vma.start) as u64;
                if offset >= size {
                    continue;
                }
                let len = (size - offset).min(PAGE_SIZE as u64) as usize;
                let mut bytes = [0u8; PAGE_SIZE];
                entry.frame.read_bytes(0, &mut bytes[..len]);
                file.inode.write_at(offset, &bytes[..len])?;
            }
        }
        Ok(())
    }

    /// Removes every mapping in `[start, end)` (page aligned), splitting regions that
    /// straddle the edges; shared file pages are written back first.
    pub fn unmap_range(&mut self, start: usize, end: usize) {
        let _ = self.write_back(start, end);
        self.split_at(start);
        self.split_at(end);
        self.vmas.retain(|v| !(start <= v.start && v.end <= end));
        self.release_resident(start, end, |_, _| true);
        self.drop_swapped(start, end, |_| true);
    }

    /// Releases all user memory once no thread will run in the space again (its last user
    /// exited or exec'd: see [`super::shared::MemoryUser`]): shared file pages are written
    /// back, frames and swap slots freed, and the tables below the root too. Only the root
    /// stays, empty, for a hart that may still have it loaded.
    pub fn release_user_memory(&mut self) {
        self.unmap_range(0, USER_TOP);
        let tag = self.tag.clone();
        self.table.release_user_tables(|| tag.shootdown(None));
    }

    /// Unmaps the resident pages of `[start, end)` for which `which` holds and frees their
    /// frames, a batch at a time: each batch's frames go only after its shootdown (until
    /// then another hart may still reach them through its TLB), and the kernel's list of
    /// them stays small however large the range.
    fn release_resident(
        &mut self,
        start: usize,
        end: usize,
        which: impl Fn(&AddressSpace, usize) -> bool,
    ) {
        let mut from = start;
        let mut batch = Vec::with_capacity(RELEASE_BATCH);
        loop {
            let next = next_batch(&self.pages, from..end, |page| which(self, page), &mut batch);
            let mut released = Vec::with_capacity(batch.len());
            for page in &batch {
                released.extend(self.pages.remove(page));
                let _ = self.table.unmap(*page);
            }
            if !batch.is_empty() {
                self.shootdown(None);
            }
            drop(released);
            match next {
                Some(page) => from = page,
                None => break,
            }
        }
    }

    /// Gives `[start, end)` the permissions `perm` (mprotect). `ENOMEM` if part of the range
    /// is not mapped.
    pub fn protect_range(&mut self, start: usize, end: usize, perm: Perm) -> Result<(), Errno> {
        let mut cursor = start;
        while cursor < end {
            let vma = self.find_vma(cursor).ok_or(Errno::ENOMEM)?;
            if vma.kind == VmaKind::Guard {
                return Err(Errno::ENOMEM);
            }
            cursor = vma.end;
        }
        self.split_at(start);
        self.split_at(end);
        for vma in self
            .vmas
            .iter_mut()
            .filter(|v| start <= v.start && v.end <= end)
        {
            vma.perm = perm;
        }
        let shared_ranges: Vec<(usize, usize)> = self
            .vmas
            .iter()
            .filter(|v| v.shared)
            .map(|v| (v.start, v.end))
            .collect();
        for (&page, entry) in self.pages.range_mut(start..end) {
            let shared = shared_ranges.iter().any(|&(s, e)| s <= page && page < e);
            let writable = perm.write && (shared || Arc::strong_count(&entry.frame) == 1);
            entry.writable = writable;
            let flags = Perm {
                write: writable,
                ..perm
            }
            .pte_flags();
            set_pte(&mut self.table, page, entry.frame.pa(), flags)?;
        }
        self.shootdown(None);
        Ok(())
    }

    /// Drops the private pages of `[start, end)` (madvise DONTNEED): the next touch brings
    /// in zeros (or the file's bytes) again.
    pub fn discard_range(&mut self, start: usize, end: usize) -> Result<(), Errno> {
        self.release_resident(start, end, |space, page| {
            space
                .find_vma(page)
                .is_some_and(|v| !v.shared && v.demand_paged())
        });
        let vmas = self.vmas.clone();
        self.drop_swapped(start, end, |page| {
            let at = vmas.partition_point(|v| v.end <= page);
            vmas.get(at)
                .is_some_and(|v| v.start <= page && !v.shared && v.demand_paged())
        });
        Ok(())
    }

    /// Checks that all of `[addr, addr + len)` may be accessed (`access`) by the kernel on
    /// the user's behalf, before a call that may block commits to it.
    pub fn check_access(&mut self, addr: usize, len: usize, access: Access) -> Result<(), Errno> {
        self.prepare_range(addr, len, access)
    }

    /// Checks that all of `[addr, addr + len)` lies in regions that allow `access`,
    /// bringing in demand-paged pages that are not there yet and breaking copy-on-write
    /// sharing for writes.
    fn prepare_range(&mut self, addr: usize, len: usize, access: Access) -> Result<(), Errno> {
        for page in user_pages(addr, len)? {
            let vma = self.find_vma(page).ok_or(Errno::EFAULT)?.clone();
            if !vma.perm.allows(access) {
                return Err(Errno::EFAULT);
            }
            self.make_present(page, &vma, access)?;
        }
        Ok(())
    }

    /// Checks that every page of `[addr, addr + len)` lies in a region allowing `access`,
    /// without bringing anything in.
    fn check_range(&self, addr: usize, len: usize, access: Access) -> Result<(), Errno> {
        for page in user_pages(addr, len)? {
            let vma = self.find_vma(page).ok_or(Errno::EFAULT)?;
            let obtainable = self.pages.contains_key(&page)
                || self.swapped.contains_key(&page)
                || vma.demand_paged();
            if !vma.perm.allows(access) || !obtainable {
                return Err(Errno::EFAULT);
            }
        }
        Ok(())
    }

    /// Makes `page` (in `vma`, which allows `access`) present for `access`: brings it in,
    /// or gives it its own frame for a write to a copy-on-write page. A kernel write marks
    /// it dirty, as a user write would.
    fn make_present(&mut self, page: usize, vma: &Vma, access: Access) -> Result<(), Errno> {
        match self.pages.get(&page) {
            Some(entry) if access == Access::Write && !entry.writable => {
                self.break_cow(page, vma)?
            }
            Some(_) => {}
            None => self.bring_in(page, vma)?,
        }
        if access == Access::Write {
            self.table.mark_used(page, true);
        }
        Ok(())
    }

    /// The frame of `page`, brought in for `access` (the caller checked the region).
    fn present_frame(&mut self, page: usize, access: Access) -> Result<&Frame, Errno> {
        let vma = self.find_vma(page).ok_or(Errno::EFAULT)?.clone();
        // Bringing a page in never evicts it again, but giving a copy-on-write page its own
        // frame may (see `break_cow`): then once more.
        for _ in 0..3 {
            self.make_present(page, &vma, access)?;
            if self.pages.contains_key(&page) {
                break;
            }
        }
        Ok(&self.pages.get(&page).ok_or(Errno::EFAULT)?.frame)
    }

    /// The 32-bit word at `addr` (4-aligned) if its page is in memory and readable, without
    /// faulting anything in (the futex code reads it under its own lock).
    pub fn resident_word(&self, addr: usize) -> Option<u32> {
        if !self.find_vma(addr)?.perm.read {
            return None;
        }
        let mut bytes = [0u8; 4];
        self.pages
            .get(&page_of(addr))?
            .frame
            .read_bytes(addr % PAGE_SIZE, &mut bytes);
        Some(u32::from_le_bytes(bytes))
    }

    /// Whether `addr` lies in a region shared between address spaces, and if so the
    /// physical address of that byte when its page is in memory.
    pub fn shared_address(&self, addr: usize) -> Option<Option<usize>> {
        let vma = self.find_vma(addr)?;
        if !vma.shared {
            return None;
        }
        Some(
            self.pages
                .get(&page_of(addr))
                .map(|p| p.frame.pa() + addr % PAGE_SIZE),
        )
    }

    /// Copies user memory at `addr` into `buf`. `EFAULT` (and nothing copied) if any byte is
    /// outside a readable region.
    ///
    /// Each page is brought in just before its bytes are copied: bringing in a later page
    /// may evict an earlier one.
    pub fn copy_in(&mut self, addr: usize, buf: &mut [u8]) -> Result<(), Errno> {
        self.check_range(addr, buf.len(), Access::Read)?;
        let mut done = 0;
        while done < buf.len() {
            let at = addr + done;
            let offset = at % PAGE_SIZE;
            let chunk = (PAGE_SIZE - offset).min(buf.len() - done);
            self.present_frame(page_of(at), Access::Read)?
                .read_bytes(offset, &mut buf[done..done + chunk]);
            done += chunk;
        }
        Ok(())
    }

    /// Copies `data` to user memory at `addr`. `EFAULT` (and nothing written) if any byte is
    /// outside a writable region.
    /// (Pages are brought in one at a time, as in [`AddressSpace::copy_in`].)
    pub fn copy_out(&mut self, addr: usize, data: &[u8]) -> Result<(), Errno> {
        self.check_range(addr, data.len(), Access::Write)?;
        let mut done = 0;
        while done < data.len() {
            let at = addr + done;
            let offset = at % PAGE_SIZE;
            let chunk = (PAGE_SIZE - offset).min(data.len() - done);
            self.present_frame(page_of(at), Access::Write)?
                .write_bytes(offset, &data[done..done + chunk]);
            done += chunk;
        }
        Ok(())
    }
}

impl Drop for AddressSpace {
    fn drop(&mut self) {
        let _ = self.write_back(0, USER_TOP);
        // A hart never keeps a freed table loaded: harts keep the space they last ran
        // alive (`shared::ON_HART`), so only this one can have it loaded now.
        if self.root().is_active() {
            unload_hart();
        }
    }
}
