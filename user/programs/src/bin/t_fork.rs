//! Test `t_fork` (expects `exit=0`): `fork` makes a second process with a copy of memory.
//!
//! - `fork` returns `Child` (the kernel's 0) in the child and the child's pid, which is not
//!   the parent's, in the parent; in the child `getpid` is new and `getppid` is the parent.
//! - Memory is copied, not shared: a static, a heap value, a 256 KiB heap buffer and a
//!   stack value changed by the child after the fork keep the parent's values in the
//!   parent, and the parent's changes do not show in the child.
//! - `wait4` returns the child's pid and exactly the status of `exit(7)`: `WIFEXITED`,
//!   `WEXITSTATUS` 7, nothing else set. Exit codes are taken modulo 256.
//! - Five children exiting with different codes are each reaped once by `wait4(-1)`, with
//!   their own codes, and then `wait4` reports `ECHILD`.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::boxed::Box;
use alloc::vec;
use alloc::vec::Vec;
use core::hint::black_box;
use core::sync::atomic::{AtomicU64, Ordering};

use ulib::abi::Errno;
use ulib::abi::wait::{self, WaitStatus};
use ulib::{Fork, Pid, check, check_eq, check_ne};

ulib::entry!(main);

/// A static the two processes change independently.
static COUNTER: AtomicU64 = AtomicU64::new(1000);

/// Size of the buffer whose pages are compared after the fork.
const BUFFER_BYTES: usize = 256 * 1024;

/// Exit status the memory-copy child uses when all its checks passed.
const CHILD_OK: i32 = 7;

fn main() -> i32 {
    check_fork_and_copy();
    check_exit_codes();
    check_many_children();
    ulib::println!("t_fork: ok");
    0
}

/// Forks; on failure reports and exits.
fn fork() -> Fork {
    match ulib::fork() {
        Ok(side) => side,
        Err(error) => ulib::fail!("fork: {error}"),
    }
}

/// The caller's pid; on failure reports and exits.
fn getpid() -> Pid {
    match ulib::getpid() {
        Ok(pid) if pid > 0 => pid,
        other => ulib::fail!("getpid: {other:?}"),
    }
}

/// Every byte of `buffer` is `byte`.
fn filled_with(buffer: &[u8], byte: u8) -> bool {
    buffer.iter().all(|&b| b == byte)
}

fn check_fork_and_copy() {
    let parent = getpid();
    let mut stack_value = black_box(0x1111_u64);
    let mut heap_value = Box::new(0x2222_u64);
    let mut buffer = vec![0xaa_u8; BUFFER_BYTES];
    COUNTER.store(1000, Ordering::Relaxed);

    let child = match fork() {
        Fork::Child => {
            check_eq!(ulib::getppid(), Ok(parent), "getppid in the child");
            check_ne!(getpid(), parent, "the child's pid");
            // Give the parent time to make its own changes first.
            check_eq!(ulib::sleep_ms(30), Ok(()), "sleep in the child");
            check_eq!(
                COUNTER.load(Ordering::Relaxed),
                1000,
                "the static in the child"
            );
            check_eq!(*heap_value, 0x2222, "the heap value in the child");
            check_eq!(
                black_box(stack_value),
                0x1111,
                "the stack value in the child"
            );
            check!(
                filled_with(&buffer, 0xaa),
                "the heap buffer in the child holds the bytes from before the fork"
            );
            COUNTER.store(3000, Ordering::Relaxed);
            *heap_value = 0x4444;
            stack_value = 0x3333;
            buffer.fill(0xcc);
            check_eq!(
                black_box(stack_value),
                0x3333,
                "the child's own stack change"
            );
            ulib::exit(CHILD_OK)
        }
        Fork::Parent(child) => child,
    };
    check!(child > 0, "fork returned child pid {child}");
    check_ne!(child, parent, "fork returned the parent's own pid");
    COUNTER.store(2000, Ordering::Relaxed);
    *heap_value = 0x5555;
    stack_value = black_box(0x6666);
    buffer.fill(0xbb);

    check_eq!(
        ulib::wait4(child, 0),
        Ok((child, wait::exited(CHILD_OK as u8))),
        "wait4 for the child that exits 7"
    );
    let status = wait::exited(CHILD_OK as u8);
    check!(
        wait::wifexited(status) && !wait::wifsignaled(status) && wait::wexitstatus(status) == 7,
        "status {status:#x} decodes as exited 7"
    );
    check_eq!(
        COUNTER.load(Ordering::Relaxed),
        2000,
        "the static in the parent"
    );
    check_eq!(*heap_value, 0x5555, "the heap value in the parent");
    check_eq!(
        black_box(stack_value),
        0x6666,
        "the stack value in the parent"
    );
    check!(
        filled_with(&buffer, 0xbb),
        "the heap buffer in the parent holds the parent's bytes"
    );
}

fn check_exit_codes() {
    for (code, expected) in [
        (0, 0),
        (1, 1),
        (255, 255),
        (256, 0),
        (-1, 255),
        (0x1234, 0x34),
    ] {
        let child = match fork() {
            Fork::Child => ulib::exit(code),
            Fork::Parent(child) => child,
        };
        let status = ulib::waitpid(child);
        check_eq!(
            status.map(WaitStatus::decode),
            Ok(Some(WaitStatus::Exited(expected))),
            "status of a child that called exit({code})"
        );
    }
}

fn check_many_children() {
    let mut children: Vec<(Pid, u8)> = Vec::new();
    for code in 10..15u8 {
        match fork() {
            Fork::Child => ulib::exit(i32::from(code)),
            Fork::Parent(child) => children.push((child, code)),
        }
    }
    while !children.is_empty() {
        let reaped = ulib::wait4(-1, 0);
        check!(reaped.is_ok(), "wait4(-1) with children left: {reaped:?}");
        let (pid, status) = reaped.unwrap_or((0, 0));
        let index = children.iter().position(|&(child, _)| child == pid);
        check!(
            index.is_some(),
            "wait4(-1) returned {pid}, not one of {children:?}"
        );
        let (_, code) = children.swap_remove(index.unwrap_or(0));
        check_eq!(
            WaitStatus::decode(status),
            Some(WaitStatus::Exited(code)),
            "status of child {pid}"
        );
    }
    check_eq!(
        ulib::wait4(-1, 0),
        Err(Errno::ECHILD),
        "wait4 after every child was reaped"
    );
}
