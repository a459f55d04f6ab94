//! LFU, least frequently used (concept M7; the seed notes: "replace the page referenced the
//! fewest times"): each frame counts the scans at which its accessed bit was set since its
//! page was loaded, and the victim has the smallest count (a bit set now counts one more);
//! ties go to the page loaded first.
//!
//! The count is of scan intervals with a use, not of uses: scanned after every reference
//! (the simulator's default) that is the textbook's reference count; a kernel scanning
//! every few ticks counts busy intervals. Either way an old page that was busy once keeps
//! its count and is hard to evict, LFU's known weakness.

use crate::slots::Slots;
use crate::{FrameBits, FrameIndex, Replacer};
use alloc::vec::Vec;

/// Least frequently used, counted from accessed bits at each scan.
#[derive(Debug, Default)]
pub struct Lfu {
    uses: Slots<u64>,
}

impl Lfu {
    pub fn new() -> Lfu {
        Lfu::default()
    }
}

impl Replacer for Lfu {
    fn name(&self) -> &'static str {
        "lfu"
    }

    fn inserted(&mut self, frame: FrameIndex) {
        self.uses.insert(frame, 0);
    }

    fn removed(&mut self, frame: FrameIndex) {
        self.uses.remove(frame);
    }

    fn scan(&mut self, bits: &mut dyn FrameBits) {
        for (frame, uses) in self.uses.iter_mut() {
            if bits.accessed(frame) {
                *uses += 1;
                bits.clear_accessed(frame);
            }
        }
    }

    fn choose_victim(&mut self, bits: &mut dyn FrameBits) -> Option<FrameIndex> {
        self.uses
            .least(|frame, &uses| uses + u64::from(bits.accessed(frame)))
    }

    /// One pass ranks every frame (the same order as repeated `choose_victim`).
    fn choose_victims(&mut self, bits: &mut dyn FrameBits, count: usize) -> Vec<FrameIndex> {
        let victims = self
            .uses
            .least_n(count, |frame, &uses| uses + u64::from(bits.accessed(frame)));
        for &frame in &victims {
            self.uses.remove(frame);
        }
        victims
    }

    fn len(&self) -> usize {
        self.uses.len()
    }
}
