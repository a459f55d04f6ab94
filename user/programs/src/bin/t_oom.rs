//! Test `t_oom` (expects `exit=0`): running out of RAM and swap (concept M7). Needs the
//! swap disk `cargo xtask test` attaches.
//!
//! - A bystander child writes a pattern into 8 MiB and blocks reading a pipe.
//! - A hog child maps more than RAM and swap together (`MemTotal + SwapTotal + 64 MiB`)
//!   and writes every page. It must not get all of it: either `mmap` refuses (`ENOMEM`,
//!   the hog exits 3) or the kernel kills it with SIGKILL once nothing more can be
//!   evicted; then `oom_kill` in `/proc/vmstat` has grown.
//! - The bystander survives: while the hog ran its pages went out to swap, so afterwards
//!   `/proc/<pid>/status` shows it `blocked-suspended` (P2: blocked, with pages out) with
//!   `VmSwap` above 0; told to go on, it reads its pattern back intact (major faults) and
//!   exits 0.
//! - Everything the hog held is released as it dies: afterwards swap is (nearly) free
//!   again, however the harts that ran the hog were left (see `t_mm_release`).

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::format;
use ulib::abi::signal::SIGKILL;
use ulib::abi::wait::{self, WaitStatus};
use ulib::fs::pipe;
use ulib::mm::Mapping;
use ulib::process::Fork;
use ulib::procfs::Fields;
use ulib::{check, check_eq, println};

ulib::entry!(main);

const PAGE: usize = 4096;
const BYSTANDER: usize = 8 << 20;
/// The hog's exit status when `mmap` itself refuses.
const MMAP_REFUSED: u8 = 3;

fn fields(path: &str) -> Fields {
    Fields::read(path).unwrap_or_else(|e| ulib::fail!("read {path}: {e}"))
}

fn number(fields: &Fields, key: &str) -> u64 {
    fields
        .number(key)
        .unwrap_or_else(|e| ulib::fail!("{key}: {e}"))
}

fn child(work: impl FnOnce() -> i32) -> ulib::Pid {
    match ulib::fork() {
        Ok(Fork::Child) => ulib::exit(work()),
        Ok(Fork::Parent(pid)) => pid,
        Err(e) => ulib::fail!("fork: {e}"),
    }
}

fn bystander(ready: i32, go: i32) -> i32 {
    let Ok(mut map) = Mapping::anonymous(BYSTANDER, false) else {
        return 2;
    };
    for (page, chunk) in map.bytes_mut().chunks_exact_mut(PAGE).enumerate() {
        chunk[..8].copy_from_slice(&(page as u64 ^ 0x5a5a).to_le_bytes());
    }
    if ulib::sys::write(ready, b"r") != Ok(1) {
        return 4;
    }
    let mut byte = [0u8; 1];
    if ulib::sys::read(go, &mut byte) != Ok(1) {
        return 3;
    }
    let intact = map
        .bytes()
        .chunks_exact(PAGE)
        .enumerate()
        .all(|(page, chunk)| chunk[..8] == (page as u64 ^ 0x5a5a).to_le_bytes());
    if intact { 0 } else { 1 }
}

fn hog(size: usize) -> i32 {
    let Ok(mut map) = Mapping::anonymous(size, false) else {
        return MMAP_REFUSED.into();
    };
    for chunk in map.bytes_mut().chunks_exact_mut(PAGE) {
        chunk[0] = 1;
    }
    0
}

fn main() -> i32 {
    if !ulib::on_lantern() {
        println!("t_oom: not on Lantern; nothing to test");
        return 0;
    }
    let meminfo = fields("/proc/meminfo");
    let (ram_kib, swap_kib) = (number(&meminfo, "MemTotal"), number(&meminfo, "SwapTotal"));
    check!(swap_kib > 0, "a swap area (boot with the swap disk)");
    let before = fields("/proc/vmstat");

    let (go_read, go_write) = pipe().unwrap_or_else(|e| ulib::fail!("pipe: {e}"));
    let (ready_read, ready_write) = pipe().unwrap_or_else(|e| ulib::fail!("pipe: {e}"));
    let quiet = child(|| bystander(ready_write, go_read));
    // The hog starts once the bystander has written its pages and is about to block.
    let mut byte = [0u8; 1];
    check_eq!(
        ulib::sys::read(ready_read, &mut byte),
        Ok(1),
        "the bystander wrote its pattern"
    );

    let size = ((ram_kib + swap_kib) as usize) * 1024 + (64 << 20);
    let hog_pid = child(|| hog(size));
    let status = ulib::waitpid(hog_pid).unwrap_or_else(|e| ulib::fail!("waitpid: {e}"));
    let after = fields("/proc/vmstat");
    match WaitStatus::decode(status) {
        Some(WaitStatus::Signaled { sig, .. }) => {
            check_eq!(sig, SIGKILL, "the hog is killed by SIGKILL");
            check!(
                number(&after, "oom_kill") > number(&before, "oom_kill"),
                "/proc/vmstat counts the OOM kill"
            );
        }
        Some(WaitStatus::Exited(code)) => {
            check_eq!(
                code,
                MMAP_REFUSED,
                "the hog cannot have touched {size} bytes"
            )
        }
        _ => ulib::fail!("the hog ended with wait status {status:#x}"),
    }
    println!("t_oom: hog of {} MiB: {}", size >> 20, wait_text(status));

    let status_path = format!("/proc/{quiet}/status");
    let quiet_status = fields(&status_path);
    let state = quiet_status.get("State").unwrap_or("-");
    let swapped_kib = number(&quiet_status, "VmSwap");
    println!("t_oom: bystander: State {state}, VmSwap {swapped_kib} kB");
    check!(swapped_kib > 0, "the bystander's pages went out to swap");
    check_eq!(state, "S (blocked-suspended)", "the bystander's State");

    check_eq!(
        ulib::sys::write(go_write, b"g"),
        Ok(1),
        "telling the bystander to go on"
    );
    let status = ulib::waitpid(quiet).unwrap_or_else(|e| ulib::fail!("waitpid: {e}"));
    check_eq!(
        status,
        wait::exited(0),
        "the bystander survives with its memory intact"
    );
    let end = fields("/proc/vmstat");
    check!(
        number(&end, "pgmajfault") > number(&after, "pgmajfault"),
        "reading its pages back were major faults"
    );
    let swap_free = number(&fields("/proc/meminfo"), "SwapFree");
    println!("t_oom: afterwards SwapFree {swap_free} of {swap_kib} kB");
    check!(
        swap_free + 4096 >= swap_kib,
        "swap is free again after both exited ({swap_free} of {swap_kib} kB)"
    );
    for fd in [go_read, go_write, ready_read, ready_write] {
        check_eq!(ulib::fs::close(fd), Ok(()), "closing the pipe");
    }
    println!("t_oom: ok");
    0
}

fn wait_text(status: i32) -> &'static str {
    match WaitStatus::decode(status) {
        Some(WaitStatus::Signaled { .. }) => "killed by SIGKILL (out of memory)",
        _ => "mmap refused",
    }
}
