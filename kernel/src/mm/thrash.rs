//! Thrashing control (concepts M8, P2): page-fault frequency, suspension and resumption.
//!
//! Every [`SAMPLE_INTERVAL_NS`] (checked on page faults and by suspended threads, see
//! [`tick`]) each process's page-ins (pages its faults read back from swap or a file,
//! readahead included: a fault that brings in 32 pages counts 32) and CPU time are fed to
//! the PFF controller of `crates/swap` ([`Pff`]), with "memory under pressure" meaning that the pager had to
//! reclaim within the last [`PRESSURE_WINDOW_NS`]. When it says *suspend*, the process's
//! threads stop at their next return to user mode and sleep until it says *resume*
//! ([`park`]); meanwhile the pager evicts that process's pages before any other's. A
//! suspended process is shown as ready-suspended (P2's state for a process that could run
//! but is swapped out).
//!
//! Locks: `thrash` (the controller) is taken with no other lock held except, briefly,
//! `process-table`/`proc`/`mm-slot` while sampling (never the other way round).

use crate::proc::{self, Pid, lifecycle};
use crate::time;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use hal::sync::SpinLock;
use swap::{Action, Pff, PffConfig};

/// How often processes are sampled.
pub const SAMPLE_INTERVAL_NS: u64 = 100_000_000;
/// How long after the last reclaim memory still counts as under pressure.
pub const PRESSURE_WINDOW_NS: u64 = 500_000_000;
/// How often a suspended thread looks whether it may go on.
const PARK_POLL_NS: u64 = 20_000_000;

static CONTROLLER: SpinLock<Option<Pff>> = SpinLock::new("thrash", None);
static LAST_PRESSURE_NS: AtomicU64 = AtomicU64::new(0);
static LAST_SAMPLE_NS: AtomicU64 = AtomicU64::new(0);
/// The suspended process (0: none) and its address space's id.
static SUSPENDED: AtomicUsize = AtomicUsize::new(0);
static SUSPENDED_SPACE: AtomicUsize = AtomicUsize::new(0);

/// The pager had to reclaim: memory is under pressure.
pub fn note_pressure() {
    LAST_PRESSURE_NS.store(time::monotonic_ns(), Ordering::Relaxed);
}

fn under_pressure(now: u64) -> bool {
    let last = LAST_PRESSURE_NS.load(Ordering::Relaxed);
    last != 0 && now.saturating_sub(last) < PRESSURE_WINDOW_NS
}

/// The address space of the suspended process, whose pages go first.
pub fn suspended_space() -> Option<usize> {
    match SUSPENDED_SPACE.load(Ordering::Relaxed) {
        0 => None,
        id => Some(id),
    }
}

/// Whether process `tgid` is suspended by thrashing control.
pub fn is_suspended(tgid: Pid) -> bool {
    tgid != 0 && SUSPENDED.load(Ordering::Relaxed) == tgid
}

/// Samples every process and acts on the controller's decision, if a sample is due.
/// Called with no lock held.
pub fn tick() {
    let now = time::monotonic_ns();
    let last = LAST_SAMPLE_NS.load(Ordering::Relaxed);
    if now.saturating_sub(last) < SAMPLE_INTERVAL_NS
        || LAST_SAMPLE_NS
            .compare_exchange(last, now, Ordering::AcqRel, Ordering::Relaxed)
            .is_err()
    {
        return;
    }
    // Outside the controller's lock: the process table, each PCB and address space slot.
    let samples: Vec<(u64, u64, u64, usize)> = proc::all()
        .into_iter()
        .filter(|p| p.is_leader())
        .filter_map(|p| {
            let memory = p.memory()?;
            let inner = p.inner();
            if inner.exited {
                return None;
            }
            let cpu = inner.acct.cpu_ns_now(inner.state == proc::State::Running);
            Some((p.pid as u64, memory.page_ins(), cpu, memory.id()))
        })
        .collect();
    let mut guard = CONTROLLER.lock();
    let pff = guard.get_or_insert_with(|| Pff::new(PffConfig::default()));
    for &(pid, faults, cpu, _) in &samples {
        pff.observe(pid, faults, cpu);
    }
    let gone: Vec<u64> = pff
        .known()
        .filter(|id| !samples.iter().any(|s| s.0 == *id))
        .collect();
    for id in gone {
        pff.forget(id);
    }
    match pff.decide(now, under_pressure(now)) {
        Some(Action::Suspend(pid)) => {
            super::vmstat::THRASH_SUSPEND.bump();
            log::info!(
                "thrashing: suspending pid {pid} ({} major faults per CPU second)",
                pff.rate(pid).unwrap_or(0)
            );
        }
        Some(Action::Resume(pid)) => {
            super::vmstat::THRASH_RESUME.bump();
            log::info!("thrashing: resuming pid {pid}");
        }
        None => {}
    }
    let suspended = pff.suspended().unwrap_or(0) as usize;
    let space = samples
        .iter()
        .find(|s| s.0 as usize == suspended)
        .map_or(0, |s| s.3);
    SUSPENDED_SPACE.store(space, Ordering::Relaxed);
    SUSPENDED.store(suspended, Ordering::Relaxed);
}

/// Called by a thread on its way to user mode: while its process is suspended, it sleeps
/// (waking now and then to let the controller decide). Returns early for a signal.
pub fn park(me: &Arc<proc::Process>) {
    while is_suspended(me.tgid) {
        let deadline = time::monotonic_ns() + PARK_POLL_NS;
        if lifecycle::sleep_until(me, deadline).is_err() {
            return;
        }
        tick();
    }
}
