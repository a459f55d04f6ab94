//! Lottery scheduling (concept S1, OSTEP chapter 9): each quantum, a hart draws a winning
//! ticket among the tasks queued on it; a task holding `t` of the `T` tickets there wins
//! with probability t/T, so over many quanta it gets about that share of the CPU. The draw
//! uses a seeded [`Random`]: one seed, one schedule.
//!
//! An idle hart that steals takes the most recently queued task it may run (the draw has
//! no "last in line").

use crate::random::Random;
use crate::{Policy, RunQueues, Task, Ticks};
use core::fmt;

/// Lottery scheduling with one draw per quantum.
pub struct Lottery {
    quantum: Ticks,
    random: Random,
}

impl Lottery {
    /// A lottery scheduler for `harts` harts, drawing every `quantum` ticks from a generator
    /// seeded with `seed`.
    pub fn new(harts: usize, quantum: Ticks, seed: u64) -> RunQueues<Lottery> {
        RunQueues::new(
            harts,
            Lottery {
                quantum: quantum.max(1),
                random: Random::new(seed),
            },
        )
    }

    fn tickets(task: &Task<()>) -> u64 {
        u64::from(task.params.tickets.max(1))
    }
}

impl Policy for Lottery {
    type State = ();

    fn name(&self) -> &'static str {
        "lottery"
    }

    /// Only for stealing: all equal, so the newest is taken.
    fn rank(&self, _task: &Task<()>, _waited: Ticks) -> u64 {
        0
    }

    fn preempt(&mut self, _task: &mut Task<()>, ran: Ticks, _best_waiting: Option<u64>) -> bool {
        ran >= self.quantum
    }

    /// The draw: a winning ticket in 0..total, then walk the queue counting tickets.
    fn choose<'a>(
        &mut self,
        queue: impl Iterator<Item = (&'a Task<()>, Ticks)> + Clone,
    ) -> Option<usize> {
        let total: u64 = queue.clone().map(|(task, _)| Self::tickets(task)).sum();
        if total == 0 {
            return None;
        }
        let mut winner = self.random.below(total);
        for (at, (task, _)) in queue.enumerate() {
            let tickets = Self::tickets(task);
            if winner < tickets {
                return Some(at);
            }
            winner -= tickets;
        }
        None
    }

    fn describe(&self, task: &Task<()>, out: &mut dyn fmt::Write) -> fmt::Result {
        write!(out, " tickets={}", Self::tickets(task))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ReadyReason, ReadyTask, Scheduler, TaskId, TaskParams};
    use alloc::vec::Vec;

    /// The winners of `draws` draws between task 0 (75 tickets) and task 1 (25).
    fn winners(seed: u64, draws: usize) -> Vec<TaskId> {
        let mut lottery = Lottery::new(1, 1, seed);
        let mut winners = Vec::new();
        for (id, tickets) in [(0, 75), (1, 25)] {
            lottery.set_params(
                id,
                TaskParams {
                    tickets,
                    ..TaskParams::default()
                },
            );
        }
        let ready = |id| ReadyTask {
            id,
            last_hart: Some(0),
            affinity: 1,
        };
        lottery.enqueue(ready(0), ReadyReason::New, 0);
        lottery.enqueue(ready(1), ReadyReason::New, 0);
        for now in 0..draws as Ticks {
            let winner = lottery.pick(0, now).unwrap();
            winners.push(winner);
            assert!(lottery.tick(0, winner, 1, now + 1), "one draw per quantum");
            lottery.enqueue(ready(winner), ReadyReason::Preempted, now + 1);
        }
        winners
    }

    #[test]
    fn tickets_buy_a_proportional_share() {
        let a = winners(7, 10_000).iter().filter(|&&id| id == 0).count();
        assert!((7_300..=7_700).contains(&a), "75% of 10000 draws, got {a}");
    }

    #[test]
    fn one_seed_gives_one_schedule() {
        assert_eq!(winners(3, 100), winners(3, 100));
        assert_ne!(winners(3, 100), winners(4, 100));
    }
}
