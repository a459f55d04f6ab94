//! `ulib`: the `no_std` runtime every Lantern user program links against.
//!
//! Lantern speaks the Linux riscv64 system-call ABI, so this is a very small libc-like layer
//! over that ABI:
//! - [`entry!`] names the program's `main`; ulib's `_start` records the Linux initial stack
//!   ([`mod@env`]), calls `main` and passes its result to `exit_group`.
//! - [`syscall`] has the raw `ecall` stubs; the typed wrappers are in [`sys`] (`write`,
//!   `read`, `nanosleep`, `clock_gettime`), [`process`] (`fork`, `execve`, `wait4`, `exit`,
//!   `kill`, `getpid`, `uname`, `getrusage`, ...) and [`sched`] (`sched_yield`, `getcpu`,
//!   the affinity calls); [`fs`] has the file, directory and pipe calls, a directory
//!   reader and a line reader; [`socket`] has the Unix-domain socket calls (addresses,
//!   `sendmsg`/`recvmsg` and descriptor passing); [`raw`] has the deliberately unchecked
//!   forms that kernel tests use to pass bad pointers, and `brk`.
//! - [`print!`], [`println!`], [`eprint!`] and [`eprintln!`] write to fd 1 / fd 2 ([`io`]).
//! - A global allocator on the program break ([`heap`]) makes
//!   `alloc::{vec::Vec, string::String, boxed::Box}` work.
//! - The panic handler prints `panicked at <location>: <message>` and exits with status 101
//!   (the whole process, whichever thread panicked).
//! - [`check!`], [`check_eq!`] and [`check_ne!`] ([`mod@check`]) are the assertions of test
//!   programs: on failure they print what went wrong and exit with status 1.
//! - [`procfs`] reads Lantern's scheduling files in `/proc` (`/proc/<pid>/sched`,
//!   `/proc/schedstat`, the policy, the scheduling trace) into values.
//! - [`elf`] describes the program headers that [`env::program_headers`] returns.
//! - [`hazard`] holds operations that are illegal in user mode, for tests that expect the
//!   kernel to kill the program, and addresses no user pointer may use.
//! - [`cli`] is what the command-line tools share (arguments, error messages, buffered
//!   output, inputs, mode and time formatting); [`log`] reads the kernel log (`syslog`).
//! - [`thread`] starts threads (`clone` with everything shared but the stack) and joins
//!   them; [`sync`] has what threads coordinate with, all built on `futex`: [`sync::Mutex`],
//!   [`sync::Condvar`], [`sync::RwLock`], [`sync::Semaphore`] (P/V), [`sync::Barrier`], and
//!   the raw futex calls ([`sync::futex`]).
//!
//! All `unsafe` code of user space lives in this crate; every `unsafe` block carries a
//! `// SAFETY:` comment saying why it is sound.

#![no_std]
#![deny(clippy::undocumented_unsafe_blocks)]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

extern crate alloc;

pub use abi;

pub mod bench;
pub mod check;
pub mod cli;
pub mod elf;
pub mod env;
pub mod fs;
pub mod hazard;
pub mod heap;
pub mod io;
pub mod ipc;
pub mod log;
pub mod mm;
mod panic;
pub mod poll;
pub mod process;
pub mod procfs;
pub mod raw;
pub mod sched;
pub mod signal;
pub mod socket;
pub mod start;
pub mod sync;
pub mod sys;
pub mod syscall;
pub mod thread;
pub mod tty;

pub use abi::Errno;
pub use process::{
    Fork, Pid, execve, exit, exit_thread, fork, getpid, getppid, gettid, kill, on_lantern, spawn,
    wait4, waitpid,
};
pub use sched::sched_yield;
pub use start::Termination;
pub use sys::{clock_gettime, nanosleep, read, sleep, sleep_ms, write};
