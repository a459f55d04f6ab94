//! Shortest job first and shortest time-to-completion first (concepts S1, S2), both from the
//! run time a task declares in [`TaskParams::expected`](crate::TaskParams):
//!
//! - SJF (OSTEP 7.4) is non-preemptive: when the CPU is free, the task with the least
//!   expected time left runs until it blocks, yields or exits. Optimal average turnaround
//!   when all jobs arrive together (100,10,10 -> 50); a long job that started first still
//!   makes late short ones wait (the convoy returns: 103.3).
//! - STCF (OSTEP 7.5) is SJF made preemptive: whenever a task with less time left than the
//!   running one is queued on its hart, it takes the CPU at the next tick (late arrivals ->
//!   50).
//!
//! Time left is the declared expected run time less the CPU already used (0 once it is
//! used up: the task claims to be about to finish). A task that declared nothing ranks after
//! all that did, in arrival order.

use crate::{Policy, RunQueues, Task, Ticks};
use core::fmt;

/// SJF (`preemptive == false`) or STCF (`preemptive == true`).
pub struct ShortestFirst {
    preemptive: bool,
}

impl ShortestFirst {
    /// SJF (`preemptive == false`) or STCF for `harts` harts.
    pub fn new(harts: usize, preemptive: bool) -> RunQueues<ShortestFirst> {
        RunQueues::new(harts, ShortestFirst { preemptive })
    }

    fn time_left(task: &Task<()>) -> u64 {
        task.params
            .expected
            .map_or(u64::MAX, |expected| expected.saturating_sub(task.cpu))
    }
}

impl Policy for ShortestFirst {
    type State = ();

    fn name(&self) -> &'static str {
        if self.preemptive { "stcf" } else { "sjf" }
    }

    fn rank(&self, task: &Task<()>, _waited: Ticks) -> u64 {
        Self::time_left(task)
    }

    fn preempt(&mut self, task: &mut Task<()>, _ran: Ticks, best_waiting: Option<u64>) -> bool {
        self.preemptive && best_waiting.is_some_and(|best| best < Self::time_left(task))
    }

    fn describe(&self, task: &Task<()>, out: &mut dyn fmt::Write) -> fmt::Result {
        match task.params.expected {
            Some(expected) => write!(out, " expected={expected} left={}", Self::time_left(task)),
            None => write!(out, " expected=unknown"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ReadyReason, ReadyTask, Scheduler, TaskParams};

    fn job<P: Policy>(s: &mut RunQueues<P>, id: usize, expected: Option<Ticks>, now: Ticks) {
        s.set_params(
            id,
            TaskParams {
                expected,
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
    fn sjf_runs_the_shortest_first_and_unknown_last() {
        let mut sjf = ShortestFirst::new(1, false);
        job(&mut sjf, 1, Some(100), 0);
        job(&mut sjf, 2, None, 0);
        job(&mut sjf, 3, Some(10), 0);
        job(&mut sjf, 4, Some(10), 0);
        assert_eq!(sjf.pick(0, 0), Some(3));
        assert_eq!(sjf.pick(0, 0), Some(4), "ties go to the one queued first");
        assert_eq!(sjf.pick(0, 0), Some(1));
        assert_eq!(sjf.pick(0, 0), Some(2));
    }

    #[test]
    fn sjf_does_not_preempt_for_a_shorter_arrival() {
        let mut sjf = ShortestFirst::new(1, false);
        job(&mut sjf, 1, Some(100), 0);
        assert_eq!(sjf.pick(0, 0), Some(1));
        job(&mut sjf, 2, Some(10), 10);
        assert!(!sjf.tick(0, 1, 10, 10));
    }

    #[test]
    fn stcf_preempts_for_strictly_less_time_left() {
        let mut stcf = ShortestFirst::new(1, true);
        job(&mut stcf, 1, Some(100), 0);
        assert_eq!(stcf.pick(0, 0), Some(1));
        job(&mut stcf, 2, Some(95), 1);
        assert!(!stcf.tick(0, 1, 5, 5), "95 left each: not less");
        job(&mut stcf, 3, Some(90), 6);
        assert!(stcf.tick(0, 1, 6, 6), "94 left against 90");
        let mut text = alloc::string::String::new();
        stcf.describe(1, &mut text).unwrap();
        assert_eq!(text, "cpu=6 expected=100 left=94");
    }
}
