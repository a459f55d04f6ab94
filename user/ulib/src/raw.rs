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
use crate::syscall::{syscall1, syscall2, syscall3, syscall4, syscall5, syscall6};

/// `write(fd, addr, len)` with an arbitrary buffer address.
pub fn write(fd: usize, addr: usize, len: usize) -> isize {
    // SAFETY: `write` only reads user memory and the kernel validates `addr..addr+len`, so
    // no Rust-visible memory changes whatever the arguments are.
    unsafe { syscall3(nr::WRITE, fd, addr, len) }
}

/// `readv(fd, iov, iovcnt)` with an arbitrary `iovec` array address (and whatever buffer
/// addresses the array holds).
pub fn readv(fd: usize, iov: usize, iovcnt: usize) -> isize {
    // SAFETY: the kernel validates the array and every buffer in it; see the module comment
    // for why callers pass only addresses that hold no Rust data.
    unsafe { syscall3(nr::READV, fd, iov, iovcnt) }
}

/// `writev(fd, iov, iovcnt)` with an arbitrary `iovec` array address (and whatever buffer
/// addresses the array holds).
pub fn writev(fd: usize, iov: usize, iovcnt: usize) -> isize {
    // SAFETY: `writev` only reads user memory and the kernel validates the array and every
    // buffer in it, so no Rust-visible memory changes.
    unsafe { syscall3(nr::WRITEV, fd, iov, iovcnt) }
}

/// `openat(dirfd, path, flags, mode)` with an arbitrary path address.
pub fn openat(dirfd: usize, path: usize, flags: u32, mode: u32) -> isize {
    // SAFETY: `openat` only reads user memory (the path), and the kernel validates it, so
    // no Rust-visible memory changes.
    unsafe { syscall4(nr::OPENAT, dirfd, path, flags as usize, mode as usize) }
}

/// `mkdirat(dirfd, path, mode)` with an arbitrary path address.
pub fn mkdirat(dirfd: usize, path: usize, mode: u32) -> isize {
    // SAFETY: `mkdirat` only reads user memory (the path), and the kernel validates it.
    unsafe { syscall3(nr::MKDIRAT, dirfd, path, mode as usize) }
}

/// `unlinkat(dirfd, path, flags)` with an arbitrary path address.
pub fn unlinkat(dirfd: usize, path: usize, flags: u32) -> isize {
    // SAFETY: `unlinkat` only reads user memory (the path), and the kernel validates it.
    unsafe { syscall3(nr::UNLINKAT, dirfd, path, flags as usize) }
}

/// `linkat(olddir, old, newdir, new, flags)` with arbitrary path addresses.
pub fn linkat(olddir: usize, old: usize, newdir: usize, new: usize, flags: u32) -> isize {
    // SAFETY: `linkat` only reads user memory (the paths), and the kernel validates them.
    unsafe { syscall5(nr::LINKAT, olddir, old, newdir, new, flags as usize) }
}

/// `renameat2(olddir, old, newdir, new, flags)` with arbitrary path addresses.
pub fn renameat2(olddir: usize, old: usize, newdir: usize, new: usize, flags: u32) -> isize {
    // SAFETY: `renameat2` only reads user memory (the paths), and the kernel validates them.
    unsafe { syscall5(nr::RENAMEAT2, olddir, old, newdir, new, flags as usize) }
}

/// `chdir(path)` with an arbitrary path address.
pub fn chdir(path: usize) -> isize {
    // SAFETY: `chdir` only reads user memory (the path), and the kernel validates it.
    unsafe { syscall1(nr::CHDIR, path) }
}

/// `newfstatat(dirfd, path, statbuf, flags)` with arbitrary path and result addresses.
pub fn newfstatat(dirfd: usize, path: usize, statbuf: usize, flags: u32) -> isize {
    // SAFETY: the kernel validates both addresses; see the module comment for why callers
    // pass only addresses that hold no Rust data.
    unsafe { syscall4(nr::NEWFSTATAT, dirfd, path, statbuf, flags as usize) }
}

/// `fstat(fd, statbuf)` with an arbitrary result address.
pub fn fstat(fd: usize, statbuf: usize) -> isize {
    // SAFETY: the kernel validates `statbuf`; see the module comment for why callers pass
    // only addresses that hold no Rust data.
    unsafe { syscall2(nr::FSTAT, fd, statbuf) }
}

/// `getcwd(buf, size)` with an arbitrary buffer address.
pub fn getcwd(buf: usize, size: usize) -> isize {
    // SAFETY: the kernel validates `buf..buf+size`; see the module comment for why callers
    // pass only addresses that hold no Rust data.
    unsafe { syscall2(nr::GETCWD, buf, size) }
}

/// `getdents64(fd, buf, len)` with an arbitrary buffer address.
pub fn getdents64(fd: usize, buf: usize, len: usize) -> isize {
    // SAFETY: the kernel validates `buf..buf+len`; see the module comment for why callers
    // pass only addresses that hold no Rust data.
    unsafe { syscall3(nr::GETDENTS64, fd, buf, len) }
}

/// `pipe2(fds, flags)` with an arbitrary result address. If the kernel cannot store the
/// two descriptors it must not leave them open.
pub fn pipe2(fds: usize, flags: u32) -> isize {
    // SAFETY: the kernel validates `fds`; see the module comment for why callers pass only
    // addresses that hold no Rust data.
    unsafe { syscall2(nr::PIPE2, fds, flags as usize) }
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

/// `ppoll(fds, nfds, timeout, sigmask, sigsetsize)` with arbitrary addresses.
pub fn ppoll(fds: usize, nfds: usize, timeout: usize, sigmask: usize, size: usize) -> isize {
    // SAFETY: the kernel validates every address; see the module comment for why callers
    // pass only addresses that hold no Rust data (it writes `revents` into `fds`).
    unsafe { syscall5(nr::PPOLL, fds, nfds, timeout, sigmask, size) }
}

/// `ioctl(fd, request, arg)` with an arbitrary argument address.
pub fn ioctl(fd: usize, request: usize, arg: usize) -> Result<usize, Errno> {
    // SAFETY: the kernel validates `arg` for the requests that use it; see the module
    // comment for why callers pass only addresses that hold no Rust data.
    crate::syscall::decode(unsafe { syscall3(nr::IOCTL, fd, request, arg) })
}

/// `futex(addr, op, val, timeout, addr2, val3)` with arbitrary addresses and operation, for
/// tests of the kernel's checks (unaligned or bad words, unknown operations, bad timeouts).
///
/// # Panics
/// If `op` is `FUTEX_WAKE_OP` (with or without modifier bits), the one operation that writes
/// user memory (`*addr2`).
pub fn futex(addr: usize, op: u32, val: u32, timeout: usize, addr2: usize, val3: u32) -> isize {
    assert!(
        op & abi::process::FUTEX_CMD_MASK != abi::process::FUTEX_WAKE_OP,
        "raw::futex does not pass FUTEX_WAKE_OP, which writes memory"
    );
    // SAFETY: every other futex operation only reads user memory (the words and the
    // timeout), which the kernel validates, or sleeps; none writes Rust-visible memory.
    unsafe {
        syscall6(
            nr::FUTEX,
            addr,
            op as usize,
            val as usize,
            timeout,
            addr2,
            val3 as usize,
        )
    }
}
