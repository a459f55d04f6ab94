//! Random page replacement (concept M7; OSTEP 22.5): evict a tracked page drawn by a seeded
//! pseudo-random generator. No knowledge at all, no pathological string either, and one
//! seed gives one run. The generator, splitmix64 (Steele, Lea and Flood), also makes the
//! simulator's random reference strings. Not cryptographic.

use crate::slots::Slots;
use crate::{FrameBits, FrameIndex, Replacer};

/// A small deterministic pseudo-random generator: splitmix64.
#[derive(Clone, Debug)]
pub struct Random {
    state: u64,
}

impl Random {
    pub fn new(seed: u64) -> Random {
        Random { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..bound` (`bound` > 0), by scaling: the bias is at most `bound` / 2^64.
    pub fn below(&mut self, bound: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(bound)) >> 64) as u64
    }
}

/// Evicts a tracked frame chosen at random.
#[derive(Debug)]
pub struct RandomChoice {
    frames: Slots<()>,
    random: Random,
}

impl RandomChoice {
    /// Random replacement drawing from a generator seeded with `seed`.
    pub fn new(seed: u64) -> RandomChoice {
        RandomChoice {
            frames: Slots::default(),
            random: Random::new(seed),
        }
    }
}

impl Replacer for RandomChoice {
    fn name(&self) -> &'static str {
        "random"
    }

    fn inserted(&mut self, frame: FrameIndex) {
        self.frames.insert(frame, ());
    }

    fn removed(&mut self, frame: FrameIndex) {
        self.frames.remove(frame);
    }

    fn choose_victim(&mut self, _bits: &mut dyn FrameBits) -> Option<FrameIndex> {
        let tracked = self.frames.len() as u64;
        if tracked == 0 {
            return None;
        }
        let pick = self.random.below(tracked) as usize;
        self.frames.iter().nth(pick).map(|(frame, _)| frame)
    }

    fn len(&self) -> usize {
        self.frames.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_numbers_and_below_covers_its_range() {
        let (mut a, mut b) = (Random::new(7), Random::new(7));
        assert!((0..100).all(|_| a.next_u64() == b.next_u64()));
        assert_ne!(Random::new(1).next_u64(), Random::new(2).next_u64());
        let mut counts = [0u32; 4];
        for _ in 0..4_000 {
            counts[Random::below(&mut a, 4) as usize] += 1;
        }
        assert!(
            counts.iter().all(|&n| (900..1_100).contains(&n)),
            "{counts:?}"
        );
    }
}
