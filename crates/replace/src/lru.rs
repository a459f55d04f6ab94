//! Exact LRU (concept M7): evict the page whose last use is oldest (OSTEP 22.6). It needs a
//! time stamp at every reference, which only a simulator can give ([`Replacer::referenced`]);
//! a kernel sees uses only as accessed bits and runs `aging` instead. LRU is a stack
//! algorithm: the pages resident with n frames are always among those resident with n + 1,
//! so more frames never mean more faults.

use crate::slots::Slots;
use crate::{FrameBits, FrameIndex, Replacer};

/// Least recently used, by a logical clock that ticks at every use.
#[derive(Debug, Default)]
pub struct Lru {
    /// Each frame's last use.
    last_use: Slots<u64>,
    uses: u64,
}

impl Lru {
    pub fn new() -> Lru {
        Lru::default()
    }

    fn now(&mut self) -> u64 {
        self.uses += 1;
        self.uses
    }
}

impl Replacer for Lru {
    fn name(&self) -> &'static str {
        "lru"
    }

    fn inserted(&mut self, frame: FrameIndex) {
        let now = self.now();
        self.last_use.insert(frame, now);
    }

    fn removed(&mut self, frame: FrameIndex) {
        self.last_use.remove(frame);
    }

    fn referenced(&mut self, frame: FrameIndex) {
        let now = self.now();
        if let Some(last_use) = self.last_use.get_mut(frame) {
            *last_use = now;
        }
    }

    fn choose_victim(&mut self, _bits: &mut dyn FrameBits) -> Option<FrameIndex> {
        self.last_use.least(|_, &last_use| last_use)
    }

    fn len(&self) -> usize {
        self.last_use.len()
    }
}
