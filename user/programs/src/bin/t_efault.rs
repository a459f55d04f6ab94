//! Test `t_efault` (expects `exit=0`): every system call that takes a user pointer refuses a
//! bad one with `EFAULT` and carries on (principle 5: the kernel validates every pointer).
//!
//! Each row of [`CASES`] passes NULL, a kernel address and an unmapped user address
//! ([`BAD_POINTERS`]) where the call must store or read through the pointer; where Linux
//! takes NULL as "not wanted" (`getcpu`, `times`) only the other two are bad.
//!
//! - `read(0, bad, 16)`: Lantern checks the buffer before waiting for input, so this never
//!   blocks. (Linux checks only the kernel half up front; with NULL or an unmapped buffer it
//!   would wait for terminal input first. qemu-user checks up front like Lantern.)
//! - `set_tid_address(bad)` is not an error on Linux: the address is only recorded, and the
//!   store of 0 at thread exit silently fails. The test checks that it returns the tid, and
//!   leaves a kernel address registered, so its own exit status (0) also checks that the
//!   kernel ignores the failed store at exit.
//!
//! Bad pointers to `wait4` are tested by `t_wait`, to `execve` by `t_exec`, and bad ranges
//! of `write` in detail by `t_write_efault`.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use ulib::abi::Errno;
use ulib::abi::process::RUSAGE_SELF;
use ulib::abi::time::CLOCK_MONOTONIC;
use ulib::hazard::{BAD_POINTERS, KERNEL_ADDR, UNMAPPED_ADDR};
use ulib::process::gettid;
use ulib::syscall::decode;
use ulib::{check_eq, raw};

ulib::entry!(main);

/// Bad pointers where NULL means "not wanted".
const BAD_NON_NULL: [usize; 2] = [KERNEL_ADDR, UNMAPPED_ADDR];

/// A system call with every argument fixed but one pointer.
type Call = fn(usize) -> isize;

/// (what, the call, the pointers it must refuse).
const CASES: &[(&str, Call, &[usize])] = &[
    (
        "clock_gettime(CLOCK_MONOTONIC, p)",
        |p| raw::clock_gettime(CLOCK_MONOTONIC as usize, p),
        &BAD_POINTERS,
    ),
    (
        "nanosleep(p, NULL)",
        |p| raw::nanosleep(p, 0),
        &BAD_POINTERS,
    ),
    ("uname(p)", raw::uname, &BAD_POINTERS),
    ("getcpu(p, NULL)", |p| raw::getcpu(p, 0), &BAD_NON_NULL),
    ("getcpu(NULL, p)", |p| raw::getcpu(0, p), &BAD_NON_NULL),
    (
        "sched_getaffinity(0, 8, p)",
        |p| raw::sched_getaffinity(0, 8, p),
        &BAD_POINTERS,
    ),
    (
        "sched_setaffinity(0, 8, p)",
        |p| raw::sched_setaffinity(0, 8, p),
        &BAD_POINTERS,
    ),
    (
        "getrusage(RUSAGE_SELF, p)",
        |p| raw::getrusage(RUSAGE_SELF, p),
        &BAD_POINTERS,
    ),
    ("times(p)", raw::times, &BAD_NON_NULL),
    ("write(1, p, 16)", |p| raw::write(1, p, 16), &BAD_POINTERS),
    ("read(0, p, 16)", |p| raw::read(0, p, 16), &BAD_POINTERS),
];

fn main() -> i32 {
    for &(what, call, pointers) in CASES {
        for &addr in pointers {
            check_eq!(
                decode(call(addr)),
                Err(Errno::EFAULT),
                "{what} with p = {addr:#x}"
            );
        }
    }
    check_eq!(
        decode(raw::getcpu(0, 0)),
        Ok(0),
        "getcpu(NULL, NULL) stores nothing and succeeds"
    );
    check_set_tid_address();
    ulib::println!("t_efault: ok");
    0
}

fn check_set_tid_address() {
    let tid = gettid();
    ulib::check!(tid.is_ok(), "gettid: {tid:?}");
    let tid = tid.unwrap_or(0) as usize;
    for addr in [0, UNMAPPED_ADDR, KERNEL_ADDR] {
        check_eq!(
            decode(raw::set_tid_address(addr)),
            Ok(tid),
            "set_tid_address({addr:#x}) just records the address and returns the tid"
        );
    }
}
