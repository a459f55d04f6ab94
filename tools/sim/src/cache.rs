//! The cache and TLB simulator (concept M10): an address stream through a cache of `lines`
//! lines (a TLB of `lines` entries), `ways` to a set — 1 way is direct-mapped, as many ways
//! as lines fully associative, anything between n-way set-associative. An address splits
//! into tag | set index | offset; a block (page) may sit only in its set, and within a full
//! set the victim is chosen by one of `crates/replace`'s policies (LRU unless told), each set
//! a `replace::SimulatedMemory` of `ways` frames.
//!
//! Every miss is classified by the three Cs: compulsory (the block's first reference),
//! capacity (a fully associative LRU cache of the same size misses too), conflict (it would
//! have hit there: the set was too small, not the cache).

use replace::{Outcome, Policy, Reference, SimulatedMemory};
use std::collections::BTreeSet;
use std::fmt::Write;

/// A data cache or a TLB: the same mechanism, named differently.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Cache,
    Tlb,
}

/// The shape of a cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheConfig {
    pub kind: Kind,
    /// Lines (TLB entries) in all.
    pub lines: usize,
    /// Lines per set.
    pub ways: usize,
    /// Bytes per line (the page size, for a TLB).
    pub block: u64,
    /// The replacement policy within a set.
    pub policy: Policy,
}

impl CacheConfig {
    /// Checks the shape: lines a multiple of ways, a power-of-two number of sets and block
    /// size, so that an address splits into bit fields.
    pub fn check(&self) -> Result<(), String> {
        let (lines, ways) = (self.lines, self.ways);
        if lines == 0 || ways == 0 || !lines.is_multiple_of(ways) {
            return Err(format!(
                "{lines} lines cannot be cut into sets of {ways} ways"
            ));
        }
        if !self.sets().is_power_of_two() {
            return Err(format!("{} sets is not a power of two", self.sets()));
        }
        if !self.block.is_power_of_two() {
            return Err(format!("{} bytes is not a power of two", self.block));
        }
        Ok(())
    }

    pub fn sets(&self) -> usize {
        self.lines / self.ways
    }

    fn set_bits(&self) -> u32 {
        self.sets().trailing_zeros()
    }

    fn offset_bits(&self) -> u32 {
        self.block.trailing_zeros()
    }

    /// `direct-mapped`, `fully associative` or `N-way set-associative`.
    pub fn mapping(&self) -> String {
        match self.ways {
            1 => "direct-mapped".to_string(),
            ways if ways == self.lines => "fully associative".to_string(),
            ways => format!("{ways}-way set-associative"),
        }
    }

    /// What a line holds: a memory block, or a page's translation.
    fn unit(&self) -> &'static str {
        match self.kind {
            Kind::Cache => "block",
            Kind::Tlb => "page",
        }
    }

    /// The heading: shape, size, policy and how an address splits.
    pub fn describe(&self) -> String {
        let total = self.lines as u64 * self.block;
        let shape = match self.kind {
            Kind::Cache => format!(
                "cache: {} lines of {} ({})",
                self.lines,
                bytes(self.block),
                bytes(total)
            ),
            Kind::Tlb => format!(
                "TLB: {} entries for {} pages (reach {})",
                self.lines,
                bytes(self.block),
                bytes(total)
            ),
        };
        let sets = match self.sets() {
            1 => "1 set".to_string(),
            n => format!("{n} sets"),
        };
        let ways = match self.ways {
            1 => "1 way: no choice of victim".to_string(),
            n => format!("{n} ways, {} within a set", self.policy.name()),
        };
        format!(
            "{} {shape} in {sets} of {ways}\naddress = tag | set index ({} bits) | offset ({} bits)\n",
            self.mapping(),
            self.set_bits(),
            self.offset_bits()
        )
    }
}

/// `16 bytes`, `4 KiB`, `2 MiB`.
fn bytes(count: u64) -> String {
    match count {
        n if n >= 1 << 20 && n.is_multiple_of(1 << 20) => format!("{} MiB", n >> 20),
        n if n >= 1 << 10 && n.is_multiple_of(1 << 10) => format!("{} KiB", n >> 10),
        1 => "1 byte".to_string(),
        n => format!("{n} bytes"),
    }
}

/// Why a reference missed (the three Cs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Miss {
    Compulsory,
    Capacity,
    Conflict,
}

impl Miss {
    fn name(self) -> &'static str {
        match self {
            Miss::Compulsory => "compulsory",
            Miss::Capacity => "capacity",
            Miss::Conflict => "conflict",
        }
    }
}

/// One address and what the cache did with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Access {
    pub address: u64,
    /// Address / block size: the block (page) number.
    pub block: u64,
    pub set: usize,
    pub tag: u64,
    pub offset: u64,
    /// `None`: a hit.
    pub miss: Option<Miss>,
    /// The tag pushed out of the set, if the set was full.
    pub evicted: Option<u64>,
}

/// An address stream through one cache.
#[derive(Clone, Debug)]
pub struct CacheRun {
    pub config: CacheConfig,
    pub accesses: Vec<Access>,
}

impl CacheRun {
    pub fn hits(&self) -> usize {
        self.accesses.iter().filter(|a| a.miss.is_none()).count()
    }

    pub fn misses(&self, kind: Miss) -> usize {
        self.accesses
            .iter()
            .filter(|a| a.miss == Some(kind))
            .count()
    }

    pub fn hit_rate(&self) -> f64 {
        100.0 * self.hits() as f64 / self.accesses.len().max(1) as f64
    }
}

/// Runs `addresses` through a cache shaped by `config` (which [`CacheConfig::check`]
/// accepted); `seed` seeds the random policy.
pub fn simulate(config: &CacheConfig, addresses: &[u64], seed: u64) -> CacheRun {
    let split = |address: u64| {
        let block = address >> config.offset_bits();
        let set = (block & (config.sets() as u64 - 1)) as usize;
        (block, set, block >> config.set_bits())
    };
    let mut sets: Vec<SimulatedMemory> = (0..config.sets())
        .map(|set| {
            let future: Vec<Reference> = addresses
                .iter()
                .map(|&a| split(a))
                .filter(|&(_, s, _)| s == set)
                .map(|(block, _, _)| Reference::read(block))
                .collect();
            SimulatedMemory::for_policy(config.policy, config.ways, &future, seed)
        })
        .collect();
    let mut fully_associative = SimulatedMemory::for_policy(Policy::Lru, config.lines, &[], seed);
    let mut seen = BTreeSet::new();
    let accesses = addresses
        .iter()
        .map(|&address| {
            let (block, set, tag) = split(address);
            let outcome = sets[set].access(Reference::read(block));
            let shadow_hit = !fully_associative.access(Reference::read(block)).is_fault();
            let first = seen.insert(block);
            let (miss, evicted) = match outcome {
                Outcome::Hit { .. } => (None, None),
                Outcome::Fault { evicted, .. } => {
                    let why = match (first, shadow_hit) {
                        (true, _) => Miss::Compulsory,
                        (false, false) => Miss::Capacity,
                        (false, true) => Miss::Conflict,
                    };
                    (Some(why), evicted.map(|e| e.page >> config.set_bits()))
                }
            };
            Access {
                address,
                block,
                set,
                tag,
                offset: address & (config.block - 1),
                miss,
                evicted,
            }
        })
        .collect();
    CacheRun {
        config: *config,
        accesses,
    }
}

/// A line per access: address, block (page), set, tag, offset, hit or miss (and why), and
/// the tag evicted.
pub fn access_table(run: &CacheRun) -> String {
    let unit = run.config.unit();
    let digits = run
        .accesses
        .iter()
        .map(|a| format!("{:x}", a.address).len())
        .max()
        .unwrap_or(1)
        .max(4);
    let address_width = (digits + 2).max("address".len());
    let mut text = format!(
        "{:>4}  {:>address_width$}  {unit:>6}  {:>4}  {:>6}  {:>6}  result             evicted tag\n",
        "#", "address", "set", "tag", "offset"
    );
    for (index, access) in run.accesses.iter().enumerate() {
        let result = match access.miss {
            None => "hit".to_string(),
            Some(why) => format!("miss ({})", why.name()),
        };
        let evicted = access.evicted.map(|t| t.to_string()).unwrap_or_default();
        let line = format!(
            "{:>4}  {:>address_width$}  {:>6}  {:>4}  {:>6}  {:>6}  {result:<17}  {evicted}",
            index + 1,
            format!("0x{:0digits$x}", access.address),
            access.block,
            access.set,
            access.tag,
            access.offset
        );
        let _ = writeln!(text, "{}", line.trim_end());
    }
    text
}

/// `hits 4, misses 2 (compulsory 2, capacity 0, conflict 0) in 6 accesses: hit rate 66.7%`.
pub fn summary(run: &CacheRun) -> String {
    let misses = run.accesses.len() - run.hits();
    format!(
        "hits {}, misses {misses} (compulsory {}, capacity {}, conflict {}) in {} accesses: hit rate {:.1}%",
        run.hits(),
        run.misses(Miss::Compulsory),
        run.misses(Miss::Capacity),
        run.misses(Miss::Conflict),
        run.accesses.len(),
        run.hit_rate()
    )
}

/// A row per cache: its mapping, hits, misses by kind and hit rate.
pub fn comparison(runs: &[CacheRun]) -> String {
    let mut text =
        "mapping                    hits  misses  compulsory  capacity  conflict  hit rate\n"
            .to_string();
    for run in runs {
        let _ = writeln!(
            text,
            "{:<25}{:>6}{:>8}{:>12}{:>10}{:>10}{:>9.1}%",
            run.config.mapping(),
            run.hits(),
            run.accesses.len() - run.hits(),
            run.misses(Miss::Compulsory),
            run.misses(Miss::Capacity),
            run.misses(Miss::Conflict),
            run.hit_rate()
        );
    }
    text
}

/// Parses an address stream: addresses (decimal or 0x hex) separated by commas and/or
/// spaces.
pub fn parse_addresses(spec: &str) -> Result<Vec<u64>, String> {
    let addresses: Vec<u64> = spec
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|token| !token.is_empty())
        .map(crate::translate::parse_address)
        .collect::<Result<_, _>>()?;
    if addresses.is_empty() {
        return Err("the address stream is empty".into());
    }
    Ok(addresses)
}

/// Parses `START:STEP:COUNT`: COUNT addresses from START, STEP bytes apart (walking an
/// array).
pub fn parse_sequence(spec: &str) -> Result<Vec<u64>, String> {
    let parts: Vec<&str> = spec.split(':').collect();
    let [start, step, count] = parts[..] else {
        return Err(format!("{spec:?} is not START:STEP:COUNT"));
    };
    let (start, step) = (
        crate::translate::parse_address(start)?,
        crate::translate::parse_address(step)?,
    );
    let count: u64 = count
        .parse()
        .map_err(|_| format!("count {count:?} is not a whole number"))?;
    (0..count)
        .map(|i| {
            i.checked_mul(step)
                .and_then(|offset| start.checked_add(offset))
                .ok_or_else(|| format!("{spec:?} runs past the largest address"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache(lines: usize, ways: usize, block: u64, policy: Policy) -> CacheConfig {
        CacheConfig {
            kind: Kind::Cache,
            lines,
            ways,
            block,
            policy,
        }
    }

    fn results(run: &CacheRun) -> Vec<&'static str> {
        run.accesses
            .iter()
            .map(|a| a.miss.map_or("hit", Miss::name))
            .collect()
    }

    #[test]
    fn two_blocks_of_one_set_thrash_a_direct_mapped_cache_only() {
        // The seed notes: direct mapping is fast but collides; associative mapping avoids
        // it. Blocks 0 and 8 of a cache of 8 lines of 16 bytes share line 0 when
        // direct-mapped: every access misses. Two ways or full associativity keep both.
        let addresses = [0x00, 0x80, 0x04, 0x84, 0x08, 0x88];
        let direct = simulate(&cache(8, 1, 16, Policy::Lru), &addresses, 1);
        assert_eq!(
            results(&direct),
            [
                "compulsory",
                "compulsory",
                "conflict",
                "conflict",
                "conflict",
                "conflict"
            ]
        );
        assert_eq!(direct.accesses[1].tag, 1);
        assert_eq!(direct.accesses[2].evicted, Some(1));
        for ways in [2, 8] {
            let run = simulate(&cache(8, ways, 16, Policy::Lru), &addresses, 1);
            assert_eq!(run.hits(), 4, "{ways} ways");
        }
    }

    #[test]
    fn set_associative_hits_worked_by_hand() {
        // 4 lines of 4 bytes: blocks 0, 2, 4 (addresses 0x0, 0x8, 0x10). Two 2-way sets:
        // all three blocks are even, so all go to set 0 and LRU evicts each just before
        // it is needed again: 6 misses. Direct-mapped (4 sets): 0 and 4 share set 0, 2 has
        // set 2 to itself: 5 misses, one hit. Fully associative: only the first three miss.
        let addresses = [0x0, 0x8, 0x10, 0x0, 0x8, 0x10];
        let run = |ways| simulate(&cache(4, ways, 4, Policy::Lru), &addresses, 1);
        let two_way = run(2);
        assert_eq!(two_way.hits(), 0);
        assert_eq!(
            (
                two_way.misses(Miss::Compulsory),
                two_way.misses(Miss::Conflict)
            ),
            (3, 3)
        );
        assert_eq!(
            two_way
                .accesses
                .iter()
                .map(|a| (a.set, a.tag))
                .collect::<Vec<_>>(),
            [(0, 0), (0, 1), (0, 2), (0, 0), (0, 1), (0, 2)]
        );
        assert_eq!(
            results(&run(1)),
            [
                "compulsory",
                "compulsory",
                "compulsory",
                "conflict",
                "hit",
                "conflict"
            ]
        );
        assert_eq!(run(4).hits(), 3);
    }

    #[test]
    fn the_replacement_policy_decides_within_a_set() {
        // One 2-way set, blocks 0, 2, 0, 4, 0: at 4, LRU evicts 2 (0 was just used) and
        // the last 0 hits; FIFO evicts 0 (loaded first) and the last 0 misses.
        let addresses = [0x0, 0x8, 0x0, 0x10, 0x0];
        let hits = |policy| simulate(&cache(4, 2, 4, policy), &addresses, 1).hits();
        assert_eq!(hits(Policy::Lru), 2);
        assert_eq!(hits(Policy::Fifo), 1);
        assert_eq!(hits(Policy::Opt), 2);
    }

    #[test]
    fn a_tlb_misses_once_per_page_it_cannot_hold() {
        // 4 entries, fully associative, 4 KiB pages: pages 1, 1, 2, 3, 4, 5, 1. Page 5
        // evicts page 1 (least recently used), so the last access to page 1 misses again.
        let tlb = CacheConfig {
            kind: Kind::Tlb,
            lines: 4,
            ways: 4,
            block: 4096,
            policy: Policy::Lru,
        };
        let addresses = [0x1000, 0x1004, 0x2000, 0x3000, 0x4000, 0x5000, 0x1008];
        let run = simulate(&tlb, &addresses, 1);
        assert_eq!(
            results(&run),
            [
                "compulsory",
                "hit",
                "compulsory",
                "compulsory",
                "compulsory",
                "compulsory",
                "capacity"
            ]
        );
        assert_eq!(run.accesses[5].evicted, Some(1));
        assert!(tlb.describe().starts_with(
            "fully associative TLB: 4 entries for 4 KiB pages (reach 16 KiB) in 1 set of 4 ways, lru"
        ));
    }

    #[test]
    fn the_table_and_summary_show_each_access() {
        let run = simulate(&cache(8, 2, 16, Policy::Lru), &[0x00, 0x04, 0x40], 1);
        let table = access_table(&run);
        assert_eq!(
            table,
            "   #  address   block   set     tag  offset  result             evicted tag
   1   0x0000       0     0       0       0  miss (compulsory)
   2   0x0004       0     0       0       4  hit
   3   0x0040       4     0       1       0  miss (compulsory)
"
        );
        assert_eq!(
            summary(&run),
            "hits 1, misses 2 (compulsory 2, capacity 0, conflict 0) in 3 accesses: hit rate 33.3%"
        );
        assert!(comparison(&[run]).contains("2-way set-associative         1       2           2"));
    }

    #[test]
    fn streams_and_shapes_are_checked() {
        assert_eq!(parse_addresses("0x10, 32 0x0").unwrap(), [16, 32, 0]);
        assert!(parse_addresses("0x10,zz").is_err());
        assert_eq!(parse_sequence("0x100:4:3").unwrap(), [0x100, 0x104, 0x108]);
        assert!(parse_sequence("1:2").is_err());
        assert!(cache(6, 4, 16, Policy::Lru).check().is_err());
        assert!(cache(12, 4, 16, Policy::Lru).check().is_err(), "3 sets");
        assert!(cache(8, 2, 12, Policy::Lru).check().is_err());
        assert!(cache(8, 8, 64, Policy::Lru).check().is_ok());
    }
}
