//! The Linux wait status: the `int` that `wait4` stores to report how a child changed state,
//! with the encoders the kernel uses and the `W*` decoders user code uses.
//!
//! Invariants (the bit layout Linux and glibc agree on):
//! - exited with `code`: `code << 8` (low 7 bits zero);
//! - killed by `sig` (1..=0x7e): `sig`, plus `0x80` when a core was dumped;
//! - stopped by `sig`: `0x7f | sig << 8`;
//! - continued: `0xffff`.
//!
//! [`WaitStatus::decode`] accepts exactly the values these encoders produce.

/// `wait4` option: return 0 at once instead of blocking when no child has changed state.
pub const WNOHANG: i32 = 1;
/// `wait4` option: also report children that stopped.
pub const WUNTRACED: i32 = 2;
/// `waitid` name for [`WUNTRACED`].
pub const WSTOPPED: i32 = WUNTRACED;
/// `waitid` option: report children that exited.
pub const WEXITED: i32 = 4;
/// `wait4` option: also report stopped children resumed by SIGCONT.
pub const WCONTINUED: i32 = 8;
/// `waitid` option: leave the child waitable.
pub const WNOWAIT: i32 = 0x0100_0000;

/// Status of a child resumed by SIGCONT.
pub const CONTINUED: i32 = 0xffff;

const STOPPED_MARK: i32 = 0x7f;
const CORE_DUMPED: i32 = 0x80;
const SIGNAL_MASK: i32 = 0x7f;

/// Status of a child that called `exit(code)`.
pub const fn exited(code: u8) -> i32 {
    (code as i32) << 8
}

/// Status of a child killed by `sig`, with `core` set when it dumped core.
pub const fn signaled(sig: u32, core: bool) -> i32 {
    (sig as i32 & SIGNAL_MASK) | if core { CORE_DUMPED } else { 0 }
}

/// Status of a child stopped by `sig`.
pub const fn stopped(sig: u32) -> i32 {
    STOPPED_MARK | ((sig as i32 & 0xff) << 8)
}

/// `WIFEXITED`: the child exited normally.
pub const fn wifexited(status: i32) -> bool {
    status & SIGNAL_MASK == 0
}

/// `WEXITSTATUS`: the exit code of a child that exited.
pub const fn wexitstatus(status: i32) -> u8 {
    ((status >> 8) & 0xff) as u8
}

/// `WIFSIGNALED`: the child was killed by a signal.
pub const fn wifsignaled(status: i32) -> bool {
    let low = status & SIGNAL_MASK;
    low != 0 && low != STOPPED_MARK
}

/// `WTERMSIG`: the signal that killed the child.
pub const fn wtermsig(status: i32) -> u32 {
    (status & SIGNAL_MASK) as u32
}

/// `WCOREDUMP`: the killed child dumped core.
pub const fn wcoredump(status: i32) -> bool {
    status & CORE_DUMPED != 0
}

/// `WIFSTOPPED`: the child is stopped.
pub const fn wifstopped(status: i32) -> bool {
    status & 0xff == STOPPED_MARK
}

/// `WSTOPSIG`: the signal that stopped the child.
pub const fn wstopsig(status: i32) -> u32 {
    wexitstatus(status) as u32
}

/// `WIFCONTINUED`: the child was resumed by SIGCONT.
pub const fn wifcontinued(status: i32) -> bool {
    status == CONTINUED
}

/// A decoded wait status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitStatus {
    /// Called `exit` with this code.
    Exited(u8),
    /// Killed by `sig`; `core` when it dumped core.
    Signaled { sig: u32, core: bool },
    /// Stopped by this signal.
    Stopped(u32),
    /// Resumed by SIGCONT.
    Continued,
}

impl WaitStatus {
    /// Decodes a status word; `None` for a value no Linux encoder produces.
    pub const fn decode(status: i32) -> Option<WaitStatus> {
        if status & !0xffff != 0 {
            return None;
        }
        if wifcontinued(status) {
            return Some(WaitStatus::Continued);
        }
        if wifstopped(status) {
            return Some(WaitStatus::Stopped(wstopsig(status)));
        }
        if wifexited(status) {
            return if wcoredump(status) {
                None
            } else {
                Some(WaitStatus::Exited(wexitstatus(status)))
            };
        }
        if wifsignaled(status) && status >> 8 == 0 {
            return Some(WaitStatus::Signaled {
                sig: wtermsig(status),
                core: wcoredump(status),
            });
        }
        None
    }

    /// The status word Linux stores for this state.
    pub const fn encode(self) -> i32 {
        match self {
            WaitStatus::Exited(code) => exited(code),
            WaitStatus::Signaled { sig, core } => signaled(sig, core),
            WaitStatus::Stopped(sig) => stopped(sig),
            WaitStatus::Continued => CONTINUED,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signal::{SIGKILL, SIGSEGV, SIGSTOP, SIGTSTP};

    #[test]
    fn linux_encodings() {
        assert_eq!(exited(42), 0x2a00);
        assert_eq!(signaled(SIGKILL, false), 9);
        assert_eq!(signaled(SIGSEGV, true), 0x8b);
        assert_eq!(stopped(SIGTSTP), 0x147f);
        assert_eq!(CONTINUED, 0xffff);
    }

    #[test]
    fn decoders_agree_with_glibc_macros() {
        let exit = exited(42);
        assert!(wifexited(exit) && !wifsignaled(exit) && !wifstopped(exit));
        assert_eq!(wexitstatus(exit), 42);

        let killed = signaled(SIGSEGV, true);
        assert!(wifsignaled(killed) && !wifexited(killed) && !wifstopped(killed));
        assert_eq!(wtermsig(killed), SIGSEGV);
        assert!(wcoredump(killed));

        let stop = stopped(SIGSTOP);
        assert!(wifstopped(stop) && !wifsignaled(stop) && !wifexited(stop));
        assert_eq!(wstopsig(stop), SIGSTOP);

        assert!(wifcontinued(CONTINUED));
        assert!(!wifexited(CONTINUED) && !wifsignaled(CONTINUED) && !wifstopped(CONTINUED));
    }

    #[test]
    fn every_state_round_trips() {
        for code in 0..=u8::MAX {
            let state = WaitStatus::Exited(code);
            assert_eq!(WaitStatus::decode(state.encode()), Some(state));
        }
        for sig in 1..=64 {
            for core in [false, true] {
                let state = WaitStatus::Signaled { sig, core };
                assert_eq!(WaitStatus::decode(state.encode()), Some(state));
            }
            let state = WaitStatus::Stopped(sig);
            assert_eq!(WaitStatus::decode(state.encode()), Some(state));
        }
        assert_eq!(
            WaitStatus::decode(WaitStatus::Continued.encode()),
            Some(WaitStatus::Continued)
        );
    }

    #[test]
    fn rejects_impossible_words() {
        assert_eq!(WaitStatus::decode(0x1_0000), None);
        assert_eq!(WaitStatus::decode(-1), None);
        assert_eq!(
            WaitStatus::decode(0x0080),
            None,
            "core flag without a signal"
        );
        assert_eq!(
            WaitStatus::decode(0x0109),
            None,
            "signal with a non-zero high byte"
        );
        assert_eq!(WaitStatus::decode(0x01ff), None);
    }
}
