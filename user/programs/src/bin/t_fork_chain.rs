//! Test `t_fork_chain` (expects `exit=0`): a chain of [`DEPTH`] processes, each the child
//! of the one before, all alive at once (the kernel must allow at least `DEPTH` + 2
//! processes: init, this test and the chain).
//!
//! Each level forks one child and waits for it; the deepest exits 0 and every level exits
//! with its child's exit status, so the top sees 0 only if all went well. A level whose
//! `getppid` is not the pid its parent had, or whose fork or wait fails, exits 1 after
//! saying so (a level killed by a signal is reported as exit 2 by its parent), and that
//! status travels up the chain.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use ulib::abi::wait::WaitStatus;
use ulib::{Fork, Pid, check_eq};

ulib::entry!(main);

/// Processes below the test in the chain.
const DEPTH: u32 = 100;

fn main() -> i32 {
    let status = descend(0);
    check_eq!(status, 0, "exit status of the {DEPTH}-deep fork chain");
    ulib::println!("t_fork_chain: ok");
    0
}

/// Forks the chain below `level` and returns the exit status it ends with.
fn descend(level: u32) -> i32 {
    if level == DEPTH {
        return 0;
    }
    let me = match ulib::getpid() {
        Ok(pid) => pid,
        Err(error) => return failure(level, format_args!("getpid failed: {error}")),
    };
    match ulib::fork() {
        Ok(Fork::Child) => ulib::exit(child(level + 1, me)),
        Ok(Fork::Parent(child)) => wait_for(level, child),
        Err(error) => failure(level, format_args!("fork failed: {error}")),
    }
}

/// Runs level `level`, whose parent had pid `parent`, and returns its exit status.
fn child(level: u32, parent: Pid) -> i32 {
    match ulib::getppid() {
        Ok(ppid) if ppid == parent => descend(level),
        other => failure(
            level,
            format_args!("getppid = {other:?}, parent was {parent}"),
        ),
    }
}

/// Waits for the child of `level` and returns the status to pass up.
fn wait_for(level: u32, child: Pid) -> i32 {
    match ulib::waitpid(child).map(WaitStatus::decode) {
        Ok(Some(WaitStatus::Exited(code))) => i32::from(code),
        Ok(Some(WaitStatus::Signaled { sig, .. })) => {
            ulib::eprintln!(
                "t_fork_chain: level {} was killed by signal {sig}",
                level + 1
            );
            2
        }
        other => failure(level, format_args!("waiting for child {child}: {other:?}")),
    }
}

/// Reports a failure at `level` and returns the status that says so.
fn failure(level: u32, why: core::fmt::Arguments<'_>) -> i32 {
    ulib::eprintln!("t_fork_chain: level {level}: {why}");
    1
}
