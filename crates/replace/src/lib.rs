//! Page replacement (concept M7): when every frame holds a page and another page must come in,
//! which resident page goes out. One trait, [`Replacer`], with the policies behind it; the
//! kernel's pager and the host simulator (`tools/sim`) drive the very same objects.
//!
//! A policy knows frames only by their index ([`FrameIndex`]); it never sees page tables.
//! The caller tells it when a frame starts holding a page it may evict
//! ([`Replacer::inserted`]) and when it stops ([`Replacer::removed`]: evicted, unmapped, or
//! its process exited); it asks for a victim ([`Replacer::choose_victim`]), and may let the
//! policy sample use periodically ([`Replacer::scan`], the kernel's timer-driven scan). Both
//! read the hardware's accessed and dirty bits, and clear accessed bits, through
//! [`FrameBits`]: that, and the order of its own calls, is all a kernel knows of how pages
//! are used. Only a simulator can also report every single reference
//! ([`Replacer::referenced`]) or know the future (OPT); [`Policy::knowledge`] says which
//! policies a kernel can run.
//!
//! The policies ([`Policy`], by [`Policy::from_name`]; OSTEP chapter 22, the seed notes'
//! lecture 37):
//!
//! | name | evicts | knows |
//! |------|--------|-------|
//! | `fifo` | the page loaded longest ago | its own calls |
//! | `lru` | the page used longest ago, exactly | every reference (simulator only) |
//! | `aging` | LRU approximated: the least recent use pattern of 8 scans | accessed bits at scans |
//! | `clock` | the next page on the clock whose accessed bit is clear (second chance) | accessed bits |
//! | `nru` | the first page of the lowest (accessed, dirty) class on the clock (enhanced clock) | accessed and dirty bits |
//! | `lfu` | the page used in the fewest scans since it was loaded | accessed bits at scans |
//! | `random` | a page drawn by a seeded generator | nothing |
//! | `opt` | the page used again farthest in the future (Belady's MIN) | the future (simulator only) |
//!
//! Ties (equal age, count or next use) go to the frame inserted first.
//!
//! Invariants every policy keeps:
//! - a frame is tracked from `inserted` until `removed`, once: inserting a tracked frame
//!   again starts it afresh;
//! - [`Replacer::choose_victim`] returns a tracked frame, `None` only when none is tracked,
//!   and does not untrack it: the caller evicts the page and then calls `removed` (a frame
//!   that must not be evicted, say one under I/O, is `removed` first and `inserted` again
//!   later);
//! - no policy clears a dirty bit: only writing the page back may, and that is the caller's.
//!
//! [`SimulatedMemory`] is the reference driver: physical memory with an MMU's accessed and
//! dirty bits, faulting pages in and asking the policy for victims exactly as a kernel
//! would. The simulator and the tests use it. Policies are plain data: no locks, no time
//! source, no floating point; victim choice is O(tracked frames) at worst.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

mod aging;
mod clock;
mod fifo;
mod lfu;
mod lru;
mod memory;
mod nru;
mod opt;
mod paged;
mod random;
mod ring;
mod slots;

pub use aging::{AGE_BITS, Aging};
pub use clock::Clock;
pub use fifo::Fifo;
pub use lfu::Lfu;
pub use lru::Lru;
pub use memory::{Eviction, Outcome, Reference, Resident, SimulatedMemory};
pub use nru::Nru;
pub use opt::Opt;
pub use random::{Random, RandomChoice};

use alloc::boxed::Box;
use alloc::vec::Vec;

/// A physical frame as the caller numbers it (the kernel: its frame number, or an index into
/// its table of swappable frames; the simulator: 0..frames).
pub type FrameIndex = usize;

/// A page as a reference string names it (the simulator's page or block number).
pub type Page = u64;

/// The hardware's record of how the page in a frame was used: the accessed (A) and dirty
/// (D) bits an MMU sets in a page-table entry. The kernel implements it over the PTEs that
/// map each frame (a frame mapped twice is accessed if either entry says so); the simulator
/// over its model of memory.
pub trait FrameBits {
    /// Whether the page in `frame` was read, written or executed since its accessed bit was
    /// last cleared (or since it was loaded).
    fn accessed(&self, frame: FrameIndex) -> bool;
    /// Whether the page in `frame` was written since it was loaded or last written back:
    /// evicting it costs a write to the swap device.
    fn dirty(&self, frame: FrameIndex) -> bool;
    /// Clears the accessed bit of `frame` (the kernel: in every PTE mapping it, followed by
    /// a TLB flush of those pages, or the hardware will not set it again).
    fn clear_accessed(&mut self, frame: FrameIndex);
}

/// A page-replacement policy over the frames it is told about.
pub trait Replacer: Send {
    /// Short name, as `/proc` and the simulator print it (one of [`Policy::ALL`]'s names).
    fn name(&self) -> &'static str;
    /// `frame` now holds a page that may be evicted. The access that faulted it in counts
    /// as a use, so its accessed bit should be set: the kernel maps it with A set (and D,
    /// for a write), which also spares a second fault on harts that trap instead of setting
    /// the bits themselves (RISC-V Svade).
    fn inserted(&mut self, frame: FrameIndex);
    /// `frame` no longer holds a page to consider (evicted, unmapped, or freed). A frame
    /// that is not tracked is ignored.
    fn removed(&mut self, frame: FrameIndex);
    /// The page in tracked `frame` was referenced again. Only a simulator sees every
    /// reference; a kernel never calls this, and only `lru` and `opt` need it.
    fn referenced(&mut self, _frame: FrameIndex) {}
    /// A periodic sample of the accessed bits (the kernel: from a timer, every few ticks;
    /// the simulator: every few references). Policies that count or age uses read and clear
    /// the bits of every tracked frame here; the others need no scan.
    fn scan(&mut self, _bits: &mut dyn FrameBits) {}
    /// The frame whose page to evict, `None` if no frame is tracked. It stays tracked until
    /// the caller [`removed`](Replacer::removed) it. May clear accessed bits (clock, nru).
    fn choose_victim(&mut self, bits: &mut dyn FrameBits) -> Option<FrameIndex>;
    /// Up to `count` victims at once, best first, for a caller that evicts in batches (the
    /// kernel's pager). Unlike [`choose_victim`](Replacer::choose_victim) it untracks each
    /// victim, as [`removed`](Replacer::removed) would; the caller `inserted`s again any it
    /// does not evict. The default asks `choose_victim` `count` times; policies whose every
    /// choice is a pass over all frames (`aging`, `lfu`) rank them in one pass instead, with
    /// the same result.
    fn choose_victims(&mut self, bits: &mut dyn FrameBits, count: usize) -> Vec<FrameIndex> {
        let mut victims = Vec::new();
        while victims.len() < count {
            let Some(frame) = self.choose_victim(bits) else {
                break;
            };
            self.removed(frame);
            victims.push(frame);
        }
        victims
    }
    /// Tracked frames.
    fn len(&self) -> usize;
    /// Whether no frame is tracked.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What a policy needs to know about how pages are used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Knowledge {
    /// The accessed and dirty bits and the caller's own calls: a kernel can run it.
    Bits,
    /// Every reference, hits included ([`Replacer::referenced`]): only a simulator.
    EveryReference,
    /// The whole reference string in advance: only a simulator, as a yardstick.
    Future,
}

/// What a policy may be given when it is made; each reads what it uses.
#[derive(Clone, Copy, Debug, Default)]
pub struct PolicyConfig<'a> {
    /// `opt`: the whole reference string, in order (a kernel has none to give).
    pub future: &'a [Page],
    /// `random`: the seed of its draws (same seed, same victims).
    pub seed: u64,
}

/// The policies, by name: what the kernel's `/proc` switch and the simulator's `--policy`
/// choose from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    Fifo,
    Lru,
    Aging,
    Clock,
    Nru,
    Lfu,
    Random,
    Opt,
}

impl Policy {
    /// Every policy, in the order tables list them.
    pub const ALL: [Policy; 8] = [
        Policy::Fifo,
        Policy::Lru,
        Policy::Aging,
        Policy::Clock,
        Policy::Nru,
        Policy::Lfu,
        Policy::Random,
        Policy::Opt,
    ];

    /// The policy called `name` (`fifo`, `lru`, `aging`, `clock`, `nru`, `lfu`, `random`,
    /// `opt`), or `None`.
    pub fn from_name(name: &str) -> Option<Policy> {
        Policy::ALL.into_iter().find(|policy| policy.name() == name)
    }

    /// Its short name.
    pub fn name(self) -> &'static str {
        match self {
            Policy::Fifo => "fifo",
            Policy::Lru => "lru",
            Policy::Aging => "aging",
            Policy::Clock => "clock",
            Policy::Nru => "nru",
            Policy::Lfu => "lfu",
            Policy::Random => "random",
            Policy::Opt => "opt",
        }
    }

    /// What it evicts, in a few words.
    pub fn summary(self) -> &'static str {
        match self {
            Policy::Fifo => "the page loaded first",
            Policy::Lru => "the page used longest ago (exact; simulator only)",
            Policy::Aging => "approximate LRU: an 8-bit history of accessed bits per frame",
            Policy::Clock => "second chance: the next page on the clock not accessed",
            Policy::Nru => "enhanced clock: lowest (accessed, dirty) class first",
            Policy::Lfu => "the page used least often since it was loaded",
            Policy::Random => "a page drawn at random (seeded)",
            Policy::Opt => "the page used again farthest ahead (simulator only)",
        }
    }

    /// What it needs to know.
    pub fn knowledge(self) -> Knowledge {
        match self {
            Policy::Lru => Knowledge::EveryReference,
            Policy::Opt => Knowledge::Future,
            _ => Knowledge::Bits,
        }
    }

    /// Whether a kernel can run it: it needs nothing beyond accessed and dirty bits.
    pub fn kernel_can_run(self) -> bool {
        self.knowledge() == Knowledge::Bits
    }

    /// A fresh replacer for this policy, tracking no frame yet. To switch policy at run time
    /// the kernel makes one and inserts every evictable frame into it (oldest first, if it
    /// knows): what the old policy learnt is lost, as with a scheduler switch.
    pub fn replacer(self, config: &PolicyConfig) -> Box<dyn Replacer> {
        match self {
            Policy::Fifo => Box::new(Fifo::new()),
            Policy::Lru => Box::new(Lru::new()),
            Policy::Aging => Box::new(Aging::new()),
            Policy::Clock => Box::new(Clock::new()),
            Policy::Nru => Box::new(Nru::new()),
            Policy::Lfu => Box::new(Lfu::new()),
            Policy::Random => Box::new(RandomChoice::new(config.seed)),
            Policy::Opt => Box::new(Opt::new(config.future)),
        }
    }
}

#[cfg(test)]
mod tests;
