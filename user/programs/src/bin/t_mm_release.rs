//! Test `t_mm_release` (expects `exit=0`): a process's memory goes back to the free pool
//! as it exits or execs, even when another hart that ran it still has its page table
//! loaded (concept M1; the kernel's lazy TLB in `mm/shared.rs` keeps only the table).
//!
//! The parent pins itself to hart 0 and notes `MemFree`. Each child pins itself to hart
//! 1, writes every page of 32 MiB, moves to hart 0 and then ends its use of that memory,
//! leaving hart 1 idle with the child's table loaded (nothing else runs there):
//! - **exit**: once `waitpid` returns, `MemFree` is back to within 4 MiB of the start;
//! - **exec**: the child execs this program as `t_mm_release probe <kB>`, which checks
//!   that `MemFree` is back to within 4 MiB of `<kB>` while it runs.
//!
//! On one hart the same runs without the idle hart.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::format;
use ulib::abi::wait;
use ulib::mm::Mapping;
use ulib::process::{Fork, execve};
use ulib::procfs::Fields;
use ulib::sched::{getcpu, sched_getaffinity, sched_setaffinity};
use ulib::{check, check_eq, println};

ulib::entry!(main);

const PAGE: usize = 4096;
const HELD: usize = 32 << 20;
/// What else may have come or gone meanwhile (page tables, the probe's own pages, caches).
const SLACK_KIB: u64 = 4 << 10;
/// A child's exit status when something on its side went wrong before the check.
const CHILD_BROKEN: i32 = 2;

fn mem_free_kib() -> u64 {
    Fields::read("/proc/meminfo")
        .ok()
        .and_then(|fields| fields.number("MemFree").ok())
        .unwrap_or_else(|| ulib::fail!("MemFree in /proc/meminfo"))
}

/// Runs the caller on `hart` only, and checks that it got there.
fn move_to(hart: u32) -> bool {
    sched_setaffinity(0, 1 << hart).is_ok() && matches!(getcpu(), Ok((cpu, _)) if cpu == hart)
}

/// In the child: fills 32 MiB on hart 1 (if there is one), moves to hart 0, then `end`s
/// (exits or execs) with the memory still mapped.
fn hold_then(two_harts: bool, end: impl FnOnce() -> i32) -> i32 {
    if two_harts && !move_to(1) {
        return CHILD_BROKEN;
    }
    let Ok(mut map) = Mapping::anonymous(HELD, false) else {
        return CHILD_BROKEN;
    };
    for (page, chunk) in map.bytes_mut().chunks_exact_mut(PAGE).enumerate() {
        chunk[0] = page as u8 | 1;
    }
    if !move_to(0) {
        return CHILD_BROKEN;
    }
    // The mapping is never unmapped: the kernel must take it back with the process.
    core::mem::forget(map);
    end()
}

fn run_child(two_harts: bool, end: impl FnOnce() -> i32) -> i32 {
    let pid = match ulib::fork() {
        Ok(Fork::Child) => ulib::exit(hold_then(two_harts, end)),
        Ok(Fork::Parent(pid)) => pid,
        Err(e) => ulib::fail!("fork: {e}"),
    };
    ulib::waitpid(pid).unwrap_or_else(|e| ulib::fail!("waitpid: {e}"))
}

/// `t_mm_release probe <kB>`: run by the exec'd child.
fn probe(before: &str) -> i32 {
    let Ok(before) = before.parse::<u64>() else {
        return CHILD_BROKEN;
    };
    let now = mem_free_kib();
    println!("t_mm_release: after exec: MemFree {now} kB (before the child: {before} kB)");
    if now + SLACK_KIB >= before { 0 } else { 1 }
}

fn main() -> i32 {
    let mut args = ulib::env::args();
    if let (Some(_), Some("probe"), Some(before)) = (args.next(), args.next(), args.next()) {
        return probe(before);
    }
    let all = sched_getaffinity(0).unwrap_or_else(|e| ulib::fail!("sched_getaffinity: {e}"));
    let two_harts = all & 0b11 == 0b11;
    if !two_harts {
        println!("t_mm_release: one hart: no idle hart to keep a table loaded");
    }
    check!(move_to(0), "pinning the parent to hart 0");

    let before = mem_free_kib();
    let status = run_child(two_harts, || 0);
    let after = mem_free_kib();
    println!("t_mm_release: exit: MemFree {before} kB before the child, {after} kB after");
    check_eq!(
        status,
        wait::exited(0),
        "the child filled its memory on hart 1"
    );
    check!(
        after + SLACK_KIB >= before,
        "the exited child's 32 MiB is free again ({after} kB free, {before} kB before)"
    );

    let before = mem_free_kib();
    let number = format!("{before}");
    let status = run_child(two_harts, || {
        let error = execve(
            "/bin/t_mm_release",
            &["t_mm_release", "probe", number.as_str()],
            &["PATH=/bin"],
        );
        println!("t_mm_release: execve: {error}");
        CHILD_BROKEN
    });
    check_eq!(
        status,
        wait::exited(0),
        "after exec, the old image's 32 MiB is free again"
    );

    check!(sched_setaffinity(0, all).is_ok(), "restoring the affinity");
    println!("t_mm_release: ok");
    0
}
