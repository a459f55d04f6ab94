//! Test `t_sig_handler` (expects `exit=0`): handlers run with the right arguments and return
//! to the interrupted code with its state intact (I5).
//!
//! - `kill(getpid(), SIGUSR1)` runs the handler before `kill` returns; one handler installed
//!   for SIGUSR1, SIGUSR2 and SIGHUP is told each number; `sigaction` returns the previous
//!   action (handler, flags, mask); an ignored SIGUSR1 and default SIGURG, SIGWINCH, SIGCHLD
//!   and SIGCONT leave the process running.
//! - `SA_SIGINFO`: `si_signo`, `si_code` `SI_USER` and `si_pid`/`si_uid` of the sender (the
//!   process itself; a child signalling its parent); `uc_sigmask` is the interrupted code's
//!   mask (SIGHUP blocked, SIGUSR1 not).
//! - Registers: with every general register but `zero`/`sp`/`gp`/`tp`/`s0`/`s1`, all 32
//!   float registers and `fcsr` loaded with a pattern around the `ecall` of a self-`kill`,
//!   a handler that overwrites all caller-saved registers and the FP flags leaves every one
//!   as it was (`a0` aside, the result); an `SA_SIGINFO` handler finds the same pattern in
//!   `uc_mcontext`. A loop with twelve live integers, interrupted by self-sent signals, and
//!   a float computation with eight live doubles, interrupted by `ITIMER_REAL` SIGALRMs and
//!   SIGUSR2s from a child, give exactly the results of undisturbed runs.
//! - `SA_RESETHAND` (in a child): the first SIGUSR1 runs the handler and resets the action to
//!   `SIG_DFL`; the second kills the child (`WTERMSIG` SIGUSR1).
//! - By default a handler's own signal is blocked while it runs: sent again from inside, it
//!   runs once more after the handler returns, never nested. With `SA_NODEFER` it is not
//!   blocked and the handler nests. `sa_mask` blocks SIGUSR2 during the SIGUSR1 handler: sent
//!   from inside, SIGUSR2's handler runs after SIGUSR1's has returned; then the mask is back.
//! - Bad arguments: `rt_sigaction` of signal 0, 65 or 1000 is `EINVAL`; a `sigsetsize`
//!   other than 8 is `EINVAL`; a bad new or old action pointer (kernel half, unmapped) is
//!   `EFAULT`. (SIGKILL and SIGSTOP are `t_sig_mask`'s.)

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use core::hint::black_box;
use core::sync::atomic::{AtomicI32, AtomicU32, AtomicU64, Ordering::SeqCst};

use ulib::abi::Errno;
use ulib::abi::nr;
use ulib::abi::signal::{
    SA_NODEFER, SA_RESETHAND, SA_RESTART, SI_USER, SIG_DFL, SIGALRM, SIGCHLD, SIGCONT, SIGHUP,
    SIGKILL, SIGURG, SIGUSR1, SIGUSR2, SIGWINCH, SigAction, SigInfo, sigset_bit,
};
use ulib::abi::time::{Itimerval, Timeval};
use ulib::abi::wait;
use ulib::hazard::{KERNEL_ADDR, UNMAPPED_ADDR};
use ulib::signal::{self, ITIMER_REAL, LOADED_X, RegisterFile, UContext};
use ulib::syscall::decode;
use ulib::{Fork, Pid, check, check_eq, check_ok};

ulib::entry!(main);

/// Handler runs, and the last signal number a handler was given.
static RUNS: AtomicU32 = AtomicU32::new(0);
static LAST_SIG: AtomicI32 = AtomicI32::new(0);

fn main() -> i32 {
    check_ok!(signal::set_mask(0), "start with nothing blocked");
    check_basic_delivery();
    check_siginfo();
    check_registers();
    check_live_integers();
    check_live_floats();
    check_resethand();
    check_own_signal_blocked();
    check_sa_mask();
    check_bad_arguments();
    ulib::println!("t_sig_handler: ok");
    0
}

fn me() -> Pid {
    check_ok!(ulib::getpid(), "getpid")
}

/// Counts runs and records the signal number.
extern "C" fn counting_handler(sig: i32) {
    LAST_SIG.store(sig, SeqCst);
    RUNS.fetch_add(1, SeqCst);
}

/// A second handler, to tell actions apart.
extern "C" fn other_handler(_sig: i32) {}

fn reset_counts() {
    RUNS.store(0, SeqCst);
    LAST_SIG.store(0, SeqCst);
}

fn check_basic_delivery() {
    for sig in [SIGUSR1, SIGUSR2, SIGHUP] {
        check_ok!(
            signal::set_handler(sig, counting_handler, 0, 0),
            "install the handler for {sig}"
        );
    }
    reset_counts();
    check_ok!(ulib::kill(me(), SIGUSR1), "kill(self, SIGUSR1)");
    check_eq!(
        RUNS.load(SeqCst),
        1,
        "the handler ran before kill(self) returned"
    );
    check_eq!(LAST_SIG.load(SeqCst), SIGUSR1 as i32, "the handler's sig");
    for (round, sig) in [SIGUSR2, SIGHUP, SIGUSR1].into_iter().enumerate() {
        check_ok!(ulib::kill(me(), sig), "kill(self, {sig})");
        check_eq!(LAST_SIG.load(SeqCst), sig as i32, "the handler's sig");
        check_eq!(RUNS.load(SeqCst), round as u32 + 2, "runs after {sig}");
    }

    let previous = check_ok!(
        signal::set_handler(SIGUSR1, other_handler, SA_RESTART, sigset_bit(SIGUSR2)),
        "replace the SIGUSR1 handler"
    );
    check_eq!(
        previous.handler,
        counting_handler as signal::Handler as usize,
        "sigaction returned the old handler"
    );
    let previous = check_ok!(
        signal::set_handler(SIGUSR1, counting_handler, 0, 0),
        "put the counting handler back"
    );
    check_eq!(
        previous,
        SigAction {
            handler: other_handler as signal::Handler as usize,
            flags: SA_RESTART,
            mask: sigset_bit(SIGUSR2),
        },
        "sigaction returned the old handler, flags and mask"
    );

    check_ok!(signal::ignore(SIGUSR1), "ignore SIGUSR1");
    reset_counts();
    check_ok!(ulib::kill(me(), SIGUSR1), "kill(self, ignored SIGUSR1)");
    for sig in [SIGURG, SIGWINCH, SIGCHLD, SIGCONT] {
        check_ok!(signal::set_default(sig), "default action for {sig}");
        check_ok!(
            ulib::kill(me(), sig),
            "kill(self, {sig}), ignored by default"
        );
    }
    check_eq!(RUNS.load(SeqCst), 0, "no handler ran for ignored signals");
    check_eq!(
        check_ok!(signal::sigaction(SIGUSR1, None), "read SIGUSR1's action").handler,
        ulib::abi::signal::SIG_IGN,
        "SIGUSR1 is still ignored"
    );
}

/// What the last `SA_SIGINFO` handler saw.
static INFO_SIGNO: AtomicI32 = AtomicI32::new(0);
static INFO_CODE: AtomicI32 = AtomicI32::new(-1);
static INFO_PID: AtomicI32 = AtomicI32::new(0);
static INFO_UID: AtomicU32 = AtomicU32::new(u32::MAX);
static INFO_SIGMASK: AtomicU64 = AtomicU64::new(0);

extern "C" fn info_handler(sig: i32, info: &SigInfo, context: &UContext) {
    INFO_SIGNO.store(info.signo, SeqCst);
    INFO_CODE.store(info.code, SeqCst);
    INFO_PID.store(info.pid, SeqCst);
    INFO_UID.store(info.uid, SeqCst);
    INFO_SIGMASK.store(context.sigmask, SeqCst);
    LAST_SIG.store(sig, SeqCst);
    RUNS.fetch_add(1, SeqCst);
}

fn check_siginfo() {
    let uid = check_ok!(ulib::process::getuid(), "getuid");
    check_ok!(
        signal::set_info_handler(SIGUSR1, info_handler, 0, 0),
        "install the SA_SIGINFO handler"
    );
    check_ok!(signal::set_mask(sigset_bit(SIGHUP)), "block SIGHUP");
    reset_counts();
    check_ok!(ulib::kill(me(), SIGUSR1), "kill(self, SIGUSR1)");
    check_eq!(RUNS.load(SeqCst), 1, "the SA_SIGINFO handler ran");
    check_eq!(LAST_SIG.load(SeqCst), SIGUSR1 as i32, "its sig argument");
    check_eq!(INFO_SIGNO.load(SeqCst), SIGUSR1 as i32, "si_signo");
    check_eq!(INFO_CODE.load(SeqCst), SI_USER, "si_code of kill");
    check_eq!(INFO_PID.load(SeqCst), me(), "si_pid of kill(self)");
    check_eq!(INFO_UID.load(SeqCst), uid, "si_uid of kill(self)");
    check_eq!(
        INFO_SIGMASK.load(SeqCst),
        sigset_bit(SIGHUP),
        "uc_sigmask: the interrupted code's mask"
    );
    check_eq!(
        check_ok!(signal::blocked(), "the mask after the handler"),
        sigset_bit(SIGHUP),
        "the mask after the handler"
    );
    check_ok!(signal::set_mask(0), "unblock everything");

    // From another process: the child's SIGUSR2 waits (blocked) until the child is gone.
    check_ok!(
        signal::set_info_handler(SIGUSR2, info_handler, 0, 0),
        "install the SA_SIGINFO handler for SIGUSR2"
    );
    check_ok!(signal::block(sigset_bit(SIGUSR2)), "block SIGUSR2");
    let parent = me();
    let child = check_ok!(
        ulib::spawn(|| match ulib::kill(parent, SIGUSR2) {
            Ok(()) => 0,
            Err(_) => 2,
        }),
        "fork"
    );
    check_eq!(
        ulib::waitpid(child),
        Ok(wait::exited(0)),
        "the child signalled its parent"
    );
    reset_counts();
    check_ok!(signal::unblock(sigset_bit(SIGUSR2)), "unblock SIGUSR2");
    check_eq!(RUNS.load(SeqCst), 1, "the child's SIGUSR2 was handled");
    check_eq!(INFO_SIGNO.load(SeqCst), SIGUSR2 as i32, "si_signo");
    check_eq!(INFO_CODE.load(SeqCst), SI_USER, "si_code of kill");
    check_eq!(INFO_PID.load(SeqCst), child, "si_pid: the child");
    check_eq!(INFO_UID.load(SeqCst), uid, "si_uid: the child's uid");
}

/// The register pattern of [`check_registers`]; `a0`/`a1`/`a7` are what `kill` needs.
const fn register_pattern() -> RegisterFile {
    let mut file = RegisterFile {
        x: [0; 32],
        f: [0; 32],
        // NV and OF accrued, round to nearest.
        fcsr: 0x14,
    };
    let mut n = 0;
    while n < 32 {
        file.x[n] = 0x5eed_0000_0000_0000 | (n as u64 * 0x0101_0001_0100);
        file.f[n] = 0x4000_0000_0000_0000 | (n as u64 * 0x0003_0507_0b0d_1113);
        n += 1;
    }
    file.x[11] = SIGUSR1 as u64;
    file.x[17] = nr::KILL as u64;
    file
}

static PATTERN: RegisterFile = register_pattern();

/// Which registers an `SA_SIGINFO` handler found different from [`PATTERN`] in its
/// `uc_mcontext`: bit n for `xn`, bit 32 + n for `fn`; `u64::MAX` for a wrong `fcsr`.
static CONTEXT_MISMATCH: AtomicU64 = AtomicU64::new(0);

extern "C" fn scrambling_handler(sig: i32) {
    RUNS.fetch_add(1, SeqCst);
    signal::scramble_registers(0xbad0_0000 | sig as u64);
}

extern "C" fn scrambling_info_handler(sig: i32, _info: &SigInfo, context: &UContext) {
    let mut mismatch = 0u64;
    for n in LOADED_X {
        // a0 already holds kill's result, 0.
        let expected = if n == 10 { 0 } else { PATTERN.x[n] };
        if context.regs[n] != expected {
            mismatch |= 1 << n;
        }
    }
    for n in 0..32 {
        if context.fpregs[n] != PATTERN.f[n] {
            mismatch |= 1 << (32 + n);
        }
    }
    if u64::from(context.fcsr) != PATTERN.fcsr {
        mismatch = u64::MAX;
    }
    CONTEXT_MISMATCH.store(mismatch, SeqCst);
    scrambling_handler(sig);
}

/// Compares the registers loaded around the `kill` with those found after it.
fn compare_registers(loaded: &RegisterFile, found: &RegisterFile, what: &str) {
    for n in LOADED_X.into_iter().chain([31]).filter(|&n| n != 10) {
        check_eq!(found.x[n], loaded.x[n], "x{n} after {what}");
    }
    for n in 0..32 {
        check_eq!(found.f[n], loaded.f[n], "f{n} after {what}");
    }
    check_eq!(found.fcsr, loaded.fcsr, "fcsr after {what}");
}

fn check_registers() {
    let pid = me();
    check_ok!(
        signal::set_handler(SIGUSR1, scrambling_handler, 0, 0),
        "install the scrambling handler"
    );
    // Signal blocked: nothing runs until it is unblocked; this checks the checker.
    check_ok!(signal::block(sigset_bit(SIGUSR1)), "block SIGUSR1");
    reset_counts();
    let (result, loaded, found) = signal::kill_with_registers(pid, SIGUSR1, &PATTERN);
    check_eq!(decode(result), Ok(0), "kill with the pattern loaded");
    check_eq!(
        RUNS.load(SeqCst),
        0,
        "no handler ran while SIGUSR1 was blocked"
    );
    compare_registers(&loaded, &found, "a kill with SIGUSR1 blocked");
    check_ok!(signal::set_mask(0), "unblock SIGUSR1");
    check_eq!(RUNS.load(SeqCst), 1, "the handler ran on unblocking");

    reset_counts();
    let (result, loaded, found) = signal::kill_with_registers(pid, SIGUSR1, &PATTERN);
    check_eq!(decode(result), Ok(0), "kill with the pattern loaded");
    check_eq!(RUNS.load(SeqCst), 1, "the scrambling handler ran");
    compare_registers(&loaded, &found, "a scrambling handler");

    check_ok!(
        signal::set_info_handler(SIGUSR1, scrambling_info_handler, 0, 0),
        "install the SA_SIGINFO scrambling handler"
    );
    CONTEXT_MISMATCH.store(1, SeqCst);
    let (result, loaded, found) = signal::kill_with_registers(pid, SIGUSR1, &PATTERN);
    check_eq!(decode(result), Ok(0), "kill with the pattern loaded");
    check_eq!(
        RUNS.load(SeqCst),
        2,
        "the SA_SIGINFO scrambling handler ran"
    );
    compare_registers(&loaded, &found, "an SA_SIGINFO scrambling handler");
    check_eq!(
        CONTEXT_MISMATCH.load(SeqCst),
        0,
        "registers in uc_mcontext that differ from the pattern (bit n: xn, 32+n: fn; all: fcsr)"
    );
}

/// Twelve integers kept live across a loop that calls `kill(self, SIGUSR1)` every 16th
/// round when `signal_to` is given.
fn mix_integers(rounds: u64, signal_to: Option<Pid>) -> u64 {
    let (mut a, mut b, mut c, mut d, mut e, mut f) =
        black_box((1u64, 2u64, 3u64, 4u64, 5u64, 6u64));
    let (mut g, mut h, mut i, mut j, mut k, mut l) =
        black_box((7u64, 8u64, 9u64, 10u64, 11u64, 12u64));
    for round in 0..rounds {
        a = a.wrapping_mul(0x9e37_79b9_7f4a_7c15).wrapping_add(l);
        b = b.rotate_left(7) ^ a;
        c = c.wrapping_add(b ^ round);
        d = d.wrapping_mul(c | 1);
        e ^= d.rotate_right(11);
        f = f.wrapping_add(e).wrapping_mul(3);
        g = g.rotate_left(17) ^ f;
        h = h.wrapping_sub(g);
        i ^= h.wrapping_mul(0x2545_f491_4f6c_dd1d);
        j = j.wrapping_add(i.rotate_left(29));
        k ^= j;
        l = l.wrapping_add(k).rotate_right(5);
        if let Some(pid) = signal_to
            && round % 16 == 0
        {
            let _ = ulib::kill(pid, SIGUSR1);
        }
    }
    a ^ b.rotate_left(1)
        ^ c.rotate_left(2)
        ^ d.rotate_left(3)
        ^ e.rotate_left(4)
        ^ f.rotate_left(5)
        ^ g.rotate_left(6)
        ^ h.rotate_left(7)
        ^ i.rotate_left(8)
        ^ j.rotate_left(9)
        ^ k.rotate_left(10)
        ^ l.rotate_left(11)
}

fn check_live_integers() {
    const ROUNDS: u64 = 4096;
    let quiet = mix_integers(ROUNDS, None);
    check_ok!(
        signal::set_handler(SIGUSR1, scrambling_handler, 0, 0),
        "install the scrambling handler"
    );
    reset_counts();
    let interrupted = mix_integers(ROUNDS, Some(me()));
    check_eq!(RUNS.load(SeqCst), (ROUNDS / 16) as u32, "handler runs");
    check_eq!(interrupted, quiet, "the loop's result with signals");
}

/// Eight doubles kept live across a long loop.
fn mix_floats(rounds: u32) -> u64 {
    let (mut a, mut b, mut c, mut d) = black_box((1.0f64, 1.5f64, 2.0f64, 2.5f64));
    let (mut e, mut f, mut g, mut h) = black_box((3.0f64, 3.5f64, 4.0f64, 4.5f64));
    for round in 0..rounds {
        let x = f64::from(round % 97) * 0.001;
        a = a * 0.999 + b * 0.001 + x;
        b = b * 0.998 + c * 0.002 - x;
        c = (c + d) * 0.5 + x * x;
        d = d * 1.0001 - e * 0.0001;
        e = e + f * 1e-4 - g * 1e-4;
        f = f * 0.75 + h * 0.25;
        g = g - a * 1e-3 + x;
        h = h * 0.5 + a * 0.5 - x;
    }
    [a, b, c, d, e, f, g, h]
        .iter()
        .fold(0u64, |sum, value| sum.rotate_left(8) ^ value.to_bits())
}

/// Deliveries of SIGALRM and SIGUSR2 during [`check_live_floats`].
static ALARMS: AtomicU32 = AtomicU32::new(0);
static USR2S: AtomicU32 = AtomicU32::new(0);

extern "C" fn float_clobbering_handler(sig: i32) {
    if sig == SIGALRM as i32 {
        ALARMS.fetch_add(1, SeqCst);
    } else {
        USR2S.fetch_add(1, SeqCst);
    }
    // Real float work as well as the scrambling: it sets fflags.NX.
    let third = black_box(1.0f64) / black_box(3.0f64);
    black_box(third);
    signal::scramble_registers(sig as u64);
}

fn check_live_floats() {
    const ROUNDS: u32 = 50_000;
    /// Deliveries of each kind to wait for.
    const WANTED: u32 = 10;
    /// Runs of the loop before giving up on the signals (many seconds).
    const MAX_RUNS: u32 = 5_000;
    let quiet = mix_floats(ROUNDS);
    for sig in [SIGALRM, SIGUSR2] {
        check_ok!(
            signal::set_handler(sig, float_clobbering_handler, SA_RESTART, 0),
            "install the float-clobbering handler for {sig}"
        );
    }
    let parent = me();
    let sender = match check_ok!(ulib::fork(), "fork the SIGUSR2 sender") {
        Fork::Child => loop {
            if ulib::kill(parent, SIGUSR2).is_err() {
                ulib::exit(2);
            }
            let _ = ulib::sleep_ms(1);
        },
        Fork::Parent(pid) => pid,
    };
    let millisecond = Timeval {
        tv_sec: 0,
        tv_usec: 1000,
    };
    check_ok!(
        signal::setitimer(
            ITIMER_REAL,
            &Itimerval {
                it_interval: millisecond,
                it_value: millisecond,
            },
        ),
        "arm a 1 ms periodic ITIMER_REAL"
    );
    let mut runs = 0;
    while ALARMS.load(SeqCst) < WANTED || USR2S.load(SeqCst) < WANTED {
        check!(
            runs < MAX_RUNS,
            "only {} SIGALRMs and {} SIGUSR2s arrived in {MAX_RUNS} runs",
            ALARMS.load(SeqCst),
            USR2S.load(SeqCst)
        );
        check_eq!(mix_floats(ROUNDS), quiet, "float results in run {runs}");
        runs += 1;
    }
    check_ok!(
        signal::setitimer(ITIMER_REAL, &Itimerval::default()),
        "disarm the timer"
    );
    check_ok!(ulib::kill(sender, SIGKILL), "stop the sender");
    check_ok!(ulib::waitpid(sender), "reap the sender");
    check_ok!(signal::set_default(SIGUSR2), "default SIGUSR2");
    check_ok!(signal::set_default(SIGALRM), "default SIGALRM");
}

fn check_resethand() {
    let child = check_ok!(
        ulib::spawn(|| {
            check_ok!(
                signal::set_handler(SIGUSR1, counting_handler, SA_RESETHAND, 0),
                "install a SA_RESETHAND handler"
            );
            reset_counts();
            let me = me();
            check_ok!(ulib::kill(me, SIGUSR1), "first kill(self, SIGUSR1)");
            check_eq!(RUNS.load(SeqCst), 1, "the handler ran once");
            check_eq!(
                check_ok!(signal::sigaction(SIGUSR1, None), "read the action").handler,
                SIG_DFL,
                "the action after one delivery"
            );
            let _ = ulib::kill(me, SIGUSR1);
            ulib::eprintln!("t_sig_handler: survived the second SIGUSR1");
            3
        }),
        "fork"
    );
    check_eq!(
        ulib::waitpid(child),
        Ok(wait::signaled(SIGUSR1, false)),
        "the SA_RESETHAND child, killed by its second SIGUSR1"
    );
}

/// Nesting depth now and at most, and the mask the first run saw.
static DEPTH: AtomicU32 = AtomicU32::new(0);
static MAX_DEPTH: AtomicU32 = AtomicU32::new(0);
static MASK_INSIDE: AtomicU64 = AtomicU64::new(0);

/// On its first run, records the mask and sends its own signal again.
extern "C" fn resending_handler(sig: i32) {
    let depth = DEPTH.fetch_add(1, SeqCst) + 1;
    MAX_DEPTH.fetch_max(depth, SeqCst);
    if RUNS.fetch_add(1, SeqCst) == 0 {
        MASK_INSIDE.store(signal::blocked().unwrap_or(u64::MAX), SeqCst);
        if let Ok(pid) = ulib::getpid() {
            let _ = ulib::kill(pid, sig as u32);
        }
    }
    DEPTH.fetch_sub(1, SeqCst);
}

fn check_own_signal_blocked() {
    for (flags, nested) in [(0, false), (SA_NODEFER, true)] {
        let what = if nested { "SA_NODEFER" } else { "default" };
        check_ok!(
            signal::set_handler(SIGUSR1, resending_handler, flags, 0),
            "install the resending handler ({what})"
        );
        reset_counts();
        MAX_DEPTH.store(0, SeqCst);
        check_ok!(ulib::kill(me(), SIGUSR1), "kill(self, SIGUSR1)");
        check_eq!(RUNS.load(SeqCst), 2, "{what}: runs for two sends");
        check_eq!(
            MASK_INSIDE.load(SeqCst) & sigset_bit(SIGUSR1) != 0,
            !nested,
            "{what}: SIGUSR1 blocked inside its handler (mask {:#x})",
            MASK_INSIDE.load(SeqCst)
        );
        check_eq!(
            MAX_DEPTH.load(SeqCst),
            if nested { 2 } else { 1 },
            "{what}: deepest nesting"
        );
        check_eq!(
            check_ok!(signal::blocked(), "the mask afterwards"),
            0,
            "{what}: the mask afterwards"
        );
    }
}

/// Events in order, four bits each: 1 SIGUSR1 handler entered, 2 left, 3 SIGUSR2 handled.
static EVENTS: AtomicU64 = AtomicU64::new(0);

fn record(event: u64) {
    let _ = EVENTS.fetch_update(SeqCst, SeqCst, |events| Some(events << 4 | event));
}

extern "C" fn masking_usr1_handler(_sig: i32) {
    record(1);
    MASK_INSIDE.store(signal::blocked().unwrap_or(u64::MAX), SeqCst);
    if let Ok(pid) = ulib::getpid() {
        let _ = ulib::kill(pid, SIGUSR2);
    }
    record(2);
}

extern "C" fn masked_usr2_handler(_sig: i32) {
    record(3);
}

fn check_sa_mask() {
    check_ok!(
        signal::set_handler(SIGUSR1, masking_usr1_handler, 0, sigset_bit(SIGUSR2)),
        "install the SIGUSR1 handler with SIGUSR2 in sa_mask"
    );
    check_ok!(
        signal::set_handler(SIGUSR2, masked_usr2_handler, 0, 0),
        "install the SIGUSR2 handler"
    );
    EVENTS.store(0, SeqCst);
    check_ok!(ulib::kill(me(), SIGUSR1), "kill(self, SIGUSR1)");
    check_eq!(
        EVENTS.load(SeqCst),
        0x123,
        "order of events: SIGUSR1 in (1), out (2), then SIGUSR2 (3)"
    );
    check_eq!(
        MASK_INSIDE.load(SeqCst),
        sigset_bit(SIGUSR1) | sigset_bit(SIGUSR2),
        "the mask inside the SIGUSR1 handler"
    );
    check_eq!(
        check_ok!(signal::blocked(), "the mask afterwards"),
        0,
        "the mask afterwards"
    );
}

fn check_bad_arguments() {
    let action = SigAction {
        handler: counting_handler as signal::Handler as usize,
        flags: 0,
        mask: 0,
    };
    let good = &action as *const SigAction as usize;
    let sigaction = |sig: u32, new: usize, old: usize, size: usize| {
        decode(signal::raw::rt_sigaction(sig, new, old, size))
    };
    for sig in [0, 65, 1000] {
        check_eq!(
            sigaction(sig, good, 0, 8),
            Err(Errno::EINVAL),
            "rt_sigaction of signal {sig}"
        );
    }
    for size in [0, 4, 16] {
        check_eq!(
            sigaction(SIGUSR1, good, 0, size),
            Err(Errno::EINVAL),
            "rt_sigaction with sigsetsize {size}"
        );
    }
    for bad in [KERNEL_ADDR, UNMAPPED_ADDR] {
        check_eq!(
            sigaction(SIGUSR1, bad, 0, 8),
            Err(Errno::EFAULT),
            "rt_sigaction with the new action at {bad:#x}"
        );
        check_eq!(
            sigaction(SIGUSR1, 0, bad, 8),
            Err(Errno::EFAULT),
            "rt_sigaction with the old action at {bad:#x}"
        );
    }
}
