//! The process ABI of Linux riscv64: `clone` flags, the auxiliary vector keys `execve` puts
//! on the new stack, `uname`, resource limits and usage, and `futex` operations.
//!
//! Invariants:
//! - Values are Linux's; clone flags are `u64` because `clone3` carries them in a 64-bit
//!   field, and auxiliary-vector keys are `u64` because each entry is a pair of 64-bit words.
//! - [`Utsname`] fields are NUL-terminated within their 65 bytes.
//! - [`Rusage`] is two `timeval`s followed by fourteen `long`s: 144 bytes.

use crate::time::Timeval;
use crate::wire::abi_struct;

/// Low byte of the `clone` flags: the signal sent to the parent when the child exits.
pub const CSIGNAL: u64 = 0x0000_00ff;
/// New time namespace.
pub const CLONE_NEWTIME: u64 = 0x0000_0080;
/// Share the address space.
pub const CLONE_VM: u64 = 0x0000_0100;
/// Share the working directory, root and umask.
pub const CLONE_FS: u64 = 0x0000_0200;
/// Share the descriptor table.
pub const CLONE_FILES: u64 = 0x0000_0400;
/// Share signal handlers (requires `CLONE_VM`).
pub const CLONE_SIGHAND: u64 = 0x0000_0800;
/// Return a pidfd for the child to the parent.
pub const CLONE_PIDFD: u64 = 0x0000_1000;
/// Trace the child too if the parent is traced.
pub const CLONE_PTRACE: u64 = 0x0000_2000;
/// Suspend the parent until the child execs or exits.
pub const CLONE_VFORK: u64 = 0x0000_4000;
/// The child gets the caller's parent.
pub const CLONE_PARENT: u64 = 0x0000_8000;
/// The child is a thread in the caller's thread group.
pub const CLONE_THREAD: u64 = 0x0001_0000;
/// New mount namespace.
pub const CLONE_NEWNS: u64 = 0x0002_0000;
/// Share System V semaphore undo lists.
pub const CLONE_SYSVSEM: u64 = 0x0004_0000;
/// Set the child's thread pointer (`tp`) from the `tls` argument.
pub const CLONE_SETTLS: u64 = 0x0008_0000;
/// Store the child's tid at `parent_tid` in the parent.
pub const CLONE_PARENT_SETTID: u64 = 0x0010_0000;
/// Clear the tid at `child_tid` and futex-wake it when the child exits.
pub const CLONE_CHILD_CLEARTID: u64 = 0x0020_0000;
/// Ignored (historical).
pub const CLONE_DETACHED: u64 = 0x0040_0000;
/// A tracer cannot force `CLONE_PTRACE` on the child.
pub const CLONE_UNTRACED: u64 = 0x0080_0000;
/// Store the child's tid at `child_tid` in the child.
pub const CLONE_CHILD_SETTID: u64 = 0x0100_0000;
/// New cgroup namespace.
pub const CLONE_NEWCGROUP: u64 = 0x0200_0000;
/// New UTS (host name) namespace.
pub const CLONE_NEWUTS: u64 = 0x0400_0000;
/// New IPC namespace.
pub const CLONE_NEWIPC: u64 = 0x0800_0000;
/// New user namespace.
pub const CLONE_NEWUSER: u64 = 0x1000_0000;
/// New pid namespace.
pub const CLONE_NEWPID: u64 = 0x2000_0000;
/// New network namespace.
pub const CLONE_NEWNET: u64 = 0x4000_0000;
/// Share the I/O context.
pub const CLONE_IO: u64 = 0x8000_0000;
/// `clone3`: reset every handled signal to `SIG_DFL` in the child.
pub const CLONE_CLEAR_SIGHAND: u64 = 0x1_0000_0000;
/// `clone3`: start the child in the cgroup given by `cgroup`.
pub const CLONE_INTO_CGROUP: u64 = 0x2_0000_0000;

/// Auxiliary vector: end of the vector.
pub const AT_NULL: u64 = 0;
/// Auxiliary vector: entry to skip.
pub const AT_IGNORE: u64 = 1;
/// Auxiliary vector: descriptor of the program file.
pub const AT_EXECFD: u64 = 2;
/// Auxiliary vector: address of the program headers.
pub const AT_PHDR: u64 = 3;
/// Auxiliary vector: size of one program header.
pub const AT_PHENT: u64 = 4;
/// Auxiliary vector: number of program headers.
pub const AT_PHNUM: u64 = 5;
/// Auxiliary vector: page size.
pub const AT_PAGESZ: u64 = 6;
/// Auxiliary vector: load address of the interpreter.
pub const AT_BASE: u64 = 7;
/// Auxiliary vector: flags (always 0).
pub const AT_FLAGS: u64 = 8;
/// Auxiliary vector: program entry point.
pub const AT_ENTRY: u64 = 9;
/// Auxiliary vector: the program is not ELF.
pub const AT_NOTELF: u64 = 10;
/// Auxiliary vector: real user id.
pub const AT_UID: u64 = 11;
/// Auxiliary vector: effective user id.
pub const AT_EUID: u64 = 12;
/// Auxiliary vector: real group id.
pub const AT_GID: u64 = 13;
/// Auxiliary vector: effective group id.
pub const AT_EGID: u64 = 14;
/// Auxiliary vector: address of the platform string.
pub const AT_PLATFORM: u64 = 15;
/// Auxiliary vector: hardware capability bits.
pub const AT_HWCAP: u64 = 16;
/// Auxiliary vector: `times` clock ticks per second.
pub const AT_CLKTCK: u64 = 17;
/// Auxiliary vector: non-zero for set-id programs.
pub const AT_SECURE: u64 = 23;
/// Auxiliary vector: address of the real platform string.
pub const AT_BASE_PLATFORM: u64 = 24;
/// Auxiliary vector: address of 16 random bytes.
pub const AT_RANDOM: u64 = 25;
/// Auxiliary vector: more hardware capability bits.
pub const AT_HWCAP2: u64 = 26;
/// Auxiliary vector: address of the executed file name.
pub const AT_EXECFN: u64 = 31;
/// Auxiliary vector: address of the vDSO ELF header.
pub const AT_SYSINFO_EHDR: u64 = 33;
/// Auxiliary vector: smallest signal stack that fits a signal frame.
pub const AT_MINSIGSTKSZ: u64 = 51;

/// Length of each [`Utsname`] field, NUL included.
pub const UTSNAME_LENGTH: usize = 65;

abi_struct! {
    /// `struct new_utsname` filled by `uname`.
    pub struct Utsname {
        /// Operating system name (`"Linux"` for compatibility, or the kernel's own).
        pub sysname: [u8; UTSNAME_LENGTH],
        /// Host name.
        pub nodename: [u8; UTSNAME_LENGTH],
        /// Kernel release.
        pub release: [u8; UTSNAME_LENGTH],
        /// Kernel version and build.
        pub version: [u8; UTSNAME_LENGTH],
        /// Hardware name (`"riscv64"`).
        pub machine: [u8; UTSNAME_LENGTH],
        /// NIS domain name.
        pub domainname: [u8; UTSNAME_LENGTH],
    }
}

impl Utsname {
    /// A field holding `text`, cut to 64 bytes so the NUL terminator always fits.
    pub fn field(text: &str) -> [u8; UTSNAME_LENGTH] {
        let mut field = [0u8; UTSNAME_LENGTH];
        let kept = text.len().min(UTSNAME_LENGTH - 1);
        field[..kept].copy_from_slice(&text.as_bytes()[..kept]);
        field
    }
}

/// CPU time in seconds.
pub const RLIMIT_CPU: u32 = 0;
/// Largest file size.
pub const RLIMIT_FSIZE: u32 = 1;
/// Size of the data segment and heap.
pub const RLIMIT_DATA: u32 = 2;
/// Size of the main thread's stack.
pub const RLIMIT_STACK: u32 = 3;
/// Largest core file.
pub const RLIMIT_CORE: u32 = 4;
/// Resident set size (not enforced by Linux).
pub const RLIMIT_RSS: u32 = 5;
/// Number of processes of the real user.
pub const RLIMIT_NPROC: u32 = 6;
/// One more than the highest descriptor number.
pub const RLIMIT_NOFILE: u32 = 7;
/// Bytes of locked memory.
pub const RLIMIT_MEMLOCK: u32 = 8;
/// Size of the address space.
pub const RLIMIT_AS: u32 = 9;
/// Number of file locks.
pub const RLIMIT_LOCKS: u32 = 10;
/// Number of queued signals.
pub const RLIMIT_SIGPENDING: u32 = 11;
/// Bytes in POSIX message queues.
pub const RLIMIT_MSGQUEUE: u32 = 12;
/// Ceiling of the nice value (as `20 - limit`).
pub const RLIMIT_NICE: u32 = 13;
/// Ceiling of the real-time priority.
pub const RLIMIT_RTPRIO: u32 = 14;
/// Real-time CPU time in microseconds.
pub const RLIMIT_RTTIME: u32 = 15;
/// Number of resource kinds.
pub const RLIM_NLIMITS: u32 = 16;
/// "No limit".
pub const RLIM_INFINITY: u64 = u64::MAX;

abi_struct! {
    /// `struct rlimit` of `prlimit64`, `getrlimit` and `setrlimit`.
    pub struct Rlimit {
        /// Soft limit, enforced.
        pub cur: u64,
        /// Hard limit, ceiling for the soft limit.
        pub max: u64,
    }
}

/// `getrusage`: the calling process.
pub const RUSAGE_SELF: i32 = 0;
/// `getrusage`: its waited-for children.
pub const RUSAGE_CHILDREN: i32 = -1;
/// `getrusage`: the calling thread.
pub const RUSAGE_THREAD: i32 = 1;

abi_struct! {
    /// `struct rusage` of `getrusage` and `wait4`.
    pub struct Rusage {
        /// User CPU time.
        pub ru_utime: Timeval,
        /// System CPU time.
        pub ru_stime: Timeval,
        /// Peak resident set, KiB.
        pub ru_maxrss: i64,
        /// Unused by Linux.
        pub ru_ixrss: i64,
        /// Unused by Linux.
        pub ru_idrss: i64,
        /// Unused by Linux.
        pub ru_isrss: i64,
        /// Page faults served without I/O.
        pub ru_minflt: i64,
        /// Page faults that needed I/O.
        pub ru_majflt: i64,
        /// Unused by Linux.
        pub ru_nswap: i64,
        /// Blocks read by the file systems.
        pub ru_inblock: i64,
        /// Blocks written by the file systems.
        pub ru_oublock: i64,
        /// Unused by Linux.
        pub ru_msgsnd: i64,
        /// Unused by Linux.
        pub ru_msgrcv: i64,
        /// Unused by Linux.
        pub ru_nsignals: i64,
        /// Voluntary context switches.
        pub ru_nvcsw: i64,
        /// Involuntary context switches.
        pub ru_nivcsw: i64,
    }
}

/// `futex`: sleep while the word equals the expected value.
pub const FUTEX_WAIT: u32 = 0;
/// `futex`: wake up to `val` waiters.
pub const FUTEX_WAKE: u32 = 1;
/// `futex`: wake some waiters and move the rest to another word.
pub const FUTEX_REQUEUE: u32 = 3;
/// `futex`: [`FUTEX_REQUEUE`] only if the word still holds the expected value.
pub const FUTEX_CMP_REQUEUE: u32 = 4;
/// `futex`: modify a second word and wake waiters on both.
pub const FUTEX_WAKE_OP: u32 = 5;
/// `futex`: [`FUTEX_WAIT`] with an absolute timeout and a wake-up bit set.
pub const FUTEX_WAIT_BITSET: u32 = 9;
/// `futex`: [`FUTEX_WAKE`] only waiters whose bit set intersects `val3`.
pub const FUTEX_WAKE_BITSET: u32 = 10;
/// `futex` op modifier: the word is private to the process.
pub const FUTEX_PRIVATE_FLAG: u32 = 128;
/// `futex` op modifier: the timeout is measured on `CLOCK_REALTIME`.
pub const FUTEX_CLOCK_REALTIME: u32 = 256;
/// Mask that removes the modifiers from a `futex` op, leaving the command.
pub const FUTEX_CMD_MASK: u32 = !(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
/// Bit set matching every waiter.
pub const FUTEX_BITSET_MATCH_ANY: u32 = 0xffff_ffff;

/// `sched_attr.sched_policy` values Lantern accepts (its policy is system-wide).
pub const SCHED_OTHER: u32 = 0;
/// See [`SCHED_OTHER`].
pub const SCHED_BATCH: u32 = 3;

abi_struct! {
    /// `struct sched_attr` of `sched_setattr`/`sched_getattr` (version 0, 48 bytes).
    pub struct SchedAttr {
        /// Size of the structure the caller passes.
        pub size: u32,
        /// Scheduling class (`SCHED_OTHER`, ...).
        pub sched_policy: u32,
        /// `SCHED_FLAG_*`.
        pub sched_flags: u64,
        /// Nice value (-20..=19).
        pub sched_nice: i32,
        /// Static priority of real-time classes (Lantern: lottery/stride tickets if non-zero).
        pub sched_priority: u32,
        /// SCHED_DEADLINE runtime in ns (Lantern: the expected run time for SJF/STCF).
        pub sched_runtime: u64,
        /// SCHED_DEADLINE deadline in ns.
        pub sched_deadline: u64,
        /// SCHED_DEADLINE period in ns.
        pub sched_period: u64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::{offset_of, size_of};

    #[test]
    fn utsname_layout_and_round_trip() {
        assert_eq!((size_of::<Utsname>(), Utsname::SIZE), (390, 390));
        assert_eq!(offset_of!(Utsname, nodename), 65);
        assert_eq!(offset_of!(Utsname, machine), 260);
        assert_eq!(offset_of!(Utsname, domainname), 325);
        let names = Utsname {
            sysname: Utsname::field("Lantern"),
            machine: Utsname::field("riscv64"),
            ..Utsname::default()
        };
        let image = names.to_bytes();
        assert_eq!(image[..8], *b"Lantern\0");
        assert_eq!(image[260..268], *b"riscv64\0");
        assert_eq!(Utsname::from_bytes(&image), names);
    }

    #[test]
    fn utsname_field_keeps_the_terminator() {
        let long = "x".repeat(100);
        let field = Utsname::field(&long);
        assert_eq!(field[63], b'x');
        assert_eq!(field[64], 0);
    }

    #[test]
    fn sched_attr_layout_matches_linux() {
        assert_eq!((size_of::<SchedAttr>(), SchedAttr::SIZE), (48, 48));
        assert_eq!(offset_of!(SchedAttr, sched_flags), 8);
        assert_eq!(offset_of!(SchedAttr, sched_nice), 16);
        assert_eq!(offset_of!(SchedAttr, sched_priority), 20);
        assert_eq!(offset_of!(SchedAttr, sched_runtime), 24);
        assert_eq!(offset_of!(SchedAttr, sched_period), 40);
        let attr = SchedAttr {
            size: 48,
            sched_nice: -3,
            sched_runtime: 7,
            ..SchedAttr::default()
        };
        assert_eq!(SchedAttr::from_bytes(&attr.to_bytes()), attr);
    }

    #[test]
    fn rlimit_layout_and_round_trip() {
        assert_eq!((size_of::<Rlimit>(), Rlimit::SIZE), (16, 16));
        assert_eq!(offset_of!(Rlimit, max), 8);
        let limit = Rlimit {
            cur: 1024,
            max: RLIM_INFINITY,
        };
        assert_eq!(Rlimit::from_bytes(&limit.to_bytes()), limit);
    }

    #[test]
    fn rusage_layout_and_round_trip() {
        assert_eq!((size_of::<Rusage>(), Rusage::SIZE), (144, 144));
        assert_eq!(offset_of!(Rusage, ru_stime), 16);
        assert_eq!(offset_of!(Rusage, ru_maxrss), 32);
        assert_eq!(offset_of!(Rusage, ru_nivcsw), 136);
        let usage = Rusage {
            ru_utime: Timeval {
                tv_sec: 1,
                tv_usec: 2,
            },
            ru_stime: Timeval {
                tv_sec: 3,
                tv_usec: 4,
            },
            ru_maxrss: 5,
            ru_nivcsw: 6,
            ..Rusage::default()
        };
        let image = usage.to_bytes();
        assert_eq!(image[16..24], 3i64.to_le_bytes());
        assert_eq!(image[136..144], 6i64.to_le_bytes());
        assert_eq!(Rusage::from_bytes(&image), usage);
    }

    #[test]
    fn flag_values() {
        assert_eq!(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND, 0xf00);
        assert_eq!(CLONE_THREAD, 0x10000);
        assert_eq!(CLONE_CHILD_SETTID, 0x0100_0000);
        assert_eq!(FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, 137);
        assert_eq!(
            (FUTEX_WAKE | FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME) & FUTEX_CMD_MASK,
            FUTEX_WAKE
        );
        assert_eq!(
            (AT_PAGESZ, AT_RANDOM, AT_EXECFN, AT_MINSIGSTKSZ),
            (6, 25, 31, 51)
        );
    }
}
