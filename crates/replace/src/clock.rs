//! Clock, or second chance (concept M7): the frames stand round a clock face; to find a
//! victim the hand looks at the frame under it, and if that frame's accessed bit is set it
//! clears the bit (the page's second chance) and moves on, until it finds a frame whose bit
//! is clear (OSTEP 22.8; the seed notes: "go round clockwise, replace the first 0; the new
//! page's bit is 1"). The new page takes the victim's place behind the hand.
//!
//! Approximates LRU with one bit per frame, which is all the hardware gives; with every
//! accessed bit set it degenerates into FIFO.

use crate::ring::Ring;
use crate::{FrameBits, FrameIndex, Replacer};

/// Second chance on the clock.
#[derive(Debug, Default)]
pub struct Clock {
    ring: Ring,
}

impl Clock {
    pub fn new() -> Clock {
        Clock::default()
    }
}

impl Replacer for Clock {
    fn name(&self) -> &'static str {
        "clock"
    }

    fn inserted(&mut self, frame: FrameIndex) {
        self.ring.insert(frame);
    }

    fn removed(&mut self, frame: FrameIndex) {
        self.ring.remove(frame);
    }

    /// One turn clears every bit, so the hand stops within a turn and a frame; should
    /// another hart keep setting bits meanwhile, it gives up after two turns and takes the
    /// frame under the hand.
    fn choose_victim(&mut self, bits: &mut dyn FrameBits) -> Option<FrameIndex> {
        for _ in 0..2 * self.ring.len() {
            let frame = self.ring.hand()?;
            if !bits.accessed(frame) {
                return Some(frame);
            }
            bits.clear_accessed(frame);
            self.ring.advance();
        }
        self.ring.hand()
    }

    fn len(&self) -> usize {
        self.ring.len()
    }
}
