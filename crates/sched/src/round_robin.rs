//! Round robin (concept S1): each hart has a FIFO run queue; a task runs for at most one
//! quantum, then goes to the back. An idle hart steals from the back of the longest queue
//! it is allowed to take from (load balancing, S5). New tasks go to the shortest allowed
//! queue; woken and preempted ones go back to the hart they last ran on.

use crate::{ReadyReason, ReadyTask, Scheduler, TaskId, Ticks};
use alloc::collections::VecDeque;
use alloc::vec::Vec;

/// Round robin with a fixed quantum.
pub struct RoundRobin {
    queues: Vec<VecDeque<ReadyTask>>,
    quantum: Ticks,
}

impl RoundRobin {
    /// A scheduler for `harts` harts, preempting after `quantum` ticks (at least 1).
    pub fn new(harts: usize, quantum: Ticks) -> RoundRobin {
        RoundRobin {
            queues: (0..harts.max(1)).map(|_| VecDeque::new()).collect(),
            quantum: quantum.max(1),
        }
    }

    fn allowed(task: &ReadyTask, hart: usize) -> bool {
        hart < 64 && task.affinity & (1 << hart) != 0
    }

    fn home_for(&self, task: &ReadyTask, reason: ReadyReason) -> usize {
        let shortest = (0..self.queues.len())
            .filter(|&h| Self::allowed(task, h))
            .min_by_key(|&h| self.queues[h].len());
        match (reason, task.last_hart) {
            (ReadyReason::New, _) | (_, None) => shortest.unwrap_or(0),
            (_, Some(last)) if last < self.queues.len() && Self::allowed(task, last) => last,
            _ => shortest.unwrap_or(0),
        }
    }
}

impl Scheduler for RoundRobin {
    fn name(&self) -> &'static str {
        "rr"
    }

    fn enqueue(&mut self, task: ReadyTask, reason: ReadyReason, _now: Ticks) {
        debug_assert!(
            self.queues
                .iter()
                .all(|q| q.iter().all(|t| t.id != task.id)),
            "task queued twice"
        );
        let home = self.home_for(&task, reason);
        self.queues[home].push_back(task);
    }

    fn pick(&mut self, hart: usize, _now: Ticks) -> Option<TaskId> {
        if let Some(task) = self.queues.get_mut(hart)?.pop_front() {
            return Some(task.id);
        }
        let mut victims: Vec<usize> = (0..self.queues.len()).filter(|&h| h != hart).collect();
        victims.sort_by_key(|&h| core::cmp::Reverse(self.queues[h].len()));
        for victim in victims {
            let queue = &mut self.queues[victim];
            if let Some(at) = queue.iter().rposition(|t| Self::allowed(t, hart)) {
                return queue.remove(at).map(|t| t.id);
            }
        }
        None
    }

    fn tick(&mut self, _hart: usize, _task: TaskId, ran: Ticks, _now: Ticks) -> bool {
        ran >= self.quantum
    }

    fn remove(&mut self, task: TaskId) -> bool {
        for queue in &mut self.queues {
            if let Some(at) = queue.iter().position(|t| t.id == task) {
                queue.remove(at);
                return true;
            }
        }
        false
    }

    fn queued_on(&self, hart: usize) -> usize {
        self.queues.get(hart).map_or(0, VecDeque::len)
    }

    fn len(&self) -> usize {
        self.queues.iter().map(VecDeque::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
