//! Sv39 page tables (concept M2).
//!
//! ```text
//! virtual address (39 bits used, bits 63..39 copy bit 38):
//!   38        30 29        21 20        12 11           0
//!  | VPN[2] (9) | VPN[1] (9) | VPN[0] (9) | offset (12)  |
//! page-table entry (64 bits):
//!   53                 10 9  8 7 6 5 4 3 2 1 0
//!  | PPN (44 bits)       |RSW|D|A|G|U|X|W|R|V|
//! ```
//! A walk starts at the root table (`satp.PPN`), uses VPN[2], VPN[1], VPN[0] as indices; an
//! entry with any of R/W/X set is a leaf (a 1 GiB, 2 MiB or 4 KiB page), V with no R/W/X
//! points at the next-level table.
//!
//! Invariants:
//! - The upper half (root indices 256..512) is the kernel's: created once at boot in the
//!   kernel space and shared, by copying those 256 root entries, into every user table.
//!   All kernel-half second-level tables are allocated at boot ([`KernelSpace::new`]), so a
//!   later kernel mapping is visible in every address space.
//! - A [`PageTable`] for a user space owns the intermediate tables of the lower half and
//!   frees them when dropped; it never owns the leaf frames (the kernel's address space
//!   object does) and refuses to map above `USER_TOP`.
//! - The kernel space is written only during boot on the boot hart (before other harts
//!   start); afterwards only the kernel-stack region gains pages (under `kernel-map`).

use crate::mem::{Frame, OutOfMemory};
use crate::{PAGE_SIZE, PHYS_OFFSET, USER_TOP, phys_to_virt};
use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// Page-table entry flag bits.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct PteFlags(pub u64);

impl PteFlags {
    pub const V: PteFlags = PteFlags(1 << 0);
    pub const R: PteFlags = PteFlags(1 << 1);
    pub const W: PteFlags = PteFlags(1 << 2);
    pub const X: PteFlags = PteFlags(1 << 3);
    pub const U: PteFlags = PteFlags(1 << 4);
    pub const G: PteFlags = PteFlags(1 << 5);
    pub const A: PteFlags = PteFlags(1 << 6);
    pub const D: PteFlags = PteFlags(1 << 7);
    pub const NONE: PteFlags = PteFlags(0);
    pub const RW: PteFlags = PteFlags(Self::R.0 | Self::W.0);
    pub const RX: PteFlags = PteFlags(Self::R.0 | Self::X.0);
    pub const RWX: PteFlags = PteFlags(Self::R.0 | Self::W.0 | Self::X.0);

    pub const fn contains(self, other: PteFlags) -> bool {
        self.0 & other.0 == other.0
    }
    pub const fn union(self, other: PteFlags) -> PteFlags {
        PteFlags(self.0 | other.0)
    }
    const fn is_leaf(self) -> bool {
        self.0 & (Self::R.0 | Self::W.0 | Self::X.0) != 0
    }
}

impl core::ops::BitOr for PteFlags {
    type Output = PteFlags;
    fn bitor(self, rhs: PteFlags) -> PteFlags {
        self.union(rhs)
    }
}

const FLAG_MASK: u64 = 0x3ff;
const ENTRIES: usize = 512;
/// First root index of the kernel half.
const KERNEL_ROOT_INDEX: usize = 256;

const fn make_pte(pa: usize, flags: PteFlags) -> u64 {
    ((pa as u64 >> 12) << 10) | flags.0
}
const fn pte_pa(pte: u64) -> usize {
    ((pte >> 10) << 12) as usize
}
const fn pte_flags(pte: u64) -> PteFlags {
    PteFlags(pte & FLAG_MASK)
}
const fn vpn(va: usize, level: usize) -> usize {
    (va >> (12 + 9 * level)) & 0x1ff
}

/// The size of one mapping: a base page or a superpage.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum PageSize {
    Size4K,
    Size2M,
    Size1G,
}

impl PageSize {
    pub const fn bytes(self) -> usize {
        match self {
            PageSize::Size4K => 1 << 12,
            PageSize::Size2M => 1 << 21,
            PageSize::Size1G => 1 << 30,
        }
    }
    const fn level(self) -> usize {
        match self {
            PageSize::Size4K => 0,
            PageSize::Size2M => 1,
            PageSize::Size1G => 2,
        }
    }
}

/// Why a mapping request failed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum MapError {
    /// No frame for an intermediate table.
    OutOfMemory,
    /// The address is not aligned for the page size, or outside the allowed half.
    BadAddress,
    /// Something is already mapped there.
    AlreadyMapped,
    /// Nothing is mapped there.
    NotMapped,
}

impl From<OutOfMemory> for MapError {
    fn from(_: OutOfMemory) -> Self {
        MapError::OutOfMemory
    }
}

/// A compile-time root table: the boot page table.
#[repr(C, align(4096))]
pub struct RootTableImage([u64; ENTRIES]);

impl RootTableImage {
    /// Identity gigapage at 2 GiB (RAM, so the instruction after `csrw satp` still
    /// fetches) and the direct map of physical 0..4 GiB at `PHYS_OFFSET`. A and D are preset
    /// so the walker never needs to write this table.
    pub const fn boot() -> Self {
        let mut table = [0u64; ENTRIES];
        let rwx = PteFlags(PteFlags::V.0 | PteFlags::RWX.0 | PteFlags::A.0 | PteFlags::D.0);
        table[2] = make_pte(0x8000_0000, rwx);
        let mut gig = 0;
        while gig < 4 {
            let global = PteFlags(rwx.0 | PteFlags::G.0);
            table[vpn(PHYS_OFFSET, 2) + gig] = make_pte(gig << 30, global);
            gig += 1;
        }
        RootTableImage(table)
    }
}

/// One 4 KiB table of 512 entries, reached through the direct map.
fn table_at(pa: usize) -> &'static mut [u64; ENTRIES] {
    // Callers only pass page-table frames owned by the `PageTable` being walked (or by the
    // kernel space during single-threaded boot) and access them through `&mut self` of that
    // owner, so no two live references alias.
    // SAFETY: as above; the frame is 4 KiB aligned and mapped by the direct map.
    unsafe { &mut *(phys_to_virt(pa) as *mut [u64; ENTRIES]) }
}

/// An Sv39 page table.
pub struct PageTable {
    root: usize,
    user: bool,
}

impl PageTable {
    fn new_table() -> Result<usize, OutOfMemory> {
        let frame = Frame::alloc_zeroed()?;
        Ok(frame.into_raw())
    }

    /// A new user table sharing the kernel half of `kernel`.
    pub fn new_user() -> Result<PageTable, OutOfMemory> {
        let root = Self::new_table()?;
        let kernel_root = KERNEL_ROOT.load(Ordering::Acquire);
        assert!(kernel_root != 0, "kernel space not set up");
        let src = table_at(kernel_root);
        let dst = table_at(root);
        dst[KERNEL_ROOT_INDEX..].copy_from_slice(&src[KERNEL_ROOT_INDEX..]);
        Ok(PageTable { root, user: true })
    }

    /// The `satp` value selecting this table with `asid`.
    pub fn satp(&self, asid: u16) -> usize {
        (8 << 60) | ((asid as usize) << 44) | (self.root >> 12)
    }

    fn check_va(&self, va: usize) -> Result<(), MapError> {
        let canonical = ((va as isize) << 25 >> 25) as usize == va;
        if !canonical || (self.user && va >= USER_TOP) {
            return Err(MapError::BadAddress);
        }
        Ok(())
    }

    /// The entry for `va` at `level`, creating intermediate tables on the way.
    fn entry_create(&mut self, va: usize, level: usize) -> Result<&'static mut u64, MapError> {
        let mut table = self.root;
        for current in (level + 1..=2).rev() {
            let entry = &mut table_at(table)[vpn(va, current)];
            let flags = pte_flags(*entry);
            if !flags.contains(PteFlags::V) {
                let next = Self::new_table()?;
                *entry = make_pte(next, PteFlags::V);
            } else if flags.is_leaf() {
                return Err(MapError::AlreadyMapped);
            }
            table = pte_pa(*entry);
        }
        Ok(&mut table_at(table)[vpn(va, level)])
    }

    /// The leaf entry mapping `va`, with its level.
    fn leaf(&self, va: usize) -> Option<(&'static mut u64, usize)> {
        let mut table = self.root;
        for level in (0..=2).rev() {
            let entry = &mut table_at(table)[vpn(va, level)];
            let flags = pte_flags(*entry);
            if !flags.contains(PteFlags::V) {
                return None;
            }
            if flags.is_leaf() {
                return Some((entry, level));
            }
            if level == 0 {
                return None;
            }
            table = pte_pa(*entry);
        }
        None
    }

    /// Maps the page at `va` to physical `pa` with `flags` (V, A and D are added).
    pub fn map(
        &mut self,
        va: usize,
        pa: usize,
        size: PageSize,
        flags: PteFlags,
    ) -> Result<(), MapError> {
        self.check_va(va)?;
        if !va.is_multiple_of(size.bytes()) || !pa.is_multiple_of(size.bytes()) || !flags.is_leaf()
        {
            return Err(MapError::BadAddress);
        }
        let entry = self.entry_create(va, size.level())?;
        if pte_flags(*entry).contains(PteFlags::V) {
            return Err(MapError::AlreadyMapped);
        }
        *entry = make_pte(pa, flags | PteFlags::V | PteFlags::A | PteFlags::D);
        Ok(())
    }

    /// Removes the 4 KiB mapping at `va`, returning the physical address it mapped.
    /// The caller flushes the TLB.
    pub fn unmap(&mut self, va: usize) -> Result<usize, MapError> {
        self.check_va(va)?;
        match self.leaf(va) {
            Some((entry, 0)) => {
                let pa = pte_pa(*entry);
                *entry = 0;
                Ok(pa)
            }
            Some(_) => Err(MapError::BadAddress),
            None => Err(MapError::NotMapped),
        }
    }

    /// Changes the permission flags of the 4 KiB mapping at `va`.
    pub fn protect(&mut self, va: usize, flags: PteFlags) -> Result<(), MapError> {
        self.check_va(va)?;
        match self.leaf(va) {
            Some((entry, 0)) => {
                *entry = make_pte(
                    pte_pa(*entry),
                    flags | PteFlags::V | PteFlags::A | PteFlags::D,
                );
                Ok(())
            }
            Some(_) => Err(MapError::BadAddress),
            None => Err(MapError::NotMapped),
        }
    }

    /// The leaf entry of the 4 KiB mapping at `va`, for atomic access: the hardware page
    /// walker sets its accessed and dirty bits on its own (atomically), so the pager's reads
    /// and clears of those bits must be atomic too, or a bit set in between is lost.
    fn atomic_leaf(&mut self, va: usize) -> Option<&AtomicU64> {
        self.check_va(va).ok()?;
        let Some((entry, 0)) = self.leaf(va) else {
            return None;
        };
        let entry = entry as *mut u64;
        // SAFETY: an 8-byte aligned entry of a table frame this table owns and keeps alive
        // while borrowed (`&mut self`); `AtomicU64` has `u64`'s layout, and every other
        // access is through `&mut self` or by the hardware, atomically.
        Some(unsafe { AtomicU64::from_ptr(entry) })
    }

    /// Removes the 4 KiB mapping at `va` in one atomic step, returning the physical address
    /// and the entry's last flags: a dirty bit the hardware set up to that moment is in
    /// them (concept M7: whether a page must be written back). The caller flushes the TLB.
    pub fn take(&mut self, va: usize) -> Result<(usize, PteFlags), MapError> {
        let entry = self.atomic_leaf(va).ok_or(MapError::NotMapped)?;
        let pte = entry.swap(0, Ordering::AcqRel);
        Ok((pte_pa(pte), pte_flags(pte)))
    }

    /// Clears the accessed bit of the 4 KiB mapping at `va`; returns whether it was set.
    /// The caller flushes the TLB, or the hardware goes on using a cached entry and never
    /// sets the bit again.
    pub fn clear_accessed(&mut self, va: usize) -> bool {
        self.atomic_leaf(va)
            .is_some_and(|e| e.fetch_and(!PteFlags::A.0, Ordering::AcqRel) & PteFlags::A.0 != 0)
    }

    /// Clears the dirty bit of the 4 KiB mapping at `va` (its page now equals its backing
    /// copy); returns whether it was set. The caller flushes the TLB.
    pub fn clear_dirty(&mut self, va: usize) -> bool {
        self.atomic_leaf(va)
            .is_some_and(|e| e.fetch_and(!PteFlags::D.0, Ordering::AcqRel) & PteFlags::D.0 != 0)
    }

    /// Sets the accessed bit of the 4 KiB mapping at `va`, and the dirty bit for a write:
    /// what the hardware does on access, done by the fault handler for harts that trap
    /// instead (RISC-V Svade). Returns whether `va` is mapped.
    pub fn mark_used(&mut self, va: usize, write: bool) -> bool {
        let bits = if write {
            PteFlags::A.0 | PteFlags::D.0
        } else {
            PteFlags::A.0
        };
        self.atomic_leaf(va)
            .map(|e| e.fetch_or(bits, Ordering::AcqRel))
            .is_some()
    }

    /// The physical address and flags `va` translates to, as the hardware would see it.
    pub fn translate(&self, va: usize) -> Option<(usize, PteFlags)> {
        if self.check_va(va).is_err() {
            return None;
        }
        let (entry, level) = self.leaf(va)?;
        let offset = va & ((1usize << (12 + 9 * level)) - 1);
        Some((pte_pa(*entry) + offset, pte_flags(*entry)))
    }

    /// What it takes to switch a hart to this table with `asid`, without the table itself
    /// (so threads sharing an address space can enter it without taking its lock).
    pub fn root(&self, asid: u16) -> TableRoot {
        TableRoot(self.satp(asid))
    }

    /// Frees every table below the user half of the root and leaves that half empty, but
    /// keeps the root itself: a hart may still have it loaded (see [`TableRoot`]). In two
    /// steps, with `fence` between them: the root's entries are first made invalid (the
    /// hardware no longer follows them, the software still can), then `fence` must make sure
    /// no hart still walks or caches the tables below, and only then are those freed.
    pub fn release_user_tables(&mut self, fence: impl FnOnce()) {
        if !self.user {
            return;
        }
        let root = table_at(self.root);
        for entry in &mut root[..KERNEL_ROOT_INDEX] {
            *entry &= !PteFlags::V.0;
        }
        fence();
        for index in 0..KERNEL_ROOT_INDEX {
            let pte = table_at(self.root)[index];
            table_at(self.root)[index] = 0;
            if pte_pa(pte) != 0 && !pte_flags(pte).is_leaf() {
                Self::free_level(pte_pa(pte), 1, 0..ENTRIES);
            }
        }
    }

    fn free_level(table: usize, level: usize, range: core::ops::Range<usize>) {
        for index in range {
            let pte = table_at(table)[index];
            let flags = pte_flags(pte);
            if flags.contains(PteFlags::V) && !flags.is_leaf() && level > 0 {
                Self::free_level(pte_pa(pte), level - 1, 0..ENTRIES);
            }
        }
        Frame::from_raw(table);
    }
}

impl Drop for PageTable {
    fn drop(&mut self) {
        if self.user {
            // Only the user half belongs to this table; the kernel half is shared.
            Self::free_level(self.root, 2, 0..KERNEL_ROOT_INDEX);
        }
    }
}

/// The `satp` value of a user page table, made only by [`PageTable::root`]. Whoever holds
/// one must keep its table alive while any hart may have it active (the kernel keeps it
/// next to the table, in the same shared address space).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct TableRoot(usize);

impl TableRoot {
    /// Whether this hart has the table loaded now.
    pub fn is_active(self) -> bool {
        crate::cpu::read_satp() == self.0
    }

    /// Switches this hart to the table (the caller checks [`TableRoot::is_active`] first).
    /// No TLB entry is flushed: entries are tagged with the ASID, and keeping the ASID's
    /// entries current is the caller's business (the kernel's `mm::asid`).
    pub fn activate(self) {
        crate::cpu::write_satp(self.0);
    }

    /// The address-space identifier that tags this table's TLB entries.
    pub fn asid(self) -> u16 {
        ((self.0 >> 44) & 0xffff) as u16
    }
}

/// The largest ASID this hart's `satp` holds (`2^ASIDLEN - 1`, 0 if there are no ASIDs):
/// found by writing all ones to the field and reading back what stuck.
pub fn max_asid() -> u16 {
    let before = crate::cpu::read_satp();
    crate::cpu::write_satp(before | (0xffff << 44));
    let max = ((crate::cpu::read_satp() >> 44) & 0xffff) as u16;
    crate::cpu::write_satp(before);
    crate::cpu::flush_tlb_all();
    max
}

/// Physical address of the kernel root table, once built.
static KERNEL_ROOT: AtomicUsize = AtomicUsize::new(0);

/// The kernel address space under construction during boot.
pub struct KernelSpace {
    table: PageTable,
}

impl KernelSpace {
    /// An empty kernel table with every kernel-half second-level table pre-allocated, so that
    /// user tables, which copy the root's kernel half, see every later kernel mapping.
    pub fn new() -> Result<KernelSpace, OutOfMemory> {
        let root = PageTable::new_table()?;
        for index in KERNEL_ROOT_INDEX..ENTRIES {
            let next = PageTable::new_table()?;
            table_at(root)[index] = make_pte(next, PteFlags::V);
        }
        Ok(KernelSpace {
            table: PageTable { root, user: false },
        })
    }

    /// Maps `[pa, pa + len)` at `pa + PHYS_OFFSET` with `flags` (global), using the largest
    /// page size each address allows.
    pub fn map_direct(&mut self, pa: usize, len: usize, flags: PteFlags) -> Result<(), MapError> {
        let start = pa & !(PAGE_SIZE - 1);
        let end = (pa + len).next_multiple_of(PAGE_SIZE);
        let big = PageSize::Size2M.bytes();
        let mut addr = start;
        while addr < end {
            if addr.is_multiple_of(big) && end - addr >= big {
                match self.table.map(
                    phys_to_virt(addr),
                    addr,
                    PageSize::Size2M,
                    flags | PteFlags::G,
                ) {
                    Ok(()) => {
                        addr += big;
                        continue;
                    }
                    // Part of this 2 MiB is mapped with smaller pages already: fill in the rest.
                    Err(MapError::AlreadyMapped) => {}
                    Err(e) => return Err(e),
                }
            }
            match self.table.map(
                phys_to_virt(addr),
                addr,
                PageSize::Size4K,
                flags | PteFlags::G,
            ) {
                Ok(()) | Err(MapError::AlreadyMapped) => {}
                Err(e) => return Err(e),
            }
            addr += PAGE_SIZE;
        }
        Ok(())
    }

    /// Installs this table on the boot hart and publishes it for the others; the identity
    /// mapping of the boot table is gone from here on.
    pub fn activate(self) {
        let root = self.table.root;
        core::mem::forget(self);
        KERNEL_ROOT.store(root, Ordering::Release);
        activate_kernel_space();
        crate::cpu::flush_tlb_all();
    }
}

/// The kernel-half region where kernel stacks are mapped at run time (see `stack`).
pub const KERNEL_STACK_REGION: core::ops::Range<usize> =
    0xffff_ffd0_0000_0000..0xffff_ffd1_0000_0000;

static KERNEL_MAP_LOCK: crate::sync::SpinLock<()> = crate::sync::SpinLock::new("kernel-map", ());

/// Maps one 4 KiB page of the kernel-stack region after boot. Other kernel mappings never
/// change after boot. The new mapping replaces no valid one, so no other hart can hold a
/// stale translation of it; harts fence before first using a new stack (see `context`).
pub(crate) fn map_kernel_stack_page(va: usize, pa: usize) -> Result<(), MapError> {
    if !KERNEL_STACK_REGION.contains(&va) {
        return Err(MapError::BadAddress);
    }
    let _guard = KERNEL_MAP_LOCK.lock();
    let root = KERNEL_ROOT.load(Ordering::Acquire);
    assert!(root != 0, "kernel space not set up");
    // A non-owning view of the kernel table (`user: false`, so dropping frees nothing).
    let mut table = PageTable { root, user: false };
    table.map(va, pa, PageSize::Size4K, PteFlags::RW | PteFlags::G)
}

/// Switches this hart to the kernel table (no user half, ASID 0). No flush is needed:
/// kernel entries are global and the same in every table, and user entries are tagged with
/// their own ASIDs.
pub fn activate_kernel_space() {
    let root = KERNEL_ROOT.load(Ordering::Acquire);
    if root != 0 {
        crate::cpu::write_satp((8 << 60) | (root >> 12));
    }
}
