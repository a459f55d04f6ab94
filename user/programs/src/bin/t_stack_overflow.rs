//! Test `t_stack_overflow` (expects `exit=0`): a stack that overflows hits the guard page
//! below it and the process dies with SIGSEGV instead of running into other memory (P4).
//!
//! A child recurses without bound, each frame holding a 1 KiB array the optimizer cannot
//! remove; the parent checks that the child was killed by SIGSEGV (`WTERMSIG` 11; a core
//! dump flag is allowed). A child that somehow returns exits 1.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use core::hint::black_box;

use ulib::abi::signal::SIGSEGV;
use ulib::abi::wait;
use ulib::{Fork, check, check_eq};

ulib::entry!(main);

/// Bytes of stack each level of the recursion keeps live.
const FRAME_BYTES: usize = 1024;

fn main() -> i32 {
    let child = match ulib::fork() {
        Ok(Fork::Child) => {
            let depth = recurse(0);
            ulib::eprintln!("t_stack_overflow: the recursion returned at depth {depth}");
            ulib::exit(1)
        }
        Ok(Fork::Parent(child)) => child,
        Err(error) => ulib::fail!("fork: {error}"),
    };
    let status = ulib::waitpid(child);
    check!(status.is_ok(), "waitpid: {status:?}");
    let status = status.unwrap_or(0);
    check!(
        wait::wifsignaled(status),
        "the child was killed by a signal (status {status:#x})"
    );
    check_eq!(
        wait::wtermsig(status),
        SIGSEGV,
        "the signal that killed the child"
    );
    ulib::println!("t_stack_overflow: ok");
    0
}

/// Recurses until the stack runs out; returns only if `black_box` lies, which it does not.
fn recurse(depth: u64) -> u64 {
    let mut frame = [0u8; FRAME_BYTES];
    frame[depth as usize % FRAME_BYTES] = depth as u8;
    let frame = black_box(frame);
    let deeper = if black_box(true) {
        recurse(depth + 1)
    } else {
        depth
    };
    deeper + u64::from(frame[(deeper as usize) % FRAME_BYTES])
}
