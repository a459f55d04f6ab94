//! FIFO, also called FCFS (concepts S1, S2): tasks run in the order they became ready, each
//! until it blocks, yields or exits — never preempted (OSTEP 7.3). Simple, and prone to the
//! convoy effect (S4): short jobs stuck behind a long one (100,10,10 -> average turnaround
//! 110).

use crate::{Policy, RunQueues, Task, Ticks};

/// First in, first out; non-preemptive by definition (preemptive FIFO is round robin).
pub struct Fifo;

impl Fifo {
    /// A FIFO scheduler for `harts` harts.
    pub fn new(harts: usize) -> RunQueues<Fifo> {
        RunQueues::new(harts, Fifo)
    }
}

impl Policy for Fifo {
    type State = ();

    fn name(&self) -> &'static str {
        "fifo"
    }

    /// All equal: the queue order (arrival) decides.
    fn rank(&self, _task: &Task<()>, _waited: Ticks) -> u64 {
        0
    }

    fn preempt(&mut self, _task: &mut Task<()>, _ran: Ticks, _best_waiting: Option<u64>) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ReadyReason, ReadyTask, Scheduler};

    fn new_task(id: usize) -> ReadyTask {
        ReadyTask {
            id,
            last_hart: None,
            affinity: u64::MAX,
        }
    }

    #[test]
    fn runs_in_arrival_order_and_never_preempts() {
        let mut fifo = Fifo::new(1);
        for id in [3, 1, 2] {
            fifo.enqueue(new_task(id), ReadyReason::New, 0);
        }
        assert_eq!(fifo.pick(0, 0), Some(3));
        assert!(!fifo.tick(0, 3, 1_000, 1_000), "FIFO never preempts");
        assert_eq!(fifo.pick(0, 1_000), Some(1));
        assert_eq!(fifo.pick(0, 1_000), Some(2));
        assert_eq!(fifo.pick(0, 1_000), None);
    }

    #[test]
    fn a_woken_task_goes_to_the_back() {
        let mut fifo = Fifo::new(1);
        fifo.enqueue(new_task(1), ReadyReason::New, 0);
        fifo.enqueue(
            ReadyTask {
                last_hart: Some(0),
                ..new_task(2)
            },
            ReadyReason::Woken,
            5,
        );
        assert_eq!(fifo.pick(0, 5), Some(1));
        assert_eq!(fifo.pick(0, 5), Some(2));
    }
}
