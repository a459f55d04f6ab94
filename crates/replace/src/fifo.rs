//! FIFO page replacement (concept M7): evict the page that was loaded first, however much it
//! is used (OSTEP 22.5). Needs nothing from the hardware, and suffers Belady's anomaly: on
//! 1,2,3,4,1,2,5,1,2,3,4,5 it faults 9 times with 3 frames but 10 times with 4.

use crate::ring::Ring;
use crate::{FrameBits, FrameIndex, Replacer};

/// First in, first out: the clock's hand, never given a reason to skip a frame.
#[derive(Debug, Default)]
pub struct Fifo {
    ring: Ring,
}

impl Fifo {
    pub fn new() -> Fifo {
        Fifo::default()
    }
}

impl Replacer for Fifo {
    fn name(&self) -> &'static str {
        "fifo"
    }

    fn inserted(&mut self, frame: FrameIndex) {
        self.ring.insert(frame);
    }

    fn removed(&mut self, frame: FrameIndex) {
        self.ring.remove(frame);
    }

    fn choose_victim(&mut self, _bits: &mut dyn FrameBits) -> Option<FrameIndex> {
        self.ring.hand()
    }

    fn len(&self) -> usize {
        self.ring.len()
    }
}
