//! Simulated physical memory (concept M7): the reference driver of a [`Replacer`], doing on
//! the host what the kernel's pager does — a reference to a resident page is a hit that sets
//! the page's accessed bit (and dirty bit, for a write), the way an MMU does; a reference to
//! any other page is a page fault that loads it into the lowest free frame or, with none
//! free, into the frame of the victim the policy chooses, written back first if dirty. The
//! policy sees exactly what it would in the kernel, plus [`Replacer::referenced`] at every
//! hit, which only `lru` and `opt` read.
//!
//! Every `scan_interval` references (1 unless [`SimulatedMemory::scan_every`] says
//! otherwise) it lets the policy scan the accessed bits, as the kernel's timer would.
//!
//! Invariants: a page is in at most one frame, and `pages` maps exactly the resident pages
//! to their frames; the policy tracks exactly the occupied frames; hits + faults =
//! references made.

use crate::{FrameBits, FrameIndex, Page, Policy, PolicyConfig, Replacer};
use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;

/// One reference of a reference string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reference {
    pub page: Page,
    /// A store (sets the dirty bit) rather than a load or fetch.
    pub write: bool,
}

impl Reference {
    pub fn read(page: Page) -> Reference {
        Reference { page, write: false }
    }

    pub fn write(page: Page) -> Reference {
        Reference { page, write: true }
    }
}

/// A page in a frame, with its hardware bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Resident {
    pub page: Page,
    pub accessed: bool,
    pub dirty: bool,
}

/// A page pushed out of memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Eviction {
    pub page: Page,
    /// It was dirty, so it was written back (to the swap device) first.
    pub dirty: bool,
}

/// What a reference did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The page was resident in `frame`.
    Hit { frame: FrameIndex },
    /// A page fault: the page was loaded into `frame`, pushing out `evicted` if memory was
    /// full.
    Fault {
        frame: FrameIndex,
        evicted: Option<Eviction>,
    },
}

impl Outcome {
    pub fn is_fault(&self) -> bool {
        matches!(self, Outcome::Fault { .. })
    }
}

/// The frames and the MMU's bits: what the policy reads through [`FrameBits`].
struct FrameTable {
    frames: Vec<Option<Resident>>,
    pages: BTreeMap<Page, FrameIndex>,
}

impl FrameBits for FrameTable {
    fn accessed(&self, frame: FrameIndex) -> bool {
        self.frames
            .get(frame)
            .is_some_and(|f| f.is_some_and(|resident| resident.accessed))
    }

    fn dirty(&self, frame: FrameIndex) -> bool {
        self.frames
            .get(frame)
            .is_some_and(|f| f.is_some_and(|resident| resident.dirty))
    }

    fn clear_accessed(&mut self, frame: FrameIndex) {
        if let Some(Some(resident)) = self.frames.get_mut(frame) {
            resident.accessed = false;
        }
    }
}

/// Physical memory of a fixed number of frames, paged by a replacement policy.
pub struct SimulatedMemory {
    table: FrameTable,
    replacer: Box<dyn Replacer>,
    scan_interval: usize,
    since_scan: usize,
    hits: usize,
    faults: usize,
    write_backs: usize,
}

impl SimulatedMemory {
    /// `frames` empty frames, paged by `replacer`, scanned after every reference.
    ///
    /// Panics if `frames` is 0: nothing could ever be loaded.
    pub fn new(frames: usize, replacer: Box<dyn Replacer>) -> SimulatedMemory {
        assert!(frames > 0, "memory needs at least one frame");
        SimulatedMemory {
            table: FrameTable {
                frames: alloc::vec![None; frames],
                pages: BTreeMap::new(),
            },
            replacer,
            scan_interval: 1,
            since_scan: 0,
            hits: 0,
            faults: 0,
            write_backs: 0,
        }
    }

    /// `frames` empty frames paged by `policy`, about to be given `references` (which OPT
    /// reads as its future); `seed` seeds `random`.
    pub fn for_policy(
        policy: Policy,
        frames: usize,
        references: &[Reference],
        seed: u64,
    ) -> SimulatedMemory {
        let future: Vec<Page> = references.iter().map(|r| r.page).collect();
        let config = PolicyConfig {
            future: &future,
            seed,
        };
        SimulatedMemory::new(frames, policy.replacer(&config))
    }

    /// Scans the accessed bits every `references` references instead (0: never).
    pub fn scan_every(mut self, references: usize) -> SimulatedMemory {
        self.scan_interval = references;
        self
    }

    /// Makes one reference.
    pub fn access(&mut self, reference: Reference) -> Outcome {
        let outcome = match self.table.pages.get(&reference.page) {
            Some(&frame) => {
                let resident = self.table.frames[frame]
                    .as_mut()
                    .expect("`pages` maps only resident pages");
                resident.accessed = true;
                resident.dirty |= reference.write;
                self.replacer.referenced(frame);
                self.hits += 1;
                Outcome::Hit { frame }
            }
            None => self.fault(reference),
        };
        self.since_scan += 1;
        if self.since_scan == self.scan_interval {
            self.replacer.scan(&mut self.table);
            self.since_scan = 0;
        }
        outcome
    }

    fn fault(&mut self, reference: Reference) -> Outcome {
        self.faults += 1;
        let free = self.table.frames.iter().position(Option::is_none);
        let (frame, evicted) = match free {
            Some(frame) => (frame, None),
            None => {
                let frame = self
                    .replacer
                    .choose_victim(&mut self.table)
                    .expect("every frame is occupied, so the policy tracks frames");
                let old = self.table.frames[frame]
                    .take()
                    .expect("the policy chose a frame it tracks, which is occupied");
                self.replacer.removed(frame);
                self.table.pages.remove(&old.page);
                self.write_backs += usize::from(old.dirty);
                let evicted = Eviction {
                    page: old.page,
                    dirty: old.dirty,
                };
                (frame, Some(evicted))
            }
        };
        self.table.frames[frame] = Some(Resident {
            page: reference.page,
            accessed: true,
            dirty: reference.write,
        });
        self.table.pages.insert(reference.page, frame);
        self.replacer.inserted(frame);
        Outcome::Fault { frame, evicted }
    }

    /// What each frame holds.
    pub fn frames(&self) -> &[Option<Resident>] {
        &self.table.frames
    }

    /// The frame holding `page`, if it is resident.
    pub fn frame_of(&self, page: Page) -> Option<FrameIndex> {
        self.table.pages.get(&page).copied()
    }

    pub fn hits(&self) -> usize {
        self.hits
    }

    pub fn faults(&self) -> usize {
        self.faults
    }

    /// Dirty pages evicted, each written back first.
    pub fn write_backs(&self) -> usize {
        self.write_backs
    }

    /// The policy's name.
    pub fn policy(&self) -> &'static str {
        self.replacer.name()
    }
}
