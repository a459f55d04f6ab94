//! Virtual-memory event counters (concepts M4, M7, M8): what `/proc/vmstat` and the `vmstat`
//! program show. Each is a relaxed atomic bumped where the event happens; they only grow.
//!
//! Names follow Linux's `/proc/vmstat` where Linux has the counter (`pgfault`,
//! `pgmajfault`, `pswpin`, `pswpout`, `oom_kill`, ...); Lantern's own are named in the
//! same style.

use alloc::string::String;
use core::fmt::Write;
use core::sync::atomic::{AtomicU64, Ordering};
use replace::Policy;

/// One counter.
pub struct Counter(AtomicU64);

impl Counter {
    const fn new() -> Counter {
        Counter(AtomicU64::new(0))
    }

    /// Counts one event.
    pub fn bump(&self) {
        self.add(1);
    }

    /// Counts `n` events.
    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }

    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Every user page fault served (minor and major), like Linux's `pgfault`.
pub static PGFAULT: Counter = Counter::new();
/// Faults that had to read the page from a device (swap or the mapped file).
pub static PGMAJFAULT: Counter = Counter::new();
/// Writes to copy-on-write pages that copied the frame.
pub static COW_FAULT: Counter = Counter::new();
/// Pages read back from swap.
pub static PSWPIN: Counter = Counter::new();
/// Pages written to swap.
pub static PSWPOUT: Counter = Counter::new();
/// Clean file pages dropped (they come back from the file).
pub static PGDROP_FILE: Counter = Counter::new();
/// Dirty shared file pages written back to their file and dropped.
pub static PGWRITEBACK_FILE: Counter = Counter::new();
/// Passes of the reclaimer (each evicts a batch).
pub static PGRECLAIM_RUNS: Counter = Counter::new();
/// Accessed-bit scans by the replacement policy.
pub static PGSCAN: Counter = Counter::new();
/// Victims the policy chose that could not be evicted (shared frames, busy spaces).
pub static PGSKIP: Counter = Counter::new();
/// Processes killed because memory and swap ran out.
pub static OOM_KILL: Counter = Counter::new();
/// Processes suspended by thrashing control, and resumed.
pub static THRASH_SUSPEND: Counter = Counter::new();
pub static THRASH_RESUME: Counter = Counter::new();
/// Pages evicted while each policy was in force (index: position in `Policy::ALL`).
static EVICTIONS: [Counter; Policy::ALL.len()] = [const { Counter::new() }; Policy::ALL.len()];

/// Counts `n` pages evicted under `policy`.
pub fn evicted(policy: Policy, n: u64) {
    if let Some(at) = Policy::ALL.iter().position(|&p| p == policy) {
        EVICTIONS[at].add(n);
    }
}

/// The `/proc/vmstat` text: `name value` lines.
pub fn text() -> String {
    let stats = hal::mem::frame_stats();
    let (swap_total, swap_free) = super::swap::slots();
    let mut text = String::new();
    let mut line = |name: &str, value: u64| {
        let _ = writeln!(text, "{name} {value}");
    };
    line("nr_free_pages", stats.free_frames as u64);
    line("nr_managed_pages", stats.managed_frames as u64);
    line("nr_swap_pages", swap_total as u64);
    line("nr_swap_free", swap_free as u64);
    line("pgfault", PGFAULT.get());
    line("pgmajfault", PGMAJFAULT.get());
    line("cow_fault", COW_FAULT.get());
    line("pswpin", PSWPIN.get());
    line("pswpout", PSWPOUT.get());
    line("pgdrop_file", PGDROP_FILE.get());
    line("pgwriteback_file", PGWRITEBACK_FILE.get());
    line("pgreclaim_runs", PGRECLAIM_RUNS.get());
    line("pgscan", PGSCAN.get());
    line("pgskip", PGSKIP.get());
    line(
        "tlb_shootdown",
        super::asid::SHOOTDOWNS.load(Ordering::Relaxed) as u64,
    );
    line(
        "asid_shared",
        super::asid::SHARED_ZERO.load(Ordering::Relaxed) as u64,
    );
    line("oom_kill", OOM_KILL.get());
    line("thrash_suspend", THRASH_SUSPEND.get());
    line("thrash_resume", THRASH_RESUME.get());
    for (policy, count) in Policy::ALL.iter().zip(&EVICTIONS) {
        if policy.kernel_can_run() {
            let _ = writeln!(text, "evict_{} {}", policy.name(), count.get());
        }
    }
    text
}
