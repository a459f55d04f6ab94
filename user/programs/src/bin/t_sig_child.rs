//! Test `t_sig_child` (expects `exit=0`): SIGCHLD, stopping and continuing children, and how
//! a child's end by a signal shows in its wait status (I5, P3).
//!
//! - A `SA_SIGINFO` SIGCHLD handler runs when a child exits: `si_code` `CLD_EXITED`,
//!   `si_pid` the child, `si_status` its exit code, `si_uid` its uid; and when a child is
//!   killed: `CLD_KILLED` with the signal in `si_status`. The zombie is still there for
//!   `wait4` afterwards.
//! - With SIGCHLD ignored (`SIG_IGN`), children are reaped automatically: `wait4` for one
//!   (running or not) ends with `ECHILD` once it has exited, and its pid is gone.
//! - Stop and continue: SIGSTOP stops a child (blocked reading a pipe); the parent gets
//!   SIGCHLD with `CLD_STOPPED` (`si_status` SIGSTOP: collected before the `wait4`, as Linux
//!   takes it from the stop code that reporting the stop clears); `wait4(WUNTRACED)`
//!   reports `WIFSTOPPED` with SIGSTOP, once only, and a `wait4` without `WUNTRACED` does
//!   not see the stop. SIGCONT resumes it: SIGCHLD comes with `CLD_CONTINUED` (`si_status`
//!   SIGCONT) and `wait4(WCONTINUED)` reports `WIFCONTINUED`. The child's read then goes on, gets a byte and
//!   the child exits normally with code 7.
//! - SIGTSTP's default action stops a child (in a process group of its own, so the group is
//!   not orphaned: Linux discards SIGTSTP for orphaned groups); a stopped child killed by
//!   SIGKILL dies (`WTERMSIG` 9).
//! - Killed by SIGQUIT, SIGABRT or SIGSEGV (default action "core"): `WTERMSIG` is the
//!   signal; on Lantern the core-dump bit (`WCOREDUMP`) is set. Linux sets it only when a
//!   core file was actually written (`RLIMIT_CORE` above 0 and a usable `core_pattern`), so
//!   under the Linux reference either is accepted. Killed by SIGTERM, SIGUSR1, SIGHUP,
//!   SIGINT or SIGALRM (default "term"): never the core bit.
//! - Bad arguments: `wait4` with `WEXITED` or `WNOWAIT` (options of `waitid` only) is
//!   `EINVAL`; the SIGCHLD
//!   handler's `rt_sigaction` with a bad old-action pointer is `EFAULT`.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use core::sync::atomic::{AtomicI32, AtomicU32, Ordering::SeqCst};

use ulib::abi::Errno;
use ulib::abi::signal::{
    CLD_CONTINUED, CLD_EXITED, CLD_KILLED, CLD_STOPPED, SIGABRT, SIGALRM, SIGCHLD, SIGCONT, SIGHUP,
    SIGINT, SIGKILL, SIGQUIT, SIGSEGV, SIGSTOP, SIGTERM, SIGTSTP, SIGUSR1, SigInfo, sigset_bit,
};
use ulib::abi::wait::{self, WCONTINUED, WEXITED, WNOHANG, WNOWAIT, WUNTRACED, WaitStatus};
use ulib::hazard::UNMAPPED_ADDR;
use ulib::signal::{self, UContext};
use ulib::syscall::decode;
use ulib::tty::setpgid;
use ulib::{Fork, Pid, check, check_eq, check_ok, fs};

ulib::entry!(main);

/// How many SIGCHLDs the handler has seen, and the last one's details.
static CHLD_RUNS: AtomicU32 = AtomicU32::new(0);
static CHLD_CODE: AtomicI32 = AtomicI32::new(0);
static CHLD_PID: AtomicI32 = AtomicI32::new(0);
static CHLD_STATUS: AtomicI32 = AtomicI32::new(0);
static CHLD_UID: AtomicU32 = AtomicU32::new(u32::MAX);

fn main() -> i32 {
    check_ok!(signal::set_mask(0), "start with nothing blocked");
    check_sigchld_on_exit();
    check_sigchld_ignored();
    check_stop_and_continue();
    check_tstp_and_kill_stopped();
    check_core_bit();
    check_bad_arguments();
    ulib::println!("t_sig_child: ok");
    0
}

extern "C" fn sigchld_handler(_sig: i32, info: &SigInfo, _context: &UContext) {
    CHLD_CODE.store(info.code, SeqCst);
    CHLD_PID.store(info.pid, SeqCst);
    CHLD_STATUS.store(info.status, SeqCst);
    CHLD_UID.store(info.uid, SeqCst);
    CHLD_RUNS.fetch_add(1, SeqCst);
}

/// With SIGCHLD blocked, waits (with it unblocked) for the handler's next run after `seen`
/// runs and returns `(si_code, si_pid, si_status)`.
fn next_sigchld(seen: u32) -> (i32, Pid, i32) {
    signal::suspend_until(0, || CHLD_RUNS.load(SeqCst) > seen);
    check_eq!(CHLD_RUNS.load(SeqCst), seen + 1, "one SIGCHLD at a time");
    (
        CHLD_CODE.load(SeqCst),
        CHLD_PID.load(SeqCst),
        CHLD_STATUS.load(SeqCst),
    )
}

fn check_sigchld_on_exit() {
    let uid = check_ok!(ulib::process::getuid(), "getuid");
    check_ok!(
        signal::set_info_handler(SIGCHLD, sigchld_handler, 0, 0),
        "install the SIGCHLD handler"
    );
    check_ok!(signal::block(sigset_bit(SIGCHLD)), "block SIGCHLD");
    let seen = CHLD_RUNS.load(SeqCst);
    let child = check_ok!(ulib::spawn(|| 7), "fork a child that exits 7");
    check_eq!(
        next_sigchld(seen),
        (CLD_EXITED, child, 7),
        "SIGCHLD (si_code, si_pid, si_status) for a child that exited 7"
    );
    check_eq!(CHLD_UID.load(SeqCst), uid, "si_uid");
    check_eq!(
        ulib::waitpid(child),
        Ok(wait::exited(7)),
        "the zombie is still there to be reaped"
    );

    let seen = CHLD_RUNS.load(SeqCst);
    let child = spawn_sleeper();
    check_ok!(ulib::kill(child, SIGTERM), "kill the child with SIGTERM");
    check_eq!(
        next_sigchld(seen),
        (CLD_KILLED, child, SIGTERM as i32),
        "SIGCHLD (si_code, si_pid, si_status) for a child killed by SIGTERM"
    );
    check_eq!(
        ulib::waitpid(child),
        Ok(wait::signaled(SIGTERM, false)),
        "the killed child's status"
    );
    check_ok!(signal::set_default(SIGCHLD), "default SIGCHLD");
    check_ok!(signal::set_mask(0), "unblock SIGCHLD");
}

/// Forks a child that sleeps until a signal ends it.
fn spawn_sleeper() -> Pid {
    match check_ok!(ulib::fork(), "fork") {
        Fork::Child => loop {
            let _ = ulib::sleep(1);
        },
        Fork::Parent(pid) => pid,
    }
}

fn check_sigchld_ignored() {
    check_ok!(signal::ignore(SIGCHLD), "ignore SIGCHLD");
    let quick = check_ok!(ulib::spawn(|| 0), "fork a child that exits at once");
    check_eq!(
        ulib::wait4(quick, 0),
        Err(Errno::ECHILD),
        "wait4 for an auto-reaped child"
    );
    check_eq!(ulib::kill(quick, 0), Err(Errno::ESRCH), "its pid is gone");
    // A child still running: wait4 waits for it to end, then finds nothing to reap.
    let slow = check_ok!(
        ulib::spawn(|| {
            let _ = ulib::sleep_ms(100);
            0
        }),
        "fork a child that sleeps 100 ms"
    );
    check_eq!(
        ulib::wait4(-1, 0),
        Err(Errno::ECHILD),
        "wait4(-1) once the running child has ended"
    );
    check_eq!(ulib::kill(slow, 0), Err(Errno::ESRCH), "its pid is gone");
    check_ok!(signal::set_default(SIGCHLD), "default SIGCHLD");
}

fn check_stop_and_continue() {
    check_ok!(
        signal::set_info_handler(SIGCHLD, sigchld_handler, 0, 0),
        "install the SIGCHLD handler"
    );
    check_ok!(signal::block(sigset_bit(SIGCHLD)), "block SIGCHLD");
    let (go_read, go_write) = check_ok!(fs::pipe(), "pipe");
    let child = match check_ok!(ulib::fork(), "fork") {
        Fork::Child => {
            let _ = fs::close(go_write);
            let mut byte = [0u8];
            match ulib::read(go_read, &mut byte) {
                Ok(1) if byte[0] == b'x' => ulib::exit(7),
                other => {
                    ulib::eprintln!("t_sig_child: the stopped child's read: {other:?}");
                    ulib::exit(2)
                }
            }
        }
        Fork::Parent(pid) => pid,
    };
    check_ok!(fs::close(go_read), "close the read end");

    // The SIGCHLD first: Linux fills a CLD_STOPPED si_status from the stop code, which a
    // wait4 that reports the stop first clears to 0.
    let seen = CHLD_RUNS.load(SeqCst);
    check_ok!(ulib::kill(child, SIGSTOP), "SIGSTOP the child");
    check_eq!(
        next_sigchld(seen),
        (CLD_STOPPED, child, SIGSTOP as i32),
        "SIGCHLD (si_code, si_pid, si_status) for the stop"
    );
    check_eq!(
        ulib::wait4(child, WUNTRACED),
        Ok((child, wait::stopped(SIGSTOP))),
        "wait4(WUNTRACED) sees the stop"
    );
    check_eq!(
        ulib::wait4(child, WUNTRACED | WNOHANG),
        Ok((0, 0)),
        "a stop is reported once"
    );
    check_eq!(
        ulib::wait4(child, WNOHANG),
        Ok((0, 0)),
        "wait4 without WUNTRACED ignores the stopped child"
    );

    let seen = CHLD_RUNS.load(SeqCst);
    check_ok!(ulib::kill(child, SIGCONT), "SIGCONT the child");
    check_eq!(
        next_sigchld(seen),
        (CLD_CONTINUED, child, SIGCONT as i32),
        "SIGCHLD (si_code, si_pid, si_status) for the continue"
    );
    check_eq!(
        ulib::wait4(child, WCONTINUED),
        Ok((child, wait::CONTINUED)),
        "wait4(WCONTINUED) sees the continue"
    );

    let seen = CHLD_RUNS.load(SeqCst);
    check_eq!(ulib::write(go_write, b"x"), Ok(1), "let the child go on");
    check_ok!(fs::close(go_write), "close the write end");
    check_eq!(
        next_sigchld(seen),
        (CLD_EXITED, child, 7),
        "SIGCHLD for the resumed child's exit"
    );
    check_eq!(
        ulib::waitpid(child),
        Ok(wait::exited(7)),
        "the resumed child finished its read and exited normally"
    );
    check_ok!(signal::set_default(SIGCHLD), "default SIGCHLD");
    check_ok!(signal::set_mask(0), "unblock SIGCHLD");
}

fn check_tstp_and_kill_stopped() {
    let child = match check_ok!(ulib::fork(), "fork") {
        Fork::Child => {
            let _ = setpgid(0, 0);
            let _ = signal::set_default(SIGTSTP);
            loop {
                let _ = ulib::sleep(1);
            }
        }
        Fork::Parent(pid) => pid,
    };
    // The shell's way: both sides move the child, so the group exists before the signal.
    check_ok!(
        setpgid(child, child),
        "move the child into a group of its own"
    );
    check_ok!(ulib::kill(child, SIGTSTP), "SIGTSTP the child");
    check_eq!(
        ulib::wait4(child, WUNTRACED),
        Ok((child, wait::stopped(SIGTSTP))),
        "SIGTSTP's default action stopped the child"
    );
    check_ok!(ulib::kill(child, SIGKILL), "SIGKILL the stopped child");
    check_eq!(
        ulib::waitpid(child),
        Ok(wait::signaled(SIGKILL, false)),
        "the stopped child was killed"
    );
}

fn check_core_bit() {
    let on_lantern = ulib::on_lantern();
    for (sig, core_action) in [
        (SIGQUIT, true),
        (SIGABRT, true),
        (SIGSEGV, true),
        (SIGTERM, false),
        (SIGUSR1, false),
        (SIGHUP, false),
        (SIGINT, false),
        (SIGALRM, false),
    ] {
        let child = check_ok!(
            ulib::spawn(move || {
                let _ = signal::set_default(sig);
                let _ = signal::set_mask(0);
                if let Ok(me) = ulib::getpid() {
                    let _ = ulib::kill(me, sig);
                }
                ulib::eprintln!("t_sig_child: survived kill(self, {sig})");
                2
            }),
            "fork"
        );
        let status = check_ok!(ulib::waitpid(child), "reap the child killed by {sig}");
        let decoded = WaitStatus::decode(status);
        let Some(WaitStatus::Signaled { sig: killer, core }) = decoded else {
            ulib::fail!("the child sent {sig} ended with status {status:#x} ({decoded:?})")
        };
        check_eq!(killer, sig, "WTERMSIG of status {status:#x}");
        if !core_action {
            check!(
                !core,
                "{sig} (not a core signal) set the core bit: {status:#x}"
            );
        } else if on_lantern {
            check!(
                core,
                "{sig} is a core signal but the core bit is clear: {status:#x}"
            );
        }
    }
}

fn check_bad_arguments() {
    let child = check_ok!(ulib::spawn(|| 0), "fork");
    for option in [WEXITED, WNOWAIT] {
        check_eq!(
            ulib::wait4(child, option),
            Err(Errno::EINVAL),
            "wait4 with option {option:#x}"
        );
    }
    check_eq!(ulib::waitpid(child), Ok(wait::exited(0)), "reap the child");
    check_eq!(
        decode(signal::raw::rt_sigaction(SIGCHLD, 0, UNMAPPED_ADDR, 8)),
        Err(Errno::EFAULT),
        "rt_sigaction(SIGCHLD) with the old action at {UNMAPPED_ADDR:#x}"
    );
}
