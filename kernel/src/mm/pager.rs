//! The pager (concepts M7, M8): which user pages are in memory, which ones to push out when
//! frames run low, and the frames user memory is built from.
//!
//! - **Tickets.** Every resident user page holds a [`Ticket`]: its number in the pager's
//!   table of (address space, page address) pairs. The replacement policy (a
//!   [`Replacer`] from `crates/replace`) knows pages only by these numbers. Pages are
//!   tracked per mapping, not per frame: a frame that two spaces share after `fork` has two
//!   tickets, and cannot go until one side lets go of it. Dropping a page (unmap, exit,
//!   eviction) drops its ticket, which tells the policy.
//! - **Frames.** User frames come from [`alloc_frame`]. When free frames fall below the
//!   low watermark it first reclaims pages until the high watermark is reached again; the
//!   last [`reserve`] frames are the kernel's alone (heap, page tables, disk buffers), so
//!   that evicting never runs out of memory itself. If nothing can be evicted (swap full,
//!   or no swap), the process using the most memory is killed (SIGKILL, the OOM killer);
//!   if that is the faulting process itself, it gets `ENOMEM` and dies. Evicting pages
//!   whose frames stay mapped elsewhere (copy-on-write after fork) frees no frame yet but
//!   is progress, and spaces locked by their own threads are waited for: neither is
//!   memory exhausted.
//! - **Reclaim.** The faulting thread holds its own address space's sleep lock, and any
//!   other thread may hold its own while reclaiming too: waiting for another space's lock
//!   could deadlock. So reclaim only *tries* the other spaces' locks; a space it cannot
//!   lock now is left alone (its pages look "in use" to the policy). Through the spaces it
//!   holds, the policy reads and clears accessed bits (scanning every
//!   [`SCAN_INTERVAL_NS`] for the policies that count or age uses) and chooses a batch of
//!   victims; they are evicted space by space (see `address_space::swapping`), and the
//!   ones that could not go are handed back to the policy.
//! - **Thrashing control** ([`super::thrash`]): the pages of a suspended process are
//!   chosen first, before asking the policy.
//! - **Switching policy** (`/proc/sys/vm/page_replacement`, [`set_policy`]): a fresh
//!   replacer gets every tracked page, in ticket order; what the old one learnt is lost, as
//!   with a scheduler switch. Only policies a kernel can run are accepted (`fifo`,
//!   `aging` — LRU approximated from accessed bits —, `clock`, `nru`, `lfu`, `random`);
//!   `lru` (exact) and `opt` need every reference or the future: `EINVAL`.
//!
//! Locks: `pager` (the policy and the ticket table) is a spinlock taken under at most the
//! caller's own address-space sleep lock and the ones reclaim try-locked beforehand;
//! reclaim releases it before any eviction I/O. `spaces` (the registry of live address
//! spaces) is taken alone.

use super::address_space::AddressSpace;
use super::shared::SharedSpace;
use super::{thrash, vmstat};
use crate::proc::sleep_lock::SleepLockGuard;
use crate::time;
use abi::errno::Errno;
use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use hal::mem::Frame;
use hal::sync::SpinLock;
use replace::{FrameBits, FrameIndex, Policy, PolicyConfig, Replacer};

/// The policy in force at boot.
pub const DEFAULT_POLICY: Policy = Policy::Clock;
/// How often, at most, the policy samples every accessed bit (only `aging` and `lfu` use
/// the samples; the others' scan does nothing).
pub const SCAN_INTERVAL_NS: u64 = 50_000_000;
/// Pages evicted per reclaim pass at least (the distance between the watermarks).
pub const BATCH: usize = 256;
/// How many times a faulting thread waits for an OOM victim to free memory.
const OOM_RETRIES: usize = 50;
const OOM_WAIT_NS: u64 = 20_000_000;
/// How many times, and how long, a thread that could not free memory waits for the
/// address spaces it found busy (their threads are faulting, and evicting, themselves):
/// 2 s in all, since on a slow or loaded machine one swap batch can take a while.
const BUSY_RETRIES: usize = 400;
const BUSY_WAIT_NS: u64 = 5_000_000;
/// How many reclaim passes that evicted pages but freed no frame (the pages' frames were
/// still mapped elsewhere: copy-on-write after fork) a thread makes before it can call
/// memory exhausted. Each such pass moves pages out, so the frames come free once every
/// mapping of them is out, or swap fills up and eviction stops.
const SHARED_ROUNDS: usize = 4096;

/// One tracked page, packed small: there is one per ticket, and tickets are many.
#[derive(Clone, Copy, Debug)]
struct Mapping {
    /// The address space's id (truncated: ids beyond 2^32 would only make pages look busy).
    space: u32,
    /// The page number (user addresses are below 2^38).
    number: u32,
}

impl Mapping {
    fn new(space: usize, page: usize) -> Mapping {
        Mapping {
            space: space as u32,
            number: (page / hal::PAGE_SIZE) as u32,
        }
    }

    fn space(self) -> usize {
        self.space as usize
    }

    fn page(self) -> usize {
        self.number as usize * hal::PAGE_SIZE
    }
}

struct Pager {
    policy: Box<dyn Replacer>,
    kind: Policy,
    /// Ticket number -> the page it stands for; its length is the most tickets there can
    /// be, fixed when the pager starts.
    mappings: Vec<Option<Mapping>>,
    /// Ticket numbers returned, for reuse (room for all of them is reserved up front).
    unused: Vec<usize>,
    /// Ticket numbers never used yet start here.
    fresh: usize,
    last_scan_ns: u64,
}

/// Tickets per frame of RAM, as a fraction: a frame shared after `fork` has one ticket
/// per space; beyond that many tickets, new pages are simply not tracked (never evicted).
const TICKETS_PER_FRAME: (usize, usize) = (3, 2);

/// A replacer for `policy` with its per-frame arrays already grown to `capacity`: the
/// policies index arrays by ticket number and grow them on demand, a page at a time, and
/// growing them while pages are being evicted (when memory is short) is better avoided.
fn presized(policy: Policy, capacity: usize) -> Box<dyn Replacer> {
    let config = PolicyConfig {
        future: &[],
        seed: time::random_u64(),
    };
    let mut replacer = policy.replacer(&config);
    if capacity > 0 {
        replacer.inserted(capacity - 1);
        replacer.removed(capacity - 1);
    }
    replacer
}

impl Pager {
    /// Puts a fresh `policy` in force, tracking every ticket in use, in ticket order.
    fn install(&mut self, policy: Policy) {
        self.policy = presized(policy, self.mappings.len());
        for (index, mapping) in self.mappings.iter().enumerate() {
            if mapping.is_some() {
                self.policy.inserted(index);
            }
        }
        self.kind = policy;
    }

    fn new() -> Pager {
        let (times, per) = TICKETS_PER_FRAME;
        let capacity = hal::mem::frame_stats().managed_frames * times / per;
        Pager {
            policy: presized(DEFAULT_POLICY, capacity),
            kind: DEFAULT_POLICY,
            mappings: alloc::vec![None; capacity],
            unused: Vec::with_capacity(capacity),
            fresh: 0,
            last_scan_ns: 0,
        }
    }
}

/// Sets up the pager (at boot, while memory is plentiful and unfragmented).
pub fn init() {
    PAGER.lock().get_or_insert_with(Pager::new);
}

static PAGER: SpinLock<Option<Pager>> = SpinLock::new("pager", None);
static SPACES: SpinLock<BTreeMap<usize, Weak<SharedSpace>>> =
    SpinLock::new("spaces", BTreeMap::new());

/// A resident user page's place in the pager's view; dropping it untracks the page.
#[derive(Debug)]
pub struct Ticket {
    /// `None` when every ticket number was taken: the page is never evicted.
    index: Option<FrameIndex>,
}

impl Ticket {
    /// The number the policy knows the page by.
    pub fn index(&self) -> Option<FrameIndex> {
        self.index
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if let Some(index) = self.index
            && let Some(pager) = PAGER.lock().as_mut()
        {
            pager.mappings[index] = None;
            pager.policy.removed(index);
            pager.unused.push(index);
        }
    }
}

/// Starts tracking `page` of address space `space` (just mapped, so just used).
pub fn track(space: usize, page: usize) -> Ticket {
    let mut guard = PAGER.lock();
    let pager = guard.get_or_insert_with(Pager::new);
    let index = pager.unused.pop().or_else(|| {
        let fresh = pager.fresh;
        (fresh < pager.mappings.len()).then(|| {
            pager.fresh += 1;
            fresh
        })
    });
    if let Some(index) = index {
        pager.mappings[index] = Some(Mapping::new(space, page));
        pager.policy.inserted(index);
    }
    Ticket { index }
}

/// Makes a live address space reachable for reclaim.
pub fn register(space: &Arc<SharedSpace>) {
    SPACES.lock().insert(space.id(), Arc::downgrade(space));
}

/// Forgets an address space being destroyed.
pub fn unregister(id: usize) {
    SPACES.lock().remove(&id);
}

/// The live address spaces other than `except`.
fn live_spaces(except: usize) -> Vec<Arc<SharedSpace>> {
    SPACES
        .lock()
        .iter()
        .filter(|&(&id, _)| id != except)
        .filter_map(|(_, space)| space.upgrade())
        .collect()
}

/// The replacement policy in force.
pub fn policy() -> Policy {
    PAGER.lock().as_ref().map_or(DEFAULT_POLICY, |p| p.kind)
}

/// Switches to the policy called `name`; `EINVAL` for an unknown name or one only the
/// simulator can run (`lru`, `opt`).
pub fn set_policy(name: &str) -> Result<(), Errno> {
    let policy = Policy::from_name(name)
        .filter(|p| p.kernel_can_run())
        .ok_or(Errno::EINVAL)?;
    let mut guard = PAGER.lock();
    let pager = guard.get_or_insert_with(Pager::new);
    // The old policy's arrays go back to the heap first: the new one needs about as much.
    pager.policy = policy.replacer(&PolicyConfig::default());
    pager.install(policy);
    drop(guard);
    log::info!("pager: page replacement is now {}", policy.name());
    Ok(())
}

/// Frames only the kernel may take: a 64th of memory, at least 1 MiB.
pub fn reserve() -> usize {
    (hal::mem::frame_stats().managed_frames / 64).max(256)
}

/// Free frames below which user allocations reclaim first, and up to which they reclaim.
fn watermarks() -> (usize, usize) {
    let low = 2 * reserve();
    (low, low + BATCH)
}

/// A frame for user memory (zeroed if asked), reclaiming pages first when memory is low;
/// `current` is the caller's address space (its lock is held, so reclaim goes through
/// it). `ENOMEM` when nothing can be evicted and the caller's process is the largest.
pub fn alloc_frame(current: &mut AddressSpace, zeroed: bool) -> Result<Frame, Errno> {
    let (low, high) = watermarks();
    let (mut busy_waits, mut shared_rounds, mut kills) = (0, 0, 0);
    while kills < OOM_RETRIES {
        let free = hal::mem::frame_stats().free_frames;
        let (mut evicted, mut others_busy) = (0, false);
        if free < low {
            (evicted, others_busy) = reclaim(current, high - free);
        }
        if hal::mem::frame_stats().free_frames > reserve() {
            let frame = if zeroed {
                Frame::alloc_zeroed()
            } else {
                Frame::alloc()
            };
            if let Ok(frame) = frame {
                return Ok(frame);
            }
        }
        // Pages went out but no frame came free: they are still mapped by another space.
        // That is progress (the other mappings go out too, or swap fills up): no OOM yet.
        if evicted > 0 && shared_rounds < SHARED_ROUNDS {
            shared_rounds += 1;
            continue;
        }
        // Spaces that were busy are (most likely) evicting pages themselves: wait for them
        // before calling memory exhausted.
        if others_busy && busy_waits < BUSY_RETRIES {
            busy_waits += 1;
            pause(BUSY_WAIT_NS);
            continue;
        }
        if !super::oom::kill_largest(current) {
            return Err(Errno::ENOMEM);
        }
        kills += 1;
        // Give the victim time to exit and free its memory.
        pause(OOM_WAIT_NS);
    }
    Err(Errno::ENOMEM)
}

/// Sleeps `ns` nanoseconds (a signal cuts it short, which is fine here).
fn pause(ns: u64) {
    if let Some(me) = crate::proc::sched::current() {
        let _ = crate::proc::lifecycle::sleep_until(&me, time::monotonic_ns() + ns);
    }
}

/// A frame for swap readahead, only if one is free above the low watermark: reading ahead
/// never evicts.
pub fn spare_frame() -> Option<Frame> {
    let (low, _) = watermarks();
    if hal::mem::frame_stats().free_frames <= low {
        return None;
    }
    Frame::alloc().ok()
}

/// The address spaces one reclaim pass can look into: the caller's own (locked by the
/// caller) and those whose lock was free.
struct Spaces<'c, 'g> {
    current: &'c mut AddressSpace,
    others: Vec<SleepLockGuard<'g, AddressSpace>>,
}

impl Spaces<'_, '_> {
    fn get(&self, id: usize) -> Option<&AddressSpace> {
        if self.current.id() == id {
            return Some(self.current);
        }
        self.others.iter().find(|s| s.id() == id).map(|s| &**s)
    }

    fn get_mut(&mut self, id: usize) -> Option<&mut AddressSpace> {
        if self.current.id() == id {
            return Some(self.current);
        }
        self.others
            .iter_mut()
            .find(|s| s.id() == id)
            .map(|s| &mut **s)
    }
}

/// The accessed and dirty bits of tracked pages, read from their page-table entries.
struct Bits<'p, 's, 'c, 'g> {
    mappings: &'p [Option<Mapping>],
    spaces: &'s mut Spaces<'c, 'g>,
    /// Spaces whose accessed bits were cleared: their TLBs need a flush.
    cleared: Vec<usize>,
}

impl Bits<'_, '_, '_, '_> {
    /// (accessed, costs a write) of ticket `index`. A page of a space that could not be
    /// locked looks used and costly, so the policies pass it by.
    fn bits(&self, index: FrameIndex) -> (bool, bool) {
        let Some(Some(mapping)) = self.mappings.get(index) else {
            return (false, false);
        };
        match self.spaces.get(mapping.space()) {
            Some(space) => space.page_bits(mapping.page()).unwrap_or((false, true)),
            None => (true, true),
        }
    }
}

impl FrameBits for Bits<'_, '_, '_, '_> {
    fn accessed(&self, frame: FrameIndex) -> bool {
        self.bits(frame).0
    }

    fn dirty(&self, frame: FrameIndex) -> bool {
        self.bits(frame).1
    }

    fn clear_accessed(&mut self, frame: FrameIndex) {
        let Some(Some(mapping)) = self.mappings.get(frame) else {
            return;
        };
        if let Some(space) = self.spaces.get_mut(mapping.space()) {
            space.clear_accessed(mapping.page());
            if !self.cleared.contains(&mapping.space()) {
                self.cleared.push(mapping.space());
            }
        }
    }
}

impl Pager {
    /// Up to `want` victims: the suspended space's pages first, then the policy's choice.
    /// Each is untracked by the policy (the caller hands back those it does not evict).
    fn choose(
        &mut self,
        spaces: &mut Spaces,
        want: usize,
        suspended: Option<usize>,
    ) -> Vec<(FrameIndex, Mapping)> {
        let mut victims = Vec::new();
        if let Some(space) = suspended.and_then(|id| spaces.get(id)) {
            for index in space.tickets().flatten().take(want) {
                self.policy.removed(index);
                victims.push(index);
            }
        }
        let mut bits = Bits {
            mappings: &self.mappings,
            spaces,
            cleared: Vec::new(),
        };
        let now = time::monotonic_ns();
        if now.saturating_sub(self.last_scan_ns) >= SCAN_INTERVAL_NS {
            self.policy.scan(&mut bits);
            self.last_scan_ns = now;
            vmstat::PGSCAN.bump();
        }
        let more = want.saturating_sub(victims.len());
        victims.extend(self.policy.choose_victims(&mut bits, more));
        let cleared = core::mem::take(&mut bits.cleared);
        for id in cleared {
            if let Some(space) = spaces.get(id) {
                space.flush_tlbs();
            }
        }
        victims
            .into_iter()
            .filter_map(|index| self.mappings[index].map(|m| (index, m)))
            .collect()
    }
}

/// Evicts up to `want` pages; returns how many frames that freed, and whether some other
/// address space could not be looked into (its lock was taken).
///
/// Victims the policy chose in spaces that were busy cannot go; if that leaves the pass
/// short, the caller's own space makes up for it (its pages not used lately first): a
/// faulting process can always make room out of its own pages.
fn reclaim(current: &mut AddressSpace, want: usize) -> (usize, bool) {
    vmstat::PGRECLAIM_RUNS.bump();
    thrash::note_pressure();
    let snapshot = live_spaces(current.id());
    let others: Vec<_> = snapshot.iter().filter_map(|s| s.try_lock()).collect();
    let busy = others.len() < snapshot.len();
    let mut spaces = Spaces { current, others };
    let suspended = thrash::suspended_space();
    let (victims, kind) = {
        let mut guard = PAGER.lock();
        let Some(pager) = guard.as_mut() else {
            return (0, busy);
        };
        (pager.choose(&mut spaces, want, suspended), pager.kind)
    };

    let mut by_space: BTreeMap<usize, Vec<(usize, FrameIndex)>> = BTreeMap::new();
    for (index, mapping) in victims {
        by_space
            .entry(mapping.space())
            .or_default()
            .push((mapping.page(), index));
    }
    let mut freed = 0;
    let mut kept_tickets = Vec::new();
    for (id, pages) in by_space {
        let Some(space) = spaces.get_mut(id) else {
            kept_tickets.extend(pages.iter().map(|&(_, index)| index));
            continue;
        };
        let addresses: Vec<usize> = pages.iter().map(|&(page, _)| page).collect();
        let (evicted, kept) = space.evict(&addresses);
        freed += evicted;
        kept_tickets.extend(
            pages
                .iter()
                .filter(|(page, _)| kept.contains(page))
                .map(|&(_, index)| index),
        );
    }
    if !kept_tickets.is_empty() {
        vmstat::PGSKIP.add(kept_tickets.len() as u64);
        if let Some(pager) = PAGER.lock().as_mut() {
            for index in kept_tickets {
                if pager.mappings[index].is_some() {
                    pager.policy.inserted(index);
                }
            }
        }
    }
    if freed < want {
        let own = spaces.current.eviction_candidates(want - freed);
        freed += spaces.current.evict(&own).0;
    }
    vmstat::evicted(kind, freed as u64);
    drop(spaces);
    drop(snapshot);
    (freed, busy)
}
