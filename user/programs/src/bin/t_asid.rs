//! Test `t_asid` (expects `exit=0`): address-space identifiers (concept M4, the TLB).
//!
//! Everything runs pinned to hart 0, so every process here shares one TLB.
//! - Each live address space has its own ASID (`Asid:` of `/proc/<pid>/status`): a forked
//!   child's differs from its parent's, and neither is 0 (QEMU's harts have 16-bit ASIDs).
//! - Two processes with different frames at the same virtual address take turns a few
//!   hundred times on the hart (a pipe ping-pong): each always reads its own values, also
//!   across a munmap and a fresh mmap at that address on every turn (the mapping changes
//!   under a TLB that may hold the old one).
//! - A run of short-lived children with a small pool (`/proc/sys/vm/max_asid` = 8) reuses
//!   ASIDs: a number that comes back belongs to a new space whose fresh mapping at the
//!   address the last owner used reads zeros, not the last owner's data.
//! - With `max_asid` = 0 new spaces share ASID 0 (flushed on every switch) and all of the
//!   above still holds.
//! - `max_asid` above what the hardware holds, or not a number, is EINVAL.
//!
//! (QEMU's TLB drops everything when the ASID changes, so it cannot show a missing flush;
//! what this checks there is the ASID bookkeeping and that memory stays right with it.)

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::format;
use alloc::vec::Vec;
use ulib::abi::errno::Errno;
use ulib::abi::mm::{MAP_ANONYMOUS, MAP_FIXED, MAP_PRIVATE, PROT_READ, PROT_WRITE};
use ulib::abi::wait;
use ulib::fs;
use ulib::hazard::{read_volatile_at, write_volatile_at};
use ulib::mm::{mmap, munmap};
use ulib::process::Fork;
use ulib::procfs::Fields;
use ulib::{check, check_eq};

ulib::entry!(main);

const PAGE: usize = 4096;
/// Where every process here keeps its test page.
const ADDR: usize = 0x2000_0000;
const MAX_ASID: &str = "/proc/sys/vm/max_asid";

/// This process's ASID.
fn my_asid() -> u64 {
    Fields::read("/proc/self/status")
        .unwrap_or_else(|e| ulib::fail!("status: {e}"))
        .number::<u64>("Asid")
        .unwrap_or_else(|e| ulib::fail!("Asid: {e:?}"))
}

fn max_asid() -> u16 {
    let text = fs::read_to_string(MAX_ASID).unwrap_or_else(|e| ulib::fail!("{MAX_ASID}: {e}"));
    text.trim()
        .parse()
        .unwrap_or_else(|_| ulib::fail!("{MAX_ASID} holds {text:?}"))
}

fn set_max_asid(text: &str) -> Result<(), Errno> {
    fs::write_file(MAX_ASID, text.as_bytes(), 0o644)
}

/// A fresh private page at `ADDR` (replacing whatever was there).
fn fresh_page() {
    let rw = PROT_READ | PROT_WRITE;
    let flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED;
    let at = mmap(ADDR, PAGE, rw, flags, -1, 0).unwrap_or_else(|e| ulib::fail!("mmap: {e}"));
    check_eq!(at, ADDR, "MAP_FIXED maps where asked");
}

fn wait_ok(pid: i32, what: &str) {
    let status = ulib::waitpid(pid).unwrap_or_else(|e| ulib::fail!("wait: {e}"));
    check_eq!(status, wait::exited(0), "{what}: the child's checks passed");
}

/// A child's ASID is its own.
fn distinct() {
    let mine = my_asid();
    check!(mine != 0, "this process has an ASID of its own (got 0)");
    match ulib::fork() {
        Ok(Fork::Child) => {
            let child = my_asid();
            check!(child != 0, "the child has an ASID of its own (got 0)");
            check!(child != mine, "parent and child both have ASID {mine}");
            ulib::exit(0)
        }
        Ok(Fork::Parent(pid)) => wait_ok(pid, "distinct ASIDs"),
        Err(e) => ulib::fail!("fork: {e}"),
    }
}

/// Parent and child take turns on the hart, each checking and changing its own page at
/// `ADDR`; every other turn replaces the page by a fresh one first.
fn ping_pong(label: &str) {
    const TURNS: u64 = 300;
    fresh_page();
    write_volatile_at(ADDR, 1);
    let (to_child_r, to_child_w) = fs::pipe().unwrap_or_else(|e| ulib::fail!("pipe: {e}"));
    let (to_parent_r, to_parent_w) = fs::pipe().unwrap_or_else(|e| ulib::fail!("pipe: {e}"));
    // Side 0 is the parent, side 1 the child; `value` is what its page holds.
    let side = |me: u64, input: i32, output: i32| {
        let mut value = 1;
        for turn in 0..TURNS {
            if me == 1 || turn > 0 {
                let mut token = [0u8; 1];
                check_eq!(
                    fs::read(input, &mut token).ok(),
                    Some(1),
                    "{label}: turn {turn}"
                );
            }
            check_eq!(
                read_volatile_at(ADDR),
                value,
                "{label}: side {me} reads its own page on turn {turn}"
            );
            if turn % 2 == 1 {
                fresh_page();
                check_eq!(
                    read_volatile_at(ADDR),
                    0,
                    "{label}: a fresh page reads zero"
                );
            }
            value = (turn << 8) | (me + 2);
            write_volatile_at(ADDR, value);
            check_eq!(
                fs::write(output, &[1]).ok(),
                Some(1),
                "{label}: pass the turn"
            );
        }
    };
    match ulib::fork() {
        Ok(Fork::Child) => {
            side(1, to_child_r, to_parent_w);
            ulib::exit(0)
        }
        Ok(Fork::Parent(pid)) => {
            side(0, to_parent_r, to_child_w);
            wait_ok(pid, label);
        }
        Err(e) => ulib::fail!("fork: {e}"),
    }
    for fd in [to_child_r, to_child_w, to_parent_r, to_parent_w] {
        let _ = fs::close(fd);
    }
    let _ = munmap(ADDR, PAGE);
}

/// `count` children one after another, each mapping a fresh page at `ADDR`, checking it
/// reads zero, filling it and reporting its ASID; returns the ASIDs in order.
fn short_lived(count: usize, label: &str) -> Vec<u64> {
    let (reader, writer) = fs::pipe().unwrap_or_else(|e| ulib::fail!("pipe: {e}"));
    let mut asids = Vec::new();
    for child in 0..count {
        match ulib::fork() {
            Ok(Fork::Child) => {
                fresh_page();
                check_eq!(
                    read_volatile_at(ADDR),
                    0,
                    "{label}: child {child}'s fresh page reads zero"
                );
                for word in (0..PAGE).step_by(8) {
                    write_volatile_at(ADDR + word, 0xa5a5_0000 + child as u64);
                }
                let asid = my_asid();
                check_eq!(
                    fs::write(writer, &asid.to_le_bytes()).ok(),
                    Some(8),
                    "{label}: report the ASID"
                );
                ulib::exit(0)
            }
            Ok(Fork::Parent(pid)) => {
                wait_ok(pid, label);
                let mut bytes = [0u8; 8];
                check_eq!(
                    fs::read_full(reader, &mut bytes).ok(),
                    Some(8),
                    "{label}: an ASID"
                );
                asids.push(u64::from_le_bytes(bytes));
            }
            Err(e) => ulib::fail!("fork: {e}"),
        }
    }
    let _ = fs::close(reader);
    let _ = fs::close(writer);
    asids
}

fn main() -> i32 {
    if let Err(e) = ulib::sched::sched_setaffinity(0, 1) {
        ulib::fail!("pin to hart 0: {e}");
    }
    if !ulib::on_lantern() {
        ping_pong("Linux");
        ulib::println!("t_asid: ok (no ASID files on this kernel)");
        return 0;
    }
    let hardware = max_asid();
    check!(hardware > 0, "the harts have ASIDs (max_asid {hardware})");

    distinct();
    ping_pong("own ASIDs");

    set_max_asid("8").unwrap_or_else(|e| ulib::fail!("max_asid 8: {e}"));
    let asids = short_lived(24, "a pool of 8");
    let reused = asids
        .iter()
        .enumerate()
        .any(|(i, asid)| *asid != 0 && asids[..i].contains(asid));
    check!(reused, "24 children with 8 ASIDs reused one: {asids:?}");
    check!(
        asids.iter().all(|&asid| asid <= 8),
        "every ASID within the pool: {asids:?}"
    );

    set_max_asid("0").unwrap_or_else(|e| ulib::fail!("max_asid 0: {e}"));
    check_eq!(max_asid(), 0, "max_asid reads back");
    let shared = short_lived(4, "ASID 0 shared");
    check!(
        shared.iter().all(|&asid| asid == 0),
        "with max_asid 0 new spaces get ASID 0: {shared:?}"
    );
    ping_pong("shared ASID 0");

    check_eq!(
        set_max_asid(&format!("{}", hardware as u32 + 1)).err(),
        Some(Errno::EINVAL),
        "max_asid above the hardware's"
    );
    check_eq!(
        set_max_asid("many").err(),
        Some(Errno::EINVAL),
        "max_asid that is not a number"
    );
    set_max_asid(&format!("{hardware}")).unwrap_or_else(|e| ulib::fail!("restore: {e}"));
    check_eq!(max_asid(), hardware, "max_asid restored");
    distinct();
    ulib::println!("t_asid: ok");
    0
}
