//! Test `t_wait` (expects `exit=0`): `wait4` and `kill` as Linux defines them.
//!
//! - With no children, `wait4(-1)` (blocking or `WNOHANG`) is `ECHILD`.
//! - `WNOHANG` with a child that is still running returns pid 0.
//! - A child killed by SIGKILL reports `WIFSIGNALED`, `WTERMSIG` 9; by SIGTERM, 15.
//! - A child that exited stays a zombie until reaped: `kill(pid, 0)` still finds it, a
//!   `WNOHANG` poll reaps it, and afterwards `kill(pid, 0)` is `ESRCH`.
//! - `wait4` for a pid that is not the caller's child (itself, its parent, a pid that does
//!   not exist) is `ECHILD`; unknown option bits are `EINVAL`.
//! - A bad status or rusage pointer (kernel half, unmapped) is `EFAULT`, and, as on Linux,
//!   the failed call has already reaped the child: a second `wait4` for it is `ECHILD`.
//!   (Linux's `kernel_wait4` stores the status after `do_wait` released the zombie; NULL
//!   means "no status wanted" and is not an error.)
//! - `kill` with a signal number outside 0..=64 is `EINVAL`, and with a pid nobody has is
//!   `ESRCH`.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use ulib::abi::Errno;
use ulib::abi::signal::{SIGKILL, SIGTERM};
use ulib::abi::wait::{self, WNOHANG, WaitStatus};
use ulib::hazard::{KERNEL_ADDR, UNMAPPED_ADDR};
use ulib::syscall::decode;
use ulib::{Fork, Pid, check, check_eq, raw};

ulib::entry!(main);

/// A pid far above any Lantern or default Linux pid (`pid_max` is at most 4194304).
const NO_SUCH_PID: Pid = 0x7fff_0000;

/// How long to poll for a child to end before giving up.
const POLL_LIMIT_MS: u64 = 5000;

fn main() -> i32 {
    check_no_children();
    check_running_child();
    check_killed(SIGKILL);
    check_killed(SIGTERM);
    check_zombie();
    check_not_a_child();
    check_bad_pointers();
    check_kill_errors();
    ulib::println!("t_wait: ok");
    0
}

/// Forks a child that runs `child`; returns its pid in the parent.
fn spawn(child: fn() -> !) -> Pid {
    match ulib::fork() {
        Ok(Fork::Child) => child(),
        Ok(Fork::Parent(pid)) => pid,
        Err(error) => ulib::fail!("fork: {error}"),
    }
}

/// A child that sleeps until it is killed.
fn sleep_forever() -> ! {
    loop {
        let _ = ulib::sleep(1);
    }
}

/// A child that exits 0 at once.
fn exit_now() -> ! {
    ulib::exit(0)
}

/// Polls with `WNOHANG` until child `pid` has ended and returns its status.
fn poll_until_reaped(pid: Pid) -> i32 {
    for _ in 0..POLL_LIMIT_MS / 10 {
        match ulib::wait4(pid, WNOHANG) {
            Ok((0, _)) => {
                let _ = ulib::sleep_ms(10);
            }
            Ok((reaped, status)) => {
                check_eq!(reaped, pid, "wait4({pid}, WNOHANG) returned another pid");
                return status;
            }
            Err(error) => ulib::fail!("wait4({pid}, WNOHANG): {error}"),
        }
    }
    ulib::fail!("child {pid} did not end within {POLL_LIMIT_MS} ms")
}

fn check_no_children() {
    check_eq!(
        ulib::wait4(-1, 0),
        Err(Errno::ECHILD),
        "wait4(-1) without children"
    );
    check_eq!(
        ulib::wait4(-1, WNOHANG),
        Err(Errno::ECHILD),
        "wait4(-1, WNOHANG) without children"
    );
}

fn check_running_child() {
    let child = spawn(sleep_forever);
    check_eq!(
        ulib::wait4(child, WNOHANG),
        Ok((0, 0)),
        "wait4(child, WNOHANG) while the child sleeps"
    );
    check_eq!(
        ulib::wait4(-1, WNOHANG),
        Ok((0, 0)),
        "wait4(-1, WNOHANG) while the child sleeps"
    );
    check_eq!(ulib::kill(child, SIGKILL), Ok(()), "kill(child, SIGKILL)");
    check_eq!(
        ulib::waitpid(child).map(WaitStatus::decode),
        Ok(Some(WaitStatus::Signaled {
            sig: SIGKILL,
            core: false
        })),
        "status of the killed sleeper"
    );
}

fn check_killed(sig: u32) {
    let child = spawn(sleep_forever);
    check_eq!(ulib::kill(child, sig), Ok(()), "kill(child, {sig})");
    let reaped = ulib::wait4(-1, 0);
    check_eq!(
        reaped.map(|(pid, _)| pid),
        Ok(child),
        "wait4(-1) after kill {sig}"
    );
    let status = reaped.map_or(0, |(_, status)| status);
    check!(
        wait::wifsignaled(status) && !wait::wifexited(status),
        "child killed by {sig}: WIFSIGNALED, status {status:#x}"
    );
    check_eq!(
        wait::wtermsig(status),
        sig,
        "WTERMSIG of status {status:#x}"
    );
}

fn check_zombie() {
    let child = spawn(exit_now);
    // The child exits at once (surely within 100 ms), but stays a zombie: still there for
    // `kill(pid, 0)`.
    let _ = ulib::sleep_ms(100);
    check_eq!(
        ulib::kill(child, 0),
        Ok(()),
        "kill(zombie, 0) before it is reaped"
    );
    let status = poll_until_reaped(child);
    check_eq!(status, wait::exited(0), "status of the child that exited 0");
    check_eq!(
        ulib::kill(child, 0),
        Err(Errno::ESRCH),
        "kill(pid, 0) after reaping"
    );
    check_eq!(
        ulib::wait4(child, 0),
        Err(Errno::ECHILD),
        "wait4 for a reaped child"
    );
}

fn check_not_a_child() {
    let me = ulib::getpid().unwrap_or(0);
    let parent = ulib::getppid().unwrap_or(0);
    let child = spawn(sleep_forever);
    for (pid, what) in [
        (me, "itself"),
        (parent, "its parent"),
        (NO_SUCH_PID, "no process"),
    ] {
        check_eq!(
            ulib::wait4(pid, 0),
            Err(Errno::ECHILD),
            "wait4 for {what} (pid {pid}) with a child running"
        );
    }
    check_eq!(
        ulib::wait4(child, 0x10),
        Err(Errno::EINVAL),
        "wait4 with unknown option bit 0x10"
    );
    check_eq!(ulib::kill(child, SIGKILL), Ok(()), "kill the sleeper");
    check_eq!(
        ulib::wait4(child, 0).map(|(pid, _)| pid),
        Ok(child),
        "reap the sleeper"
    );
}

fn check_bad_pointers() {
    for addr in [KERNEL_ADDR, UNMAPPED_ADDR] {
        for (status, rusage, what) in [(addr, 0, "status"), (0, addr, "rusage")] {
            let child = spawn(exit_now);
            check_eq!(
                decode(raw::wait4(child, status, 0, rusage)),
                Err(Errno::EFAULT),
                "wait4 with {what} pointer {addr:#x}"
            );
            check_eq!(
                ulib::wait4(child, WNOHANG),
                Err(Errno::ECHILD),
                "the failed wait4 ({what} at {addr:#x}) reaped the child, as on Linux"
            );
        }
    }
    let child = spawn(exit_now);
    check_eq!(
        decode(raw::wait4(child, 0, 0, 0)),
        Ok(child as usize),
        "wait4 with NULL status and rusage"
    );
}

fn check_kill_errors() {
    let me = ulib::getpid().unwrap_or(0);
    for sig in [65, 1000, u32::MAX] {
        check_eq!(ulib::kill(me, sig), Err(Errno::EINVAL), "kill(self, {sig})");
    }
    check_eq!(
        ulib::kill(NO_SUCH_PID, 0),
        Err(Errno::ESRCH),
        "kill(no such pid, 0)"
    );
    check_eq!(
        ulib::kill(NO_SUCH_PID, SIGKILL),
        Err(Errno::ESRCH),
        "kill(no such pid, SIGKILL)"
    );
    check_eq!(ulib::kill(me, 0), Ok(()), "kill(self, 0)");
}
