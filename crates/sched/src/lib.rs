//! Scheduling policy (concepts S1, S5): which ready task runs next, on which hart, and when
//! the running one should be preempted.
//!
//! The kernel drives a [`Scheduler`] with task ids; it never looks inside the policy. The
//! host simulator drives the very same trait objects with simulated ticks. Policies are
//! plain data structures: no locks, no time source, no hardware — the caller passes `now`.
//!
//! Invariants every policy keeps:
//! - a task is queued at most once, and only on a hart its affinity mask allows;
//! - [`Scheduler::pick`] never returns a task that is not queued, and removes what it returns;
//! - [`Scheduler::len`] is the number of queued tasks.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

mod round_robin;

pub use round_robin::RoundRobin;

/// A task as the kernel names it (a thread id).
pub type TaskId = usize;

/// Time in scheduler ticks (one timer interrupt each).
pub type Ticks = u64;

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

/// A scheduling policy over per-hart run queues.
pub trait Scheduler: Send {
    /// Short name, as `/proc` and the simulator print it.
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
}
