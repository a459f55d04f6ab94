//! Round robin (concept S1): a task runs for at most one quantum, then goes to the back of
//! its hart's queue; tasks run in the order they became ready (OSTEP 7.7: short quanta give
//! good response time, poor turnaround). Placement, stealing (from the back of the longest
//! queue) and affinity are the shared [`RunQueues`] machinery (S5).

use crate::{Policy, RunQueues, Task, Ticks};

/// Round robin with a fixed quantum.
pub struct RoundRobin {
    quantum: Ticks,
}

impl RoundRobin {
    /// A scheduler for `harts` harts, preempting after `quantum` ticks (at least 1).
    pub fn new(harts: usize, quantum: Ticks) -> RunQueues<RoundRobin> {
        RunQueues::new(
            harts,
            RoundRobin {
                quantum: quantum.max(1),
            },
        )
    }
}

impl Policy for RoundRobin {
    type State = ();

    fn name(&self) -> &'static str {
        "rr"
    }

    /// All equal: the queue order (arrival) decides.
    fn rank(&self, _task: &Task<()>, _waited: Ticks) -> u64 {
        0
    }

    fn preempt(&mut self, _task: &mut Task<()>, ran: Ticks, _best_waiting: Option<u64>) -> bool {
        ran >= self.quantum
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ReadyReason, ReadyTask, Scheduler, TaskId};

    const ALL: u64 = u64::MAX;

    fn ready(id: TaskId, last_hart: Option<usize>, affinity: u64) -> ReadyTask {
        ReadyTask {
            id,
            last_hart,
            affinity,
        }
    }

    #[test]
    fn one_hart_runs_tasks_in_arrival_order_and_rotates() {
        let mut rr = RoundRobin::new(1, 2);
        for id in 1..=3 {
            rr.enqueue(ready(id, None, ALL), ReadyReason::New, 0);
        }
        assert_eq!(rr.pick(0, 0), Some(1));
        assert!(!rr.tick(0, 1, 1, 1), "one tick is less than the quantum");
        assert!(rr.tick(0, 1, 2, 2), "the quantum is used up");
        rr.enqueue(ready(1, Some(0), ALL), ReadyReason::Preempted, 2);
        assert_eq!(rr.pick(0, 2), Some(2));
        assert_eq!(rr.pick(0, 2), Some(3));
        assert_eq!(rr.pick(0, 2), Some(1));
        assert_eq!(rr.pick(0, 2), None);
    }

    #[test]
    fn new_tasks_spread_over_harts() {
        let mut rr = RoundRobin::new(2, 1);
        for id in 1..=4 {
            rr.enqueue(ready(id, None, ALL), ReadyReason::New, 0);
        }
        assert_eq!(rr.queued_on(0), 2);
        assert_eq!(rr.queued_on(1), 2);
        assert_eq!(rr.len(), 4);
    }

    #[test]
    fn woken_task_returns_to_its_last_hart() {
        let mut rr = RoundRobin::new(2, 1);
        rr.enqueue(ready(7, Some(1), ALL), ReadyReason::Woken, 0);
        assert_eq!(rr.queued_on(1), 1);
        assert_eq!(rr.pick(1, 0), Some(7));
    }

    #[test]
    fn idle_hart_steals_from_the_busiest_queue() {
        let mut rr = RoundRobin::new(2, 1);
        for id in 1..=3 {
            rr.enqueue(ready(id, Some(0), ALL), ReadyReason::Woken, 0);
        }
        assert_eq!(
            rr.pick(1, 0),
            Some(3),
            "stolen from the back of hart 0's queue"
        );
        assert_eq!(rr.pick(0, 0), Some(1));
        assert_eq!(rr.len(), 1);
    }

    #[test]
    fn affinity_is_respected_when_queueing_and_stealing() {
        let mut rr = RoundRobin::new(2, 1);
        rr.enqueue(ready(1, None, 1 << 1), ReadyReason::New, 0);
        rr.enqueue(ready(2, Some(0), 1 << 1), ReadyReason::Woken, 0);
        assert_eq!(rr.queued_on(1), 2, "both may only run on hart 1");
        assert_eq!(rr.pick(0, 0), None, "hart 0 may not steal them");
        assert_eq!(rr.pick(1, 0), Some(1));
    }

    #[test]
    fn remove_takes_a_queued_task_out() {
        let mut rr = RoundRobin::new(2, 1);
        rr.enqueue(ready(1, None, ALL), ReadyReason::New, 0);
        rr.enqueue(ready(2, None, ALL), ReadyReason::New, 0);
        assert!(rr.remove(1));
        assert!(!rr.remove(1));
        assert_eq!(rr.len(), 1);
        assert_eq!(rr.pick(0, 0).or_else(|| rr.pick(1, 0)), Some(2));
        assert!(rr.is_empty());
    }
}
