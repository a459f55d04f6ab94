//! Process entry: the `_start` symbol the kernel jumps to, the hand-off to the program's
//! `main` through [`entry!`](crate::entry), and [`Termination`], which turns `main`'s result
//! into an exit status.
//!
//! The kernel enters `_start` with `sp` pointing at the Linux initial stack
//! (`argc`, `argv[]`, `NULL`, `envp[]`, `NULL`, auxv pairs, `AT_NULL`) and with no other
//! register set up: in particular `gp` is not, and nothing here relies on it.

use core::arch::global_asm;
use core::fmt::Debug;

global_asm!(
    ".pushsection .text._start, \"ax\", @progbits",
    ".globl _start",
    ".type _start, @function",
    "_start:",
    // There is no caller: a zero return address and frame pointer end backtraces here.
    "    li ra, 0",
    "    li s0, 0",
    // The initial stack pointer is the one argument of `start_rust`.
    "    mv a0, sp",
    // The psABI requires 16-byte alignment at calls; Linux provides it, but do not trust it.
    "    andi sp, sp, -16",
    "    call {start}",
    // `start_rust` never returns.
    "    unimp",
    ".size _start, . - _start",
    ".popsection",
    start = sym start_rust,
);

unsafe extern "Rust" {
    /// The program's `main`, wrapped by [`entry!`](crate::entry) into a function returning the
    /// exit status.
    fn __ulib_main() -> i32;
}

/// Called by `_start` with the stack pointer the kernel entered with.
extern "C" fn start_rust(initial_sp: usize) -> ! {
    // SAFETY: `_start` passes the untouched entry stack pointer, which points at the Linux
    // initial stack the kernel built; nothing else has run yet, so this is the only call.
    unsafe { crate::env::init(initial_sp) };
    // SAFETY: `entry!` defines `__ulib_main` with exactly this signature; a program that does
    // not use `entry!` fails to link instead of reaching this call.
    let status = unsafe { __ulib_main() };
    crate::process::exit(status)
}

/// What a program's `main` may return; [`report`](Termination::report) gives the exit status.
pub trait Termination {
    /// The exit status for this result.
    fn report(self) -> i32;
}

impl Termination for () {
    fn report(self) -> i32 {
        0
    }
}

impl Termination for i32 {
    fn report(self) -> i32 {
        self
    }
}

impl<T: Termination, E: Debug> Termination for Result<T, E> {
    /// `Ok(t)` reports `t`; `Err(e)` prints `Error: {e:?}` to stderr and reports 1.
    fn report(self) -> i32 {
        match self {
            Ok(value) => value.report(),
            Err(error) => {
                crate::eprintln!("Error: {error:?}");
                1
            }
        }
    }
}

/// Names the program's entry function: `ulib::entry!(main);` in a `#![no_main]` binary.
///
/// `main` takes no arguments (use [`env`](mod@crate::env) for argv, envp and auxv) and returns
/// anything implementing [`Termination`]: `()` exits 0, an `i32` is the exit status, and a
/// `Result` exits 0 / 1.
#[macro_export]
macro_rules! entry {
    ($main:path) => {
        #[unsafe(export_name = "__ulib_main")]
        fn __ulib_main() -> i32 {
            $crate::Termination::report($main())
        }
    };
}
