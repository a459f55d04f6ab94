//! Test `t_preempt` (expects `exit=0`): the timer takes the CPU away from a process that
//! never makes a system call (K4).
//!
//! A child spins in a loop with no system calls. The parent sleeps 50 ms, sees with
//! `wait4(WNOHANG)` that the child is still running, kills it with SIGKILL and reaps it
//! (`WTERMSIG` 9). The parent can only wake up and do this if the kernel preempts the child.
//!
//! This runs once with no pinning, then once per hart (0 and 1 when they exist) with the
//! parent pinned to that hart by `sched_setaffinity` before the fork, so the child inherits
//! the pin and both must share the one hart: each round proves the timer preempts on that
//! hart. The parent checks the pin with `getcpu` and the child's affinity with
//! `sched_getaffinity`. `ENOSYS` from the affinity calls is a failure. It also checks that
//! the affinity calls reject bad arguments: an empty mask and a mask of harts that do not
//! exist are `EINVAL`, as is a length that is not a multiple of 8 bytes; a longer set than
//! needed is fine.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use core::hint::black_box;

use ulib::abi::Errno;
use ulib::abi::signal::SIGKILL;
use ulib::abi::wait::{WNOHANG, WaitStatus};
use ulib::sched::{getcpu, sched_getaffinity, sched_setaffinity};
use ulib::syscall::decode;
use ulib::{Fork, check, check_eq, raw};

ulib::entry!(main);

/// How long the parent sleeps while the child spins.
const SLEEP_MS: u64 = 50;

/// The harts the pinned rounds use, when the machine has them.
const PINNED_HARTS: [u32; 2] = [0, 1];

fn main() -> i32 {
    let all = sched_getaffinity(0);
    check!(
        matches!(all, Ok(mask) if mask != 0),
        "sched_getaffinity(0): {all:?}"
    );
    let all = all.unwrap_or(1);
    check_bad_affinity(all);
    spin_round(None);
    for hart in PINNED_HARTS
        .into_iter()
        .filter(|&hart| all & (1 << hart) != 0)
    {
        spin_round(Some(hart));
    }
    check_eq!(
        sched_setaffinity(0, all),
        Ok(()),
        "restoring the affinity {all:#x}"
    );
    ulib::println!("t_preempt: ok");
    0
}

fn check_bad_affinity(all: u64) {
    check_eq!(
        sched_setaffinity(0, 0),
        Err(Errno::EINVAL),
        "sched_setaffinity(empty mask)"
    );
    let missing = !all & (1 << 63);
    if missing != 0 {
        check_eq!(
            sched_setaffinity(0, missing),
            Err(Errno::EINVAL),
            "sched_setaffinity(only hart 63, which this process may not use)"
        );
    }
    // The kernel writes into `set` through an address the opaque system call receives, so
    // the compiler makes no assumption about its contents afterwards.
    let mut set = [0u64; 2];
    let addr = &raw mut set as usize;
    check_eq!(
        decode(raw::sched_getaffinity(0, 4, addr)),
        Err(Errno::EINVAL),
        "sched_getaffinity with a 4-byte set"
    );
    // Linux stores min(len, the size of its CPU set), which depends on its configuration:
    // Lantern's set is 8 bytes.
    let stored = decode(raw::sched_getaffinity(0, 16, addr));
    check!(
        matches!(stored, Ok(8 | 16)),
        "sched_getaffinity with a 16-byte set stores 8 (or 16) bytes: {stored:?}"
    );
    check_eq!(set, [all, 0], "the 16-byte set");
    check_eq!(sched_getaffinity(0), Ok(all), "the affinity is unchanged");
}

/// Spins for ever without a system call.
fn spin() -> ! {
    let mut counter = 0u64;
    loop {
        counter = black_box(counter.wrapping_add(1));
    }
}

/// One round: fork a spinning child (both pinned to `hart` if given), sleep, kill it.
fn spin_round(hart: Option<u32>) {
    if let Some(hart) = hart {
        check_eq!(
            sched_setaffinity(0, 1 << hart),
            Ok(()),
            "sched_setaffinity(0, hart {hart})"
        );
        check_eq!(
            getcpu().map(|(cpu, _)| cpu),
            Ok(hart),
            "getcpu right after pinning to hart {hart}"
        );
    }
    let round = match hart {
        Some(hart) => format!("pinned to hart {hart}"),
        None => String::from("unpinned"),
    };
    let child = match ulib::fork() {
        Ok(Fork::Child) => spin(),
        Ok(Fork::Parent(child)) => child,
        Err(error) => ulib::fail!("fork ({round}): {error}"),
    };
    if let Some(hart) = hart {
        check_eq!(
            sched_getaffinity(child),
            Ok(1 << hart),
            "the child inherited the pin to hart {hart}"
        );
    }
    check_eq!(
        ulib::sleep_ms(SLEEP_MS),
        Ok(()),
        "sleep beside the spinner ({round})"
    );
    if let Some(hart) = hart {
        check_eq!(
            getcpu().map(|(cpu, _)| cpu),
            Ok(hart),
            "getcpu after sleeping pinned to hart {hart}"
        );
    }
    check_eq!(
        ulib::wait4(child, WNOHANG),
        Ok((0, 0)),
        "the spinner is still running ({round})"
    );
    check_eq!(
        ulib::kill(child, SIGKILL),
        Ok(()),
        "kill the spinner ({round})"
    );
    check_eq!(
        ulib::waitpid(child).map(WaitStatus::decode),
        Ok(Some(WaitStatus::Signaled {
            sig: SIGKILL,
            core: false
        })),
        "status of the spinner ({round})"
    );
    ulib::println!("t_preempt: preempted the spinner ({round})");
}
