//! Deliberately unchecked system-call forms, for tests of the kernel's argument checking.
//!
//! Addresses and descriptors are plain `usize`s and results are raw (`-errno` on failure;
//! [`crate::syscall::decode`] splits them). Calling these is safe in the sense that matters
//! to the tests: the kernel must validate every address (that is what they test), and the
//! tests pass addresses that are NULL, in the kernel half, unmapped, or only partly mapped.
//! They are not for general use: a caller that passes the address of live Rust data to a
//! call that writes memory gets that data overwritten behind the compiler's back.

use abi::nr;

use crate::syscall::{syscall2, syscall3, syscall6};

/// `write(fd, addr, len)` with an arbitrary buffer address.
pub fn write(fd: usize, addr: usize, len: usize) -> isize {
    // SAFETY: `write` only reads user memory and the kernel validates `addr..addr+len`, so
    // no Rust-visible memory changes whatever the arguments are.
    unsafe { syscall3(nr::WRITE, fd, addr, len) }
}

/// `nanosleep(req, rem)` with arbitrary timespec addresses (`rem` is written only when the
/// sleep is interrupted).
pub fn nanosleep(req: usize, rem: usize) -> isize {
    // SAFETY: the kernel validates both addresses; see the module comment for why callers
    // pass only addresses that hold no Rust data.
    unsafe { syscall2(nr::NANOSLEEP, req, rem) }
}

/// `clock_gettime(clock, addr)` with an arbitrary clock id and result address.
pub fn clock_gettime(clock: usize, addr: usize) -> isize {
    // SAFETY: the kernel validates `addr`; see the module comment for why callers pass only
    // addresses that hold no Rust data.
    unsafe { syscall2(nr::CLOCK_GETTIME, clock, addr) }
}

/// A system call with a number Linux riscv64 does not assign, which must fail with `ENOSYS`
/// and change nothing.
///
/// # Panics
/// If `nr` is a number Linux assigns (below `abi::nr::COUNT`): such a call could do anything.
pub fn unassigned(nr: usize, args: [usize; 6]) -> isize {
    assert!(
        nr >= nr::COUNT,
        "system call {nr} is assigned; raw::unassigned takes numbers >= {}",
        nr::COUNT
    );
    let [a0, a1, a2, a3, a4, a5] = args;
    // SAFETY: no Linux system call has this number, so the kernel does nothing but return an
    // error.
    unsafe { syscall6(nr, a0, a1, a2, a3, a4, a5) }
}
