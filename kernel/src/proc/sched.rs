//! The scheduler core (concepts K4, K5, S5): one scheduler loop per hart, run queues behind
//! the `sched::Scheduler` trait (round robin at boot, switchable at run time), timer preemption, blocking and
//! wake-ups.
//!
//! Each hart loops in [`scheduler_loop`] on its boot stack: pick a ready process, switch to
//! its kernel thread, and when the thread switches back, put it where it belongs (back in
//! a run queue if it yielded or was preempted; nowhere if it blocked or exited). A process
//! gives up its hart only at well-defined points (the kernel is not preemptible): when it
//! blocks, yields, exits, or returns to user mode after the timer said its quantum is used.
//!
//! An idle hart sleeps in `wfi`; making a process ready sends idle harts an IPI.

use super::{Process, State, lookup};
use crate::time;
use ::sched::{ReadyTask, RoundRobin, Scheduler};
use alloc::boxed::Box;
use alloc::sync::Arc;
use core::sync::atomic::{AtomicU64, Ordering};
use hal::MAX_HARTS;
use hal::sync::SpinLock;

pub use ::sched::ReadyReason;

/// Why a process left its hart, as the scheduler trace records it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum StintEnd {
    Preempted,
    Yielded,
    Blocked,
    Exited,
}

impl StintEnd {
    fn word(self) -> &'static str {
        match self {
            StintEnd::Preempted => "preempted",
            StintEnd::Yielded => "yielded",
            StintEnd::Blocked => "blocked",
            StintEnd::Exited => "exited",
        }
    }
}

/// One stint of a process on a hart (concept S7: the rows of a Gantt chart).
#[derive(Clone, Debug)]
pub struct Stint {
    pub start_ns: u64,
    pub end_ns: u64,
    pub hart: usize,
    pub pid: super::Pid,
    pub name: alloc::string::String,
    pub end: StintEnd,
}

/// The last stints, oldest first (`/proc/sched_trace`).
const TRACE_LEN: usize = 4096;
static TRACE: SpinLock<alloc::collections::VecDeque<Stint>> =
    SpinLock::new("sched-trace", alloc::collections::VecDeque::new());

/// System-wide scheduling metrics of finished processes (concept S3).
#[derive(Clone, Copy, Debug, Default)]
pub struct SchedStats {
    pub finished: u64,
    pub response_ns: u64,
    pub turnaround_ns: u64,
    pub wait_ns: u64,
    pub switches: u64,
}

static STATS: SpinLock<SchedStats> = SpinLock::new(
    "sched-stats",
    SchedStats {
        finished: 0,
        response_ns: 0,
        turnaround_ns: 0,
        wait_ns: 0,
        switches: 0,
    },
);

/// Writes the trace as text lines, `start_ns end_ns hart pid name why`, to `out` (procfs
/// reads it a window at a time, so the whole text never needs one big buffer). Stops early
/// if `out` refuses more.
pub fn write_trace(out: &mut dyn core::fmt::Write) -> core::fmt::Result {
    for stint in TRACE.lock().iter() {
        writeln!(
            out,
            "{} {} {} {} {} {}",
            stint.start_ns,
            stint.end_ns,
            stint.hart,
            stint.pid,
            stint.name,
            stint.end.word()
        )?;
    }
    Ok(())
}

/// Empties the trace.
pub fn clear_trace() {
    TRACE.lock().clear();
}

/// A snapshot of the system-wide metrics.
pub fn stats() -> SchedStats {
    *STATS.lock()
}

/// Adds a finished process's response, turnaround and waiting time to the averages.
pub fn record_finished(response_ns: u64, turnaround_ns: u64, wait_ns: u64) {
    let mut stats = STATS.lock();
    stats.finished += 1;
    stats.response_ns += response_ns;
    stats.turnaround_ns += turnaround_ns;
    stats.wait_ns += wait_ns;
}

/// Timer ticks a process may run before it is preempted.
pub const QUANTUM_TICKS: u64 = 1;

static RUN_QUEUE: SpinLock<Option<Box<dyn Scheduler>>> = SpinLock::new("run-queue", None);
static CURRENT: [SpinLock<Option<Arc<Process>>>; MAX_HARTS] =
    [const { SpinLock::new("current", None) }; MAX_HARTS];
static IDLE_HARTS: AtomicU64 = AtomicU64::new(0);
static HART_BUSY_NS: [AtomicU64; MAX_HARTS] = [const { AtomicU64::new(0) }; MAX_HARTS];
static ONLINE_HARTS: AtomicU64 = AtomicU64::new(0);

static HART_COUNT: core::sync::atomic::AtomicUsize = core::sync::atomic::AtomicUsize::new(1);

/// Sets up the run queues for `harts` harts (round robin until someone switches).
pub fn init(harts: usize) {
    HART_COUNT.store(harts, Ordering::Relaxed);
    *RUN_QUEUE.lock() = Some(Box::new(RoundRobin::new(harts, QUANTUM_TICKS)));
}

/// The name of the scheduling policy in force.
pub fn policy_name() -> &'static str {
    RUN_QUEUE.lock().as_ref().map_or("none", |q| q.name())
}

/// Switches the whole system to policy `name` (one of `sched::POLICY_NAMES`), moving every
/// queued process over; running ones join it when they next give up their hart.
pub fn set_policy(name: &str) -> Result<(), abi::errno::Errno> {
    let harts = HART_COUNT.load(Ordering::Relaxed);
    let config = ::sched::PolicyConfig {
        quantum: QUANTUM_TICKS,
        ..::sched::PolicyConfig::default()
    };
    let mut new = ::sched::by_name(name, harts, &config).ok_or(abi::errno::Errno::EINVAL)?;
    let params: alloc::vec::Vec<_> = super::all()
        .iter()
        .map(|p| (p.pid, p.inner().sched_params))
        .collect();
    for (pid, params) in params {
        new.set_params(pid, params);
    }
    let mut queue = RUN_QUEUE.lock();
    let now = time::ticks();
    if let Some(mut old) = queue.take() {
        for task in old.drain() {
            new.enqueue(task, ReadyReason::New, now);
        }
    }
    *queue = Some(new);
    drop(queue);
    log::info!("scheduler: policy is now {name}");
    Ok(())
}

/// Tells the policy a process's parameters (nice, tickets, expected run time).
pub fn set_params(pid: super::Pid, params: ::sched::TaskParams) {
    if let Some(queue) = RUN_QUEUE.lock().as_mut() {
        queue.set_params(pid, params);
    }
}

/// What the policy knows of `pid` (`level=2 used=1/10`...), for `/proc/<pid>/sched`.
pub fn describe(pid: super::Pid) -> alloc::string::String {
    let mut text = alloc::string::String::new();
    if let Some(queue) = RUN_QUEUE.lock().as_ref() {
        let _ = queue.describe(pid, &mut text);
    }
    text
}

/// The policy forgets a reaped process.
pub fn forget(pid: super::Pid) {
    if let Some(queue) = RUN_QUEUE.lock().as_mut() {
        queue.exited(pid);
    }
}

/// The harts that run the scheduler, as a bit mask.
pub fn online_harts() -> u64 {
    ONLINE_HARTS.load(Ordering::Relaxed)
}

/// Time hart `hart` has spent running processes.
pub fn hart_busy_ns(hart: usize) -> u64 {
    HART_BUSY_NS
        .get(hart)
        .map_or(0, |t| t.load(Ordering::Relaxed))
}

/// The process running on this hart, if any.
pub fn current() -> Option<Arc<Process>> {
    CURRENT[hal::cpu::hart_id()].lock().clone()
}

fn enqueue(process: &Arc<Process>, reason: ReadyReason) {
    let last_hart = process.inner().hart;
    let task = ReadyTask {
        id: process.pid,
        last_hart,
        affinity: process.affinity.load(Ordering::Relaxed),
    };
    if let Some(queue) = RUN_QUEUE.lock().as_mut() {
        queue.enqueue(task, reason, time::ticks());
    }
    let idle = IDLE_HARTS.load(Ordering::Acquire) & !(1 << hal::cpu::hart_id());
    for hart in (0..MAX_HARTS).filter(|h| idle & (1 << h) != 0) {
        hal::sbi::send_ipi(hart);
    }
}

/// Makes a new process runnable.
pub fn start(process: &Arc<Process>) {
    {
        let mut inner = process.inner();
        process.set_state(&mut inner, State::Ready);
    }
    enqueue(process, ReadyReason::New);
}

/// Wakes a blocked process (no effect on one that is not blocked).
pub fn wake(process: &Arc<Process>) {
    {
        let mut inner = process.inner();
        if !matches!(inner.state, State::Blocked | State::Stopped) {
            return;
        }
        process.set_state(&mut inner, State::Ready);
    }
    enqueue(process, ReadyReason::Woken);
}

/// Called by a process that has set itself `Blocked`: gives up the hart until woken. The
/// policy is told how long the stint really ran, in milliticks: it charges what the ticks
/// did not and carries fractions of a tick from block to block, so blocking just before
/// each tick hides no CPU (MLFQ's allotment rule) and a 2 ms burst costs 2 ms, not a tick.
pub fn block_current(me: &Arc<Process>) {
    let ran_ns = {
        let mut inner = me.inner();
        inner.acct.voluntary_switches += 1;
        time::monotonic_ns().saturating_sub(inner.acct.running_since_ns)
    };
    let ran = ran_ns.saturating_mul(::sched::MILLITICKS_PER_TICK) / (1_000_000_000 / time::HZ);
    if let Some(queue) = RUN_QUEUE.lock().as_mut() {
        queue.blocked(me.pid, ran, time::ticks());
    }
    hal::context::yield_now();
}

/// Gives up the hart but stays runnable (`sched_yield`, or preemption when `preempted`).
pub fn yield_current(me: &Arc<Process>, preempted: bool) {
    {
        let mut inner = me.inner();
        me.set_state(&mut inner, State::Ready);
        inner.requeue = Some(if preempted {
            ReadyReason::Preempted
        } else {
            ReadyReason::Yielded
        });
        if preempted {
            inner.acct.involuntary_switches += 1;
        } else {
            inner.acct.voluntary_switches += 1;
        }
    }
    me.need_resched.store(false, Ordering::Relaxed);
    hal::context::yield_now();
}

/// The timer tick on this hart: charge the running process and ask the policy whether its
/// quantum is used up.
pub fn tick() {
    let hart = hal::cpu::hart_id();
    let Some(process) = CURRENT[hart].lock().clone() else {
        return;
    };
    let ran = {
        let mut inner = process.inner();
        inner.acct.ticks_in_slice += 1;
        inner.acct.ticks_in_slice
    };
    let preempt = RUN_QUEUE
        .lock()
        .as_mut()
        .is_some_and(|q| q.tick(hart, process.pid, ran, time::ticks()));
    if preempt {
        process.need_resched.store(true, Ordering::Relaxed);
    }
}

/// This hart's scheduler: runs ready processes forever.
pub fn scheduler_loop() -> ! {
    let hart = hal::cpu::hart_id();
    ONLINE_HARTS.fetch_or(1 << hart, Ordering::Relaxed);
    loop {
        hal::cpu::disable_interrupts();
        match pick(hart).or_else(|| idle(hart)) {
            Some(process) => run_process(hart, &process),
            None => hal::cpu::enable_interrupts(),
        }
    }
}

/// The next process the policy gives this hart.
fn pick(hart: usize) -> Option<Arc<Process>> {
    let next = RUN_QUEUE
        .lock()
        .as_mut()
        .and_then(|q| q.pick(hart, time::ticks()));
    next.and_then(lookup)
}

/// Nothing to run here: announce the hart idle, look once more (a process made ready
/// before the announcement sent no IPI here), and otherwise sleep until an interrupt — a
/// process made ready after it sends an IPI. Work queued for other harts only does not keep
/// this hart awake.
fn idle(hart: usize) -> Option<Arc<Process>> {
    IDLE_HARTS.fetch_or(1 << hart, Ordering::AcqRel);
    let next = pick(hart);
    if next.is_none() {
        hal::cpu::wait_for_interrupt();
    }
    IDLE_HARTS.fetch_and(!(1 << hart), Ordering::AcqRel);
    next
}

fn run_process(hart: usize, process: &Arc<Process>) {
    let start = time::monotonic_ns();
    {
        let mut inner = process.inner();
        if inner.state != State::Ready {
            // Killed and reaped between the pick and here, or woken twice.
            return;
        }
        process.set_state(&mut inner, State::Running);
        inner.hart = Some(hart);
        inner.acct.first_run_ns.get_or_insert(start);
        inner.acct.running_since_ns = start;
        inner.acct.ticks_in_slice = 0;
    }
    *CURRENT[hart].lock() = Some(process.clone());
    hal::context::run(&process.thread);
    // The thread's page table stays loaded (the hart holds a reference to it: see
    // mm/shared.rs), so a switch to another thread of the same process needs no new one.
    *CURRENT[hart].lock() = None;

    let now = time::monotonic_ns();
    HART_BUSY_NS[hart].fetch_add(now - start, Ordering::Relaxed);
    let (requeue, stint) = {
        let mut inner = process.inner();
        // A zombie charged its stint up to its exit itself (see `lifecycle::exit`).
        let since = match (inner.state, inner.acct.finish_ns) {
            (State::Zombie, Some(finish)) => finish.max(start),
            _ => start,
        };
        inner.acct.cpu_ns += now.saturating_sub(since);
        let requeue = inner.requeue.take();
        if inner.state == State::Zombie && inner.release_on_switch {
            forget(process.pid);
        }
        let end = match (inner.state, requeue) {
            (State::Zombie, _) => StintEnd::Exited,
            (_, Some(ReadyReason::Preempted)) => StintEnd::Preempted,
            (_, Some(_)) => StintEnd::Yielded,
            (_, None) => StintEnd::Blocked,
        };
        let stint = Stint {
            start_ns: start,
            end_ns: now,
            hart,
            pid: process.pid,
            name: inner.name.clone(),
            end,
        };
        (requeue, stint)
    };
    STATS.lock().switches += 1;
    {
        let mut trace = TRACE.lock();
        if trace.len() == TRACE_LEN {
            trace.pop_front();
        }
        trace.push_back(stint);
    }
    if let Some(reason) = requeue {
        enqueue(process, reason);
    }
}
