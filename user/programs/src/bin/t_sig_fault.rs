//! Test `t_sig_fault` (expects `exit=0`): faults become signals a handler can catch, with the
//! faulting address, and the alternate signal stack (I5, M).
//!
//! Each fault happens in a forked child whose `SA_SIGINFO` handler checks what it was told
//! and leaves with `exit` (a handler may not return into a fault): 0 if everything matched,
//! 1 after printing the difference. The parent checks the child's status.
//! - SIGSEGV with `si_code` `SEGV_MAPERR` and `si_addr` the address for a load from an
//!   unmapped address and from NULL; with `SEGV_ACCERR` for a store into a read-only
//!   mapping (`si_addr` the exact byte address, not the page).
//! - SIGILL with `ILL_ILLOPC` for `unimp` and for reading the supervisor CSR `sstatus`;
//!   `si_addr` is the faulting instruction, the pc in `uc_mcontext`.
//! - A fault with SIGSEGV blocked, or ignored, still kills with SIGSEGV (no handler runs).
//! - Stack overflow: a SIGSEGV handler installed with `SA_ONSTACK` runs on the alternate
//!   stack (its locals are inside it); there `sigaltstack` reports `SS_ONSTACK` and refuses
//!   a change with `EPERM`; `uc_stack` describes the alternate stack with flags 0 (the
//!   overflowing code was not on it); `si_addr` lies below the main stack. Without an
//!   alternate stack the handler cannot run and the child dies with SIGSEGV.
//! - `sigaltstack`: the first call reports `SS_DISABLE`; a stack set is read back (flags 0);
//!   `SS_DISABLE` turns it off; a size below `MINSIGSTKSZ` is `ENOMEM`; flags other than 0,
//!   `SS_ONSTACK` and `SS_DISABLE` are `EINVAL`; a bad new or old pointer (kernel half,
//!   unmapped) is `EFAULT`.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::vec;
use core::hint::black_box;
use core::sync::atomic::{AtomicI32, AtomicU32, AtomicUsize, Ordering::SeqCst};

use ulib::abi::Errno;
use ulib::abi::mm::{MAP_ANONYMOUS, MAP_PRIVATE, PAGE_SIZE, PROT_READ};
use ulib::abi::signal::{
    ILL_ILLOPC, MINSIGSTKSZ, SA_ONSTACK, SEGV_ACCERR, SEGV_MAPERR, SIGILL, SIGSEGV, SS_DISABLE,
    SS_ONSTACK, SigInfo, StackT, sigset_bit,
};
use ulib::abi::wait;
use ulib::hazard::{self, KERNEL_ADDR, UNMAPPED_ADDR};
use ulib::signal::{self, UContext};
use ulib::syscall::decode;
use ulib::{check, check_eq, check_ok, mm};

ulib::entry!(main);

/// What the handler expects: signal, `si_code`, and `si_addr` (or [`PC_IS_ADDR`]).
static EXPECT_SIG: AtomicU32 = AtomicU32::new(0);
static EXPECT_CODE: AtomicI32 = AtomicI32::new(0);
static EXPECT_ADDR: AtomicUsize = AtomicUsize::new(0);

/// `EXPECT_ADDR` value: `si_addr` must be the pc of the interrupted code.
const PC_IS_ADDR: usize = usize::MAX;

/// The alternate stack and an address inside the main stack, for the overflow handler.
static ALT_SP: AtomicUsize = AtomicUsize::new(0);
static ALT_SIZE: AtomicUsize = AtomicUsize::new(0);
static MAIN_STACK: AtomicUsize = AtomicUsize::new(0);

/// Bytes of the alternate stacks used here.
const ALT_STACK_BYTES: usize = 64 * 1024;

fn main() -> i32 {
    check_fault_info();
    check_blocked_or_ignored_fault();
    check_overflow_on_altstack();
    check_sigaltstack();
    ulib::println!("t_sig_fault: ok");
    0
}

/// Runs `fault` in a child and checks that the child exited 0 (its handler's verdict).
fn in_child(what: &str, fault: fn()) {
    let child = check_ok!(
        ulib::spawn(|| {
            fault();
            ulib::eprintln!("t_sig_fault: {what}: survived the fault");
            2
        }),
        "fork for {what}"
    );
    check_eq!(
        ulib::waitpid(child),
        Ok(wait::exited(0)),
        "{what}: the handler's verdict (1: a mismatch, printed above; 2: no fault)"
    );
}

/// Ends the child with 0 if `ok`, else prints `what` and ends it with 1.
fn verdict(ok: bool, what: core::fmt::Arguments<'_>) -> ! {
    if ok {
        ulib::exit(0)
    }
    ulib::eprintln!("t_sig_fault: in the handler: {what}");
    ulib::exit(1)
}

extern "C" fn checking_handler(sig: i32, info: &SigInfo, context: &UContext) {
    let (want_sig, want_code) = (EXPECT_SIG.load(SeqCst), EXPECT_CODE.load(SeqCst));
    let want_addr = match EXPECT_ADDR.load(SeqCst) {
        PC_IS_ADDR => context.pc() as usize,
        addr => addr,
    };
    verdict(
        sig == want_sig as i32
            && info.signo == want_sig as i32
            && info.code == want_code
            && info.addr() == want_addr,
        format_args!(
            "sig {sig}, si_signo {}, si_code {}, si_addr {:#x}; expected {want_sig}, \
             {want_code}, {want_addr:#x}",
            info.signo,
            info.code,
            info.addr()
        ),
    )
}

/// Installs [`checking_handler`] for `sig` and what it expects.
fn expect(sig: u32, code: i32, addr: usize) {
    EXPECT_SIG.store(sig, SeqCst);
    EXPECT_CODE.store(code, SeqCst);
    EXPECT_ADDR.store(addr, SeqCst);
    check_ok!(
        signal::set_info_handler(sig, checking_handler, 0, 0),
        "install the handler for {sig}"
    );
}

fn check_fault_info() {
    in_child("load from an unmapped address", || {
        expect(SIGSEGV, SEGV_MAPERR, UNMAPPED_ADDR + 8);
        hazard::read_volatile_at(UNMAPPED_ADDR + 8);
    });
    in_child("load from NULL", || {
        expect(SIGSEGV, SEGV_MAPERR, 0);
        hazard::read_volatile_at(0);
    });
    in_child("store into a read-only mapping", || {
        let page = check_ok!(
            mm::mmap(0, PAGE_SIZE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
            "map a read-only page"
        );
        expect(SIGSEGV, SEGV_ACCERR, page + 0x18);
        hazard::write_volatile_at(page + 0x18, 1);
    });
    in_child("unimp", || {
        expect(SIGILL, ILL_ILLOPC, PC_IS_ADDR);
        hazard::illegal_instruction();
    });
    in_child("csrr sstatus", || {
        expect(SIGILL, ILL_ILLOPC, PC_IS_ADDR);
        black_box(hazard::read_sstatus());
    });
}

fn check_blocked_or_ignored_fault() {
    for blocked in [true, false] {
        let child = check_ok!(
            ulib::spawn(move || {
                if blocked {
                    expect(SIGSEGV, SEGV_MAPERR, UNMAPPED_ADDR);
                    let _ = signal::block(sigset_bit(SIGSEGV));
                } else {
                    let _ = signal::ignore(SIGSEGV);
                }
                hazard::read_volatile_at(UNMAPPED_ADDR);
                2
            }),
            "fork"
        );
        let status = check_ok!(ulib::waitpid(child), "reap the faulting child");
        check!(
            wait::wifsignaled(status) && wait::wtermsig(status) == SIGSEGV,
            "a fault with SIGSEGV {} killed the child with SIGSEGV (status {status:#x})",
            if blocked { "blocked" } else { "ignored" }
        );
    }
}

/// Recurses until the stack runs out, each level holding 1 KiB.
fn recurse(depth: u64) -> u64 {
    let mut frame = [0u8; 1024];
    frame[depth as usize % 1024] = depth as u8;
    let frame = black_box(frame);
    let deeper = if black_box(true) {
        recurse(depth + 1)
    } else {
        depth
    };
    deeper + u64::from(frame[(deeper as usize) % 1024])
}

extern "C" fn overflow_handler(sig: i32, info: &SigInfo, context: &UContext) {
    let here = black_box(0u8);
    let here = &raw const here as usize;
    let (alt_sp, alt_size) = (ALT_SP.load(SeqCst), ALT_SIZE.load(SeqCst));
    let on_alt = (alt_sp..alt_sp + alt_size).contains(&here);
    let now = signal::sigaltstack(None);
    let change = signal::sigaltstack(Some(&StackT {
        ss_sp: alt_sp,
        ss_flags: SS_DISABLE,
        ss_size: 0,
    }));
    let saved = (
        context.stack.ss_sp,
        context.stack.ss_size,
        context.stack.ss_flags,
    );
    let main_stack = MAIN_STACK.load(SeqCst);
    verdict(
        sig == SIGSEGV as i32
            && on_alt
            && now.map(|stack| stack.ss_flags) == Ok(SS_ONSTACK)
            && change.map(|_| ()) == Err(Errno::EPERM)
            && saved == (alt_sp, alt_size, 0)
            && info.addr() < main_stack,
        format_args!(
            "sig {sig}; a local at {here:#x} (alternate stack {alt_sp:#x} + {alt_size:#x}); \
             sigaltstack now {now:?}, changing it {change:?} (want EPERM); uc_stack \
             {saved:x?}; si_addr {:#x} (main stack at {main_stack:#x})",
            info.addr()
        ),
    )
}

fn check_overflow_on_altstack() {
    in_child("stack overflow with SA_ONSTACK", || {
        let stack = vec![0u8; ALT_STACK_BYTES].leak();
        ALT_SP.store(stack.as_ptr() as usize, SeqCst);
        ALT_SIZE.store(stack.len(), SeqCst);
        let old = check_ok!(
            signal::sigaltstack(Some(&StackT {
                ss_sp: stack.as_ptr() as usize,
                ss_flags: 0,
                ss_size: stack.len(),
            })),
            "set the alternate stack"
        );
        check_eq!(old.ss_flags, SS_DISABLE, "no alternate stack at first");
        check_ok!(
            signal::set_info_handler(SIGSEGV, overflow_handler, SA_ONSTACK, 0),
            "install the SA_ONSTACK handler"
        );
        let mark = black_box(0u8);
        MAIN_STACK.store(&raw const mark as usize, SeqCst);
        black_box(recurse(0));
    });

    // Without an alternate stack there is nowhere to run the handler.
    let child = check_ok!(
        ulib::spawn(|| {
            let _ = signal::set_info_handler(SIGSEGV, overflow_handler, SA_ONSTACK, 0);
            black_box(recurse(0));
            2
        }),
        "fork"
    );
    let status = check_ok!(ulib::waitpid(child), "reap the overflowing child");
    check!(
        wait::wifsignaled(status) && wait::wtermsig(status) == SIGSEGV,
        "an overflow without an alternate stack killed the child with SIGSEGV \
         (status {status:#x})"
    );
}

fn check_sigaltstack() {
    let stack = vec![0u8; ALT_STACK_BYTES].leak();
    let sp = stack.as_ptr() as usize;
    let first = check_ok!(signal::sigaltstack(None), "read the alternate stack");
    check_eq!(first.ss_flags, SS_DISABLE, "no alternate stack at first");
    let set = StackT {
        ss_sp: sp,
        ss_flags: 0,
        ss_size: stack.len(),
    };
    check_ok!(signal::sigaltstack(Some(&set)), "set an alternate stack");
    check_eq!(
        signal::sigaltstack(None),
        Ok(set),
        "the alternate stack reads back"
    );
    for size in [0, 1024, MINSIGSTKSZ - 1] {
        check_eq!(
            signal::sigaltstack(Some(&StackT {
                ss_sp: sp,
                ss_flags: 0,
                ss_size: size,
            }))
            .map(|_| ()),
            Err(Errno::ENOMEM),
            "an alternate stack of {size} bytes"
        );
    }
    for flags in [4, 8, 0x100, -1] {
        check_eq!(
            signal::sigaltstack(Some(&StackT {
                ss_sp: sp,
                ss_flags: flags,
                ss_size: stack.len(),
            }))
            .map(|_| ()),
            Err(Errno::EINVAL),
            "sigaltstack with flags {flags:#x}"
        );
    }
    check_eq!(
        signal::sigaltstack(None),
        Ok(set),
        "failed calls left the alternate stack alone"
    );
    for bad in [KERNEL_ADDR, UNMAPPED_ADDR] {
        check_eq!(
            decode(signal::raw::sigaltstack(bad, 0)),
            Err(Errno::EFAULT),
            "sigaltstack with the new stack_t at {bad:#x}"
        );
        check_eq!(
            decode(signal::raw::sigaltstack(0, bad)),
            Err(Errno::EFAULT),
            "sigaltstack with the old stack_t at {bad:#x}"
        );
    }
    let old = check_ok!(
        signal::sigaltstack(Some(&StackT {
            ss_sp: 0,
            ss_flags: SS_DISABLE,
            ss_size: 0,
        })),
        "disable the alternate stack"
    );
    check_eq!(old, set, "disabling returned the stack that was set");
    check_eq!(
        signal::sigaltstack(None).map(|stack| stack.ss_flags),
        Ok(SS_DISABLE),
        "the alternate stack is disabled"
    );
}
