//! Priority scheduling (concepts S1, S2, S4): static priority, and dynamic priority with
//! aging. The most important task (lowest `nice`, as in Unix) runs first; equals run in
//! arrival order.
//!
//! - Preemptive mode: a task is preempted as soon as a more important one is queued on its
//!   hart, and at the end of each quantum (then the best queued task, itself if nothing
//!   waits that is at least as important, runs: equals take turns).
//! - Non-preemptive mode (`prio-np`, `prio-aging-np`): a task runs until it blocks, yields
//!   or exits.
//!
//! Static priority can starve (S4): a low-priority task waits as long as more important ones
//! keep coming. Aging cures it: a queued task gains one level per `aging_interval` ticks
//! waited, so even nice 19 outranks nice -20 after 39 intervals. A task keeps the level it
//! was picked at while it runs (in preemptive mode, for one quantum), then queues again at
//! its own level.

use crate::{Policy, RunQueues, Task, Ticks};
use core::fmt;

/// Static (`aging == None`) or dynamic priority.
pub struct Priority {
    quantum: Ticks,
    preemptive: bool,
    aging: Option<Ticks>,
}

impl Priority {
    /// Priority scheduling for `harts` harts; `aging`: ticks of waiting per level gained
    /// (`None`: static priority).
    pub fn new(
        harts: usize,
        quantum: Ticks,
        preemptive: bool,
        aging: Option<Ticks>,
    ) -> RunQueues<Priority> {
        RunQueues::new(
            harts,
            Priority {
                quantum: quantum.max(1),
                preemptive,
                aging: aging.map(|interval| interval.max(1)),
            },
        )
    }

    /// 0 (nice -20) ..= 39 (nice 19).
    fn level(task: &Task<u64>) -> u64 {
        (i64::from(task.params.nice).clamp(-20, 19) + 20) as u64
    }
}

impl Policy for Priority {
    /// The level the task was picked at.
    type State = u64;

    fn name(&self) -> &'static str {
        match (self.aging, self.preemptive) {
            (Some(_), true) => "prio-aging",
            (Some(_), false) => "prio-aging-np",
            (None, true) => "prio",
            (None, false) => "prio-np",
        }
    }

    fn rank(&self, task: &Task<u64>, waited: Ticks) -> u64 {
        let raised = self.aging.map_or(0, |interval| waited / interval);
        Self::level(task).saturating_sub(raised)
    }

    fn preempt(&mut self, task: &mut Task<u64>, ran: Ticks, best_waiting: Option<u64>) -> bool {
        self.preemptive
            && (ran >= self.quantum || best_waiting.is_some_and(|best| best < task.state))
    }

    fn picked(&mut self, task: &mut Task<u64>, waited: Ticks) {
        task.state = self.rank(task, waited);
    }

    fn describe(&self, task: &Task<u64>, out: &mut dyn fmt::Write) -> fmt::Result {
        write!(out, " nice={} level={}", task.params.nice, task.state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ReadyReason, ReadyTask, Scheduler, TaskParams};

    fn job(s: &mut RunQueues<Priority>, id: usize, nice: i8, now: Ticks) {
        s.set_params(
            id,
            TaskParams {
                nice,
                ..TaskParams::default()
            },
        );
        let task = ReadyTask {
            id,
            last_hart: None,
            affinity: u64::MAX,
        };
        s.enqueue(task, ReadyReason::New, now);
    }

    #[test]
    fn the_lowest_nice_runs_first_and_equals_in_arrival_order() {
        let mut prio = Priority::new(1, 1, true, None);
        job(&mut prio, 1, 5, 0);
        job(&mut prio, 2, -5, 0);
        job(&mut prio, 3, 5, 0);
        job(&mut prio, 4, 0, 0);
        let order: alloc::vec::Vec<_> = (0..4).filter_map(|_| prio.pick(0, 0)).collect();
        assert_eq!(order, [2, 4, 1, 3]);
    }

    #[test]
    fn preemptive_mode_preempts_for_a_more_important_task_only() {
        let mut prio = Priority::new(1, 100, true, None);
        job(&mut prio, 1, 0, 0);
        assert_eq!(prio.pick(0, 0), Some(1));
        job(&mut prio, 2, 0, 1);
        assert!(!prio.tick(0, 1, 2, 2), "an equal waits for the quantum");
        assert!(
            prio.tick(0, 1, 100, 100),
            "the quantum is used: equals take turns"
        );
        assert_eq!(prio.pick(0, 100), Some(2));
        job(&mut prio, 3, -1, 101);
        assert!(prio.tick(0, 2, 1, 101), "a more important one preempts");
    }

    #[test]
    fn non_preemptive_mode_never_preempts() {
        let mut prio = Priority::new(1, 1, false, None);
        job(&mut prio, 1, 19, 0);
        assert_eq!(prio.pick(0, 0), Some(1));
        job(&mut prio, 2, -20, 1);
        assert!(!prio.tick(0, 1, 50, 50));
    }

    #[test]
    fn aging_raises_a_waiting_task_one_level_per_interval() {
        let mut aging = Priority::new(1, 1, false, Some(10));
        job(&mut aging, 1, 10, 0);
        job(&mut aging, 2, 0, 95);
        assert_eq!(
            aging.pick(0, 99),
            Some(2),
            "level 30-9 = 21 still loses to 20"
        );
        job(&mut aging, 2, 0, 99);
        assert_eq!(
            aging.pick(0, 100),
            Some(1),
            "level 30-10 = 20 ties, and it was queued first"
        );
    }

    #[test]
    fn an_aged_task_keeps_its_level_for_the_quantum_it_was_picked_for() {
        let mut aging = Priority::new(1, 10, true, Some(10));
        job(&mut aging, 1, 10, 0);
        job(&mut aging, 2, 0, 100);
        assert_eq!(aging.pick(0, 100), Some(1), "aged to 20, queued first");
        assert!(
            !aging.tick(0, 1, 1, 101),
            "at 20, task 2 (20) is not better"
        );
        assert!(aging.tick(0, 1, 10, 110), "the quantum ends");
    }

    #[test]
    fn static_priority_does_not_age() {
        let mut prio = Priority::new(1, 1, false, None);
        job(&mut prio, 1, 10, 0);
        job(&mut prio, 2, 0, 1_000_000);
        assert_eq!(prio.pick(0, 1_000_000), Some(2));
    }
}
