//! Test `t_orphan` (expects `exit=0`): orphans are re-parented to init, and init reaps them
//! (P5). Run by init's test mode, or anywhere pid 1 reaps orphans.
//!
//! Only the test's own children can report to it through their exit status, and the
//! grandchildren this is about are not its children, so a child is used as the messenger:
//!
//! 1. The test forks the *verdict* child V, which sleeps [`VERDICT_LIMIT_MS`] and then exits
//!    0, meaning "no verdict came".
//! 2. The test forks C, which forks the grandchildren G1 and G2 and exits 0 at once,
//!    orphaning them. G2 knows G1's pid (it was forked after it) and both know V's.
//! 3. G1 waits until `getppid()` is 1, then exits. If it is never adopted it says so and
//!    does not exit, so G2 sees it stay.
//! 4. G2 waits until it is adopted itself, then until `kill(G1, 0)` is `ESRCH`: G1 exited,
//!    and init reaped its zombie (a zombie still answers `kill(pid, 0)`). If both happen
//!    within [`ADOPTION_LIMIT_MS`] each, G2 kills V with SIGUSR1, else it says what went
//!    wrong and kills V with SIGUSR2 (and G1 with SIGKILL).
//! 5. The test reaps C (exit 0) and V: it passes only if V was killed by SIGUSR1.
//!
//! Only G2 signals V, so V's fate carries exactly one verdict.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use ulib::abi::Errno;
use ulib::abi::signal::{SIGKILL, SIGUSR1, SIGUSR2};
use ulib::abi::wait::{self, WaitStatus};
use ulib::{Fork, Pid, check_eq};

ulib::entry!(main);

/// The pid of init, which adopts orphans.
const INIT: Pid = 1;

/// How long each grandchild waits for what it checks.
const ADOPTION_LIMIT_MS: u64 = 2000;

/// How long the verdict child waits for a verdict.
const VERDICT_LIMIT_MS: u64 = 5000;

/// Polling interval of the grandchildren.
const POLL_MS: u64 = 10;

fn main() -> i32 {
    let verdict = fork_running(|| {
        let _ = ulib::sleep_ms(VERDICT_LIMIT_MS);
        0
    });
    let orphaner = fork_running(|| {
        let first = fork_running(first_grandchild);
        fork_running(move || second_grandchild(first, verdict));
        0
    });
    check_eq!(
        ulib::waitpid(orphaner),
        Ok(wait::exited(0)),
        "the child that orphaned its two children"
    );
    let status = ulib::waitpid(verdict).map(WaitStatus::decode);
    let why = match status {
        Ok(Some(WaitStatus::Signaled { sig: SIGUSR1, .. })) => {
            ulib::println!("t_orphan: ok");
            return 0;
        }
        Ok(Some(WaitStatus::Signaled { sig: SIGUSR2, .. })) => "a grandchild reported a failure",
        Ok(Some(WaitStatus::Exited(0))) => "no verdict came from the grandchildren",
        _ => "the verdict child ended unexpectedly",
    };
    ulib::eprintln!("t_orphan: {why} (verdict child: {status:?})");
    1
}

/// Forks a child that runs `child` and exits with the status it returns; returns the
/// child's pid.
fn fork_running(child: impl FnOnce() -> i32) -> Pid {
    match ulib::fork() {
        Ok(Fork::Child) => ulib::exit(child()),
        Ok(Fork::Parent(pid)) => pid,
        Err(error) => {
            ulib::eprintln!("t_orphan: fork failed: {error}");
            ulib::exit(1)
        }
    }
}

/// Polls `done` every [`POLL_MS`] for up to [`ADOPTION_LIMIT_MS`]; whether it came true.
fn poll(mut done: impl FnMut() -> bool) -> bool {
    for _ in 0..ADOPTION_LIMIT_MS / POLL_MS {
        if done() {
            return true;
        }
        let _ = ulib::sleep_ms(POLL_MS);
    }
    done()
}

/// Whether the caller's parent is init.
fn adopted() -> bool {
    ulib::getppid() == Ok(INIT)
}

/// G1: exits once adopted; stays (until G2 kills it) if that never happens.
fn first_grandchild() -> i32 {
    if !poll(adopted) {
        ulib::eprintln!(
            "t_orphan: first grandchild not adopted by init: getppid = {:?}",
            ulib::getppid()
        );
        loop {
            let _ = ulib::sleep(1);
        }
    }
    0
}

/// G2: checks its own adoption and that init reaped G1, and tells the verdict child.
fn second_grandchild(first: Pid, verdict: Pid) -> i32 {
    let failure = if !poll(adopted) {
        Some("second grandchild not adopted by init")
    } else if !poll(|| ulib::kill(first, 0) == Err(Errno::ESRCH)) {
        Some("the first grandchild still exists: not adopted, or not reaped by init")
    } else {
        None
    };
    match failure {
        None => {
            let _ = ulib::kill(verdict, SIGUSR1);
        }
        Some(why) => {
            ulib::eprintln!("t_orphan: {why} (getppid = {:?})", ulib::getppid());
            let _ = ulib::kill(first, SIGKILL);
            let _ = ulib::kill(verdict, SIGUSR2);
        }
    }
    0
}
