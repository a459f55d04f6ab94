//! NRU, not recently used, as the enhanced clock (concept M7; the seed notes' NUR, "using the
//! modified bit and the reference bit"; Silberschatz 10.4.5.3): each frame is in one of four
//! classes by its (accessed, dirty) bits, and the victim is the first frame on the clock of
//! the lowest class:
//!
//! | class | accessed | dirty | meaning |
//! |-------|----------|-------|---------|
//! | 0 | 0 | 0 | not used lately, clean: the best victim |
//! | 1 | 0 | 1 | not used lately, but must be written back first |
//! | 2 | 1 | 0 | used lately, clean |
//! | 3 | 1 | 1 | used lately and dirty: the worst |
//!
//! The hand goes round at most four times: (1) look for class 0 changing nothing; (2) look
//! for class 1, clearing the accessed bit of every frame passed; (3) and (4) repeat (1) and
//! (2), which now find a frame since every accessed bit is clear. A clean page is preferred
//! to a dirty one because evicting it costs no write.

use crate::ring::Ring;
use crate::{FrameBits, FrameIndex, Replacer};
use alloc::vec::Vec;

/// The enhanced clock over (accessed, dirty) classes.
#[derive(Debug, Default)]
pub struct Nru {
    ring: Ring,
}

impl Nru {
    pub fn new() -> Nru {
        Nru::default()
    }
}

impl Replacer for Nru {
    fn name(&self) -> &'static str {
        "nru"
    }

    fn inserted(&mut self, frame: FrameIndex) {
        self.ring.insert(frame);
    }

    fn removed(&mut self, frame: FrameIndex) {
        self.ring.remove(frame);
    }

    fn choose_victim(&mut self, bits: &mut dyn FrameBits) -> Option<FrameIndex> {
        for turn in 0..4 {
            let want_dirty = turn % 2 == 1;
            for _ in 0..self.ring.len() {
                let frame = self.ring.hand()?;
                let accessed = bits.accessed(frame);
                if !accessed && bits.dirty(frame) == want_dirty {
                    return Some(frame);
                }
                if want_dirty && accessed {
                    bits.clear_accessed(frame);
                }
                self.ring.advance();
            }
        }
        // Only if another hart set bits again all along.
        self.ring.hand()
    }

    /// A batch goes round the same four turns once, taking every frame of the class a
    /// turn looks for as the hand reaches it, until it has `count`. Choosing one victim at
    /// a time would start again at turn (1) after each, a whole turn wasted whenever no
    /// clean page is left (all anonymous memory is dirty): with a batch, lower classes still
    /// go first, at the cost of at most four turns in all.
    fn choose_victims(&mut self, bits: &mut dyn FrameBits, count: usize) -> Vec<FrameIndex> {
        let mut victims = Vec::new();
        for turn in 0..4 {
            let want_dirty = turn % 2 == 1;
            let mut passed = 0;
            while victims.len() < count && passed < self.ring.len() {
                let Some(frame) = self.ring.hand() else {
                    return victims;
                };
                let accessed = bits.accessed(frame);
                if !accessed && bits.dirty(frame) == want_dirty {
                    self.ring.remove(frame);
                    victims.push(frame);
                    continue;
                }
                if want_dirty && accessed {
                    bits.clear_accessed(frame);
                }
                self.ring.advance();
                passed += 1;
            }
        }
        // Only if another hart set bits again all along.
        while victims.len() < count
            && let Some(frame) = self.ring.hand()
        {
            self.ring.remove(frame);
            victims.push(frame);
        }
        victims
    }

    fn len(&self) -> usize {
        self.ring.len()
    }
}
