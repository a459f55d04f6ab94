//! Per-hart run queues shared by every policy (concepts S1, S5): the machinery, with the
//! policy left out. A [`Policy`] says how to rank tasks and when to preempt; [`RunQueues`]
//! does the rest, the same way for all of them:
//!
//! - placement: a new task goes to the shortest queue its affinity allows; a woken,
//!   yielding or preempted one goes back to the hart it last ran on (cache warmth) if it
//!   may still run there;
//! - choice: a hart runs the best-ranked task of its own queue (ties: the one queued
//!   first), unless the policy chooses otherwise (lottery draws);
//! - load balancing: an idle hart steals from the longest queue holding a task it may run,
//!   taking the one its victim would run last, so the victim's next choice is undisturbed;
//! - accounting: the CPU ticks each task has used, charged from `tick` (one per timer tick)
//!   and `blocked` (the part of the stint no tick charged, carried from block to block in
//!   milliticks, so a task pays for every tick's worth of CPU it uses however short its
//!   bursts, and no more).
//!
//! Invariants: a task is in at most one queue, and only on a hart its affinity allows (or
//! hart 0 when it allows none that exists); every queued task has a record in `tasks`;
//! a record lives from the first call that names its task (`set_params`, `enqueue`, or
//! `tick` for a task that was running when the policy was switched) until `exited`, so the
//! kernel must call `exited` for every task that ends. Each queue is
//! in arrival order, so "queued first" is "nearer the front". Locks: none here; the kernel
//! holds its run-queue lock around every call.

use crate::{
    MILLITICKS_PER_TICK, Milliticks, ReadyReason, ReadyTask, Scheduler, TaskId, TaskParams, Ticks,
};
use alloc::collections::{BTreeMap, VecDeque};
use alloc::vec::Vec;
use core::cmp::Reverse;
use core::fmt;

/// What the scheduler knows of one task, queued, running or blocked.
#[derive(Debug, Default)]
pub struct Task<S> {
    /// What the task declared (nice, tickets, expected run time).
    pub params: TaskParams,
    /// CPU ticks it has used in all.
    pub cpu: Ticks,
    /// Times it left the CPU by blocking: with `cpu`, its mean CPU burst, which tells
    /// I/O-bound tasks (short bursts) from CPU-bound ones (S5).
    pub blocks: u64,
    /// Ticks already charged for the current slice (since it was last picked).
    slice: Ticks,
    /// CPU time its blocking stints used beyond the ticks charged for them, in milliticks,
    /// not yet charged because it is less than a tick (negative: ticks charged it for more
    /// than it ran, which later stints use up first).
    owed: i64,
    /// The hart whose queue holds it, or that runs it or last ran it (`None` until it is
    /// first queued or seen running).
    pub hart: Option<usize>,
    /// The policy's own state for it (level, pass, virtual runtime...).
    pub state: S,
}

/// How a policy ranks and preempts; [`RunQueues`] runs it on per-hart queues. Only `name`,
/// `rank` and `preempt` are required; the hooks default to doing nothing.
pub trait Policy: Send {
    /// The policy's state for each task.
    type State: Default + Send;

    /// Short name, one of [`crate::POLICY_NAMES`].
    fn name(&self) -> &'static str;

    /// Rank of `task`, lower runs first. `waited`: ticks since it was queued (0 for the
    /// running task, which is asked about in `preempt`).
    fn rank(&self, task: &Task<Self::State>, waited: Ticks) -> u64;

    /// Whether the running `task` should leave the CPU now, `ran` ticks into its slice.
    /// Its ticks are already charged; `best_waiting` is the best rank queued on its hart.
    fn preempt(
        &mut self,
        task: &mut Task<Self::State>,
        ran: Ticks,
        best_waiting: Option<u64>,
    ) -> bool;

    /// Which task of one hart's queue runs next: `queue` yields each queued task with the
    /// ticks it has waited, front first; the answer is a position in it. Default: the lowest
    /// rank, ties to the front.
    fn choose<'a>(
        &mut self,
        queue: impl Iterator<Item = (&'a Task<Self::State>, Ticks)> + Clone,
    ) -> Option<usize>
    where
        Self::State: 'a,
    {
        queue
            .enumerate()
            .min_by_key(|(_, (task, waited))| self.rank(task, *waited))
            .map(|(at, _)| at)
    }

    /// `task` used `ticks` more CPU ticks.
    fn charge(&mut self, _task: &mut Task<Self::State>, _ticks: Ticks) {}

    /// `task` becomes ready for `reason` (before it is queued).
    fn ready(&mut self, _task: &mut Task<Self::State>, _reason: ReadyReason) {}

    /// `task` was picked to run, after waiting `waited` ticks in its queue.
    fn picked(&mut self, _task: &mut Task<Self::State>, _waited: Ticks) {}

    /// `task` left the CPU by blocking (its ticks are already charged).
    fn blocked(&mut self, _task: &mut Task<Self::State>) {}

    /// `task` moved to another hart's queue (woken elsewhere, or stolen): `task.hart` is the
    /// new one, `from` the old.
    fn moved(&mut self, _task: &mut Task<Self::State>, _from: usize) {}

    /// Time is now `now`: time-driven rules (MLFQ's priority boost) apply to every task.
    fn advance<'a>(&mut self, _now: Ticks, _tasks: impl Iterator<Item = &'a mut Task<Self::State>>)
    where
        Self::State: 'a,
    {
    }

    /// Writes the policy's view of `task`, each field preceded by a space.
    fn describe(&self, _task: &Task<Self::State>, _out: &mut dyn fmt::Write) -> fmt::Result {
        Ok(())
    }
}

#[derive(Debug)]
struct Queued {
    task: ReadyTask,
    /// When it was queued.
    since: Ticks,
}

/// Policy `P` on one run queue per hart: a complete [`Scheduler`].
pub struct RunQueues<P: Policy> {
    policy: P,
    queues: Vec<VecDeque<Queued>>,
    tasks: BTreeMap<TaskId, Task<P::State>>,
}

impl<P: Policy> RunQueues<P> {
    /// `policy` on `harts` harts (at least 1).
    pub fn new(harts: usize, policy: P) -> RunQueues<P> {
        RunQueues {
            policy,
            queues: (0..harts.max(1)).map(|_| VecDeque::new()).collect(),
            tasks: BTreeMap::new(),
        }
    }

    /// What the scheduler knows of `task`, if anything.
    pub fn task(&self, task: TaskId) -> Option<&Task<P::State>> {
        self.tasks.get(&task)
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

    /// Charges `task` for a slice that has lasted `ran` ticks so far.
    fn charge(&mut self, task: TaskId, ran: Ticks) {
        let record = self.tasks.entry(task).or_default();
        let ticks = ran.saturating_sub(record.slice);
        record.slice = record.slice.max(ran);
        record.cpu += ticks;
        self.policy.charge(record, ticks);
    }

    /// Charges `task`, which blocked after running `ran` milliticks in its slice, for what
    /// the slice's ticks did not cover: whole ticks now, the fraction when it adds up.
    fn charge_rest(&mut self, task: TaskId, ran: Milliticks) {
        const PER_TICK: i64 = MILLITICKS_PER_TICK as i64;
        let signed = |m: Milliticks| i64::try_from(m).unwrap_or(i64::MAX);
        let record = self.tasks.entry(task).or_default();
        let covered = record.slice.saturating_mul(MILLITICKS_PER_TICK);
        let beyond = signed(ran).saturating_sub(signed(covered));
        record.owed = record.owed.saturating_add(beyond);
        let ticks = record.owed.max(0) / PER_TICK;
        record.owed -= ticks * PER_TICK;
        let ticks = ticks.unsigned_abs();
        record.slice += ticks;
        record.cpu += ticks;
        self.policy.charge(record, ticks);
    }

    /// Records that `task` is on `hart` now (queued there, or running), telling the policy
    /// if that is a move.
    fn place(&mut self, task: TaskId, hart: usize) {
        let record = self.tasks.entry(task).or_default();
        let from = record.hart.replace(hart);
        if let Some(from) = from.filter(|&from| from != hart) {
            self.policy.moved(record, from);
        }
    }

    fn advance(&mut self, now: Ticks) {
        self.policy.advance(now, self.tasks.values_mut());
    }

    /// The rank of each task queued on `hart`, with its position, front first.
    fn ranks_on(&self, hart: usize, now: Ticks) -> impl Iterator<Item = (usize, u64)> + '_ {
        self.queues[hart].iter().enumerate().map(move |(at, q)| {
            let waited = now.saturating_sub(q.since);
            (at, self.policy.rank(&self.tasks[&q.task.id], waited))
        })
    }

    /// Position of the task `hart` runs next from its own queue.
    fn choose_own(&mut self, hart: usize, now: Ticks) -> Option<usize> {
        let RunQueues {
            policy,
            queues,
            tasks,
        } = self;
        let queue = queues.get(hart).filter(|q| !q.is_empty())?;
        let waiting = queue
            .iter()
            .map(|q| (&tasks[&q.task.id], now.saturating_sub(q.since)));
        policy.choose(waiting)
    }

    /// Queue and position of the task an idle `hart` steals: from the longest queue holding
    /// one it may run, the one that queue's hart would run last.
    fn choose_victim(&self, hart: usize, now: Ticks) -> Option<(usize, usize)> {
        let mut victims: Vec<usize> = (0..self.queues.len()).filter(|&h| h != hart).collect();
        victims.sort_by_key(|&h| Reverse(self.queues[h].len()));
        victims.into_iter().find_map(|victim| {
            self.ranks_on(victim, now)
                .filter(|&(at, _)| Self::allowed(&self.queues[victim][at].task, hart))
                .max_by_key(|&(_, rank)| rank)
                .map(|(at, _)| (victim, at))
        })
    }
}

impl<P: Policy> Scheduler for RunQueues<P> {
    fn name(&self) -> &'static str {
        self.policy.name()
    }

    fn enqueue(&mut self, task: ReadyTask, reason: ReadyReason, now: Ticks) {
        debug_assert!(
            self.queues
                .iter()
                .all(|q| q.iter().all(|t| t.task.id != task.id)),
            "task queued twice"
        );
        self.advance(now);
        let home = self.home_for(&task, reason);
        self.place(task.id, home);
        let record = self.tasks.entry(task.id).or_default();
        self.policy.ready(record, reason);
        self.queues[home].push_back(Queued { task, since: now });
    }

    fn pick(&mut self, hart: usize, now: Ticks) -> Option<TaskId> {
        if hart >= self.queues.len() {
            return None;
        }
        self.advance(now);
        let (from, at) = match self.choose_own(hart, now) {
            Some(at) => (hart, at),
            None => self.choose_victim(hart, now)?,
        };
        let queued = self.queues[from].remove(at)?;
        let id = queued.task.id;
        self.place(id, hart);
        if let Some(record) = self.tasks.get_mut(&id) {
            record.slice = 0;
            self.policy.picked(record, now.saturating_sub(queued.since));
        }
        Some(id)
    }

    fn tick(&mut self, hart: usize, task: TaskId, ran: Ticks, now: Ticks) -> bool {
        self.place(task, hart);
        self.charge(task, ran);
        self.advance(now);
        let best_waiting = match self.queues.get(hart) {
            Some(_) => self.ranks_on(hart, now).map(|(_, rank)| rank).min(),
            None => None,
        };
        let record = self.tasks.entry(task).or_default();
        self.policy.preempt(record, ran, best_waiting)
    }

    fn remove(&mut self, task: TaskId) -> bool {
        for queue in &mut self.queues {
            if let Some(at) = queue.iter().position(|q| q.task.id == task) {
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

    fn set_params(&mut self, task: TaskId, params: TaskParams) {
        self.tasks.entry(task).or_default().params = params;
    }

    fn blocked(&mut self, task: TaskId, ran: Milliticks, now: Ticks) {
        self.charge_rest(task, ran);
        self.advance(now);
        let record = self.tasks.entry(task).or_default();
        record.blocks += 1;
        self.policy.blocked(record);
    }

    fn exited(&mut self, task: TaskId) {
        self.remove(task);
        self.tasks.remove(&task);
    }

    fn describe(&self, task: TaskId, out: &mut dyn fmt::Write) -> fmt::Result {
        let Some(record) = self.tasks.get(&task) else {
            return Ok(());
        };
        write!(out, "cpu={}", record.cpu)?;
        if let Some(burst) = record.cpu.checked_div(record.blocks) {
            write!(out, " burst={burst}")?;
        }
        self.policy.describe(record, out)
    }

    fn drain(&mut self) -> Vec<ReadyTask> {
        self.queues
            .iter_mut()
            .flat_map(|q| q.drain(..).map(|queued| queued.task))
            .collect()
    }
}
