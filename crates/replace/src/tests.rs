//! The textbook cases and the properties every policy must have (concept M7).
//!
//! The textbook strings: OSTEP chapter 22's 0,1,2,0,1,3,0,3,1,2,1; Silberschatz's
//! 7,0,1,2,0,3,0,4,2,3,0,3,2,1,2,0,1,7,0,1; Belady's 1,2,3,4,1,2,5,1,2,3,4,5. The seed notes
//! describe the policies in words (lecture 37, and the interview chapter's clock: "go round
//! clockwise and replace the first 0; the new page's bit is 1"); those descriptions are the
//! hand-worked cases below. The property tests run thousands of random strings from the
//! crate's own seeded generator, so a failure names the seed that reproduces it.

use crate::{
    FrameBits, FrameIndex, Knowledge, Page, Policy, PolicyConfig, Random, Reference,
    SimulatedMemory,
};
use alloc::collections::BTreeSet;
use alloc::vec;
use alloc::vec::Vec;

const OSTEP: [Page; 11] = [0, 1, 2, 0, 1, 3, 0, 3, 1, 2, 1];
const SILBERSCHATZ: [Page; 20] = [7, 0, 1, 2, 0, 3, 0, 4, 2, 3, 0, 3, 2, 1, 2, 0, 1, 7, 0, 1];
const BELADY: [Page; 12] = [1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5];

fn reads(pages: &[Page]) -> Vec<Reference> {
    pages.iter().map(|&page| Reference::read(page)).collect()
}

/// `references` run through `frames` frames under `policy` (seed 1, a scan after every
/// reference).
fn run(policy: Policy, frames: usize, references: &[Reference]) -> SimulatedMemory {
    let mut memory = SimulatedMemory::for_policy(policy, frames, references, 1);
    for &reference in references {
        memory.access(reference);
    }
    memory
}

fn faults(policy: Policy, frames: usize, pages: &[Page]) -> usize {
    run(policy, frames, &reads(pages)).faults()
}

/// The pages evicted, in order.
fn evictions(memory: &mut SimulatedMemory, references: &[Reference]) -> Vec<Page> {
    references
        .iter()
        .filter_map(|&reference| match memory.access(reference) {
            crate::Outcome::Fault {
                evicted: Some(evicted),
                ..
            } => Some(evicted.page),
            _ => None,
        })
        .collect()
}

fn resident(memory: &SimulatedMemory) -> BTreeSet<Page> {
    memory.frames().iter().flatten().map(|r| r.page).collect()
}

#[test]
fn ostep_string_with_three_frames() {
    // OSTEP figures 22.1-22.5: OPT and LRU hit 6 times of 11, FIFO 4 times.
    let hits = |policy| run(policy, 3, &reads(&OSTEP)).hits();
    assert_eq!(hits(Policy::Opt), 6);
    assert_eq!(hits(Policy::Lru), 6);
    assert_eq!(hits(Policy::Fifo), 4);
    // Worked by hand from each policy's rule (a scan after every reference):
    assert_eq!(
        hits(Policy::Aging),
        6,
        "aging sees every use, so it is LRU here"
    );
    assert_eq!(
        hits(Policy::Lfu),
        6,
        "at 3: 0 and 1 used twice, 2 once; at 2: 3 twice"
    );
    assert_eq!(
        hits(Policy::Clock),
        4,
        "every bit set at each fault: FIFO's victims"
    );
    assert_eq!(hits(Policy::Nru), 4, "no writes: nru is clock");

    let victims = |policy| {
        let references = reads(&OSTEP);
        let mut memory = SimulatedMemory::for_policy(policy, 3, &references, 1);
        evictions(&mut memory, &references)
    };
    assert_eq!(victims(Policy::Fifo), vec![0, 1, 2, 3]);
    assert_eq!(victims(Policy::Lru), vec![2, 0]);
    // At the last fault 0 and 3 are never used again: the tie goes to 0, loaded first.
    assert_eq!(victims(Policy::Opt), vec![2, 0]);
    assert_eq!(victims(Policy::Lfu), vec![2, 3]);
}

#[test]
fn silberschatz_string_with_three_frames() {
    assert_eq!(faults(Policy::Fifo, 3, &SILBERSCHATZ), 15);
    assert_eq!(faults(Policy::Opt, 3, &SILBERSCHATZ), 9);
    assert_eq!(faults(Policy::Lru, 3, &SILBERSCHATZ), 12);
}

#[test]
fn beladys_anomaly_fifo_faults_more_with_more_frames() {
    assert_eq!(faults(Policy::Fifo, 3, &BELADY), 9);
    assert_eq!(faults(Policy::Fifo, 4, &BELADY), 10);
    // Stack algorithms do not: LRU 10 then 8, OPT 7 then 6.
    assert_eq!(faults(Policy::Lru, 3, &BELADY), 10);
    assert_eq!(faults(Policy::Lru, 4, &BELADY), 8);
    assert_eq!(faults(Policy::Opt, 3, &BELADY), 7);
    assert_eq!(faults(Policy::Opt, 4, &BELADY), 6);
}

#[test]
fn clock_gives_a_page_whose_bit_is_set_a_second_chance() {
    // The seed notes' clock: bits are 1 for recently used pages; the hand goes round,
    // clearing 1s, and replaces the first 0; the new page's bit is 1.
    let references = reads(&[1, 2, 3, 4, 2, 5]);
    let mut memory = SimulatedMemory::for_policy(Policy::Clock, 3, &references, 1).scan_every(0);
    // 4: all three bits are 1; one turn clears them and the hand stops at 1 again.
    // 2 is used again (bit 1); at 5 the hand, now at 2, spares it and takes 3.
    assert_eq!(evictions(&mut memory, &references), vec![1, 3]);
    let bits: Vec<(Page, bool)> = memory
        .frames()
        .iter()
        .flatten()
        .map(|r| (r.page, r.accessed))
        .collect();
    assert_eq!(bits, vec![(4, true), (2, false), (5, true)]);
}

#[test]
fn nru_prefers_pages_not_used_lately_and_then_clean_ones() {
    // Pages 0 and 2 are written. At 4 every bit is set: the second turn clears them all,
    // the third takes the first clean page, 1, where the clock would take dirty 0.
    // At 5 the hand is at 2 (dirty, not used): class 1; 3 behind it is class 0 and goes.
    // At 6 no page is class 0 (4 and 5 are used, 0 and 2 dirty): 0, the first of class 1.
    let references = vec![
        Reference::write(0),
        Reference::read(1),
        Reference::write(2),
        Reference::read(3),
        Reference::read(4),
        Reference::read(5),
        Reference::read(6),
    ];
    let mut nru = SimulatedMemory::for_policy(Policy::Nru, 4, &references, 1).scan_every(0);
    assert_eq!(evictions(&mut nru, &references), vec![1, 3, 0]);
    assert_eq!(nru.write_backs(), 1);
    let mut clock = SimulatedMemory::for_policy(Policy::Clock, 4, &references, 1).scan_every(0);
    assert_eq!(evictions(&mut clock, &references), vec![0, 1, 2]);
    assert_eq!(clock.write_backs(), 2);
}

#[test]
fn lfu_keeps_the_page_used_most_even_if_it_is_the_oldest() {
    let references = reads(&[1, 1, 1, 2, 2, 3, 4]);
    for (policy, victim) in [(Policy::Lfu, 3), (Policy::Lru, 1), (Policy::Fifo, 1)] {
        let mut memory = SimulatedMemory::for_policy(policy, 3, &references, 1);
        assert_eq!(
            evictions(&mut memory, &references),
            vec![victim],
            "{policy:?}"
        );
    }
}

#[test]
fn aging_and_lfu_see_only_what_scans_show() {
    // Scanned after every reference, aging sees that 1 was used again after 2 and 3, and
    // takes 2, as LRU does; with no scan before the fault every accessed bit is still set,
    // all histories look alike, and 1, loaded first, goes. LFU likewise counts 1 twice (2
    // and 3 once: 2, loaded first, goes), or, after a single scan, all three once.
    let references = reads(&[1, 2, 3, 1, 4]);
    let victims = |policy, interval| {
        let mut memory =
            SimulatedMemory::for_policy(policy, 3, &references, 1).scan_every(interval);
        evictions(&mut memory, &references)
    };
    assert_eq!(victims(Policy::Aging, 1), vec![2], "LRU's victim");
    assert_eq!(victims(Policy::Aging, 5), vec![1]);
    assert_eq!(victims(Policy::Lfu, 1), vec![2]);
    assert_eq!(victims(Policy::Lfu, 4), vec![1]);
}

#[test]
fn policies_by_name() {
    for policy in Policy::ALL {
        assert_eq!(Policy::from_name(policy.name()), Some(policy));
        let replacer = policy.replacer(&PolicyConfig::default());
        assert_eq!(replacer.name(), policy.name());
        assert!(replacer.is_empty());
    }
    assert_eq!(Policy::from_name("mru"), None);
    let kernel: Vec<&str> = Policy::ALL
        .iter()
        .filter(|p| p.kernel_can_run())
        .map(|p| p.name())
        .collect();
    assert_eq!(kernel, ["fifo", "aging", "clock", "nru", "lfu", "random"]);
    assert_eq!(Policy::Lru.knowledge(), Knowledge::EveryReference);
    assert_eq!(Policy::Opt.knowledge(), Knowledge::Future);
}

/// Random cases per property.
const CASES: u64 = 1_000;

/// A random string of 1..=`max_length` references to pages `0..pages`, a tenth of them
/// writes.
fn random_string(random: &mut Random, pages: u64, max_length: u64) -> Vec<Reference> {
    let length = 1 + random.below(max_length);
    (0..length)
        .map(|_| Reference {
            page: random.below(pages),
            write: random.below(10) == 0,
        })
        .collect()
}

fn distinct(references: &[Reference]) -> usize {
    references
        .iter()
        .map(|r| r.page)
        .collect::<BTreeSet<_>>()
        .len()
}

#[test]
fn opt_never_faults_more_than_any_policy() {
    for seed in 0..CASES {
        let mut random = Random::new(seed);
        let pages = 2 + random.below(9);
        let references = random_string(&mut random, pages, 60);
        let frames = 1 + random.below(pages) as usize;
        let optimal = run(Policy::Opt, frames, &references).faults();
        for policy in Policy::ALL {
            let faults = run(policy, frames, &references).faults();
            assert!(
                optimal <= faults,
                "seed {seed}: opt {optimal} > {policy:?} {faults} with {frames} frames"
            );
        }
    }
}

#[test]
fn lru_and_opt_are_stack_algorithms() {
    for seed in 0..CASES {
        let mut random = Random::new(seed);
        let pages = 2 + random.below(9);
        let references = random_string(&mut random, pages, 60);
        for policy in [Policy::Lru, Policy::Opt] {
            let faults: Vec<usize> = (1..=pages as usize + 1)
                .map(|frames| run(policy, frames, &references).faults())
                .collect();
            assert!(
                faults.windows(2).all(|pair| pair[1] <= pair[0]),
                "seed {seed}: {policy:?} faults by frames {faults:?}"
            );
        }
        // LRU's inclusion property: at every step, what n frames hold, n + 1 frames hold.
        let frames = 1 + random.below(pages) as usize;
        let mut small = SimulatedMemory::for_policy(Policy::Lru, frames, &references, 1);
        let mut large = SimulatedMemory::for_policy(Policy::Lru, frames + 1, &references, 1);
        for (step, &reference) in references.iter().enumerate() {
            small.access(reference);
            large.access(reference);
            assert!(
                resident(&small).is_subset(&resident(&large)),
                "seed {seed}, step {step}: {frames} frames hold a page {} frames do not",
                frames + 1
            );
        }
    }
}

#[test]
fn with_a_frame_per_page_every_policy_faults_once_per_page() {
    for seed in 0..CASES {
        let mut random = Random::new(seed);
        let pages = 1 + random.below(10);
        let references = random_string(&mut random, pages, 50);
        let frames = distinct(&references) + random.below(3) as usize;
        for policy in Policy::ALL {
            let memory = run(policy, frames, &references);
            assert_eq!(
                (memory.faults(), memory.write_backs()),
                (distinct(&references), 0),
                "seed {seed}: {policy:?}"
            );
        }
    }
}

#[test]
fn memory_fills_up_then_stays_full_and_counts_every_reference() {
    for seed in 0..CASES {
        let mut random = Random::new(seed);
        let pages = 1 + random.below(12);
        let references = random_string(&mut random, pages, 80);
        let frames = 1 + random.below(8) as usize;
        let interval = random.below(4) as usize;
        for policy in Policy::ALL {
            let mut memory =
                SimulatedMemory::for_policy(policy, frames, &references, seed).scan_every(interval);
            for (step, &reference) in references.iter().enumerate() {
                let was_resident = memory.frame_of(reference.page).is_some();
                let outcome = memory.access(reference);
                assert_eq!(outcome.is_fault(), !was_resident, "seed {seed}: {policy:?}");
                let occupied = memory.frames().iter().flatten().count();
                let seen = distinct(&references[..=step]);
                assert_eq!(occupied, seen.min(frames), "seed {seed}: {policy:?}");
                assert!(memory.frame_of(reference.page).is_some());
            }
            assert_eq!(memory.hits() + memory.faults(), references.len());
            assert!(memory.write_backs() <= memory.faults());
        }
    }
}

#[test]
fn without_scans_aging_knows_no_more_than_fifo() {
    // Never scanned, every accessed bit stays set: all histories tie, so the oldest goes.
    for seed in 0..CASES {
        let mut random = Random::new(seed);
        let references = random_string(&mut random, 8, 60);
        let frames = 1 + random.below(6) as usize;
        let victims = |policy| {
            let mut memory =
                SimulatedMemory::for_policy(policy, frames, &references, 1).scan_every(0);
            evictions(&mut memory, &references)
        };
        assert_eq!(victims(Policy::Aging), victims(Policy::Fifo), "seed {seed}");
    }
}

/// Accessed and dirty bits a test sets at will: the kernel's view, without a memory model.
struct TestBits {
    accessed: Vec<bool>,
    dirty: Vec<bool>,
}

impl FrameBits for TestBits {
    fn accessed(&self, frame: FrameIndex) -> bool {
        self.accessed[frame]
    }

    fn dirty(&self, frame: FrameIndex) -> bool {
        self.dirty[frame]
    }

    fn clear_accessed(&mut self, frame: FrameIndex) {
        self.accessed[frame] = false;
    }
}

#[test]
fn kernel_style_calls_keep_every_policy_consistent() {
    // The kernel inserts and removes frames in any order (faults, munmap, exit), scans
    // now and then, and asks for victims it may not evict at once: whatever the sequence,
    // a victim is a tracked frame, len counts the tracked frames, and no policy touches a
    // dirty bit.
    const FRAMES: usize = 24;
    for seed in 0..CASES / 4 {
        let mut random = Random::new(seed);
        for policy in Policy::ALL.into_iter().filter(|p| p.kernel_can_run()) {
            let mut replacer = policy.replacer(&PolicyConfig { future: &[], seed });
            let mut tracked = BTreeSet::new();
            let mut bits = TestBits {
                accessed: vec![false; FRAMES],
                dirty: vec![false; FRAMES],
            };
            for _ in 0..200 {
                let frame = random.below(FRAMES as u64) as usize;
                match random.below(6) {
                    0 | 1 => {
                        replacer.inserted(frame);
                        tracked.insert(frame);
                        bits.accessed[frame] = true;
                        bits.dirty[frame] = random.below(3) == 0;
                    }
                    2 => {
                        replacer.removed(frame);
                        tracked.remove(&frame);
                    }
                    3 => bits.accessed[frame] |= tracked.contains(&frame),
                    4 => replacer.scan(&mut bits),
                    _ => {
                        let dirty = bits.dirty.clone();
                        let victim = replacer.choose_victim(&mut bits);
                        assert_eq!(bits.dirty, dirty, "seed {seed}: {policy:?}");
                        match victim {
                            Some(victim) => assert!(
                                tracked.contains(&victim),
                                "seed {seed}: {policy:?} chose untracked {victim}"
                            ),
                            None => assert!(tracked.is_empty(), "seed {seed}: {policy:?}"),
                        }
                        if random.below(2) == 0
                            && let Some(victim) = victim
                        {
                            replacer.removed(victim);
                            tracked.remove(&victim);
                        }
                    }
                }
                assert_eq!(replacer.len(), tracked.len(), "seed {seed}: {policy:?}");
            }
        }
    }
}

#[test]
fn a_batch_of_victims_is_what_repeated_single_choices_give() {
    // The kernel evicts in batches (`choose_victims`); aging and lfu rank every frame once
    // instead of once per victim. Either way the victims, and what is left tracked, must be
    // the same as choosing one at a time. (nru's batch differs on purpose: see below.)
    const FRAMES: usize = 32;
    for seed in 0..CASES / 4 {
        for policy in Policy::ALL
            .into_iter()
            .filter(|p| p.kernel_can_run() && *p != Policy::Nru)
        {
            let setup = || {
                let mut random = Random::new(seed);
                let mut replacer = policy.replacer(&PolicyConfig { future: &[], seed });
                let mut bits = TestBits {
                    accessed: vec![false; FRAMES],
                    dirty: vec![false; FRAMES],
                };
                for frame in 0..FRAMES {
                    if random.below(4) != 0 {
                        replacer.inserted(frame);
                    }
                    bits.accessed[frame] = random.below(2) == 0;
                    bits.dirty[frame] = random.below(3) == 0;
                    if random.below(5) == 0 {
                        replacer.scan(&mut bits);
                    }
                }
                (replacer, bits)
            };
            let (mut batch, mut batch_bits) = setup();
            let (mut single, mut single_bits) = setup();
            let tracked = batch.len();
            let victims = batch.choose_victims(&mut batch_bits, 10);
            let mut one_by_one = Vec::new();
            while one_by_one.len() < 10
                && let Some(victim) = single.choose_victim(&mut single_bits)
            {
                single.removed(victim);
                one_by_one.push(victim);
            }
            assert_eq!(victims, one_by_one, "seed {seed}: {policy:?}");
            assert_eq!(
                batch.len(),
                tracked - victims.len(),
                "seed {seed}: {policy:?}"
            );
            assert_eq!(batch.choose_victims(&mut batch_bits, 0), Vec::new());
        }
    }
}

#[test]
fn an_nru_batch_takes_lower_classes_first_in_one_round_of_turns() {
    // Frames 0..8 on the clock: (accessed, dirty) = 0:(1,1) 1:(0,1) 2:(1,0) 3:(0,0)
    // 4:(0,1) 5:(0,0) 6:(1,1) 7:(1,0).
    let classes = [
        (1, 1),
        (0, 1),
        (1, 0),
        (0, 0),
        (0, 1),
        (0, 0),
        (1, 1),
        (1, 0),
    ];
    let mut bits = TestBits {
        accessed: classes.iter().map(|c| c.0 == 1).collect(),
        dirty: classes.iter().map(|c| c.1 == 1).collect(),
    };
    let mut nru = Policy::Nru.replacer(&PolicyConfig::default());
    for frame in 0..classes.len() {
        nru.inserted(frame);
    }
    // Turn 1 takes the clean unused 3 and 5; turn 2 the dirty unused 1 and 4, clearing
    // the accessed bits it passes; turn 3 then finds 2 and 7 clean and no longer accessed.
    assert_eq!(nru.choose_victims(&mut bits, 6), vec![3, 5, 1, 4, 2, 7]);
    assert_eq!(nru.len(), 2);
    assert_eq!(
        bits.dirty,
        classes.iter().map(|c| c.1 == 1).collect::<Vec<_>>()
    );
    assert_eq!(
        nru.choose_victims(&mut bits, 5),
        vec![0, 6],
        "the rest, dirty"
    );
    assert!(nru.choose_victims(&mut bits, 1).is_empty());
}
