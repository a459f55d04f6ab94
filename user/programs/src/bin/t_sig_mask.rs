//! Test `t_sig_mask` (expects `exit=0`): the blocked mask, pending signals, waiting for a
//! signal, and what `fork` and `execve` keep (I5).
//!
//! - A blocked signal stays pending (`sigpending` shows it, its handler does not run) until
//!   it is unblocked, then runs exactly once however often it was sent: standard signals do
//!   not queue. Two different blocked signals both run when unblocked. Ignoring a pending
//!   signal discards it.
//! - SIGKILL and SIGSTOP cannot be caught or ignored: a handler, `SIG_IGN`, even `SIG_DFL`
//!   for them is `EINVAL` (reading their action is fine). They cannot be blocked: blocking
//!   them (alone, or with a full mask) silently leaves them out of the mask; a child that
//!   blocks everything is still stopped by SIGSTOP and killed by SIGKILL. (That a full mask
//!   blocks all real-time signals is checked on Lantern only: qemu-user lends the guest the
//!   host's real-time signals and has no host signal left for the guest's SIGRTMAX-1 and
//!   SIGRTMAX, so it drops them.)
//! - `sigsuspend(mask)` waits with `mask` until a handler has run (for a signal sent by a
//!   child before or during the wait), returns `EINTR` and restores the old mask; inside the
//!   handler the mask is the temporary one plus the signal, and `uc_sigmask` is the old
//!   one. `pause` returns `EINTR` once a handler has run.
//! - `fork`: the child inherits the mask and the handlers but not the pending signals; the
//!   parent's pending signal is still there.
//! - `execve` (on Lantern only, see below): caught signals go back to `SIG_DFL`, ignored ones
//!   stay ignored, flags and masks of all actions are cleared, the mask and the pending
//!   signals survive and the alternate stack does not; `/bin/t_sig_exec_helper` checks.
//!   qemu-user, the Linux reference here, cannot run this part: it keeps the mask and the
//!   pending signals of the emulated process inside QEMU, so they do not survive the host
//!   `execve` (and without `binfmt_misc` it cannot exec a riscv64 program at all).
//! - Bad arguments: `rt_sigprocmask` with an unknown `how` and a set is `EINVAL` (and
//!   changes nothing); without a set `how` is ignored, as the man page says. A
//!   `sigsetsize` other than 8 is `EINVAL` for `rt_sigprocmask` and `rt_sigsuspend`, and one
//!   above 8 for `rt_sigpending` (Linux accepts smaller ones there). A bad set or old-set
//!   pointer (kernel half, unmapped) is `EFAULT` for `rt_sigprocmask` (and leaves the mask
//!   alone), `rt_sigpending` and `rt_sigsuspend`.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::vec;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering::SeqCst};

use ulib::abi::Errno;
use ulib::abi::signal::{
    MINSIGSTKSZ, SA_RESTART, SIG_BLOCK, SIG_DFL, SIG_IGN, SIG_SETMASK, SIG_UNBLOCK, SIGHUP, SIGINT,
    SIGKILL, SIGSTOP, SIGTERM, SIGUSR1, SIGUSR2, SigAction, SigInfo, StackT, sigset_bit,
};
use ulib::abi::wait::{self, WUNTRACED};
use ulib::fs;
use ulib::hazard::{KERNEL_ADDR, UNMAPPED_ADDR};
use ulib::signal::{self, UContext};
use ulib::syscall::decode;
use ulib::{Fork, Pid, check, check_eq, check_ok};

ulib::entry!(main);

/// The standard signals 1..=31 in a set.
const STANDARD: u64 = (1 << 31) - 1;

/// The program a child execs to check what survived.
const HELPER: &str = "/bin/t_sig_exec_helper";

/// Runs of the handlers, per signal.
static USR1_RUNS: AtomicU32 = AtomicU32::new(0);
static USR2_RUNS: AtomicU32 = AtomicU32::new(0);

/// The mask inside the last handler run, and the `uc_sigmask` it was given.
static MASK_INSIDE: AtomicU64 = AtomicU64::new(0);
static SAVED_MASK: AtomicU64 = AtomicU64::new(0);

fn main() -> i32 {
    check_ok!(signal::set_mask(0), "start with nothing blocked");
    for sig in [SIGUSR1, SIGUSR2] {
        check_ok!(
            signal::set_info_handler(sig, counting_handler, 0, 0),
            "install the handler for {sig}"
        );
    }
    check_pending_until_unblocked();
    check_ignore_discards_pending();
    check_kill_and_stop_unblockable();
    check_sigsuspend();
    check_pause();
    check_fork();
    if ulib::on_lantern() {
        check_exec();
    } else {
        ulib::println!("t_sig_mask: execve part skipped (qemu-user cannot carry the mask)");
    }
    check_bad_arguments();
    ulib::println!("t_sig_mask: ok");
    0
}

fn me() -> Pid {
    check_ok!(ulib::getpid(), "getpid")
}

extern "C" fn counting_handler(sig: i32, _info: &SigInfo, context: &UContext) {
    MASK_INSIDE.store(signal::blocked().unwrap_or(u64::MAX), SeqCst);
    SAVED_MASK.store(context.sigmask, SeqCst);
    if sig == SIGUSR1 as i32 {
        USR1_RUNS.fetch_add(1, SeqCst);
    } else {
        USR2_RUNS.fetch_add(1, SeqCst);
    }
}

fn reset_counts() {
    USR1_RUNS.store(0, SeqCst);
    USR2_RUNS.store(0, SeqCst);
}

fn runs() -> (u32, u32) {
    (USR1_RUNS.load(SeqCst), USR2_RUNS.load(SeqCst))
}

fn pending() -> u64 {
    check_ok!(signal::sigpending(), "sigpending")
}

fn check_pending_until_unblocked() {
    let usr1 = sigset_bit(SIGUSR1);
    let usr2 = sigset_bit(SIGUSR2);
    reset_counts();
    check_eq!(signal::block(usr1), Ok(0), "block SIGUSR1 (old mask empty)");
    check_eq!(signal::blocked(), Ok(usr1), "the mask");
    check_eq!(pending(), 0, "nothing pending yet");
    check_ok!(ulib::kill(me(), SIGUSR1), "first kill(self, SIGUSR1)");
    check_ok!(ulib::kill(me(), SIGUSR1), "second kill(self, SIGUSR1)");
    check_eq!(runs(), (0, 0), "no handler ran while SIGUSR1 was blocked");
    check_eq!(pending(), usr1, "SIGUSR1 pending");
    check_eq!(signal::unblock(usr1), Ok(usr1), "unblock SIGUSR1");
    check_eq!(runs(), (1, 0), "one run for two sends of a standard signal");
    check_eq!(pending(), 0, "nothing pending after the unblock");

    reset_counts();
    check_ok!(signal::set_mask(usr1 | usr2), "block SIGUSR1 and SIGUSR2");
    check_ok!(ulib::kill(me(), SIGUSR2), "kill(self, SIGUSR2)");
    check_ok!(ulib::kill(me(), SIGUSR1), "kill(self, SIGUSR1)");
    check_eq!(pending(), usr1 | usr2, "both pending");
    check_eq!(runs(), (0, 0), "no handler ran while both were blocked");
    check_ok!(signal::set_mask(0), "unblock both");
    check_eq!(runs(), (1, 1), "each ran once");
    check_eq!(pending(), 0, "nothing pending");
}

fn check_ignore_discards_pending() {
    reset_counts();
    check_ok!(signal::set_mask(sigset_bit(SIGUSR1)), "block SIGUSR1");
    check_ok!(ulib::kill(me(), SIGUSR1), "kill(self, SIGUSR1)");
    check_eq!(pending(), sigset_bit(SIGUSR1), "SIGUSR1 pending");
    check_ok!(signal::ignore(SIGUSR1), "ignore SIGUSR1");
    check_eq!(pending(), 0, "ignoring SIGUSR1 discarded the pending one");
    check_ok!(
        signal::set_info_handler(SIGUSR1, counting_handler, 0, 0),
        "reinstall the handler"
    );
    check_ok!(signal::set_mask(0), "unblock SIGUSR1");
    check_eq!(runs(), (0, 0), "the discarded SIGUSR1 never ran");
}

extern "C" fn uncallable_handler(_sig: i32) {}

fn check_kill_and_stop_unblockable() {
    for sig in [SIGKILL, SIGSTOP] {
        check_eq!(
            signal::set_handler(sig, uncallable_handler, 0, 0).map(|_| ()),
            Err(Errno::EINVAL),
            "a handler for {sig}"
        );
        check_eq!(
            signal::ignore(sig).map(|_| ()),
            Err(Errno::EINVAL),
            "ignoring {sig}"
        );
        check_eq!(
            signal::set_default(sig).map(|_| ()),
            Err(Errno::EINVAL),
            "setting {sig} to SIG_DFL"
        );
        check_eq!(
            signal::sigaction(sig, None).map(|old| old.handler),
            Ok(SIG_DFL),
            "reading {sig}'s action"
        );
    }
    let kill_stop = sigset_bit(SIGKILL) | sigset_bit(SIGSTOP);
    let usr1 = sigset_bit(SIGUSR1);
    check_ok!(
        signal::block(kill_stop | usr1),
        "block SIGKILL, SIGSTOP, SIGUSR1"
    );
    check_eq!(
        signal::blocked(),
        Ok(usr1),
        "only SIGUSR1 of SIGKILL, SIGSTOP, SIGUSR1 is blocked"
    );
    check_ok!(signal::set_mask(u64::MAX), "block everything");
    let full = check_ok!(signal::blocked(), "read the full mask");
    check_eq!(
        full & STANDARD,
        STANDARD & !kill_stop,
        "a full mask leaves out SIGKILL and SIGSTOP (standard signals: {full:#x})"
    );
    if ulib::on_lantern() {
        check_eq!(
            full,
            !kill_stop,
            "a full mask blocks every real-time signal"
        );
    }
    check_ok!(signal::set_mask(0), "unblock everything");

    // A child that blocks everything, then waits to be stopped and killed.
    let (ready_read, ready_write) = check_ok!(fs::pipe(), "pipe");
    let child = match check_ok!(ulib::fork(), "fork") {
        Fork::Child => {
            let _ = signal::set_mask(u64::MAX);
            let _ = ulib::write(ready_write, b"r");
            loop {
                let _ = ulib::sleep(1);
            }
        }
        Fork::Parent(pid) => pid,
    };
    check_ok!(fs::close(ready_write), "close the write end");
    let mut byte = [0u8];
    check_eq!(
        ulib::read(ready_read, &mut byte),
        Ok(1),
        "the child blocked everything"
    );
    check_ok!(fs::close(ready_read), "close the read end");
    check_ok!(ulib::kill(child, SIGSTOP), "SIGSTOP the child");
    check_eq!(
        ulib::wait4(child, WUNTRACED),
        Ok((child, wait::stopped(SIGSTOP))),
        "the child that blocks everything stopped"
    );
    check_ok!(ulib::kill(child, SIGKILL), "SIGKILL the child");
    check_eq!(
        ulib::waitpid(child),
        Ok(wait::signaled(SIGKILL, false)),
        "the child that blocks everything was killed"
    );
}

/// Forks a child that sends `sig` to the caller and exits; returns the child's pid.
fn spawn_sender(sig: u32) -> Pid {
    let parent = me();
    check_ok!(
        ulib::spawn(|| match ulib::kill(parent, sig) {
            Ok(()) => 0,
            Err(_) => 2,
        }),
        "fork a sender of {sig}"
    )
}

fn check_sigsuspend() {
    let usr1 = sigset_bit(SIGUSR1);
    let usr2 = sigset_bit(SIGUSR2);
    reset_counts();
    check_ok!(signal::set_mask(usr1), "block SIGUSR1");
    let sender = spawn_sender(SIGUSR1);
    check_eq!(
        signal::sigsuspend(usr2),
        Errno::EINTR,
        "sigsuspend returns EINTR"
    );
    check_eq!(runs(), (1, 0), "the handler ran during sigsuspend");
    check_eq!(
        MASK_INSIDE.load(SeqCst),
        usr1 | usr2,
        "the mask inside the handler: sigsuspend's plus the signal"
    );
    check_eq!(
        SAVED_MASK.load(SeqCst),
        usr1,
        "uc_sigmask: the mask before sigsuspend"
    );
    check_eq!(
        signal::blocked(),
        Ok(usr1),
        "the mask after sigsuspend is the old one"
    );
    check_eq!(
        ulib::waitpid(sender),
        Ok(wait::exited(0)),
        "the sender exited"
    );
    check_ok!(signal::set_mask(0), "unblock everything");
}

fn check_pause() {
    // The child keeps sending until it is killed, so it does not matter whether the first
    // signal arrives before `pause` starts.
    let parent = me();
    let sender = match check_ok!(ulib::fork(), "fork") {
        Fork::Child => loop {
            if ulib::kill(parent, SIGUSR2).is_err() {
                ulib::exit(2);
            }
            let _ = ulib::sleep_ms(10);
        },
        Fork::Parent(pid) => pid,
    };
    reset_counts();
    check_eq!(signal::pause(), Errno::EINTR, "pause returns EINTR");
    check_eq!(runs().0, 0, "no SIGUSR1 ran");
    check!(runs().1 >= 1, "a SIGUSR2 handler ran before pause returned");
    check_ok!(ulib::kill(sender, SIGKILL), "stop the sender");
    check_ok!(ulib::waitpid(sender), "reap the sender");
}

fn check_fork() {
    let usr1 = sigset_bit(SIGUSR1);
    reset_counts();
    check_ok!(signal::set_mask(usr1), "block SIGUSR1");
    check_ok!(ulib::kill(me(), SIGUSR1), "kill(self, SIGUSR1)");
    let child = check_ok!(
        ulib::spawn(|| {
            check_eq!(signal::blocked(), Ok(usr1), "the child's mask");
            check_eq!(pending(), 0, "the child's pending signals");
            check_eq!(
                signal::sigaction(SIGUSR1, None).map(|action| action.handler),
                Ok(counting_handler as signal::InfoHandler as usize),
                "the child's SIGUSR1 handler"
            );
            0
        }),
        "fork"
    );
    check_eq!(
        ulib::waitpid(child),
        Ok(wait::exited(0)),
        "the child inherited the mask and handlers, not the pending signal"
    );
    check_eq!(pending(), usr1, "the parent's SIGUSR1 is still pending");
    check_ok!(signal::set_mask(0), "unblock SIGUSR1");
    check_eq!(runs(), (1, 0), "the parent's pending SIGUSR1 ran");
}

fn check_exec() {
    let child = match check_ok!(ulib::fork(), "fork") {
        Fork::Child => {
            check_ok!(
                signal::sigaction(
                    SIGUSR2,
                    Some(&SigAction {
                        handler: SIG_IGN,
                        flags: SA_RESTART,
                        mask: sigset_bit(SIGHUP),
                    }),
                ),
                "ignore SIGUSR2, with flags and a mask"
            );
            check_ok!(signal::set_default(SIGHUP), "SIGHUP at its default");
            check_ok!(
                signal::set_mask(sigset_bit(SIGINT) | sigset_bit(SIGTERM)),
                "block SIGINT and SIGTERM"
            );
            check_ok!(ulib::kill(me(), SIGINT), "kill(self, SIGINT)");
            let stack = vec![0u8; 4 * MINSIGSTKSZ].leak();
            check_ok!(
                signal::sigaltstack(Some(&StackT {
                    ss_sp: stack.as_ptr() as usize,
                    ss_flags: 0,
                    ss_size: stack.len(),
                })),
                "set an alternate stack"
            );
            let error = ulib::execve(HELPER, &["t_sig_exec_helper"], &[]);
            ulib::eprintln!("t_sig_mask: execve({HELPER}): {error}");
            ulib::exit(100)
        }
        Fork::Parent(pid) => pid,
    };
    check_eq!(
        ulib::waitpid(child),
        Ok(wait::exited(0)),
        "{HELPER} found the signal state Linux keeps across execve (status 0x6400: exec failed)"
    );
}

fn check_bad_arguments() {
    let usr1 = sigset_bit(SIGUSR1);
    let set: u64 = sigset_bit(SIGUSR2);
    let set_addr = &set as *const u64 as usize;
    check_ok!(signal::set_mask(usr1), "block SIGUSR1");
    for how in [3, 99, -1] {
        check_eq!(
            signal::sigprocmask(how, set),
            Err(Errno::EINVAL),
            "sigprocmask with how {how}"
        );
        check_eq!(
            decode(signal::raw::rt_sigprocmask(how, 0, 0, 8)),
            Ok(0),
            "rt_sigprocmask with how {how} and no set"
        );
    }
    for size in [0, 4, 16] {
        check_eq!(
            decode(signal::raw::rt_sigprocmask(SIG_BLOCK, set_addr, 0, size)),
            Err(Errno::EINVAL),
            "rt_sigprocmask with sigsetsize {size}"
        );
        check_eq!(
            decode(signal::raw::rt_sigsuspend(set_addr, size)),
            Err(Errno::EINVAL),
            "rt_sigsuspend with sigsetsize {size}"
        );
    }
    check_eq!(
        decode(signal::raw::rt_sigpending(UNMAPPED_ADDR, 16)),
        Err(Errno::EINVAL),
        "rt_sigpending with sigsetsize 16"
    );
    for bad in [KERNEL_ADDR, UNMAPPED_ADDR] {
        for how in [SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK] {
            check_eq!(
                decode(signal::raw::rt_sigprocmask(how, bad, 0, 8)),
                Err(Errno::EFAULT),
                "rt_sigprocmask({how}) with the set at {bad:#x}"
            );
        }
        check_eq!(
            decode(signal::raw::rt_sigprocmask(SIG_BLOCK, 0, bad, 8)),
            Err(Errno::EFAULT),
            "rt_sigprocmask with the old set at {bad:#x}"
        );
        check_eq!(
            decode(signal::raw::rt_sigpending(bad, 8)),
            Err(Errno::EFAULT),
            "rt_sigpending into {bad:#x}"
        );
        check_eq!(
            decode(signal::raw::rt_sigsuspend(bad, 8)),
            Err(Errno::EFAULT),
            "rt_sigsuspend with the mask at {bad:#x}"
        );
    }
    check_eq!(
        signal::blocked(),
        Ok(usr1),
        "the failed calls left the mask alone"
    );
    check_ok!(signal::set_mask(0), "unblock everything");
}
