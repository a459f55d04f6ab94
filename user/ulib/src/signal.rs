//! Signals (concept I5): installing handlers ([`set_handler`], [`set_info_handler`],
//! [`ignore`], [`set_default`], [`sigaction`]), the blocked mask ([`sigprocmask`],
//! [`block`], [`unblock`]), waiting ([`sigsuspend`], [`pause`], [`suspend_until`]),
//! pending signals ([`sigpending`]), the alternate stack ([`sigaltstack`]), sending to one
//! thread ([`tkill`], [`tgkill`]; [`crate::kill`] sends to a process or group) and interval
//! timers ([`setitimer`], [`getitimer`], [`alarm`]). [`UContext`] is the handler's read-only
//! view of the interrupted code's state; [`raw`] has unchecked forms for tests of argument
//! checking, and [`kill_with_registers`] / [`scramble_registers`] let tests check that a
//! handler leaves every register of the interrupted code as it was.
//!
//! Signal sets are `u64`s with bit `sig - 1` for signal `sig` ([`abi::signal::sigset_bit`]).
//! riscv64 Linux has no `sa_restorer`: the kernel itself arranges the return from a handler
//! (Linux through its vDSO, Lantern through a trampoline page it maps into every process),
//! so a handler is a plain `extern "C"` function.
//!
//! Handlers run asynchronously, between any two instructions of the interrupted code. A
//! handler may only touch atomics and make async-signal-safe system calls (write, _exit,
//! kill, ...); it must not allocate or lock. (ulib's print macros qualify: they format into a
//! stack buffer and make one `write`.)

use abi::Errno;
use abi::nr;
use abi::signal::{
    SIG_BLOCK, SIG_DFL, SIG_IGN, SIG_SETMASK, SIG_UNBLOCK, SigAction, SigInfo, StackT, frame,
};
use abi::time::{Itimerval, Timeval};
use core::arch::asm;
use core::mem::offset_of;

use crate::process::Pid;
use crate::syscall::{decode, syscall1, syscall2, syscall3, syscall4};

/// A classic handler: `void handler(int sig)`.
pub type Handler = extern "C" fn(i32);
/// An `SA_SIGINFO` handler: `void handler(int sig, siginfo_t *info, ucontext_t *uc)`.
pub type InfoHandler = extern "C" fn(i32, &SigInfo, &UContext);

/// The `ucontext_t` of the signal frame ([`abi::signal::frame`] from `UCONTEXT` on): what
/// the interrupted code had, which `rt_sigreturn` restores when the handler returns.
///
/// Handlers only read it: writing a saved register would make the interrupted Rust code
/// resume in a state its compiler never planned for.
#[repr(C, align(16))]
pub struct UContext {
    /// `uc_flags` (0).
    pub flags: u64,
    /// `uc_link` (0: Linux does not use it).
    pub link: usize,
    /// `uc_stack`: the alternate stack when the signal arrived; `ss_flags` has
    /// `SS_ONSTACK` if the interrupted code was running on it, `SS_DISABLE` if there is none.
    pub stack: StackT,
    /// `uc_sigmask`: the interrupted code's blocked mask, restored on return.
    pub sigmask: u64,
    /// The rest of the 128-byte `sigset_t` space and the padding that 16-aligns
    /// `uc_mcontext`.
    reserved: [u8; 128],
    /// `uc_mcontext.sc_regs`: the pc in `regs[0]`, then `x1`..`x31` (`regs[n]` is `xn`).
    pub regs: [u64; 32],
    /// `uc_mcontext.sc_fpregs`: `f0`..`f31` as raw bits.
    pub fpregs: [u64; 32],
    /// `fcsr`.
    pub fcsr: u32,
}

const _: () = {
    let base = frame::UCONTEXT;
    assert!(offset_of!(UContext, flags) == frame::UC_FLAGS - base);
    assert!(offset_of!(UContext, link) == frame::UC_LINK - base);
    assert!(offset_of!(UContext, stack) == frame::UC_STACK - base);
    assert!(offset_of!(UContext, sigmask) == frame::UC_SIGMASK - base);
    assert!(offset_of!(UContext, regs) == frame::UC_MCONTEXT - base);
    assert!(offset_of!(UContext, fpregs) == frame::UC_FPREGS - base);
    assert!(offset_of!(UContext, fcsr) == frame::UC_FCSR - base);
    assert!(size_of::<UContext>() <= frame::SIZE - base);
};

impl UContext {
    /// The interrupted code's pc: the faulting instruction for a fault.
    pub fn pc(&self) -> u64 {
        self.regs[0]
    }
}

/// A [`SigAction`] as [`sigaction`] hands it to the kernel: the 24 bytes Linux and Lantern
/// read and write, then a second copy of the mask.
///
/// The copy is for the Linux reference runs under qemu-user: QEMU before the 2025 fix
/// "linux-user: Move TARGET_SA_RESTORER out of generic/signal.h" (so 7.2, as Debian 12 has
/// it) wrongly gives riscv64's `struct sigaction` an `sa_restorer` field before the mask
/// (32 bytes), so it reads the mask from offset 24 and writes 32 bytes back. With the mask at both 16 and 24
/// either layout installs the same action, and an old action (whose "restorer" QEMU keeps
/// from offset 16 of what was installed) reads back the same; the real kernels never look
/// past byte 24.
#[repr(C)]
#[derive(Default)]
struct ActionImage {
    /// The kernel's layout.
    action: SigAction,
    /// `action.mask` again.
    mask_again: u64,
}

/// `rt_sigaction(sig, new, &old)`: installs `new` (if given) and returns the previous action.
/// `EINVAL` for an invalid signal or for changing `SIGKILL`/`SIGSTOP`.
pub fn sigaction(sig: u32, new: Option<&SigAction>) -> Result<SigAction, Errno> {
    let image = new.map(|action| ActionImage {
        action: *action,
        mask_again: action.mask,
    });
    let new_ptr = image
        .as_ref()
        .map_or(0, |image| image as *const ActionImage as usize);
    let mut old = ActionImage::default();
    let old_ptr: *mut ActionImage = &mut old;
    // Installing a handler is sound: it is an `extern "C" fn` the caller chose (or
    // SIG_DFL/SIG_IGN), and the kernel calls it with the riscv64 signal frame.
    // SAFETY: `new_ptr` is NULL or points at a borrowed `ActionImage` (the kernel's 24-byte
    // `struct sigaction` + 8 bytes); `old_ptr` at an exclusively borrowed one, large enough.
    let ret = unsafe { syscall4(nr::RT_SIGACTION, sig as usize, new_ptr, old_ptr as usize, 8) };
    decode(ret).map(|_| old.action)
}

/// Installs `handler` for `sig` with `flags` (`SA_RESTART`, `SA_NODEFER`, ...) and the extra
/// signals `mask` blocked while it runs; returns the previous action.
pub fn set_handler(sig: u32, handler: Handler, flags: u64, mask: u64) -> Result<SigAction, Errno> {
    let action = SigAction {
        handler: handler as usize,
        flags: flags & !abi::signal::SA_SIGINFO,
        mask,
    };
    sigaction(sig, Some(&action))
}

/// Installs an `SA_SIGINFO` handler for `sig`; returns the previous action.
pub fn set_info_handler(
    sig: u32,
    handler: InfoHandler,
    flags: u64,
    mask: u64,
) -> Result<SigAction, Errno> {
    let action = SigAction {
        handler: handler as usize,
        flags: flags | abi::signal::SA_SIGINFO,
        mask,
    };
    sigaction(sig, Some(&action))
}

/// Ignores `sig` (`SIG_IGN`); returns the previous action.
pub fn ignore(sig: u32) -> Result<SigAction, Errno> {
    sigaction(
        sig,
        Some(&SigAction {
            handler: SIG_IGN,
            flags: 0,
            mask: 0,
        }),
    )
}

/// Restores the default action of `sig` (`SIG_DFL`); returns the previous action.
pub fn set_default(sig: u32) -> Result<SigAction, Errno> {
    sigaction(
        sig,
        Some(&SigAction {
            handler: SIG_DFL,
            flags: 0,
            mask: 0,
        }),
    )
}

/// `rt_sigprocmask(how, set, &old)`: changes the calling thread's blocked mask
/// (`SIG_BLOCK` adds `set`, `SIG_UNBLOCK` removes it, `SIG_SETMASK` replaces the mask) and
/// returns the old mask. `SIGKILL` and `SIGSTOP` are never blocked.
pub fn sigprocmask(how: i32, set: u64) -> Result<u64, Errno> {
    let mut old = 0u64;
    let set_ptr: *const u64 = &set;
    let old_ptr: *mut u64 = &mut old;
    // SAFETY: both pointers point at `u64`s borrowed for the call (the second exclusively);
    // the kernel reads and writes 8 bytes (the size passed).
    let ret = unsafe {
        syscall4(
            nr::RT_SIGPROCMASK,
            how as usize,
            set_ptr as usize,
            old_ptr as usize,
            8,
        )
    };
    decode(ret).map(|_| old)
}

/// The current blocked mask.
pub fn blocked() -> Result<u64, Errno> {
    let mut old = 0u64;
    let old_ptr: *mut u64 = &mut old;
    // SAFETY: a NULL new set only reads the mask into `old`, an exclusively borrowed `u64`.
    let ret = unsafe {
        syscall4(
            nr::RT_SIGPROCMASK,
            SIG_BLOCK as usize,
            0,
            old_ptr as usize,
            8,
        )
    };
    decode(ret).map(|_| old)
}

/// Blocks the signals in `set`; returns the old mask.
pub fn block(set: u64) -> Result<u64, Errno> {
    sigprocmask(SIG_BLOCK, set)
}

/// Unblocks the signals in `set`; returns the old mask.
pub fn unblock(set: u64) -> Result<u64, Errno> {
    sigprocmask(SIG_UNBLOCK, set)
}

/// Replaces the blocked mask; returns the old one.
pub fn set_mask(set: u64) -> Result<u64, Errno> {
    sigprocmask(SIG_SETMASK, set)
}

/// `rt_sigpending`: the signals sent to the caller (or its process) while blocked.
pub fn sigpending() -> Result<u64, Errno> {
    let mut set = 0u64;
    let set_ptr: *mut u64 = &mut set;
    // SAFETY: `set_ptr` points at an exclusively borrowed `u64`; the kernel writes 8 bytes.
    decode(unsafe { syscall2(nr::RT_SIGPENDING, set_ptr as usize, 8) }).map(|_| set)
}

/// `rt_sigsuspend(mask)`: replaces the mask with `mask` and sleeps until a signal's handler
/// has run (or a signal ends the process); the old mask is back on return. Always returns
/// `EINTR`.
pub fn sigsuspend(mask: u64) -> Errno {
    let mask_ptr: *const u64 = &mask;
    // SAFETY: `mask_ptr` points at a `u64` borrowed for the call; the kernel reads 8 bytes.
    // Handlers that run meanwhile are `extern "C"` functions installed by the program.
    match decode(unsafe { syscall2(nr::RT_SIGSUSPEND, mask_ptr as usize, 8) }) {
        Err(errno) => errno,
        Ok(_) => Errno::EINTR,
    }
}

/// Sleeps until a signal is handled (`pause(2)`, built on [`sigsuspend`] with the current
/// mask, as riscv64 has no `pause` system call). Always returns `EINTR`.
pub fn pause() -> Errno {
    match blocked() {
        Ok(mask) => sigsuspend(mask),
        Err(errno) => errno,
    }
}

/// Sleeps in [`sigsuspend`] with the blocked mask `mask` until `done()` holds.
///
/// The signals whose handlers make `done()` true must be blocked when this is called (and
/// not in `mask`): then none can arrive between the check and the sleep, and each sleep
/// ends with one of their handlers having run.
pub fn suspend_until(mask: u64, mut done: impl FnMut() -> bool) {
    while !done() {
        sigsuspend(mask);
    }
}

/// `sigaltstack(new, &old)`: sets (if `new` is given) the alternate signal stack for
/// handlers installed with `SA_ONSTACK`; returns the previous one. `EPERM` while running on
/// it, `ENOMEM` below `MINSIGSTKSZ`, `EINVAL` for bad flags.
///
/// The memory described by `new` must stay valid (and unused by anything else) while it is
/// installed: pass a leaked or static buffer.
pub fn sigaltstack(new: Option<&StackT>) -> Result<StackT, Errno> {
    let mut old = StackT::default();
    let new_ptr = new.map_or(0, |stack| stack as *const StackT as usize);
    let old_ptr: *mut StackT = &mut old;
    // SAFETY: `new_ptr` is NULL or points at a `#[repr(C)]` `stack_t` borrowed for the call;
    // `old_ptr` at one exclusively borrowed. The stack memory itself is only written when a
    // signal arrives, by the kernel, as the caller promised in the contract above.
    decode(unsafe { syscall2(nr::SIGALTSTACK, new_ptr, old_ptr as usize) }).map(|_| old)
}

/// `tkill(tid, sig)`: sends `sig` to one thread.
pub fn tkill(tid: Pid, sig: u32) -> Result<(), Errno> {
    // SAFETY: no pointers; a signal to the caller runs a handler it installed or its
    // default action.
    decode(unsafe { syscall2(nr::TKILL, tid as usize, sig as usize) }).map(|_| ())
}

/// `tgkill(tgid, tid, sig)`: sends `sig` to thread `tid` of process `tgid`.
pub fn tgkill(tgid: Pid, tid: Pid, sig: u32) -> Result<(), Errno> {
    // SAFETY: as for `tkill`.
    decode(unsafe { syscall3(nr::TGKILL, tgid as usize, tid as usize, sig as usize) }).map(|_| ())
}

/// `ITIMER_REAL`: counts wall time, delivers `SIGALRM`.
pub const ITIMER_REAL: i32 = 0;

/// `setitimer(which, new, &old)`: arms (or with a zero `it_value` disarms) an interval timer
/// and returns the previous setting.
pub fn setitimer(which: i32, new: &Itimerval) -> Result<Itimerval, Errno> {
    let mut old = Itimerval::default();
    let new_ptr: *const Itimerval = new;
    let old_ptr: *mut Itimerval = &mut old;
    // SAFETY: both pointers point at `#[repr(C)]` itimervals borrowed for the call, the
    // second exclusively.
    let ret = unsafe {
        syscall3(
            nr::SETITIMER,
            which as usize,
            new_ptr as usize,
            old_ptr as usize,
        )
    };
    decode(ret).map(|_| old)
}

/// `getitimer(which)`: the time left and the interval of a timer.
pub fn getitimer(which: i32) -> Result<Itimerval, Errno> {
    let mut value = Itimerval::default();
    let ptr: *mut Itimerval = &mut value;
    // SAFETY: `ptr` points at an exclusively borrowed `#[repr(C)]` itimerval.
    decode(unsafe { syscall2(nr::GETITIMER, which as usize, ptr as usize) }).map(|_| value)
}

/// `alarm(secs)` (built on `ITIMER_REAL`, as riscv64 has no `alarm` call): `SIGALRM` after
/// `secs` seconds, 0 cancels. Returns the seconds that were left on the previous alarm,
/// rounded to the nearest second but never 0 while one was armed, as Linux's `alarm` does.
pub fn alarm(secs: u64) -> Result<u64, Errno> {
    let old = setitimer(
        ITIMER_REAL,
        &Itimerval {
            it_interval: Timeval::default(),
            it_value: Timeval {
                tv_sec: secs as i64,
                tv_usec: 0,
            },
        },
    )?;
    let (secs_left, micros_left) = (old.it_value.tv_sec as u64, old.it_value.tv_usec);
    let round_up = micros_left >= 500_000 || (secs_left == 0 && micros_left > 0);
    Ok(secs_left + u64::from(round_up))
}

/// The raw `rt_sigreturn` stub is never needed by programs; this exists so tests can check
/// that a forged call without a frame kills only the caller.
///
/// # Safety
/// Returns through whatever the stack holds: only for tests that expect to die.
pub unsafe fn raw_sigreturn() -> isize {
    // SAFETY: the caller accepts that the kernel restores a context from the stack.
    unsafe { syscall1(nr::RT_SIGRETURN, 0) }
}

/// Register values for [`kill_with_registers`]: `x[n]` is `xn`, `f[n]` the raw bits of `fn`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RegisterFile {
    /// General registers by number; only those in [`LOADED_X`] and `x31` are used.
    pub x: [u64; 32],
    /// Floating-point registers by number, as raw bits.
    pub f: [u64; 32],
    /// `fcsr` (rounding mode in bits 5..8, accrued exception flags in bits 0..5).
    pub fcsr: u64,
}

/// The general registers [`kill_with_registers`] loads and reads back besides `x31`: all
/// but `zero`, `sp`, `gp`, `tp` and `s0`/`s1`, which Rust code may not hand to assembly.
/// `a0`, `a1` and `a7` carry the `kill` call (pid, signal, number); `a0` comes back as
/// its result.
pub const LOADED_X: [usize; 25] = [
    1, 5, 6, 7, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30,
];

/// What [`kill_with_registers`] loads and what it finds, side by side in memory so that one
/// base register (`x31`) reaches both.
#[repr(C)]
struct RegisterExchange {
    /// Loaded before the `ecall`.
    before: RegisterFile,
    /// Stored right after it.
    after: RegisterFile,
    /// The caller's `fcsr`, put back at the end.
    saved_fcsr: u64,
}

/// Loads every register in [`LOADED_X`], all 32 floating-point registers and `fcsr` from
/// `pattern` (with `a0`, `a1`, `a7` set up for `kill(pid, sig)` and `x31` holding the
/// address of the buffer both files live in), makes the `kill` call with a single `ecall`
/// and returns the call's result, the registers as loaded and as they were right after the
/// `ecall`, before any other instruction ran.
///
/// A signal the call sends to the caller is handled as the call returns, so a handler runs
/// between the `ecall` and the stores: if the kernel's signal frame saves and restores the
/// interrupted state correctly, every register but `a0` comes back exactly as `pattern`
/// had it (`a0` is the result), however much the handler changed the registers (see
/// [`scramble_registers`]).
pub fn kill_with_registers(
    pid: Pid,
    sig: u32,
    pattern: &RegisterFile,
) -> (isize, RegisterFile, RegisterFile) {
    let mut exchange = RegisterExchange {
        before: *pattern,
        after: RegisterFile {
            x: [0; 32],
            f: [0; 32],
            fcsr: 0,
        },
        saved_fcsr: 0,
    };
    exchange.before.x[10] = pid as usize as u64;
    exchange.before.x[11] = u64::from(sig);
    exchange.before.x[17] = nr::KILL as u64;
    exchange.before.x[31] = &raw const exchange as u64;
    let base: *mut RegisterExchange = &raw mut exchange;
    // The `ecall` is `kill`, which writes no memory; a handler it triggers runs as an
    // ordinary function on the stack below ours and returns through the kernel.
    // SAFETY: the assembly touches only `exchange` through `t6` (offsets from the `const`
    // operands), clobbers what it declares, leaves the stack alone and restores `fcsr`.
    unsafe {
        asm!(
            "frcsr t0",
            "sd t0, {saved}(t6)",
            "ld t0, {fcsr_in}(t6)",
            "fscsr t0",
            ".irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31",
            "fld f\\n, ({f_in} + 8 * \\n)(t6)",
            ".endr",
            ".irp n, 1,5,6,7,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30",
            "ld x\\n, (8 * \\n)(t6)",
            ".endr",
            "ecall",
            ".irp n, 1,5,6,7,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31",
            "sd x\\n, ({x_out} + 8 * \\n)(t6)",
            ".endr",
            ".irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31",
            "fsd f\\n, ({f_out} + 8 * \\n)(t6)",
            ".endr",
            "frcsr t0",
            "sd t0, {fcsr_out}(t6)",
            "ld t0, {saved}(t6)",
            "fscsr t0",
            saved = const offset_of!(RegisterExchange, saved_fcsr),
            fcsr_in = const offset_of!(RegisterExchange, before) + offset_of!(RegisterFile, fcsr),
            f_in = const offset_of!(RegisterExchange, before) + offset_of!(RegisterFile, f),
            x_out = const offset_of!(RegisterExchange, after) + offset_of!(RegisterFile, x),
            f_out = const offset_of!(RegisterExchange, after) + offset_of!(RegisterFile, f),
            fcsr_out = const offset_of!(RegisterExchange, after) + offset_of!(RegisterFile, fcsr),
            inout("t6") base => _,
            out("ra") _, out("t0") _, out("t1") _, out("t2") _,
            out("a0") _, out("a1") _, out("a2") _, out("a3") _,
            out("a4") _, out("a5") _, out("a6") _, out("a7") _,
            out("s2") _, out("s3") _, out("s4") _, out("s5") _, out("s6") _,
            out("s7") _, out("s8") _, out("s9") _, out("s10") _, out("s11") _,
            out("t3") _, out("t4") _, out("t5") _,
            out("f0") _, out("f1") _, out("f2") _, out("f3") _,
            out("f4") _, out("f5") _, out("f6") _, out("f7") _,
            out("f8") _, out("f9") _, out("f10") _, out("f11") _,
            out("f12") _, out("f13") _, out("f14") _, out("f15") _,
            out("f16") _, out("f17") _, out("f18") _, out("f19") _,
            out("f20") _, out("f21") _, out("f22") _, out("f23") _,
            out("f24") _, out("f25") _, out("f26") _, out("f27") _,
            out("f28") _, out("f29") _, out("f30") _, out("f31") _,
        );
    }
    (
        exchange.after.x[10] as isize,
        exchange.before,
        exchange.after,
    )
}

/// Overwrites every register a function may change without saving it (`t0`..`t6`,
/// `a0`..`a7`, `ft0`..`ft11`, `fa0`..`fa7`) with values derived from `seed`, and sets the
/// accrued exception flags `NX`, `UF` and `DZ` in `fcsr`. For handlers in tests: the code a
/// signal interrupted must not notice.
pub fn scramble_registers(seed: u64) {
    // SAFETY: only registers the C calling convention lets a callee clobber change (all
    // declared by `clobber_abi`), plus `fflags`, the sticky exception flags any inexact
    // operation may set; no memory is touched.
    unsafe {
        asm!(
            "mv t0, {seed}",
            ".irp r, t1,t2,t3,t4,t5,t6,a0,a1,a2,a3,a4,a5,a6,a7",
            "addi \\r, t0, 0x2d",
            "slli t0, \\r, 3",
            "xor t0, t0, \\r",
            ".endr",
            ".irp r, ft0,ft1,ft2,ft3,ft4,ft5,ft6,ft7,ft8,ft9,ft10,ft11,fa0,fa1,fa2,fa3,fa4,fa5,fa6,fa7",
            "addi t0, t0, 0x3b",
            "fmv.d.x \\r, t0",
            ".endr",
            "csrwi fflags, 0x0b",
            seed = in(reg) seed,
            clobber_abi("C"),
            options(nomem, nostack),
        );
    }
}

/// Unchecked forms of the signal calls, for tests of the kernel's argument checking: every
/// address and size is passed as given and the result is raw (`-errno` on failure;
/// [`crate::syscall::decode`] splits it).
///
/// As with [`crate::raw`], callers pass only addresses that hold no Rust data when the
/// kernel may write there (NULL, the kernel half, unmapped memory), and only actions and
/// masks they could also install with the checked wrappers.
pub mod raw {
    use abi::nr;

    use crate::syscall::{syscall2, syscall3, syscall4};

    /// `rt_sigaction(sig, new, old, sigsetsize)`.
    pub fn rt_sigaction(sig: u32, new: usize, old: usize, sigsetsize: usize) -> isize {
        // SAFETY: the kernel validates both addresses and the size; an action it reads is
        // one the caller could install with `sigaction` (see the module comment).
        unsafe { syscall4(nr::RT_SIGACTION, sig as usize, new, old, sigsetsize) }
    }

    /// `rt_sigprocmask(how, set, old, sigsetsize)`.
    pub fn rt_sigprocmask(how: i32, set: usize, old: usize, sigsetsize: usize) -> isize {
        // SAFETY: the kernel validates both addresses and the size; changing the mask
        // changes only which signals wait.
        unsafe { syscall4(nr::RT_SIGPROCMASK, how as usize, set, old, sigsetsize) }
    }

    /// `rt_sigpending(set, sigsetsize)`.
    pub fn rt_sigpending(set: usize, sigsetsize: usize) -> isize {
        // SAFETY: the kernel validates the address and the size.
        unsafe { syscall2(nr::RT_SIGPENDING, set, sigsetsize) }
    }

    /// `rt_sigsuspend(mask, sigsetsize)`: with a good mask and size this sleeps until a
    /// signal is handled, like [`super::sigsuspend`].
    pub fn rt_sigsuspend(mask: usize, sigsetsize: usize) -> isize {
        // SAFETY: the kernel validates the address and the size; handlers that run are
        // ones the program installed.
        unsafe { syscall2(nr::RT_SIGSUSPEND, mask, sigsetsize) }
    }

    /// `sigaltstack(new, old)`.
    pub fn sigaltstack(new: usize, old: usize) -> isize {
        // SAFETY: the kernel validates both addresses; a stack it installs is used only
        // by handlers installed with `SA_ONSTACK`, which callers of this form do not have.
        unsafe { syscall2(nr::SIGALTSTACK, new, old) }
    }

    /// `setitimer(which, new, old)`.
    pub fn setitimer(which: i32, new: usize, old: usize) -> isize {
        // SAFETY: the kernel validates both addresses; a timer only sends `SIGALRM`.
        unsafe { syscall3(nr::SETITIMER, which as usize, new, old) }
    }

    /// `getitimer(which, value)`.
    pub fn getitimer(which: i32, value: usize) -> isize {
        // SAFETY: the kernel validates the address.
        unsafe { syscall2(nr::GETITIMER, which as usize, value) }
    }
}
