//! Thrashing control by page-fault frequency (concept M8; Silberschatz 10.6.3, Denning's
//! working-set idea in its PFF form).
//!
//! A process thrashes when it spends its time waiting for pages instead of running: its
//! rate of major faults (pages read back from swap or a file; the kernel counts pages, so
//! that readahead does not hide them) per second of its own CPU time is high. The caller samples every process at a steady interval
//! ([`Pff::observe`]: its total major faults and CPU time so far); the rate over the last
//! interval is what counts, and an interval with fewer than [`PffConfig::min_faults`] faults
//! counts as rate 0 (a few faults say nothing).
//!
//! [`Pff::decide`] then says what to do, at most one process suspended at a time:
//! - nobody suspended, memory under pressure, and at least two processes faulting at or
//!   above [`PffConfig::upper`]: suspend the one with the highest rate (ties: the lowest
//!   id). With one thrashing process alone, suspending it would help nobody.
//! - somebody suspended: resume it when the pressure is gone, when no other process faults
//!   above [`PffConfig::lower`] any more, or after [`PffConfig::max_suspend_ns`] (so it
//!   cannot starve).

use alloc::collections::BTreeMap;

/// The bounds of the controller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PffConfig {
    /// Major faults per second of CPU time at or above which a process thrashes.
    pub upper: u64,
    /// At or below which a process no longer thrashes.
    pub lower: u64,
    /// Faults an interval must hold for its rate to count.
    pub min_faults: u64,
    /// The longest a process stays suspended, in nanoseconds.
    pub max_suspend_ns: u64,
}

impl Default for PffConfig {
    fn default() -> PffConfig {
        PffConfig {
            upper: 2000,
            lower: 200,
            // 1 MiB read back in one interval at least: a small process that touches its
            // few swapped-out pages once (a readahead brings 32) is not thrashing.
            min_faults: 256,
            max_suspend_ns: 2_000_000_000,
        }
    }
}

/// What the caller must do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Stop running process `id` and evict its pages first.
    Suspend(u64),
    /// Let process `id` run again.
    Resume(u64),
}

#[derive(Clone, Copy, Debug, Default)]
struct Sample {
    faults: u64,
    cpu_ns: u64,
    /// Major faults per CPU second over the last interval.
    rate: u64,
}

/// The page-fault-frequency controller.
#[derive(Debug, Default)]
pub struct Pff {
    config: PffConfig,
    samples: BTreeMap<u64, Sample>,
    /// The suspended process and since when.
    suspended: Option<(u64, u64)>,
}

impl Pff {
    pub fn new(config: PffConfig) -> Pff {
        Pff {
            config,
            samples: BTreeMap::new(),
            suspended: None,
        }
    }

    /// Process `id` has had `faults` major faults and `cpu_ns` of CPU time since it began.
    /// The first observation only sets the baseline (rate 0).
    pub fn observe(&mut self, id: u64, faults: u64, cpu_ns: u64) {
        let min_faults = self.config.min_faults;
        let sample = self.samples.entry(id).or_insert(Sample {
            faults,
            cpu_ns,
            rate: 0,
        });
        let new_faults = faults.saturating_sub(sample.faults);
        // Fault service is mostly waiting, not CPU: count at least a millisecond.
        let cpu = cpu_ns.saturating_sub(sample.cpu_ns).max(1_000_000);
        sample.rate = if new_faults >= min_faults {
            new_faults.saturating_mul(1_000_000_000) / cpu
        } else {
            0
        };
        sample.faults = faults;
        sample.cpu_ns = cpu_ns;
    }

    /// The last measured rate of `id` (major faults per CPU second).
    pub fn rate(&self, id: u64) -> Option<u64> {
        self.samples.get(&id).map(|s| s.rate)
    }

    /// Process `id` is gone: forget it (and that it was suspended).
    pub fn forget(&mut self, id: u64) {
        self.samples.remove(&id);
        if self.suspended.is_some_and(|(s, _)| s == id) {
            self.suspended = None;
        }
    }

    /// The processes observed and not forgotten.
    pub fn known(&self) -> impl Iterator<Item = u64> + '_ {
        self.samples.keys().copied()
    }

    /// The suspended process, if any.
    pub fn suspended(&self) -> Option<u64> {
        self.suspended.map(|(id, _)| id)
    }

    /// What to do now (`now_ns`: a monotonic clock), given whether memory is under
    /// pressure (the pager had to evict pages lately).
    pub fn decide(&mut self, now_ns: u64, pressure: bool) -> Option<Action> {
        if let Some((id, since)) = self.suspended {
            let others_thrash = self
                .samples
                .iter()
                .any(|(&other, s)| other != id && s.rate > self.config.lower);
            let waited = now_ns.saturating_sub(since) >= self.config.max_suspend_ns;
            if !pressure || !others_thrash || waited {
                self.suspended = None;
                return Some(Action::Resume(id));
            }
            return None;
        }
        if !pressure {
            return None;
        }
        let upper = self.config.upper;
        let mut thrashing = self.samples.iter().filter(|(_, s)| s.rate >= upper);
        let first = thrashing.next()?;
        thrashing.next()?;
        let (&worst, _) =
            self.samples
                .iter()
                .filter(|(_, s)| s.rate >= upper)
                .fold(first, |best, candidate| {
                    if candidate.1.rate > best.1.rate {
                        candidate
                    } else {
                        best
                    }
                });
        self.suspended = Some((worst, now_ns));
        Some(Action::Suspend(worst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;

    fn controller() -> Pff {
        Pff::new(PffConfig {
            upper: 1000,
            lower: 100,
            min_faults: 10,
            max_suspend_ns: 1000 * MS,
        })
    }

    #[test]
    fn rate_is_major_faults_per_cpu_second_over_the_last_interval() {
        let mut pff = controller();
        pff.observe(1, 0, 0);
        assert_eq!(pff.rate(1), Some(0), "the first sample is a baseline");
        pff.observe(1, 50, 10 * MS);
        assert_eq!(pff.rate(1), Some(5000));
        pff.observe(1, 55, 20 * MS);
        assert_eq!(pff.rate(1), Some(0), "5 faults are below min_faults");
        pff.observe(1, 75, 20 * MS);
        assert_eq!(
            pff.rate(1),
            Some(20_000),
            "no CPU time used counts as a millisecond"
        );
        assert_eq!(pff.rate(2), None);
    }

    #[test]
    fn one_thrashing_process_alone_is_not_suspended() {
        let mut pff = controller();
        for (id, faults) in [(1, 100), (2, 5)] {
            pff.observe(id, 0, 0);
            pff.observe(id, faults, 10 * MS);
        }
        assert_eq!(pff.decide(0, true), None);
    }

    #[test]
    fn the_worst_of_two_thrashers_is_suspended_only_under_pressure() {
        let mut pff = controller();
        for (id, faults) in [(1, 100), (2, 300), (3, 0)] {
            pff.observe(id, 0, 0);
            pff.observe(id, faults, 10 * MS);
        }
        assert_eq!(pff.decide(0, false), None, "no pressure, no suspension");
        assert_eq!(pff.decide(5, true), Some(Action::Suspend(2)));
        assert_eq!(pff.suspended(), Some(2));
        assert_eq!(
            pff.decide(6, true),
            None,
            "one at a time, and 1 still thrashes"
        );
    }

    #[test]
    fn resumed_when_pressure_ends_others_calm_down_or_time_is_up() {
        let setup = || {
            let mut pff = controller();
            for id in [1, 2] {
                pff.observe(id, 0, 0);
                pff.observe(id, 100, 10 * MS);
            }
            assert_eq!(pff.decide(0, true), Some(Action::Suspend(1)));
            pff
        };
        let mut pff = setup();
        assert_eq!(pff.decide(MS, false), Some(Action::Resume(1)));
        assert_eq!(pff.suspended(), None);

        let mut pff = setup();
        pff.observe(2, 100, 20 * MS);
        assert_eq!(
            pff.decide(MS, true),
            Some(Action::Resume(1)),
            "2 stopped faulting"
        );

        let mut pff = setup();
        assert_eq!(pff.decide(999 * MS, true), None);
        assert_eq!(pff.decide(1000 * MS, true), Some(Action::Resume(1)));
    }

    #[test]
    fn forgetting_the_suspended_process_ends_its_suspension() {
        let mut pff = controller();
        for id in [1, 2] {
            pff.observe(id, 0, 0);
            pff.observe(id, 100, 10 * MS);
        }
        pff.decide(0, true);
        assert_eq!(pff.known().collect::<alloc::vec::Vec<_>>(), [1, 2]);
        pff.forget(1);
        assert_eq!(pff.suspended(), None);
        assert_eq!(pff.rate(1), None);
    }
}
