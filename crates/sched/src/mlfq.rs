//! Multi-level feedback queue (concepts S1, S4), after OSTEP chapter 8: learn from a job's
//! past whether it is interactive (short CPU bursts: keep it on top, good response time) or
//! CPU-bound (let it sink, like SJF without knowing run times). Level 0 is the top.
//!
//! - Rule 1: if Priority(A) > Priority(B), A runs (B doesn't) — a job queued on a higher
//!   level preempts the running one at the next tick.
//! - Rule 2: if Priority(A) = Priority(B), A and B run in round robin, with the quantum of
//!   their level.
//! - Rule 3: a job that enters the system is placed at the top.
//! - Rule 4: once a job uses up its time allotment at a level (regardless of how many times
//!   it has given up the CPU), its priority is reduced: it moves down one level. At the
//!   bottom it stays, in round robin, its allotment starting afresh.
//! - Rule 5: after some time period S, move all the jobs in the system to the top (boost),
//!   so long-running jobs do not starve (S4) and a job that turned interactive rises again.
//!
//! With [`MlfqConfig::keep_allotment`] off, rule 4 becomes the first edition's 4a/4b: a job
//! that gives up the CPU (blocks or yields) keeps its level and starts a fresh allotment.
//! That can be gamed: a job that blocks just before its allotment ends stays on top forever.
//!
//! Invariant: every task's level is below the number of levels (at least 1).

use crate::{Policy, ReadyReason, RunQueues, Task, Ticks};
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

/// MLFQ's tunables.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MlfqConfig {
    /// Quantum of each level, top first; its length is the number of levels (none: one level
    /// with a quantum of 1).
    pub quanta: Vec<Ticks>,
    /// Allotment of each level: the CPU ticks a job may use there before it moves down
    /// (rule 4). Levels past the end take the last entry; an empty list gives each level its
    /// quantum (OSTEP's first edition: one slice per level).
    pub allotments: Vec<Ticks>,
    /// Rule 5's period S: all jobs move to the top every S ticks. 0: never.
    pub boost_period: Ticks,
    /// Rule 4 (true): the allotment used is kept when a job blocks or yields. False: rules
    /// 4a/4b, where giving up the CPU resets it (gameable).
    pub keep_allotment: bool,
}

impl Default for MlfqConfig {
    /// Three levels of 1, 2 and 4 ticks, allotments of two quanta, a boost every 100 ticks
    /// (one second at the kernel's 100 Hz), allotments kept across I/O.
    fn default() -> MlfqConfig {
        MlfqConfig {
            quanta: vec![1, 2, 4],
            allotments: vec![2, 4, 8],
            boost_period: 100,
            keep_allotment: true,
        }
    }
}

/// What MLFQ knows of a job.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MlfqState {
    /// 0 is the top.
    pub level: usize,
    /// CPU ticks used of the allotment at this level.
    pub used: Ticks,
}

struct Level {
    quantum: Ticks,
    allotment: Ticks,
}

/// The multi-level feedback queue.
pub struct Mlfq {
    levels: Vec<Level>,
    boost_period: Ticks,
    keep_allotment: bool,
    next_boost: Ticks,
}

impl Mlfq {
    /// An MLFQ scheduler for `harts` harts.
    pub fn new(harts: usize, config: &MlfqConfig) -> RunQueues<Mlfq> {
        let quanta = if config.quanta.is_empty() {
            &[1][..]
        } else {
            &config.quanta[..]
        };
        let levels = quanta
            .iter()
            .enumerate()
            .map(|(at, &quantum)| Level {
                quantum: quantum.max(1),
                allotment: config
                    .allotments
                    .get(at)
                    .or(config.allotments.last())
                    .map_or(quantum, |&a| a)
                    .max(1),
            })
            .collect();
        RunQueues::new(
            harts,
            Mlfq {
                levels,
                boost_period: config.boost_period,
                keep_allotment: config.keep_allotment,
                next_boost: config.boost_period,
            },
        )
    }

    fn level(&self, job: &MlfqState) -> &Level {
        &self.levels[job.level]
    }

    /// Rule 4: a job that has used up its allotment moves down a level, with a fresh
    /// allotment there. At the bottom it only starts a fresh one: it already runs in round
    /// robin by quantum. Returns whether it moved down.
    fn spend(&self, job: &mut MlfqState) -> bool {
        if job.used < self.level(job).allotment {
            return false;
        }
        job.used = 0;
        if job.level + 1 == self.levels.len() {
            return false;
        }
        job.level += 1;
        true
    }

    /// The job gave up the CPU before its quantum ended (blocked or yielded).
    fn gave_up_cpu(&self, job: &mut MlfqState) {
        if self.keep_allotment {
            self.spend(job);
        } else {
            job.used = 0;
        }
    }
}

impl Policy for Mlfq {
    type State = MlfqState;

    fn name(&self) -> &'static str {
        "mlfq"
    }

    /// Rules 1 and 2: the higher level first; within one, queue order.
    fn rank(&self, task: &Task<MlfqState>, _waited: Ticks) -> u64 {
        task.state.level as u64
    }

    fn preempt(
        &mut self,
        task: &mut Task<MlfqState>,
        ran: Ticks,
        best_waiting: Option<u64>,
    ) -> bool {
        self.spend(&mut task.state)
            || ran >= self.level(&task.state).quantum
            || best_waiting.is_some_and(|best| best < task.state.level as u64)
    }

    fn charge(&mut self, task: &mut Task<MlfqState>, ticks: Ticks) {
        task.state.used += ticks;
    }

    fn ready(&mut self, task: &mut Task<MlfqState>, reason: ReadyReason) {
        match reason {
            ReadyReason::New => task.state = MlfqState::default(),
            ReadyReason::Yielded => self.gave_up_cpu(&mut task.state),
            ReadyReason::Woken | ReadyReason::Preempted => {}
        }
    }

    fn blocked(&mut self, task: &mut Task<MlfqState>) {
        self.gave_up_cpu(&mut task.state);
    }

    /// Rule 5: the boost, at every multiple of S.
    fn advance<'a>(&mut self, now: Ticks, tasks: impl Iterator<Item = &'a mut Task<MlfqState>>) {
        if self.boost_period == 0 || now < self.next_boost {
            return;
        }
        for task in tasks {
            task.state = MlfqState::default();
        }
        self.next_boost = now - now % self.boost_period + self.boost_period;
    }

    fn describe(&self, task: &Task<MlfqState>, out: &mut dyn fmt::Write) -> fmt::Result {
        let job = &task.state;
        write!(
            out,
            " level={} used={}/{}",
            job.level,
            job.used,
            self.level(job).allotment
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{MILLITICKS_PER_TICK, Milliticks, ReadyTask, Scheduler};

    /// OSTEP's examples: three levels, 10-tick quanta and allotments.
    fn ostep(boost_period: Ticks, keep_allotment: bool) -> RunQueues<Mlfq> {
        let config = MlfqConfig {
            quanta: vec![10; 3],
            allotments: vec![10],
            boost_period,
            keep_allotment,
        };
        Mlfq::new(1, &config)
    }

    fn ready(s: &mut RunQueues<Mlfq>, id: usize, reason: ReadyReason, now: Ticks) {
        let task = ReadyTask {
            id,
            last_hart: Some(0),
            affinity: u64::MAX,
        };
        s.enqueue(task, reason, now);
    }

    fn level(s: &RunQueues<Mlfq>, id: usize) -> usize {
        s.task(id).map_or(usize::MAX, |t| t.state.level)
    }

    /// Runs `id` (already picked at `start`) for `ticks` ticks; returns whether the last
    /// tick preempted it.
    fn run(s: &mut RunQueues<Mlfq>, id: usize, start: Ticks, ticks: Ticks) -> bool {
        (1..=ticks)
            .map(|ran| s.tick(0, id, ran, start + ran))
            .fold(false, |_, preempt| preempt)
    }

    #[test]
    fn a_new_job_starts_on_top_and_sinks_one_level_per_allotment() {
        let mut mlfq = ostep(0, true);
        ready(&mut mlfq, 1, ReadyReason::New, 0);
        for (start, expected) in [(0, 0), (10, 1), (20, 2), (30, 2)] {
            assert_eq!(mlfq.pick(0, start), Some(1));
            assert_eq!(level(&mlfq, 1), expected);
            assert!(!run(&mut mlfq, 1, start, 9), "the quantum is not over");
            assert!(
                mlfq.tick(0, 1, 10, start + 10),
                "allotment (or, at the bottom, quantum) used up"
            );
            ready(&mut mlfq, 1, ReadyReason::Preempted, start + 10);
        }
    }

    #[test]
    fn a_job_on_a_higher_level_preempts_at_the_next_tick() {
        let mut mlfq = ostep(0, true);
        ready(&mut mlfq, 1, ReadyReason::New, 0);
        assert_eq!(mlfq.pick(0, 0), Some(1));
        assert!(run(&mut mlfq, 1, 0, 10));
        ready(&mut mlfq, 1, ReadyReason::Preempted, 10);
        assert_eq!(mlfq.pick(0, 10), Some(1));
        ready(&mut mlfq, 2, ReadyReason::New, 12);
        assert!(mlfq.tick(0, 1, 3, 13), "job 2 on level 0 beats level 1");
    }

    #[test]
    fn boost_moves_every_job_to_the_top() {
        let mut mlfq = ostep(50, true);
        ready(&mut mlfq, 1, ReadyReason::New, 0);
        ready(&mut mlfq, 2, ReadyReason::New, 0);
        assert_eq!(mlfq.pick(0, 0), Some(1));
        assert!(run(&mut mlfq, 1, 0, 10));
        ready(&mut mlfq, 1, ReadyReason::Preempted, 10);
        assert_eq!(level(&mlfq, 1), 1);
        assert_eq!(mlfq.pick(0, 49), Some(2));
        assert_eq!(level(&mlfq, 1), 1, "no boost before S");
        assert!(!mlfq.tick(0, 2, 1, 50));
        assert_eq!((level(&mlfq, 1), level(&mlfq, 2)), (0, 0));
        assert_eq!(mlfq.task(2).map(|t| t.state.used), Some(0));
    }

    /// Job 1, alone, runs a CPU burst of `cpu` ticks from `now` (preempted and picked again
    /// as often as the policy says), then blocks. Returns when it blocked.
    fn burst(s: &mut RunQueues<Mlfq>, mut now: Ticks, cpu: Ticks) -> Ticks {
        let mut left = cpu;
        while left > 0 {
            assert_eq!(s.pick(0, now), Some(1));
            let mut ran = 0;
            loop {
                ran += 1;
                now += 1;
                left -= 1;
                if left == 0 {
                    s.blocked(1, ran * MILLITICKS_PER_TICK, now);
                    break;
                }
                if s.tick(0, 1, ran, now) {
                    ready(s, 1, ReadyReason::Preempted, now);
                    break;
                }
            }
        }
        now
    }

    /// OSTEP's gaming job: 9 ticks of CPU then 1 of I/O, three times; its final level.
    fn game(keep_allotment: bool) -> usize {
        let mut mlfq = ostep(0, keep_allotment);
        ready(&mut mlfq, 1, ReadyReason::New, 0);
        let mut now = 0;
        for _ in 0..3 {
            now = burst(&mut mlfq, now, 9) + 1;
            ready(&mut mlfq, 1, ReadyReason::Woken, now);
        }
        level(&mlfq, 1)
    }

    #[test]
    fn without_allotment_accounting_blocking_games_the_scheduler() {
        assert_eq!(game(false), 0, "rules 4a/4b: still on top");
    }

    #[test]
    fn with_allotment_accounting_the_gaming_job_moves_down() {
        assert_eq!(game(true), 2, "27 ticks used: two allotments of 10");
    }

    #[test]
    fn config_fills_missing_allotments_from_the_last_one() {
        let config = MlfqConfig {
            quanta: vec![1, 2, 4],
            allotments: vec![5],
            boost_period: 0,
            keep_allotment: true,
        };
        let mut mlfq = Mlfq::new(1, &config);
        ready(&mut mlfq, 1, ReadyReason::New, 0);
        burst(&mut mlfq, 0, 11);
        let mut text = alloc::string::String::new();
        mlfq.describe(1, &mut text).unwrap();
        assert_eq!(
            text, "cpu=11 burst=11 level=2 used=1/5",
            "5 ticks on level 0, 5 on level 1"
        );
    }

    /// Job `id`, alone, runs `bursts` stints of `length` milliticks, each between two ticks
    /// (no tick falls inside), blocking after each. Returns when it last blocked.
    fn short_bursts(
        s: &mut RunQueues<Mlfq>,
        id: usize,
        mut now: Ticks,
        bursts: u64,
        length: Milliticks,
    ) -> Ticks {
        for _ in 0..bursts {
            assert_eq!(s.pick(0, now), Some(id));
            s.blocked(id, length, now);
            now += 1;
            ready(s, id, ReadyReason::Woken, now);
        }
        assert_eq!(s.pick(0, now), Some(id));
        now
    }

    #[test]
    fn an_io_bound_job_pays_for_its_short_bursts_only_and_stays_on_top() {
        // 50 bursts of a tenth of a tick: 5 ticks of CPU, half of level 0's allotment. (Were
        // each burst charged a whole tick, it would have sunk to the bottom after 20.)
        let mut mlfq = ostep(0, true);
        ready(&mut mlfq, 1, ReadyReason::New, 0);
        short_bursts(&mut mlfq, 1, 0, 50, MILLITICKS_PER_TICK / 10);
        assert_eq!(level(&mlfq, 1), 0);
        assert_eq!(mlfq.task(1).map(|t| (t.cpu, t.state.used)), Some((5, 5)));
    }

    #[test]
    fn blocking_just_before_every_tick_does_not_hide_the_cpu_used() {
        // Rule 4 with bursts that never see a tick: 11 bursts of 0.99 ticks are 10.89 ticks,
        // 10 of them charged (level 0's allotment: down one level), 0.89 carried.
        let mut mlfq = ostep(0, true);
        ready(&mut mlfq, 1, ReadyReason::New, 0);
        short_bursts(&mut mlfq, 1, 0, 11, MILLITICKS_PER_TICK * 99 / 100);
        assert_eq!(level(&mlfq, 1), 1);
        assert_eq!(mlfq.task(1).map(|t| t.cpu), Some(10));
    }
}
