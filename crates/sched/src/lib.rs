//! Scheduling policy (concepts S1, S2, S5): which ready task runs next, on which hart, and when
//! the running one should be preempted.
//!
//! The kernel drives a [`Scheduler`] with task ids; it never looks inside the policy. The
//! host simulator (`tools/sim`) drives the very same trait objects with simulated ticks.
//! Policies are plain data structures: no locks, no time source, no hardware, no floating
//! point (the kernel does not save FP registers) — the caller passes `now`.
//!
//! Every policy is a small [`Policy`] (how to rank tasks, when to preempt) run on the shared
//! per-hart machinery [`RunQueues`] (placement, affinity, stealing, CPU accounting). Pick one
//! at run time with [`by_name`]; [`POLICY_NAMES`] lists them.
//!
//! Invariants every policy keeps:
//! - a task is queued at most once, and only on a hart its affinity mask allows;
//! - [`Scheduler::pick`] never returns a task that is not queued, and removes what it returns;
//! - [`Scheduler::len`] is the number of queued tasks.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

mod fifo;
mod lottery;
mod mlfq;
mod priority;
mod random;
mod round_robin;
mod run_queues;
mod shortest_first;
mod virtual_time;

pub use fifo::Fifo;
pub use lottery::Lottery;
pub use mlfq::{Mlfq, MlfqConfig, MlfqState};
pub use priority::Priority;
pub use round_robin::RoundRobin;
pub use run_queues::{Policy, RunQueues, Task};
pub use shortest_first::ShortestFirst;
pub use virtual_time::{VirtualTime, nice_weight};

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::fmt;

/// A task as the kernel names it (a thread id).
pub type TaskId = usize;

/// Time in scheduler ticks (one timer interrupt each).
pub type Ticks = u64;

/// Time in thousandths of a tick: how [`Scheduler::blocked`] is told the CPU time of a stint
/// that ended between two ticks (10 µs at the kernel's 100 Hz).
pub type Milliticks = u64;

/// Milliticks in a tick.
pub const MILLITICKS_PER_TICK: Milliticks = 1000;

/// What the policy is told about a task becoming ready.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadyTask {
    pub id: TaskId,
    /// The hart it last ran on, if any (cache warmth: prefer it).
    pub last_hart: Option<usize>,
    /// Bit `h` set: the task may run on hart `h`.
    pub affinity: u64,
}

/// Why a task became ready.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadyReason {
    /// Just created.
    New,
    /// Woken after blocking (I/O, sleep, wait).
    Woken,
    /// Gave up the CPU voluntarily (`sched_yield`).
    Yielded,
    /// Preempted by the timer.
    Preempted,
}

/// What a task tells the scheduler about itself (`nice`, `sched_setparam`-style calls). The
/// kernel keeps the task's copy: a freshly chosen policy knows nothing until told again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TaskParams {
    /// Niceness, -20 (most favoured) ..= 19; values outside are clamped. Static and dynamic
    /// priority run the lowest first; the fair policy weighs tasks by it.
    pub nice: i8,
    /// Lottery and stride tickets: the task's share is its tickets over all tickets (0 counts
    /// as 1).
    pub tickets: u32,
    /// Declared expected run time (SJF, STCF). `None`: unknown, so it ranks after every task
    /// that declared one.
    pub expected: Option<Ticks>,
}

impl Default for TaskParams {
    fn default() -> TaskParams {
        TaskParams {
            nice: 0,
            tickets: 100,
            expected: None,
        }
    }
}

/// A scheduling policy over per-hart run queues.
pub trait Scheduler: Send {
    /// Short name, as `/proc` and the simulator print it (one of [`POLICY_NAMES`]).
    fn name(&self) -> &'static str;
    /// `task` is ready to run.
    fn enqueue(&mut self, task: ReadyTask, reason: ReadyReason, now: Ticks);
    /// Removes and returns the task `hart` should run next (its own queue first, then work
    /// stolen from a busier hart: load balancing). `None`: idle.
    fn pick(&mut self, hart: usize, now: Ticks) -> Option<TaskId>;
    /// A timer tick while `task` runs on `hart` and has run `ran` ticks since it was
    /// picked. Returns whether to preempt it.
    fn tick(&mut self, hart: usize, task: TaskId, ran: Ticks, now: Ticks) -> bool;
    /// Takes `task` out of the queues (it was killed while ready). Returns whether it was queued.
    fn remove(&mut self, task: TaskId) -> bool;
    /// Tasks queued on `hart`.
    fn queued_on(&self, hart: usize) -> usize;
    /// Tasks queued in all.
    fn len(&self) -> usize;
    /// Whether no task is queued.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Sets what `task` declared about itself (before or after it is first enqueued).
    fn set_params(&mut self, _task: TaskId, _params: TaskParams) {}
    /// `task` left the CPU by blocking (I/O, sleep, wait) after running `ran` milliticks
    /// since it was picked: the real CPU time of the stint, which the ticks `tick` charged
    /// for it only sampled. The policy charges the difference, carrying what is less than a
    /// tick to the task's next block, so its CPU is counted in full however it gives up the
    /// CPU — MLFQ's allotment (rule 4) cannot be dodged by blocking just before each tick —
    /// and an I/O-bound task with short bursts pays for those bursts, not a tick each.
    fn blocked(&mut self, _task: TaskId, _ran: Milliticks, _now: Ticks) {}
    /// `task` is gone: the policy forgets it (and dequeues it if it was queued).
    fn exited(&mut self, _task: TaskId) {}
    /// Writes what the policy knows of `task` (`cpu=12 level=1 ...`) for `/proc` and traces.
    fn describe(&self, _task: TaskId, _out: &mut dyn fmt::Write) -> fmt::Result {
        Ok(())
    }
    /// Empties every queue and returns the tasks that were queued, hart by hart in queue
    /// order: switching policy moves them into the new one.
    fn drain(&mut self) -> Vec<ReadyTask>;
}

/// The policies [`by_name`] knows.
pub const POLICY_NAMES: &[&str] = &[
    "fifo",
    "sjf",
    "stcf",
    "rr",
    "prio",
    "prio-np",
    "prio-aging",
    "prio-aging-np",
    "mlfq",
    "lottery",
    "stride",
    "fair",
];

/// Tunables for [`by_name`]; each policy reads the ones it uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyConfig {
    /// Time slice: rr, prio and prio-aging (when preemptive), lottery (one draw per
    /// quantum), stride and fair (the least a task runs before a fairer one replaces it).
    pub quantum: Ticks,
    /// prio and prio-aging: whether a more important task takes the CPU from a running one
    /// (and equals share it quantum by quantum); prio-np and prio-aging-np never preempt,
    /// whatever this says. Other policies are one or the other by definition: fifo and sjf
    /// never preempt; stcf, rr, mlfq, lottery, stride and fair do.
    pub preemptive: bool,
    /// prio-aging: a waiting task gains one priority level per this many ticks waited.
    pub aging_interval: Ticks,
    /// mlfq's levels, quanta, allotments and boost.
    pub mlfq: MlfqConfig,
    /// lottery: seed of its pseudo-random draws (same seed, same schedule).
    pub seed: u64,
}

impl Default for PolicyConfig {
    fn default() -> PolicyConfig {
        PolicyConfig {
            quantum: 1,
            preemptive: true,
            aging_interval: 10,
            mlfq: MlfqConfig::default(),
            seed: 1,
        }
    }
}

/// The policy called `name` (one of [`POLICY_NAMES`]) for `harts` harts, or `None` for an
/// unknown name.
pub fn by_name(name: &str, harts: usize, config: &PolicyConfig) -> Option<Box<dyn Scheduler>> {
    let quantum = config.quantum;
    Some(match name {
        "fifo" => Box::new(Fifo::new(harts)),
        "sjf" => Box::new(ShortestFirst::new(harts, false)),
        "stcf" => Box::new(ShortestFirst::new(harts, true)),
        "rr" => Box::new(RoundRobin::new(harts, quantum)),
        "prio" => Box::new(Priority::new(harts, quantum, config.preemptive, None)),
        "prio-np" => Box::new(Priority::new(harts, quantum, false, None)),
        "prio-aging" => Box::new(Priority::new(
            harts,
            quantum,
            config.preemptive,
            Some(config.aging_interval),
        )),
        "prio-aging-np" => Box::new(Priority::new(
            harts,
            quantum,
            false,
            Some(config.aging_interval),
        )),
        "mlfq" => Box::new(Mlfq::new(harts, &config.mlfq)),
        "lottery" => Box::new(Lottery::new(harts, quantum, config.seed)),
        "stride" => Box::new(VirtualTime::stride(harts, quantum)),
        "fair" => Box::new(VirtualTime::fair(harts, quantum)),
        _ => return None,
    })
}

#[cfg(test)]
mod tests;
