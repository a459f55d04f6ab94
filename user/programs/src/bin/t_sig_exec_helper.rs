//! Helper of `t_sig_mask` (not a test of its own): checks the signal state a process has
//! right after `execve`, as `t_sig_mask` sets it up before the exec, and exits 0 if it is
//! what Linux guarantees (execve(2), signal(7)), 1 (after printing the difference) if not.
//!
//! Before the exec, `t_sig_mask`'s child has a handler for SIGUSR1, ignores SIGUSR2 (with
//! `SA_RESTART` and SIGHUP in `sa_mask`), leaves SIGHUP at its default, blocks SIGINT and
//! SIGTERM, has a SIGINT pending and an alternate signal stack. After the exec:
//! - the caught SIGUSR1 is back to `SIG_DFL`; SIGUSR2 is still ignored; SIGHUP is still
//!   `SIG_DFL`; every action's flags and mask are cleared;
//! - the mask is the same (SIGINT and SIGTERM) and SIGINT is still pending;
//! - there is no alternate signal stack.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use ulib::abi::signal::{
    SIG_DFL, SIG_IGN, SIGHUP, SIGINT, SIGTERM, SIGUSR1, SIGUSR2, SS_DISABLE, SigAction, sigset_bit,
};
use ulib::signal;
use ulib::{check_eq, check_ok};

ulib::entry!(main);

fn main() -> i32 {
    for (sig, handler) in [(SIGUSR1, SIG_DFL), (SIGUSR2, SIG_IGN), (SIGHUP, SIG_DFL)] {
        check_eq!(
            check_ok!(signal::sigaction(sig, None), "read the action of {sig}"),
            SigAction {
                handler,
                flags: 0,
                mask: 0
            },
            "the action of {sig} after execve"
        );
    }
    check_eq!(
        check_ok!(signal::blocked(), "read the mask"),
        sigset_bit(SIGINT) | sigset_bit(SIGTERM),
        "the mask after execve"
    );
    check_eq!(
        check_ok!(signal::sigpending(), "read the pending set"),
        sigset_bit(SIGINT),
        "the pending signals after execve"
    );
    check_eq!(
        check_ok!(signal::sigaltstack(None), "read the alternate stack").ss_flags,
        SS_DISABLE,
        "the alternate stack's flags after execve"
    );
    0
}
