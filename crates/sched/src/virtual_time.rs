//! Proportional share by virtual time (concept S1): stride scheduling (OSTEP 9.6) and a
//! CFS-like fair policy, which are one mechanism with two sources of weight.
//!
//! Each task has a virtual time that advances by `VIRTUAL_ONE / weight` per tick it runs
//! (stride scheduling calls the step the task's *stride* and its virtual time its *pass*;
//! Linux's CFS calls it *vruntime*). A hart runs the queued task with the least virtual
//! time, so tasks take turns in proportion to their weights: over any stretch, a task's CPU
//! ticks stay within one tick of its exact share.
//!
//! - stride: the weight is the task's tickets (OSTEP's 100/50/250 -> 2:1:5, exactly).
//! - fair: the weight comes from `nice` by [`nice_weight`]: 1024 at nice 0, 1.25 times
//!   more per step down and 1.25 times less per step up, so one nice step moves about 10% of
//!   the CPU between two tasks (the rule behind Linux's `sched_prio_to_weight`).
//!
//! A running task gives way once it has run a quantum (the minimum granularity) and a task
//! with less virtual time is queued on its hart. Each hart has a floor, the virtual time it
//! has reached: the most of any task picked or charged there, which stays within a quantum's
//! worth of the least virtual time on the hart (a task runs past the least queued one by at
//! most a quantum). A task that is new or wakes up starts no earlier than its hart's floor:
//! it cannot bank credit while absent or asleep (or while another task ran alone) and then
//! hold the CPU for long. Virtual times on different harts drift apart (each hart shares its
//! own CPU), so a task that moves to another hart keeps its distance to the floor, not its
//! virtual time. Together these bound how long a queued task waits (see
//! `tools/sim/tests/properties.rs`).
//!
//! Integers only (no FP in the kernel): `VIRTUAL_ONE` = 720,720,000 is divisible by every
//! ticket count up to 16 and by 25, 50, 75, 100, 125, 250, 500 and 1000, so common ticket
//! ratios give exact strides.

use crate::{Policy, ReadyReason, RunQueues, Task, TaskParams, Ticks};
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

/// Virtual time one tick adds for a weight of 1.
const VIRTUAL_ONE: u64 = 720_720_000;

/// The weight of nice 0.
const NICE_0_WEIGHT: u64 = 1024;

/// Weights of nice -20 ..= 19: `NICE_0_WEIGHT * 1.25^-nice`, rounded to the nearest integer
/// (computed exactly with powers of 4 and 5).
const NICE_WEIGHTS: [u64; 40] = nice_weights();

const fn nice_weights() -> [u64; 40] {
    let mut table = [0; 40];
    let mut at = 0;
    while at < 40 {
        let nice = at as i32 - 20;
        let steps = nice.unsigned_abs();
        // 1.25^-nice = 4^nice / 5^nice, or 5^-nice / 4^-nice for negative nice.
        let (numerator, denominator) = if nice >= 0 {
            (4u64.pow(steps), 5u64.pow(steps))
        } else {
            (5u64.pow(steps), 4u64.pow(steps))
        };
        table[at] = (NICE_0_WEIGHT * numerator + denominator / 2) / denominator;
        at += 1;
    }
    table
}

/// The fair policy's weight for `nice` (clamped to -20..=19).
pub fn nice_weight(nice: i8) -> u64 {
    NICE_WEIGHTS[(i32::from(nice).clamp(-20, 19) + 20) as usize]
}

enum Weighting {
    Tickets,
    Nice,
}

/// Stride scheduling or the fair policy.
pub struct VirtualTime {
    quantum: Ticks,
    weighting: Weighting,
    /// Each hart's floor: the most virtual time of a task picked or charged there; never
    /// decreases.
    floors: Vec<u64>,
}

impl VirtualTime {
    /// Stride scheduling for `harts` harts: weights are tickets.
    pub fn stride(harts: usize, quantum: Ticks) -> RunQueues<VirtualTime> {
        Self::with(harts, quantum, Weighting::Tickets)
    }

    /// The fair policy for `harts` harts: weights come from nice.
    pub fn fair(harts: usize, quantum: Ticks) -> RunQueues<VirtualTime> {
        Self::with(harts, quantum, Weighting::Nice)
    }

    fn with(harts: usize, quantum: Ticks, weighting: Weighting) -> RunQueues<VirtualTime> {
        RunQueues::new(
            harts,
            VirtualTime {
                quantum: quantum.max(1),
                weighting,
                floors: vec![0; harts.max(1)],
            },
        )
    }

    fn weight(&self, params: &TaskParams) -> u64 {
        match self.weighting {
            Weighting::Tickets => u64::from(params.tickets.max(1)),
            Weighting::Nice => nice_weight(params.nice),
        }
    }

    /// Virtual time per tick: the stride.
    fn stride_of(&self, params: &TaskParams) -> u64 {
        VIRTUAL_ONE / self.weight(params)
    }

    /// The floor of the hart `task` is on.
    fn floor(&mut self, task: &Task<u64>) -> &mut u64 {
        let hart = task.hart.unwrap_or(0).min(self.floors.len() - 1);
        &mut self.floors[hart]
    }

    /// Raises the floor of `task`'s hart to its virtual time.
    fn raise_floor(&mut self, task: &Task<u64>) {
        let floor = self.floor(task);
        *floor = (*floor).max(task.state);
    }
}

impl Policy for VirtualTime {
    /// The task's virtual time (pass, vruntime).
    type State = u64;

    fn name(&self) -> &'static str {
        match self.weighting {
            Weighting::Tickets => "stride",
            Weighting::Nice => "fair",
        }
    }

    fn rank(&self, task: &Task<u64>, _waited: Ticks) -> u64 {
        task.state
    }

    fn preempt(&mut self, task: &mut Task<u64>, ran: Ticks, best_waiting: Option<u64>) -> bool {
        ran >= self.quantum && best_waiting.is_some_and(|best| best < task.state)
    }

    fn charge(&mut self, task: &mut Task<u64>, ticks: Ticks) {
        let step = ticks.saturating_mul(self.stride_of(&task.params));
        task.state = task.state.saturating_add(step);
        self.raise_floor(task);
    }

    fn ready(&mut self, task: &mut Task<u64>, reason: ReadyReason) {
        if matches!(reason, ReadyReason::New | ReadyReason::Woken) {
            task.state = task.state.max(*self.floor(task));
        }
    }

    fn picked(&mut self, task: &mut Task<u64>, _waited: Ticks) {
        self.raise_floor(task);
    }

    /// Keeps the task's distance to the floor (ahead of it or behind) on the new hart.
    fn moved(&mut self, task: &mut Task<u64>, from: usize) {
        let old = self.floors.get(from).copied().unwrap_or(0);
        let new = *self.floor(task);
        task.state = if task.state >= old {
            new.saturating_add(task.state - old)
        } else {
            new.saturating_sub(old - task.state)
        };
    }

    fn describe(&self, task: &Task<u64>, out: &mut dyn fmt::Write) -> fmt::Result {
        let params = &task.params;
        match self.weighting {
            Weighting::Tickets => write!(
                out,
                " tickets={} stride={} pass={}",
                self.weight(params),
                self.stride_of(params),
                task.state
            ),
            Weighting::Nice => write!(
                out,
                " nice={} weight={} vruntime={}",
                params.nice,
                self.weight(params),
                task.state / (VIRTUAL_ONE / NICE_0_WEIGHT)
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ReadyTask, Scheduler, TaskId};
    use alloc::vec::Vec;

    #[test]
    fn nice_weights_follow_the_ten_percent_rule() {
        assert_eq!(nice_weight(0), 1024);
        assert_eq!(nice_weight(1), 819, "1024 / 1.25 = 819.2");
        assert_eq!(nice_weight(-1), 1280, "1024 * 1.25");
        assert_eq!(nice_weight(5), 336, "1024 * 0.8^5 = 335.54");
        assert_eq!(nice_weight(19), 15, "1024 * 0.8^19 = 14.76");
        assert_eq!(nice_weight(-20), 88818, "1024 * 1.25^20 = 88817.84");
        assert_eq!(nice_weight(100), nice_weight(19), "clamped");
        for nice in -20..19 {
            let (heavier, lighter) = (nice_weight(nice), nice_weight(nice + 1));
            // heavier = 1.25 * lighter, each rounded by at most 1/2: 4h and 5l differ by <= 4.5.
            assert!((4 * heavier).abs_diff(5 * lighter) <= 4, "nice {nice}");
        }
    }

    #[test]
    fn virtual_one_makes_common_ticket_counts_exact() {
        for tickets in (1..=16).chain([25, 50, 75, 100, 125, 250, 500, 1000]) {
            assert_eq!(VIRTUAL_ONE % tickets, 0, "{tickets} tickets");
        }
    }

    /// OSTEP's stride example: A, B, C with 100, 50 and 250 tickets, one tick each turn.
    fn ostep_stride_order(ticks: Ticks) -> Vec<TaskId> {
        let mut stride = VirtualTime::stride(1, 1);
        let ready = |id| ReadyTask {
            id,
            last_hart: Some(0),
            affinity: 1,
        };
        for (id, tickets) in [(0, 100), (1, 50), (2, 250)] {
            let params = TaskParams {
                tickets,
                ..TaskParams::default()
            };
            stride.set_params(id, params);
            stride.enqueue(ready(id), ReadyReason::New, 0);
        }
        let mut order = Vec::new();
        let mut running = stride.pick(0, 0).unwrap();
        let mut ran = 0;
        for now in 1..=ticks {
            order.push(running);
            ran += 1;
            if stride.tick(0, running, ran, now) {
                stride.enqueue(ready(running), ReadyReason::Preempted, now);
                running = stride.pick(0, now).unwrap();
                ran = 0;
            }
        }
        order
    }

    #[test]
    fn stride_follows_ostep_figure_9_3() {
        // Strides 100, 200, 40 (in OSTEP's units): passes after each turn
        // A 100; B 200; C 40, 80, 120; A 200; C 160, 200 -> all at 200.
        assert_eq!(ostep_stride_order(8), [0, 1, 2, 2, 2, 0, 2, 2]);
    }

    #[test]
    fn stride_shares_are_exact_at_every_multiple_of_the_cycle() {
        let order = ostep_stride_order(800);
        let count = |id| order.iter().filter(|&&t| t == id).count();
        assert_eq!([count(0), count(1), count(2)], [200, 100, 500]);
    }

    #[test]
    fn a_new_task_starts_at_the_floor() {
        let mut fair = VirtualTime::fair(1, 1);
        let ready = |id| ReadyTask {
            id,
            last_hart: None,
            affinity: 1,
        };
        fair.enqueue(ready(1), ReadyReason::New, 0);
        assert_eq!(fair.pick(0, 0), Some(1));
        assert!(!fair.tick(0, 1, 50, 50), "nobody else waits");
        fair.enqueue(ready(1), ReadyReason::Preempted, 50);
        assert_eq!(fair.pick(0, 50), Some(1));
        fair.enqueue(ready(2), ReadyReason::New, 50);
        let fifty_ticks = 50 * (VIRTUAL_ONE / NICE_0_WEIGHT);
        assert_eq!(
            fair.task(2).map(|t| t.state),
            Some(fifty_ticks),
            "task 2 starts at task 1's 50 ticks, not at 0"
        );
        assert!(fair.tick(0, 1, 1, 51), "then they take turns");
    }

    #[test]
    fn a_task_that_ran_alone_raises_the_floor_for_latecomers() {
        // Task 1 is picked once and runs 18 ticks with nobody waiting; task 2, arriving then,
        // must not get those 18 ticks as credit (it would hold the CPU for 18 ticks).
        let mut stride = VirtualTime::stride(1, 1);
        let ready = |id| ReadyTask {
            id,
            last_hart: Some(0),
            affinity: 1,
        };
        stride.enqueue(ready(1), ReadyReason::New, 0);
        assert_eq!(stride.pick(0, 0), Some(1));
        for ran in 1..=18 {
            assert!(!stride.tick(0, 1, ran, ran), "nobody waits");
        }
        stride.enqueue(ready(2), ReadyReason::New, 18);
        let pass = |s: &RunQueues<VirtualTime>, id| s.task(id).map(|t| t.state);
        assert_eq!(pass(&stride, 2), pass(&stride, 1), "task 2 starts level");
        assert!(
            stride.tick(0, 1, 19, 19),
            "so task 1 gives way one tick later"
        );
        stride.enqueue(ready(1), ReadyReason::Preempted, 19);
        assert_eq!(stride.pick(0, 19), Some(2));
        assert!(!stride.tick(0, 2, 1, 20), "level again");
        assert!(
            stride.tick(0, 2, 2, 21),
            "and they take turns: 2 ticks, not 18"
        );
    }

    #[test]
    fn a_task_moved_to_another_hart_keeps_its_distance_to_the_floor() {
        let mut fair = VirtualTime::fair(2, 1);
        let tick_worth = VIRTUAL_ONE / NICE_0_WEIGHT;
        let on = |id, hart| ReadyTask {
            id,
            last_hart: Some(hart),
            affinity: if id == 3 { 1 << 1 } else { u64::MAX },
        };
        let pass = |s: &RunQueues<VirtualTime>, id| s.task(id).map_or(0, |t| t.state);
        // Hart 0: task 1 alone for 100 ticks. Hart 1: task 2 for 10, then task 3 (starting
        // at hart 1's floor, 10) for 5 and still running: task 2 is 5 behind the floor of 15.
        fair.enqueue(on(1, 0), ReadyReason::New, 0);
        assert_eq!(fair.pick(0, 0), Some(1));
        fair.tick(0, 1, 100, 100);
        fair.enqueue(on(1, 0), ReadyReason::Preempted, 100);
        fair.enqueue(on(2, 1), ReadyReason::New, 0);
        assert_eq!(fair.pick(1, 0), Some(2));
        fair.tick(1, 2, 10, 10);
        fair.enqueue(on(3, 1), ReadyReason::New, 10);
        fair.enqueue(on(2, 1), ReadyReason::Preempted, 10);
        assert_eq!(
            fair.pick(1, 10),
            Some(3),
            "level with task 2, and queued first"
        );
        fair.tick(1, 3, 5, 15);
        assert_eq!(pass(&fair, 3), 15 * tick_worth);
        assert_eq!(pass(&fair, 2), 10 * tick_worth);
        // Hart 0 runs task 1 again, and then, idle, steals task 2: 5 behind hart 0's floor
        // of 100, not 90 behind (which would let it hold hart 0 for 90 ticks).
        assert_eq!(fair.pick(0, 100), Some(1));
        assert_eq!(fair.pick(0, 100), Some(2));
        assert_eq!(pass(&fair, 2), 95 * tick_worth);
    }
}
