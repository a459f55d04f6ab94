//! Linux signals: their numbers, names and default actions (signal(7)), the `sigaction`
//! flags, and the riscv64 kernel `struct sigaction` that `rt_sigaction` copies.
//!
//! Invariants:
//! - Valid signals are `1..NSIG` (1..=64); standard signals are 1..=31 and real-time signals
//!   `SIGRTMIN..=SIGRTMAX` (32..=64, the kernel's numbering, not glibc's 34).
//! - A signal set (`sigset_t`) is a `u64` with bit `sig - 1` standing for signal `sig`.
//! - Every standard signal's number, name and default action come from one table entry.
//! - [`SigAction`] is the kernel's layout: riscv64 has no `sa_restorer` field, so it is
//!   handler, flags, mask: 24 bytes.

use crate::wire::abi_struct;

/// A signal's fate when its disposition is `SIG_DFL`, as listed in signal(7).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefaultAction {
    /// End the process ("Term").
    Terminate,
    /// End the process and dump core ("Core").
    CoreDump,
    /// Discard the signal ("Ign").
    Ignore,
    /// Stop the process ("Stop").
    Stop,
    /// Resume a stopped process ("Cont").
    Continue,
}

macro_rules! standard_signals {
    ($($constant:ident = $number:literal => $action:ident,)*) => {
        $(
            #[doc = concat!("`", stringify!($constant), "`, default action ", stringify!($action), ".")]
            pub const $constant: u32 = $number;
        )*

        /// (number, name, default action) for signals 1..=31.
        const STANDARD_SIGNALS: &[(u32, &str, DefaultAction)] = &[
            $(($number, stringify!($constant), DefaultAction::$action)),*
        ];
    };
}

standard_signals! {
    SIGHUP = 1 => Terminate,
    SIGINT = 2 => Terminate,
    SIGQUIT = 3 => CoreDump,
    SIGILL = 4 => CoreDump,
    SIGTRAP = 5 => CoreDump,
    SIGABRT = 6 => CoreDump,
    SIGBUS = 7 => CoreDump,
    SIGFPE = 8 => CoreDump,
    SIGKILL = 9 => Terminate,
    SIGUSR1 = 10 => Terminate,
    SIGSEGV = 11 => CoreDump,
    SIGUSR2 = 12 => Terminate,
    SIGPIPE = 13 => Terminate,
    SIGALRM = 14 => Terminate,
    SIGTERM = 15 => Terminate,
    SIGSTKFLT = 16 => Terminate,
    SIGCHLD = 17 => Ignore,
    SIGCONT = 18 => Continue,
    SIGSTOP = 19 => Stop,
    SIGTSTP = 20 => Stop,
    SIGTTIN = 21 => Stop,
    SIGTTOU = 22 => Stop,
    SIGURG = 23 => Ignore,
    SIGXCPU = 24 => CoreDump,
    SIGXFSZ = 25 => CoreDump,
    SIGVTALRM = 26 => Terminate,
    SIGPROF = 27 => Terminate,
    SIGWINCH = 28 => Ignore,
    SIGIO = 29 => Terminate,
    SIGPWR = 30 => Terminate,
    SIGSYS = 31 => CoreDump,
}

/// Old name of [`SIGABRT`].
pub const SIGIOT: u32 = SIGABRT;
/// System V name of [`SIGIO`].
pub const SIGPOLL: u32 = SIGIO;
/// First real-time signal as the kernel numbers them.
pub const SIGRTMIN: u32 = 32;
/// Last real-time signal.
pub const SIGRTMAX: u32 = 64;
/// One more than the highest signal number (`_NSIG + 1` in the kernel's terms).
pub const NSIG: u32 = 65;

/// Names of the real-time signals, index `sig - SIGRTMIN`.
const REALTIME_NAMES: [&str; (SIGRTMAX - SIGRTMIN + 1) as usize] = [
    "SIGRTMIN",
    "SIGRTMIN+1",
    "SIGRTMIN+2",
    "SIGRTMIN+3",
    "SIGRTMIN+4",
    "SIGRTMIN+5",
    "SIGRTMIN+6",
    "SIGRTMIN+7",
    "SIGRTMIN+8",
    "SIGRTMIN+9",
    "SIGRTMIN+10",
    "SIGRTMIN+11",
    "SIGRTMIN+12",
    "SIGRTMIN+13",
    "SIGRTMIN+14",
    "SIGRTMIN+15",
    "SIGRTMAX-16",
    "SIGRTMAX-15",
    "SIGRTMAX-14",
    "SIGRTMAX-13",
    "SIGRTMAX-12",
    "SIGRTMAX-11",
    "SIGRTMAX-10",
    "SIGRTMAX-9",
    "SIGRTMAX-8",
    "SIGRTMAX-7",
    "SIGRTMAX-6",
    "SIGRTMAX-5",
    "SIGRTMAX-4",
    "SIGRTMAX-3",
    "SIGRTMAX-2",
    "SIGRTMAX-1",
    "SIGRTMAX",
];

/// Whether `sig` names a signal (1..=64); 0 is the "just check" value of `kill`.
pub const fn is_valid_signal(sig: u32) -> bool {
    sig >= 1 && sig < NSIG
}

/// Whether a process may catch, block or ignore `sig` (everything but SIGKILL and SIGSTOP).
pub const fn is_catchable(sig: u32) -> bool {
    is_valid_signal(sig) && sig != SIGKILL && sig != SIGSTOP
}

/// The bit standing for `sig` in a signal set; 0 for a number that is not a signal.
pub const fn sigset_bit(sig: u32) -> u64 {
    if is_valid_signal(sig) {
        1 << (sig - 1)
    } else {
        0
    }
}

/// Name of a signal (`"SIGSEGV"`, `"SIGRTMIN+3"`); `None` outside 1..=64.
pub fn signal_name(sig: u32) -> Option<&'static str> {
    if (SIGRTMIN..=SIGRTMAX).contains(&sig) {
        return Some(REALTIME_NAMES[(sig - SIGRTMIN) as usize]);
    }
    STANDARD_SIGNALS
        .iter()
        .find(|entry| entry.0 == sig)
        .map(|entry| entry.1)
}

/// Number of the signal called `name`, with or without the `SIG` prefix (`"SEGV"`,
/// `"SIGSEGV"`, `"RTMIN+3"`); also accepts the aliases `IOT` and `POLL`.
pub fn signal_from_name(name: &str) -> Option<u32> {
    let bare = name.strip_prefix("SIG").unwrap_or(name);
    match bare {
        "IOT" => return Some(SIGIOT),
        "POLL" => return Some(SIGPOLL),
        _ => {}
    }
    let with_prefix = |known: &str| known.strip_prefix("SIG") == Some(bare);
    if let Some(entry) = STANDARD_SIGNALS.iter().find(|entry| with_prefix(entry.1)) {
        return Some(entry.0);
    }
    REALTIME_NAMES
        .iter()
        .position(|&known| with_prefix(known))
        .map(|offset| SIGRTMIN + offset as u32)
}

/// What `SIG_DFL` does for `sig`: real-time signals terminate, as do numbers that are not
/// signals at all (callers check [`is_valid_signal`] first).
pub fn default_action(sig: u32) -> DefaultAction {
    STANDARD_SIGNALS
        .iter()
        .find(|entry| entry.0 == sig)
        .map_or(DefaultAction::Terminate, |entry| entry.2)
}

/// `sa_handler` value: take the default action.
pub const SIG_DFL: usize = 0;
/// `sa_handler` value: ignore the signal.
pub const SIG_IGN: usize = 1;

/// `rt_sigprocmask` how: add the given set to the blocked set.
pub const SIG_BLOCK: i32 = 0;
/// `rt_sigprocmask` how: remove the given set from the blocked set.
pub const SIG_UNBLOCK: i32 = 1;
/// `rt_sigprocmask` how: replace the blocked set.
pub const SIG_SETMASK: i32 = 2;

/// Don't send SIGCHLD when a child stops or continues.
pub const SA_NOCLDSTOP: u64 = 0x0000_0001;
/// Don't turn children into zombies; they are reaped automatically.
pub const SA_NOCLDWAIT: u64 = 0x0000_0002;
/// The handler takes `(sig, siginfo_t *, ucontext_t *)`.
pub const SA_SIGINFO: u64 = 0x0000_0004;
/// Other architectures' "`sa_restorer` is set" flag; riscv64 has no such field and Linux
/// clears this bit.
pub const SA_RESTORER: u64 = 0x0400_0000;
/// Run the handler on the alternate signal stack.
pub const SA_ONSTACK: u64 = 0x0800_0000;
/// Restart interrupted system calls after the handler returns.
pub const SA_RESTART: u64 = 0x1000_0000;
/// Don't block the signal while its handler runs.
pub const SA_NODEFER: u64 = 0x4000_0000;
/// Reset the disposition to `SIG_DFL` when the signal is delivered.
pub const SA_RESETHAND: u64 = 0x8000_0000;

abi_struct! {
    /// The riscv64 kernel `struct sigaction` read and written by `rt_sigaction`.
    pub struct SigAction {
        /// `sa_handler` / `sa_sigaction`: a user address, [`SIG_DFL`] or [`SIG_IGN`].
        pub handler: usize,
        /// `sa_flags`: `SA_*` bits.
        pub flags: u64,
        /// `sa_mask`: signals blocked while the handler runs.
        pub mask: u64,
    }
}

abi_struct! {
    /// `stack_t` of `sigaltstack` (and `uc_stack` in the signal frame): 24 bytes.
    pub struct StackT {
        /// Lowest address of the alternate stack.
        pub ss_sp: usize,
        /// [`SS_ONSTACK`] / [`SS_DISABLE`] (`SS_AUTODISARM` is not supported).
        pub ss_flags: i32,
        /// Size in bytes.
        pub ss_size: usize,
    }
}

/// `ss_flags`: the thread is running on the alternate stack now.
pub const SS_ONSTACK: i32 = 1;
/// `ss_flags`: the alternate stack is disabled.
pub const SS_DISABLE: i32 = 2;
/// The smallest alternate stack `sigaltstack` accepts.
pub const MINSIGSTKSZ: usize = 2048;

abi_struct! {
    /// The part of `siginfo_t` Lantern fills (the whole structure is 128 bytes, see
    /// [`SIGINFO_SIZE`]). The union after `si_code` is read by signal kind:
    /// - sent by `kill`/`tkill`: `pid`, `uid`;
    /// - `SIGCHLD`: `pid`, `uid`, `status` (exit code or signal number);
    /// - faults (`SIGSEGV`, `SIGBUS`, `SIGILL`, `SIGFPE`): the faulting address, which
    ///   overlays `pid`/`uid` as one 8-byte `si_addr` — see [`SigInfo::addr`].
    pub struct SigInfo {
        /// The signal number.
        pub signo: i32,
        /// Always 0.
        pub errno: i32,
        /// Why the signal was sent: `SI_USER`, `CLD_EXITED`, `SEGV_MAPERR`, ...
        pub code: i32,
        /// Padding: the union that follows is 8-byte aligned.
        pub pad: i32,
        /// `si_pid`, or the low half of `si_addr`.
        pub pid: i32,
        /// `si_uid`, or the high half of `si_addr`.
        pub uid: u32,
        /// `si_status` for `SIGCHLD`.
        pub status: i32,
    }
}

/// Bytes of a whole `siginfo_t`.
pub const SIGINFO_SIZE: usize = 128;

impl SigInfo {
    /// A fault's info with `si_addr = addr`.
    pub fn fault(signo: u32, code: i32, addr: usize) -> SigInfo {
        SigInfo {
            signo: signo as i32,
            errno: 0,
            code,
            pad: 0,
            pid: addr as u32 as i32,
            uid: (addr >> 32) as u32,
            status: 0,
        }
    }

    /// `si_addr`, for fault signals.
    pub fn addr(&self) -> usize {
        (self.pid as u32 as usize) | ((self.uid as usize) << 32)
    }
}

/// `si_code`: sent by `kill`.
pub const SI_USER: i32 = 0;
/// `si_code`: sent by the kernel.
pub const SI_KERNEL: i32 = 0x80;
/// `si_code`: sent by `tkill`/`tgkill`.
pub const SI_TKILL: i32 = -6;
/// `si_code` of a POSIX timer's signal (`timer_create`); `setitimer`'s SIGALRM is
/// [`SI_KERNEL`].
pub const SI_TIMER: i32 = -2;
/// `si_code` of `SIGSEGV`: no mapping at the address.
pub const SEGV_MAPERR: i32 = 1;
/// `si_code` of `SIGSEGV`: the mapping forbids the access.
pub const SEGV_ACCERR: i32 = 2;
/// `si_code` of `SIGBUS`: misaligned address.
pub const BUS_ADRALN: i32 = 1;
/// `si_code` of `SIGILL`: illegal opcode.
pub const ILL_ILLOPC: i32 = 1;
/// `si_code` of `SIGTRAP`: breakpoint.
pub const TRAP_BRKPT: i32 = 1;
/// `si_code` of `SIGCHLD`: the child exited.
pub const CLD_EXITED: i32 = 1;
/// `si_code` of `SIGCHLD`: the child was killed.
pub const CLD_KILLED: i32 = 2;
/// `si_code` of `SIGCHLD`: the child was killed and dumped core.
pub const CLD_DUMPED: i32 = 3;
/// `si_code` of `SIGCHLD`: the child stopped.
pub const CLD_STOPPED: i32 = 5;
/// `si_code` of `SIGCHLD`: the child continued.
pub const CLD_CONTINUED: i32 = 6;

/// The riscv64 signal frame the kernel pushes on the user stack (`struct rt_sigframe`):
/// a `siginfo_t` followed by a `ucontext_t`. Offsets from the frame's start; the frame is
/// 16-byte aligned and `sp` points at it when the handler starts.
pub mod frame {
    /// `siginfo_t info` (128 bytes).
    pub const INFO: usize = 0;
    /// `ucontext_t uc`.
    pub const UCONTEXT: usize = 128;
    /// `uc.uc_flags`.
    pub const UC_FLAGS: usize = UCONTEXT;
    /// `uc.uc_link`.
    pub const UC_LINK: usize = UCONTEXT + 8;
    /// `uc.uc_stack` (a `stack_t`).
    pub const UC_STACK: usize = UCONTEXT + 16;
    /// `uc.uc_sigmask`: the mask to restore on `rt_sigreturn` (then 120 reserved bytes).
    pub const UC_SIGMASK: usize = UCONTEXT + 40;
    /// `uc.uc_mcontext`: `sc_regs` = pc, then x1..x31 (32 × 8 bytes).
    pub const UC_MCONTEXT: usize = UCONTEXT + 176;
    /// `uc.uc_mcontext.sc_fpregs`: f0..f31 (32 × 8 bytes; the Q-extension union is 528
    /// bytes), then `fcsr`.
    pub const UC_FPREGS: usize = UC_MCONTEXT + 256;
    /// `fcsr` inside `sc_fpregs` (D extension layout).
    pub const UC_FCSR: usize = UC_FPREGS + 256;
    /// The whole frame, rounded up to 16 bytes.
    pub const SIZE: usize = UC_FPREGS + 528;
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::{offset_of, size_of};

    #[test]
    fn sigaction_layout_matches_kernel() {
        assert_eq!(size_of::<SigAction>(), 24);
        assert_eq!(SigAction::SIZE, 24);
        assert_eq!(offset_of!(SigAction, handler), 0);
        assert_eq!(offset_of!(SigAction, flags), 8);
        assert_eq!(offset_of!(SigAction, mask), 16);
    }

    #[test]
    fn sigaction_round_trip() {
        let action = SigAction {
            handler: 0x1_0000_2000,
            flags: SA_SIGINFO | SA_RESTART,
            mask: sigset_bit(SIGINT) | sigset_bit(SIGRTMAX),
        };
        let image = action.to_bytes();
        assert_eq!(image[0..8], 0x1_0000_2000u64.to_le_bytes());
        assert_eq!(image[23], 0x80, "SIGRTMAX is the top bit of the mask");
        assert_eq!(SigAction::from_bytes(&image), action);
        assert_eq!(SigAction::default().handler, SIG_DFL);
    }

    #[test]
    fn numbers_and_names() {
        assert_eq!(
            (SIGHUP, SIGKILL, SIGSEGV, SIGCHLD, SIGSYS),
            (1, 9, 11, 17, 31)
        );
        assert_eq!(STANDARD_SIGNALS.len(), 31);
        for (index, entry) in STANDARD_SIGNALS.iter().enumerate() {
            assert_eq!(entry.0 as usize, index + 1);
        }
        assert_eq!(signal_name(SIGSEGV), Some("SIGSEGV"));
        assert_eq!(signal_name(SIGRTMIN), Some("SIGRTMIN"));
        assert_eq!(signal_name(SIGRTMIN + 3), Some("SIGRTMIN+3"));
        assert_eq!(signal_name(SIGRTMAX - 1), Some("SIGRTMAX-1"));
        assert_eq!(signal_name(SIGRTMAX), Some("SIGRTMAX"));
        assert_eq!(signal_name(0), None);
        assert_eq!(signal_name(NSIG), None);
    }

    #[test]
    fn names_parse_back() {
        assert_eq!(signal_from_name("SEGV"), Some(SIGSEGV));
        assert_eq!(signal_from_name("SIGSEGV"), Some(SIGSEGV));
        assert_eq!(signal_from_name("IOT"), Some(SIGABRT));
        assert_eq!(signal_from_name("SIGPOLL"), Some(SIGIO));
        assert_eq!(signal_from_name("RTMIN+3"), Some(35));
        assert_eq!(signal_from_name("SEG"), None);
        assert_eq!(signal_from_name("segv"), None);
        for sig in 1..NSIG {
            assert_eq!(signal_from_name(signal_name(sig).unwrap()), Some(sig));
        }
    }

    #[test]
    fn default_actions_follow_signal_7() {
        assert_eq!(default_action(SIGSEGV), DefaultAction::CoreDump);
        assert_eq!(default_action(SIGKILL), DefaultAction::Terminate);
        assert_eq!(default_action(SIGCHLD), DefaultAction::Ignore);
        assert_eq!(default_action(SIGWINCH), DefaultAction::Ignore);
        assert_eq!(default_action(SIGURG), DefaultAction::Ignore);
        assert_eq!(default_action(SIGTSTP), DefaultAction::Stop);
        assert_eq!(default_action(SIGSTOP), DefaultAction::Stop);
        assert_eq!(default_action(SIGCONT), DefaultAction::Continue);
        assert_eq!(default_action(SIGRTMIN + 5), DefaultAction::Terminate);
    }

    #[test]
    fn sets_and_catchability() {
        assert_eq!(sigset_bit(SIGHUP), 1);
        assert_eq!(sigset_bit(SIGRTMAX), 1 << 63);
        assert_eq!(sigset_bit(0), 0);
        assert_eq!(sigset_bit(NSIG), 0);
        assert!(!is_catchable(SIGKILL) && !is_catchable(SIGSTOP));
        assert!(is_catchable(SIGTERM) && !is_catchable(0));
    }

    #[test]
    fn frame_and_info_layout() {
        assert_eq!(StackT::SIZE, 24);
        assert_eq!(core::mem::offset_of!(StackT, ss_size), 16);
        assert_eq!(SigInfo::SIZE, 28);
        let info = SigInfo::fault(SIGSEGV, SEGV_MAPERR, 0xdead_beef_1234);
        assert_eq!(info.addr(), 0xdead_beef_1234);
        let image = info.to_bytes();
        assert_eq!(image[16..24], 0xdead_beef_1234u64.to_le_bytes());
        assert_eq!(frame::UC_MCONTEXT, 304);
        assert_eq!(frame::SIZE % 16, 0);
        assert_eq!(frame::SIZE, 128 + 960);
    }
}
