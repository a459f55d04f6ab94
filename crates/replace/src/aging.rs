//! Aging, LRU approximated from what a kernel has (concept M7; Tanenbaum's "aging"): each
//! frame keeps an [`AGE_BITS`]-bit history. At every scan the history shifts right by one and
//! the frame's accessed bit, sampled and cleared, enters at the top; read as a number, a
//! larger history means more recent use. The victim has the smallest history — but a frame
//! whose accessed bit is set now, used since the last scan, counts as newer than any
//! history.
//!
//! What it cannot tell apart, LRU could: two uses within one scan interval, and frames not
//! used for [`AGE_BITS`] scans (all zero: the first inserted goes). Scanned after every
//! reference with few frames it is LRU; scanned rarely it drifts towards FIFO.

use crate::slots::Slots;
use crate::{FrameBits, FrameIndex, Replacer};
use alloc::vec::Vec;

/// Bits of use history per frame.
pub const AGE_BITS: u32 = 8;

/// LRU by shift-register aging of accessed bits.
#[derive(Debug, Default)]
pub struct Aging {
    history: Slots<u8>,
}

impl Aging {
    pub fn new() -> Aging {
        Aging::default()
    }
}

impl Replacer for Aging {
    fn name(&self) -> &'static str {
        "aging"
    }

    /// A new page starts with no history: its accessed bit, set by the access that faulted
    /// it in, enters at the next scan.
    fn inserted(&mut self, frame: FrameIndex) {
        self.history.insert(frame, 0);
    }

    fn removed(&mut self, frame: FrameIndex) {
        self.history.remove(frame);
    }

    fn scan(&mut self, bits: &mut dyn FrameBits) {
        for (frame, history) in self.history.iter_mut() {
            let accessed = bits.accessed(frame);
            *history = (*history >> 1) | (u8::from(accessed) << (AGE_BITS - 1));
            if accessed {
                bits.clear_accessed(frame);
            }
        }
    }

    fn choose_victim(&mut self, bits: &mut dyn FrameBits) -> Option<FrameIndex> {
        self.history
            .least(|frame, &history| (bits.accessed(frame), history))
    }

    /// One pass ranks every frame (the same order as repeated `choose_victim`).
    fn choose_victims(&mut self, bits: &mut dyn FrameBits, count: usize) -> Vec<FrameIndex> {
        let victims = self
            .history
            .least_n(count, |frame, &history| (bits.accessed(frame), history));
        for &frame in &victims {
            self.history.remove(frame);
        }
        victims
    }

    fn len(&self) -> usize {
        self.history.len()
    }
}
