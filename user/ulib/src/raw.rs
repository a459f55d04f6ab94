//! Deliberately unchecked system-call forms, for tests of the kernel's argument checking.
//!
//! Addresses and descriptors are plain `usize`s and results are raw (`-errno` on failure;
//! [`crate::syscall::decode`] splits them). Calling these is safe in the sense that matters
//! to the tests: the kernel must validate every address (that is what they test), and the
//! tests pass addresses that are NULL, in the kernel half, unmapped, or only partly mapped.
//! They are not for general use: a caller that passes the address of live Rust data to a
//! call that writes memory gets that data overwritten behind the compiler's back. The
//! same goes for [`brk`] and [`sbrk`], which can unmap memory Rust code still uses.

use abi::Errno;
use abi::nr;

use crate::process::Pid;
use crate::syscall::{syscall1, syscall2, syscall3, syscall4, syscall6};

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

/// `read(fd, addr, len)` with an arbitrary buffer address.
pub fn read(fd: usize, addr: usize, len: usize) -> isize {
    // SAFETY: the kernel validates `addr..addr+len`; see the module comment for why callers
    // pass only addresses that hold no Rust data.
    unsafe { syscall3(nr::READ, fd, addr, len) }
}

/// `wait4(pid, status, options, rusage)` with arbitrary status and rusage addresses (NULL
/// means "do not store").
pub fn wait4(pid: Pid, status: usize, options: i32, rusage: usize) -> isize {
    // SAFETY: the kernel validates both addresses; see the module comment for why callers
    // pass only addresses that hold no Rust data.
    unsafe { syscall4(nr::WAIT4, pid as usize, status, options as usize, rusage) }
}

/// `execve(path, argv, envp)` with arbitrary addresses for the path and the two pointer
/// arrays. On success the calling image is replaced and this does not return.
pub fn execve(path: usize, argv: usize, envp: usize) -> isize {
    // SAFETY: `execve` only reads user memory and the kernel validates every address it
    // follows; if it succeeds, the old image (and all Rust state) is gone for good.
    unsafe { syscall3(nr::EXECVE, path, argv, envp) }
}

/// `uname(addr)` with an arbitrary result address.
pub fn uname(addr: usize) -> isize {
    // SAFETY: the kernel validates `addr`; see the module comment for why callers pass only
    // addresses that hold no Rust data.
    unsafe { syscall1(nr::UNAME, addr) }
}

/// `set_tid_address(addr)`: Linux only records `addr` and returns the caller's tid; when
/// the thread exits the kernel stores 0 at `addr` (and ignores a fault doing so).
pub fn set_tid_address(addr: usize) -> isize {
    // SAFETY: nothing is written now; the store at thread exit happens when no Rust code of
    // this thread runs any more, and callers pass only addresses that hold no Rust data.
    unsafe { syscall1(nr::SET_TID_ADDRESS, addr) }
}

/// `getcpu(cpu, node, NULL)` with arbitrary result addresses (NULL means "do not store").
pub fn getcpu(cpu: usize, node: usize) -> isize {
    // SAFETY: the kernel validates both addresses; see the module comment for why callers
    // pass only addresses that hold no Rust data.
    unsafe { syscall3(nr::GETCPU, cpu, node, 0) }
}

/// `sched_getaffinity(pid, len, addr)` with an arbitrary length and result address. Linux
/// returns the number of bytes it stored.
pub fn sched_getaffinity(pid: Pid, len: usize, addr: usize) -> isize {
    // SAFETY: the kernel validates `addr..addr+len`; see the module comment for why callers
    // pass only addresses that hold no Rust data.
    unsafe { syscall3(nr::SCHED_GETAFFINITY, pid as usize, len, addr) }
}

/// `sched_setaffinity(pid, len, addr)` with an arbitrary length and CPU-set address.
pub fn sched_setaffinity(pid: Pid, len: usize, addr: usize) -> isize {
    // SAFETY: `sched_setaffinity` only reads user memory and the kernel validates
    // `addr..addr+len`, so no Rust-visible memory changes.
    unsafe { syscall3(nr::SCHED_SETAFFINITY, pid as usize, len, addr) }
}

/// `getrusage(who, addr)` with an arbitrary result address.
pub fn getrusage(who: i32, addr: usize) -> isize {
    // SAFETY: the kernel validates `addr`; see the module comment for why callers pass only
    // addresses that hold no Rust data.
    unsafe { syscall2(nr::GETRUSAGE, who as usize, addr) }
}

/// `times(addr)` with an arbitrary result address (NULL means "only the tick count").
pub fn times(addr: usize) -> isize {
    // SAFETY: the kernel validates `addr`; see the module comment for why callers pass only
    // addresses that hold no Rust data.
    unsafe { syscall1(nr::TIMES, addr) }
}

/// `brk(addr)`, Linux's raw form: moves the program break to `addr` and returns the new
/// break, or returns the unchanged break if the kernel refuses; `brk(0)` just returns it.
///
/// Lowering the break unmaps whatever lay above the new one, including memory ulib's heap
/// ([`crate::heap`]) or [`crate::heap::extend_break`] handed out: only tests of the kernel
/// should move the break directly.
pub fn brk(addr: usize) -> usize {
    // SAFETY: moving the break changes only the mapping above the old or new break; see the
    // function comment for why only tests, which keep no Rust data there, call this.
    unsafe { syscall1(nr::BRK, addr) as usize }
}

/// `sbrk(delta)`, the C library's form: moves the break by `delta` bytes and returns the old
/// break; `ENOMEM` if the kernel refuses (the break is then unchanged). The same warning as
/// for [`brk`] applies.
pub fn sbrk(delta: isize) -> Result<usize, Errno> {
    let old = brk(0);
    let new = old.checked_add_signed(delta).ok_or(Errno::ENOMEM)?;
    if brk(new) == new {
        Ok(old)
    } else {
        Err(Errno::ENOMEM)
    }
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
