//! A small deterministic pseudo-random generator for the lottery scheduler (concept S1):
//! xorshift64* (Marsaglia's xorshift with Vigna's multiplicative output scrambling). Not
//! cryptographic; what matters here is that one seed gives one schedule, on the host and in
//! the kernel alike.
//!
//! Invariant: the state is never 0 (xorshift would stay at 0 forever).

/// The generator's state.
#[derive(Clone, Debug)]
pub struct Random {
    state: u64,
}

impl Random {
    /// A generator seeded with `seed` (0 is replaced by a fixed non-zero constant).
    pub fn new(seed: u64) -> Random {
        Random {
            state: if seed == 0 {
                0x9e37_79b9_7f4a_7c15
            } else {
                seed
            },
        }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..bound` (`bound` > 0), by scaling 64 random bits: the bias is at most
    /// `bound` / 2^64, far below anything a schedule can show.
    pub fn below(&mut self, bound: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(bound)) >> 64) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_numbers() {
        let mut a = Random::new(42);
        let mut b = Random::new(42);
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        assert_ne!(Random::new(1).next_u64(), Random::new(2).next_u64());
    }

    #[test]
    fn below_stays_in_range_and_covers_it() {
        let mut random = Random::new(0);
        let mut seen = [0u32; 4];
        for _ in 0..4_000 {
            seen[random.below(4) as usize] += 1;
        }
        assert!(seen.iter().all(|&n| (900..1_100).contains(&n)), "{seen:?}");
    }
}
