//! OPT, Belady's optimal policy (concept M7; OSTEP 22.2; the seed notes' "offline
//! algorithm"): evict the page whose next use lies farthest in the future, or that is never
//! used again. It faults the least of all policies on any reference string, so it is the
//! yardstick the others are measured against — and no kernel can run it, as it needs the
//! future.
//!
//! It is given the whole reference string and follows it: each [`Replacer::inserted`] or
//! [`Replacer::referenced`] call is the next reference, so the caller must report every hit
//! (as [`crate::SimulatedMemory`] does). Pages are told apart by the string alone.

use crate::slots::Slots;
use crate::{FrameBits, FrameIndex, Page, Replacer};
use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use core::cmp::Reverse;

/// Position meaning "never again".
const NEVER: usize = usize::MAX;

/// Belady's MIN over a known reference string.
#[derive(Debug)]
pub struct Opt {
    /// `next_use[i]`: where the page of reference `i` is referenced next, or [`NEVER`].
    next_use: Vec<usize>,
    /// The reference each frame's page was last used at.
    last_use: Slots<usize>,
    /// The next reference to come.
    position: usize,
}

impl Opt {
    /// OPT for `future`, the whole reference string from its first reference.
    pub fn new(future: &[Page]) -> Opt {
        let mut next_use = alloc::vec![NEVER; future.len()];
        let mut seen: BTreeMap<Page, usize> = BTreeMap::new();
        for (index, &page) in future.iter().enumerate().rev() {
            if let Some(next) = seen.insert(page, index) {
                next_use[index] = next;
            }
        }
        Opt {
            next_use,
            last_use: Slots::default(),
            position: 0,
        }
    }

    /// Consumes the next reference; returns its position.
    fn advance(&mut self) -> usize {
        self.position += 1;
        self.position - 1
    }
}

impl Replacer for Opt {
    fn name(&self) -> &'static str {
        "opt"
    }

    fn inserted(&mut self, frame: FrameIndex) {
        let now = self.advance();
        self.last_use.insert(frame, now);
    }

    fn removed(&mut self, frame: FrameIndex) {
        self.last_use.remove(frame);
    }

    fn referenced(&mut self, frame: FrameIndex) {
        let now = self.advance();
        if let Some(last_use) = self.last_use.get_mut(frame) {
            *last_use = now;
        }
    }

    fn choose_victim(&mut self, _bits: &mut dyn FrameBits) -> Option<FrameIndex> {
        let next_use = &self.next_use;
        self.last_use
            .least(|_, &last_use| Reverse(next_use.get(last_use).copied().unwrap_or(NEVER)))
    }

    fn len(&self) -> usize {
        self.last_use.len()
    }
}
