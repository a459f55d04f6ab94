//! Test `t_fork_bomb` (expects `exit=0`): the kernel's process limit holds and recovers.
//!
//! The test forks children until `fork` fails; each child sleeps until it is killed. The
//! failure must be `EAGAIN` (Linux's answer when a process limit is reached) and must come
//! before [`MAX_FORKS`] forks. Then every child is killed with SIGKILL and reaped (each
//! reported killed by SIGKILL), no child is left (`ECHILD`), and `fork` works again.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::vec::Vec;

use ulib::abi::Errno;
use ulib::abi::signal::SIGKILL;
use ulib::abi::wait::{self, WaitStatus};
use ulib::{Fork, Pid, check, check_eq};

ulib::entry!(main);

/// A kernel that lets this many processes exist has no working limit.
const MAX_FORKS: usize = 10_000;

fn main() -> i32 {
    let mut children: Vec<Pid> = Vec::new();
    // Room for every pid, so the loop never allocates while the system is at its limit.
    children.reserve_exact(MAX_FORKS);
    let failure = loop {
        if children.len() == MAX_FORKS {
            break None;
        }
        match ulib::fork() {
            Ok(Fork::Child) => sleep_until_killed(),
            Ok(Fork::Parent(child)) => children.push(child),
            Err(error) => break Some(error),
        }
    };
    let forked = children.len();
    ulib::println!("t_fork_bomb: fork failed after {forked} children: {failure:?}");
    for &child in &children {
        check_eq!(ulib::kill(child, SIGKILL), Ok(()), "kill child {child}");
    }
    for &child in &children {
        check_eq!(
            ulib::waitpid(child).map(WaitStatus::decode),
            Ok(Some(WaitStatus::Signaled {
                sig: SIGKILL,
                core: false
            })),
            "status of child {child}"
        );
    }
    check_eq!(
        failure,
        Some(Errno::EAGAIN),
        "fork failed after {forked} forks"
    );
    check!(forked > 0, "at least one fork succeeded");
    check_eq!(ulib::wait4(-1, 0), Err(Errno::ECHILD), "no child is left");
    let again = match ulib::fork() {
        Ok(Fork::Child) => ulib::exit(0),
        Ok(Fork::Parent(child)) => child,
        Err(error) => ulib::fail!("fork after cleanup: {error}"),
    };
    check_eq!(
        ulib::wait4(again, 0),
        Ok((again, wait::exited(0))),
        "the child forked after cleanup"
    );
    ulib::println!("t_fork_bomb: ok");
    0
}

/// A bomb child: sleeps until the parent kills it.
fn sleep_until_killed() -> ! {
    loop {
        let _ = ulib::sleep(1);
    }
}
