//! Processes (P3): creating them ([`fork`], [`spawn`]), replacing their image ([`execve`]),
//! ending them ([`exit`]), waiting for children ([`wait4`], [`waitpid`]), signalling them
//! ([`kill`]), and the calls that describe the caller: ids, credentials, [`uname`],
//! CPU-time accounting, and whether it runs on Lantern ([`on_lantern`]).
//!
//! Pids are [`Pid`] (`pid_t`, a C `int`): negative values mean something to [`wait4`] and
//! [`kill`] (process groups, "every process") and travel sign-extended in the register.
//! Wait statuses are the raw `int` Linux stores; decode them with [`abi::wait`].
//!
//! [`fork`] copies only the calling thread. In a single-threaded program that is sound: the
//! child's copy of memory cannot hold a half-finished update by another thread. A program
//! that has started threads ([`crate::thread`]) should not fork: a lock another thread held
//! at that moment (the heap's, say) stays locked for good in the child.

use alloc::vec::Vec;
use core::sync::atomic::AtomicI32;

use abi::Errno;
use abi::nr;
use abi::process::{Rusage, Utsname};
use abi::signal::SIGCHLD;
use abi::time::Tms;

use crate::syscall::{decode, syscall0, syscall1, syscall2, syscall3, syscall4, syscall5};

/// A process or thread id (`pid_t`).
pub type Pid = i32;

/// `exit_group(status)`: ends the whole process; the parent sees `status & 0xff`.
pub fn exit(status: i32) -> ! {
    loop {
        // SAFETY: `exit_group` takes no pointer and does not return; should a broken kernel
        // return anyway, the loop asks again rather than running on.
        unsafe { syscall1(nr::EXIT_GROUP, status as usize) };
    }
}

/// `exit(status)`: ends only the calling thread (the whole process while it has one thread).
pub fn exit_thread(status: i32) -> ! {
    loop {
        // SAFETY: `exit` takes no pointer and does not return; should a broken kernel return
        // anyway, the loop asks again rather than running on.
        unsafe { syscall1(nr::EXIT, status as usize) };
    }
}

/// A system call that takes no arguments, touches no memory and returns a number.
fn query(number: usize) -> Result<usize, Errno> {
    // SAFETY: every caller passes the number of an argument-less call that only reads kernel
    // state (`getpid`, `getuid`, ...), so no Rust-visible memory changes.
    decode(unsafe { syscall0(number) })
}

/// `getpid()`: the calling process's id.
pub fn getpid() -> Result<Pid, Errno> {
    query(nr::GETPID).map(|pid| pid as Pid)
}

/// `getppid()`: the parent's id (1 once the parent has died and init adopted the caller).
pub fn getppid() -> Result<Pid, Errno> {
    query(nr::GETPPID).map(|pid| pid as Pid)
}

/// `gettid()`: the calling thread's id (equal to [`getpid`] in a single-threaded process).
pub fn gettid() -> Result<Pid, Errno> {
    query(nr::GETTID).map(|tid| tid as Pid)
}

/// `getuid()`: the real user id.
pub fn getuid() -> Result<u32, Errno> {
    query(nr::GETUID).map(|id| id as u32)
}

/// `geteuid()`: the effective user id.
pub fn geteuid() -> Result<u32, Errno> {
    query(nr::GETEUID).map(|id| id as u32)
}

/// `getgid()`: the real group id.
pub fn getgid() -> Result<u32, Errno> {
    query(nr::GETGID).map(|id| id as u32)
}

/// `getegid()`: the effective group id.
pub fn getegid() -> Result<u32, Errno> {
    query(nr::GETEGID).map(|id| id as u32)
}

/// "Leave this id as it is", for [`setresuid`] and [`setresgid`] (`(uid_t)-1`).
pub const KEEP_ID: u32 = u32::MAX;

/// A credential-changing call with up to three ids.
fn set_ids(number: usize, ids: [u32; 3]) -> Result<(), Errno> {
    let [first, second, third] = ids.map(|id| id as usize);
    // SAFETY: every caller passes the number of a call that only changes the caller's
    // credentials (`setuid`, `setresgid`, ...); no memory is read or written.
    decode(unsafe { syscall3(number, first, second, third) }).map(|_| ())
}

/// `setuid(uid)`: for root (`CAP_SETUID`), sets the real, effective and saved user ids to
/// `uid`; for anyone else only the effective id, and only to the real or saved id
/// (`EPERM` otherwise).
pub fn setuid(uid: u32) -> Result<(), Errno> {
    set_ids(nr::SETUID, [uid, 0, 0])
}

/// `setgid(gid)`: [`setuid`] for group ids.
pub fn setgid(gid: u32) -> Result<(), Errno> {
    set_ids(nr::SETGID, [gid, 0, 0])
}

/// `setresuid(ruid, euid, suid)`: sets the real, effective and saved user ids
/// ([`KEEP_ID`] keeps one). Root may set any ids; others only ids they already hold in
/// one of the three (`EPERM` otherwise).
pub fn setresuid(ruid: u32, euid: u32, suid: u32) -> Result<(), Errno> {
    set_ids(nr::SETRESUID, [ruid, euid, suid])
}

/// `setresgid(rgid, egid, sgid)`: [`setresuid`] for group ids.
pub fn setresgid(rgid: u32, egid: u32, sgid: u32) -> Result<(), Errno> {
    set_ids(nr::SETRESGID, [rgid, egid, sgid])
}

/// `set_tid_address(word)`: when the calling thread exits, the kernel stores 0 in `word` and
/// wakes a futex waiter on it. Returns the caller's thread id.
pub fn set_tid_address(word: &'static AtomicI32) -> Result<Pid, Errno> {
    // SAFETY: `word` is a `'static` atomic, valid for the rest of the process; the kernel
    // writes it only as the thread exits, with a plain 32-bit store that an atomic tolerates.
    decode(unsafe { syscall1(nr::SET_TID_ADDRESS, word.as_ptr() as usize) }).map(|t| t as Pid)
}

/// Which side of a [`fork`] the caller is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fork {
    /// The new process (the kernel returned 0).
    Child,
    /// The original process, with the child's pid.
    Parent(Pid),
}

/// `fork()`, as Linux riscv64 spells it: `clone(SIGCHLD, 0, NULL, 0, NULL)`. The child is a
/// copy of the caller that continues from this call; the parent is sent `SIGCHLD` when the
/// child ends.
pub fn fork() -> Result<Fork, Errno> {
    // Without CLONE_VM the child gets its own copy of the address space and keeps using its
    // copy of the current stack (stack pointer 0), so neither sees the other's writes.
    // SAFETY: as above; the NULL tid pointers are unused. Other threads are not copied, so
    // whatever they were changing was under a lock that stays held in the child: a hang
    // there at worst (see the module comment), never a torn value.
    let ret = unsafe { syscall5(nr::CLONE, SIGCHLD as usize, 0, 0, 0, 0) };
    match decode(ret)? {
        0 => Ok(Fork::Child),
        pid => Ok(Fork::Parent(pid as Pid)),
    }
}

/// Forks a child that runs `child` and exits with the status it returns; returns the
/// child's pid to the parent.
pub fn spawn<F: FnOnce() -> i32>(child: F) -> Result<Pid, Errno> {
    match fork()? {
        Fork::Child => exit(child()),
        Fork::Parent(pid) => Ok(pid),
    }
}

/// The NUL-terminated strings and pointer arrays `execve` reads. The pointers point into
/// `bytes`, whose buffer never moves once they are taken.
struct ExecArguments {
    /// `path`, then every argument, then every environment string, each NUL-terminated.
    bytes: Vec<u8>,
    /// `argv[]` and its NULL.
    argv: Vec<usize>,
    /// `envp[]` and its NULL.
    envp: Vec<usize>,
}

impl ExecArguments {
    /// Copies `path`, `argv` and `envp` as C strings; `EINVAL` if one holds a NUL byte (it
    /// would cut the string short), `ENOMEM` if the copies do not fit in memory.
    fn new(path: &str, argv: &[&str], envp: &[&str]) -> Result<ExecArguments, Errno> {
        let strings = || core::iter::once(&path).chain(argv).chain(envp);
        if strings().any(|text| text.as_bytes().contains(&0)) {
            return Err(Errno::EINVAL);
        }
        let total = strings()
            .try_fold(0usize, |sum, text| sum.checked_add(text.len() + 1))
            .ok_or(Errno::ENOMEM)?;
        let mut bytes = Vec::new();
        bytes.try_reserve_exact(total).map_err(|_| Errno::ENOMEM)?;
        // Each string's offset in `bytes`, in the order path, argv, envp.
        let mut offsets = Vec::new();
        offsets
            .try_reserve_exact(1 + argv.len() + envp.len())
            .map_err(|_| Errno::ENOMEM)?;
        for text in strings() {
            offsets.push(bytes.len());
            bytes.extend_from_slice(text.as_bytes());
            bytes.push(0);
        }
        // `bytes` had room for everything, so it was never reallocated: its address is final.
        let base = bytes.as_ptr() as usize;
        let table = |range: core::ops::Range<usize>| -> Result<Vec<usize>, Errno> {
            let mut pointers = Vec::new();
            pointers
                .try_reserve_exact(range.len() + 1)
                .map_err(|_| Errno::ENOMEM)?;
            pointers.extend(offsets[range].iter().map(|offset| base + offset));
            pointers.push(0);
            Ok(pointers)
        };
        let first_env = 1 + argv.len();
        Ok(ExecArguments {
            argv: table(1..first_env)?,
            envp: table(first_env..offsets.len())?,
            bytes,
        })
    }
}

/// `execve(path, argv, envp)`: replaces the calling process's image with the program at
/// `path`, keeping its pid. Returns only on failure, with the reason (`ENOENT`, `ENOEXEC`,
/// `E2BIG`, ...; `EINVAL` if a string contains a NUL byte).
pub fn execve(path: &str, argv: &[&str], envp: &[&str]) -> Errno {
    let arguments = match ExecArguments::new(path, argv, envp) {
        Ok(arguments) => arguments,
        Err(error) => return error,
    };
    // SAFETY: the three addresses point at a NUL-terminated path and at NULL-terminated
    // arrays of pointers to NUL-terminated strings, all owned by `arguments`, which lives
    // across the call; `execve` only reads them.
    let ret = unsafe {
        syscall3(
            nr::EXECVE,
            arguments.bytes.as_ptr() as usize,
            arguments.argv.as_ptr() as usize,
            arguments.envp.as_ptr() as usize,
        )
    };
    match decode(ret) {
        Err(error) => error,
        // A successful `execve` does not return; a kernel that says otherwise is broken.
        Ok(_) => Errno::EIO,
    }
}

/// `wait4(pid, &status, options, NULL)`: waits for a child to change state and returns its
/// pid and raw wait status. `pid` selects the child: `> 0` that one, `-1` any, `0` / `< -1`
/// a process group. With `WNOHANG` (`abi::wait`), returns `(0, 0)` at once if no child has
/// ended yet. `ECHILD` when there is no such child.
pub fn wait4(pid: Pid, options: i32) -> Result<(Pid, i32), Errno> {
    let mut status: i32 = 0;
    let out: *mut i32 = &mut status;
    // SAFETY: `out` points at an `i32` exclusively borrowed for the whole call; the kernel
    // stores one `int` there. The rusage pointer is NULL, so nothing else is written.
    let ret = unsafe { syscall4(nr::WAIT4, pid as usize, out as usize, options as usize, 0) };
    decode(ret).map(|child| (child as Pid, status))
}

/// Waits for the child `pid` to end and returns its wait status.
pub fn waitpid(pid: Pid) -> Result<i32, Errno> {
    wait4(pid, 0).map(|(_, status)| status)
}

/// `kill(pid, sig)`: sends `sig` to process `pid` (`-1`: every process the caller may
/// signal; `0` or `< -1`: a process group). `sig` 0 only checks that the target exists.
pub fn kill(pid: Pid, sig: u32) -> Result<(), Errno> {
    // SAFETY: `kill` takes no pointer; whatever it does to other processes, the calling
    // process's memory is untouched (a signal to itself ends it or is ignored, as no
    // handlers are installed by ulib).
    decode(unsafe { syscall2(nr::KILL, pid as usize, sig as usize) }).map(|_| ())
}

/// `uname()`: the names of the system (`sysname`, `release`, `machine`, ...).
pub fn uname() -> Result<Utsname, Errno> {
    let mut names = Utsname::default();
    let out: *mut Utsname = &mut names;
    // SAFETY: `out` points at a `#[repr(C)]` `Utsname` with the Linux layout (six 65-byte
    // arrays), exclusively borrowed for the call; any bytes are valid values.
    decode(unsafe { syscall1(nr::UNAME, out as usize) })?;
    Ok(names)
}

/// Whether the program runs on Lantern (`uname`'s `sysname` is `Lantern`), for tests that
/// check something only on Lantern: where it deliberately differs from Linux, or where the
/// Linux reference setup (qemu-user, the host's devices) cannot give Lantern's answer.
pub fn on_lantern() -> bool {
    uname().is_ok_and(|names| names.sysname.starts_with(b"Lantern\0"))
}

/// `getrusage(who)`: resource use of the caller (`RUSAGE_SELF`) or of its waited-for
/// children (`RUSAGE_CHILDREN`), from `abi::process`.
pub fn getrusage(who: i32) -> Result<Rusage, Errno> {
    let mut usage = Rusage::default();
    let out: *mut Rusage = &mut usage;
    // SAFETY: `out` points at a `#[repr(C)]` `Rusage` with the Linux layout (144 bytes of
    // integers), exclusively borrowed for the call; any bit pattern is a valid value.
    decode(unsafe { syscall2(nr::GETRUSAGE, who as usize, out as usize) })?;
    Ok(usage)
}

/// `times()`: CPU time of the caller and of its waited-for children, in clock ticks, and
/// the ticks elapsed since an arbitrary point in the past.
pub fn times() -> Result<(Tms, usize), Errno> {
    let mut counts = Tms::default();
    let out: *mut Tms = &mut counts;
    // SAFETY: `out` points at a `#[repr(C)]` `Tms` (four `i64`s, the Linux layout),
    // exclusively borrowed for the call; any bit pattern is a valid value.
    let ticks = decode(unsafe { syscall1(nr::TIMES, out as usize) })?;
    Ok((counts, ticks))
}
