//! Test `t_thrash` (expects `exit=0`): thrashing control by page-fault frequency (concepts
//! M8, P2). Needs the swap disk (`cargo xtask test`).
//!
//! - Two children each write a pattern into two thirds of the free memory (`MemFree` as
//!   the test starts) and then read all of it back, pass after pass, checking the
//!   pattern. Each alone fits in RAM; together they do not, so running side by side each
//!   keeps evicting what the other needs next: both fault pages back in at a high rate
//!   per CPU second. (Sized by what is free, not by a constant: after a long run the
//!   kernel keeps more memory for itself, and a worker too big to fit alone would thrash
//!   even while the other is suspended.) They make 12 passes or more: they go on until
//!   the parent has seen a suspension and a resumption (or 90 s have passed), so a fast
//!   or slow machine gives the controller the same chance.
//! - The kernel's PFF controller notices and suspends one of them (`thrash_suspend` in
//!   `/proc/vmstat` grows), which `/proc/<pid>/status` shows as `R (ready-suspended)`
//!   while it lasts (the parent polls both children's states), and resumes it later
//!   (`thrash_resume` grows).
//! - Both finish every pass with their data intact (exit 0).

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::format;
use ulib::abi::wait;
use ulib::hazard::{read_volatile_at, write_volatile_at};
use ulib::mm::Mapping;
use ulib::process::Fork;
use ulib::procfs::Fields;
use ulib::{check, check_eq, println};

ulib::entry!(main);

const PAGE: usize = 4096;
/// The smallest worker.
const MIN_REGION: usize = 8 << 20;
/// Passes each worker makes at least.
const PASSES: usize = 12;
/// When the parent stops the workers even if the controller has not acted (the checks
/// then fail): well inside the test's time limit.
const GIVE_UP_MS: u64 = 90_000;

fn counter(name: &str) -> u64 {
    Fields::read("/proc/vmstat")
        .unwrap_or_else(|e| ulib::fail!("read /proc/vmstat: {e}"))
        .number(name)
        .unwrap_or_else(|e| ulib::fail!("/proc/vmstat: {e}"))
}

fn word(page: usize, who: u64) -> [u8; 8] {
    ((page as u64) << 8 | who).to_le_bytes()
}

/// A child's work: exits 0 if every pass read back what it wrote. It makes at least
/// [`PASSES`] passes, and goes on until the parent writes a non-zero word at `stop` (a
/// shared page), so that the controller gets the time it needs however fast this runs.
fn worker(who: u64, region: usize, stop: usize) -> i32 {
    let Ok(mut map) = Mapping::anonymous(region, false) else {
        return 2;
    };
    for (page, chunk) in map.bytes_mut().chunks_exact_mut(PAGE).enumerate() {
        chunk[..8].copy_from_slice(&word(page, who));
    }
    for pass in 0.. {
        if pass >= PASSES && read_volatile_at(stop) != 0 {
            break;
        }
        let intact = map
            .bytes()
            .chunks_exact(PAGE)
            .enumerate()
            .all(|(page, chunk)| chunk[..8] == word(page, who));
        if !intact {
            return 1;
        }
    }
    0
}

fn state(pid: ulib::Pid) -> Option<alloc::string::String> {
    let status = Fields::read(&format!("/proc/{pid}/status")).ok()?;
    status.get("State").map(Into::into)
}

fn main() -> i32 {
    if !ulib::on_lantern() {
        println!("t_thrash: not on Lantern; nothing to test");
        return 0;
    }
    let free_kib: usize = Fields::read("/proc/meminfo")
        .ok()
        .and_then(|fields| fields.number("MemFree").ok())
        .unwrap_or_else(|| ulib::fail!("MemFree in /proc/meminfo"));
    let region = (free_kib * 1024 * 2 / 3 / (1 << 20) * (1 << 20)).max(MIN_REGION);
    let (suspends, resumes) = (counter("thrash_suspend"), counter("thrash_resume"));
    let start = ulib::bench::now_ns().unwrap_or(0);
    let stop = Mapping::anonymous(PAGE, true).unwrap_or_else(|e| ulib::fail!("mmap: {e}"));
    let mut children = [0; 2];
    for (who, pid) in children.iter_mut().enumerate() {
        *pid = match ulib::fork() {
            Ok(Fork::Child) => ulib::exit(worker(who as u64 + 1, region, stop.addr())),
            Ok(Fork::Parent(pid)) => pid,
            Err(e) => ulib::fail!("fork: {e}"),
        };
    }
    let mut seen_suspended = false;
    let mut running = children.len();
    let mut statuses = [None; 2];
    while running > 0 {
        // Enough seen (a suspension and a resumption), or enough time given: stop the
        // workers after their current pass.
        let elapsed_ms = ulib::bench::now_ns().unwrap_or(0).saturating_sub(start) / 1_000_000;
        if (seen_suspended && counter("thrash_resume") > resumes) || elapsed_ms > GIVE_UP_MS {
            write_volatile_at(stop.addr(), 1);
        }
        for (at, &pid) in children.iter().enumerate() {
            if statuses[at].is_some() {
                continue;
            }
            if state(pid).as_deref() == Some("R (ready-suspended)") {
                seen_suspended = true;
            }
            if let Ok((done, status)) = ulib::wait4(pid, wait::WNOHANG)
                && done == pid
            {
                statuses[at] = Some(status);
                running -= 1;
            }
        }
        let _ = ulib::sys::sleep_ms(20);
    }
    let took_ms = ulib::bench::now_ns().unwrap_or(0).saturating_sub(start) / 1_000_000;
    let (suspended, resumed) = (
        counter("thrash_suspend") - suspends,
        counter("thrash_resume") - resumes,
    );
    println!(
        "t_thrash: two {} MiB workers ({} MiB free), {PASSES} passes or more each, in {took_ms} ms: {suspended} suspensions, {resumed} resumptions",
        region >> 20,
        free_kib >> 10
    );
    for status in statuses {
        check_eq!(
            status,
            Some(wait::exited(0)),
            "a worker's data survived thrashing"
        );
    }
    check!(suspended > 0, "thrashing control suspended a worker");
    check!(resumed > 0, "and resumed it");
    check!(
        seen_suspended,
        "a suspended worker shows as R (ready-suspended)"
    );
    println!("t_thrash: ok");
    0
}
