//! Address-space identifiers (concept M4, the TLB): every address space gets an ASID, which
//! `satp` carries and the hardware stores in each TLB entry it caches. A hart switching
//! from one process to another then flushes nothing: the entries of the first stay in the
//! TLB, unused while another ASID is loaded, and still valid when the first comes back.
//!
//! What keeps the entries honest:
//! - A live space's ASID is its own. When a space dies, its ASID is flushed on every hart
//!   that may hold entries of it before the number goes back to the pool, so the next
//!   owner starts with none.
//! - Which harts may hold entries of a space is the space's `harts` mask: a hart adds
//!   itself before it first loads the space, and stays in it (it may hold the entries long
//!   after it loaded another space). A changed mapping is shot down on all of them
//!   ([`Tag::shootdown`]): locally by `sfence.vma` of the page and ASID, elsewhere through
//!   SBI's remote fence (an inter-processor interrupt).
//! - The first time a hart loads a space it flushes the ASID anyway, so its page-table
//!   walker starts from the tables as they are now.
//! - ASID 0 belongs to the kernel's own table, whose entries are all global. When the
//!   hardware has no ASIDs, or the pool is empty, or `/proc/sys/vm/max_asid` is lowered,
//!   new spaces share ASID 0 and flush it each time a hart loads one of them: correct,
//!   only slower.

use abi::errno::Errno;
use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use hal::PAGE_SIZE;
use hal::sync::SpinLock;

/// The free and used ASIDs (`asid` lock: a leaf).
struct Pool {
    /// Bit `n` set: ASID `n` belongs to a live space.
    used: [u64; 1024],
    /// The largest ASID the hardware holds.
    hardware_max: u16,
    /// The largest ASID handed out now (at most `hardware_max`).
    limit: u16,
    /// Where the search for a free ASID starts (the one after the last taken), so numbers
    /// are reused as late as possible.
    cursor: u16,
}

impl Pool {
    fn is_used(&self, asid: u16) -> bool {
        self.used[asid as usize / 64] & (1 << (asid % 64)) != 0
    }

    fn set(&mut self, asid: u16, used: bool) {
        let (word, bit) = (asid as usize / 64, 1u64 << (asid % 64));
        if used {
            self.used[word] |= bit;
        } else {
            self.used[word] &= !bit;
        }
    }

    /// A free ASID in `1..=limit`, or `None`.
    fn take(&mut self) -> Option<u16> {
        let limit = self.limit;
        let start = self.cursor;
        (0..limit)
            .map(|step| ((start as u32 + step as u32) % limit as u32) as u16 + 1)
            .find(|&asid| !self.is_used(asid))
            .inspect(|&asid| {
                self.set(asid, true);
                self.cursor = asid % limit;
            })
    }
}

static POOL: SpinLock<Pool> = SpinLock::new(
    "asid",
    Pool {
        used: [0; 1024],
        hardware_max: 0,
        limit: 0,
        cursor: 0,
    },
);

/// Spaces that got ASID 0 because none was free (for `/proc/vmstat`).
pub static SHARED_ZERO: AtomicUsize = AtomicUsize::new(0);
/// TLB shootdowns sent to other harts since boot (for `/proc/vmstat`).
pub static SHOOTDOWNS: AtomicUsize = AtomicUsize::new(0);

/// Finds how many ASIDs the hardware has (on the boot hart, before any user space exists).
pub fn init() {
    let max = hal::paging::max_asid();
    let mut pool = POOL.lock();
    pool.hardware_max = max;
    pool.limit = max;
    drop(pool);
    log::info!("tlb: {} address-space identifiers", max);
}

/// The largest ASID new spaces get (`/proc/sys/vm/max_asid`).
pub fn limit() -> u16 {
    POOL.lock().limit
}

/// Sets the largest ASID new spaces get: 0 makes every new space share ASID 0. Spaces
/// holding larger ASIDs keep them until they end. `EINVAL` above what the hardware holds.
pub fn set_limit(limit: u16) -> Result<(), Errno> {
    let mut pool = POOL.lock();
    if limit > pool.hardware_max {
        return Err(Errno::EINVAL);
    }
    pool.limit = limit;
    pool.cursor = 0;
    Ok(())
}

/// An address space's ASID and the harts that may cache its translations.
pub struct Tag {
    asid: u16,
    /// Bit `h`: hart `h` has loaded the space (and may hold entries of it).
    harts: AtomicU64,
}

impl Tag {
    /// A free ASID from the pool, or the shared ASID 0 if none is free.
    pub fn new() -> Tag {
        let asid = POOL.lock().take().unwrap_or_else(|| {
            SHARED_ZERO.fetch_add(1, Ordering::Relaxed);
            0
        });
        Tag {
            asid,
            harts: AtomicU64::new(0),
        }
    }

    pub fn asid(&self) -> u16 {
        self.asid
    }

    /// Called on the running hart just before it loads the space: records the hart, and
    /// says whether it must flush the ASID once loaded (its first load, or a space sharing
    /// ASID 0, whose entries may be another space's).
    pub fn loading(&self) -> bool {
        let bit = 1u64 << hal::cpu::hart_id();
        let before = self.harts.fetch_or(bit, Ordering::SeqCst);
        self.asid == 0 || before & bit == 0
    }

    /// Drops stale translations of `page` (or of every page, `None`) from every TLB that may
    /// hold them: this hart's, and — by inter-processor interrupt — those of the other
    /// harts that have loaded the space. Called after the page table changed and before any
    /// frame it no longer maps is reused.
    pub fn shootdown(&self, page: Option<usize>) {
        match page {
            Some(page) => hal::cpu::flush_tlb_page(page, self.asid),
            None => hal::cpu::flush_tlb_asid(self.asid),
        }
        // The page-table writes come before the look at the mask; a hart that joins it
        // after this look flushes as it loads the space (`loading`).
        core::sync::atomic::fence(Ordering::SeqCst);
        let others = self.harts.load(Ordering::SeqCst) & !(1u64 << hal::cpu::hart_id());
        if others != 0 {
            SHOOTDOWNS.fetch_add(1, Ordering::Relaxed);
            match page {
                Some(page) => hal::sbi::remote_sfence_vma_asid(others, page, PAGE_SIZE, self.asid),
                None => hal::sbi::remote_sfence_vma_asid(others, 0, usize::MAX, self.asid),
            }
        }
    }
}

impl Drop for Tag {
    /// The space is gone (no hart has it loaded): its entries are flushed everywhere they
    /// may be, then the ASID is free for another space.
    fn drop(&mut self) {
        if self.asid == 0 {
            return;
        }
        if self.harts.load(Ordering::SeqCst) != 0 {
            self.shootdown(None);
        }
        POOL.lock().set(self.asid, false);
    }
}

/// Loads the space with table `root` and tag `tag` on this hart, flushing its ASID when
/// [`Tag::loading`] says so. Nothing happens if it is loaded already.
pub fn activate(tag: &Tag, root: hal::paging::TableRoot) {
    if root.is_active() {
        return;
    }
    let flush = tag.loading();
    root.activate();
    if flush {
        hal::cpu::flush_tlb_asid(tag.asid);
    }
}
