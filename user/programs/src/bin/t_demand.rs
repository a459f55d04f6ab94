//! Test `t_demand` (expects `exit=0`): demand paging and copy-on-write fork (concepts M3,
//! M4).
//!
//! - Reserving 1 GiB and touching 4 of its pages adds about 4 pages to the resident set.
//! - The program's own image is paged in from its file on first touch: a 1 MiB initialized
//!   array that has not been read is not resident; reading it makes it resident, with the
//!   bytes the file holds.
//! - Fork of a process with 64 MiB touched copies (almost) nothing: free memory plus free
//!   swap (pages the pager moves to swap meanwhile stay counted) falls by under 8 MiB,
//!   beyond the pages swapped out meanwhile (`pswpout`: a page still shared when the pager
//!   takes it costs each side a swap slot, as there is no swap cache); then
//!   each side sees only its own writes, and a child that writes all 64 MiB gets its own
//!   copies (free memory plus free swap falls by 60 MiB or more, counting the pages swapped
//!   out since the fork, whose child copies exist already).
//!
//! On Linux (qemu-user) the resident-set and free-memory figures belong to the emulator, so
//! those checks run on Lantern only; the data checks run everywhere.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use ulib::abi::wait;
use ulib::hazard::{read_volatile_at, write_volatile_at};
use ulib::mm::Mapping;
use ulib::process::Fork;
use ulib::procfs::Fields;
use ulib::{check, check_eq};

ulib::entry!(main);

const PAGE: usize = 4096;
const MIB: usize = 1 << 20;

/// A megabyte of initialized data: it lives in the program file (`.data`).
static IMAGE_DATA: [u8; MIB] = {
    let mut bytes = [0u8; MIB];
    let mut i = 0;
    while i < MIB {
        bytes[i] = (i % 253) as u8 ^ 0x5a;
        i += 1;
    }
    bytes
};

/// This process's resident set in pages (`VmRSS` of `/proc/self/status`).
fn resident_pages() -> usize {
    let status = Fields::read("/proc/self/status").unwrap_or_else(|e| ulib::fail!("status: {e}"));
    status
        .number::<usize>("VmRSS")
        .unwrap_or_else(|e| ulib::fail!("VmRSS: {e:?}"))
        / 4
}

/// Room left for anonymous pages in KiB: free memory plus free swap (`MemFree` and
/// `SwapFree` of `/proc/meminfo`). A page evicted to swap moves from one to the other, so
/// this falls only when pages are created (a copy), whatever the pager does meanwhile.
fn room_kib() -> usize {
    let info = Fields::read("/proc/meminfo").unwrap_or_else(|e| ulib::fail!("meminfo: {e}"));
    let field = |name: &str| {
        info.number::<usize>(name)
            .unwrap_or_else(|e| ulib::fail!("{name}: {e:?}"))
    };
    field("MemFree") + field("SwapFree")
}

/// Pages written to swap so far.
fn swapped_out() -> usize {
    Fields::read("/proc/vmstat")
        .unwrap_or_else(|e| ulib::fail!("/proc/vmstat: {e}"))
        .number("pswpout")
        .unwrap_or_else(|e| ulib::fail!("pswpout: {e}"))
}

fn reserve_a_gigabyte() {
    let before = resident_pages();
    let map = Mapping::anonymous(1 << 30, false).unwrap_or_else(|e| ulib::fail!("mmap 1 GiB: {e}"));
    for i in 0..4 {
        write_volatile_at(map.addr() + i * (256 * MIB), i as u64 + 1);
    }
    for i in 0..4 {
        check_eq!(
            read_volatile_at(map.addr() + i * (256 * MIB)),
            i as u64 + 1,
            "a touched page of the gigabyte keeps its byte"
        );
    }
    if ulib::on_lantern() {
        let grown = resident_pages().saturating_sub(before);
        check!(
            (4..=8).contains(&grown),
            "reserving 1 GiB and touching 4 pages added {grown} resident pages (expected about 4)"
        );
    }
}

fn program_image_on_demand() {
    let before = resident_pages();
    let mut sum = 0u64;
    let mut expected = 0u64;
    for (i, &byte) in IMAGE_DATA.iter().enumerate() {
        sum += u64::from(core::hint::black_box(byte));
        expected += u64::from((i % 253) as u8 ^ 0x5a);
    }
    check_eq!(sum, expected, "the program's data came from its file");
    if ulib::on_lantern() {
        let grown = resident_pages().saturating_sub(before);
        check!(
            grown >= MIB / PAGE - 8,
            "reading 1 MiB of the program's data made {grown} pages resident (expected about 256: \
             they were not in memory before the first touch)"
        );
    }
}

fn fork_copies_on_write() {
    const SIZE: usize = 64 * MIB;
    let mut map =
        Mapping::anonymous(SIZE, false).unwrap_or_else(|e| ulib::fail!("mmap 64 MiB: {e}"));
    for page in (0..SIZE).step_by(PAGE) {
        map.bytes_mut()[page] = 1;
    }
    let addr = map.addr();
    let on_lantern = ulib::on_lantern();
    let (room_before, out_before) = if on_lantern {
        (room_kib(), swapped_out())
    } else {
        (0, 0)
    };
    match ulib::fork() {
        Ok(Fork::Child) => {
            if on_lantern {
                let used = room_before.saturating_sub(room_kib());
                let out_kib = (swapped_out() - out_before) * PAGE / 1024;
                ulib::println!(
                    "t_demand: the fork of 64 MiB used {used} KiB ({out_kib} KiB swapped out meanwhile)"
                );
                // Page tables, a kernel stack and the kernel's records of the shared pages
                // (about 2 MiB on a fresh system), not 64 MiB of copies. Under memory
                // pressure, a page the pager swaps out while still shared gets a swap copy
                // of its own: at most what went out meanwhile.
                check!(
                    used < 8 * 1024 + out_kib,
                    "fork of 64 MiB used {used} KiB, {out_kib} KiB swapped out meanwhile \
                     (copy-on-write should copy almost nothing)"
                );
            }
            write_volatile_at(addr, 2u64);
            check_eq!(read_volatile_at(addr), 2, "the child sees its own write");
            let room_mid = room_kib();
            for page in (PAGE..SIZE).step_by(PAGE) {
                write_volatile_at(addr + page, 3);
            }
            if on_lantern {
                let copied = room_mid.saturating_sub(room_kib());
                // A page the pager took from the child while still shared already has
                // the child's own copy, in swap: writing it needs no new memory. At most
                // every page swapped out since the fork is such a page.
                let out_kib = (swapped_out() - out_before) * PAGE / 1024;
                ulib::println!(
                    "t_demand: writing 64 MiB in the child used {copied} KiB \
                     ({out_kib} KiB swapped out since the fork)"
                );
                check!(
                    copied + out_kib >= 60 * 1024,
                    "writing all 64 MiB in the child copied only {copied} KiB \
                     ({out_kib} KiB swapped out since the fork)"
                );
            }
            ulib::exit(0)
        }
        Ok(Fork::Parent(pid)) => {
            let status = ulib::waitpid(pid).unwrap_or_else(|e| ulib::fail!("wait: {e}"));
            check_eq!(status, wait::exited(0), "the child's checks passed");
            check_eq!(
                map.bytes()[0],
                1,
                "the parent does not see the child's write"
            );
            check!(
                (0..SIZE).step_by(PAGE).all(|page| map.bytes()[page] == 1),
                "every page of the parent kept its value"
            );
        }
        Err(e) => ulib::fail!("fork: {e}"),
    }
}

fn main() -> i32 {
    reserve_a_gigabyte();
    program_image_on_demand();
    fork_copies_on_write();
    ulib::println!("t_demand: ok");
    0
}
