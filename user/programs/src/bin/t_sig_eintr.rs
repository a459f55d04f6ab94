//! Test `t_sig_eintr` (expects `exit=0`): blocking calls interrupted by a handled signal,
//! `SA_RESTART`, and the `ITIMER_REAL` interval timer (I5, K).
//!
//! SIGALRMs come from a periodic `ITIMER_REAL`, so a signal interrupts each blocking call
//! even if an earlier one arrived before the call began; no check depends on timing.
//! - Without `SA_RESTART`, a read from an empty pipe fails with `EINTR` once the handler has
//!   run, and so does `wait4` for a child that does not end.
//! - With `SA_RESTART` both go on: the handler, on its third run, writes a byte to a pipe a
//!   child is waiting on; for the read, the child then writes into the pipe being read,
//!   which returns that byte; for `wait4`, the child exits 5, which `wait4` returns.
//! - `nanosleep` interrupted by a handler fails with `EINTR`, with or without `SA_RESTART`
//!   (signal(7): it is never restarted after a handler).
//! - A periodic timer delivers SIGALRM again and again (five are waited for); its
//!   `si_code` is `SI_KERNEL` and `si_pid` 0, as Linux's `it_real_fn` sends it.
//! - `getitimer` shows the time left (above 0, at most what was set) and the interval
//!   exactly; `setitimer` returns the previous setting; a zero `it_value` disarms the timer
//!   and clears the interval. `alarm(10)` returns 0, then `alarm(0)` returns the 10 seconds
//!   left (rounded to the nearest second, as Linux's `alarm` does).
//! - Bad arguments: `setitimer`/`getitimer` with `which` 99 or -1 is `EINVAL`; a negative
//!   `tv_sec` or a `tv_usec` of 1000000 in either timeval is `EINVAL`; a bad new, old or
//!   result pointer (kernel half, unmapped) is `EFAULT` (`t_efault` covers `nanosleep`'s).

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use core::sync::atomic::{AtomicI32, AtomicU32, Ordering::SeqCst};

use ulib::abi::Errno;
use ulib::abi::signal::{SA_RESTART, SI_KERNEL, SIGALRM, SigInfo, sigset_bit};
use ulib::abi::time::{Itimerval, Timeval};
use ulib::abi::wait;
use ulib::hazard::{KERNEL_ADDR, UNMAPPED_ADDR};
use ulib::signal::{self, ITIMER_REAL, UContext};
use ulib::syscall::decode;
use ulib::{Fork, Pid, check, check_eq, check_ok, fs};

ulib::entry!(main);

/// Handler runs since the last reset, and the last `si_code` and `si_pid`.
static ALARMS: AtomicU32 = AtomicU32::new(0);
static ALARM_CODE: AtomicI32 = AtomicI32::new(-1);
static ALARM_PID: AtomicI32 = AtomicI32::new(-1);

/// Where the handler writes a byte on its third run (-1: nowhere).
static GO_FD: AtomicI32 = AtomicI32::new(-1);

/// The handler run on which it writes to [`GO_FD`].
const GO_ON_RUN: u32 = 3;

fn main() -> i32 {
    check_ok!(signal::set_mask(0), "start with nothing blocked");
    check_read();
    check_wait4();
    check_nanosleep();
    check_periodic();
    check_getitimer_and_alarm();
    check_bad_arguments();
    ulib::println!("t_sig_eintr: ok");
    0
}

extern "C" fn alarm_handler(_sig: i32, info: &SigInfo, _context: &UContext) {
    ALARM_CODE.store(info.code, SeqCst);
    ALARM_PID.store(info.pid, SeqCst);
    if ALARMS.fetch_add(1, SeqCst) + 1 == GO_ON_RUN {
        let fd = GO_FD.load(SeqCst);
        if fd >= 0 {
            let _ = ulib::write(fd, b"g");
        }
    }
}

/// Installs the SIGALRM handler (with `flags`) and resets its count.
fn install(flags: u64) {
    check_ok!(
        signal::set_info_handler(SIGALRM, alarm_handler, flags, 0),
        "install the SIGALRM handler"
    );
    ALARMS.store(0, SeqCst);
}

/// A timeval of `ms` milliseconds.
fn millis(ms: i64) -> Timeval {
    Timeval {
        tv_sec: ms / 1000,
        tv_usec: ms % 1000 * 1000,
    }
}

/// Arms `ITIMER_REAL` to fire every `ms` milliseconds.
fn arm_periodic(ms: i64) {
    check_ok!(
        signal::setitimer(
            ITIMER_REAL,
            &Itimerval {
                it_interval: millis(ms),
                it_value: millis(ms),
            },
        ),
        "arm ITIMER_REAL every {ms} ms"
    );
}

fn disarm() {
    check_ok!(
        signal::setitimer(ITIMER_REAL, &Itimerval::default()),
        "disarm ITIMER_REAL"
    );
}

/// Forks a child that waits for a byte on `go` and then runs `then`, which returns its exit
/// status. The child closes `others` first; the parent closes `go`.
fn spawn_waiting_child(go: (i32, i32), others: &[i32], then: impl FnOnce() -> i32) -> Pid {
    let child = match check_ok!(ulib::fork(), "fork") {
        Fork::Child => {
            for &fd in others.iter().chain(&[go.1]) {
                let _ = fs::close(fd);
            }
            let mut byte = [0u8];
            match ulib::read(go.0, &mut byte) {
                Ok(1) => ulib::exit(then()),
                other => {
                    ulib::eprintln!("t_sig_eintr: the waiting child read {other:?}");
                    ulib::exit(2)
                }
            }
        }
        Fork::Parent(pid) => pid,
    };
    check_ok!(fs::close(go.0), "close the child's end");
    child
}

fn check_read() {
    let (data_read, data_write) = check_ok!(fs::pipe(), "pipe");
    let mut byte = [0u8];
    install(0);
    arm_periodic(50);
    check_eq!(
        ulib::read(data_read, &mut byte),
        Err(Errno::EINTR),
        "a read of an empty pipe interrupted without SA_RESTART"
    );
    disarm();
    check!(ALARMS.load(SeqCst) >= 1, "the handler ran");

    let go = check_ok!(fs::pipe(), "pipe");
    let child = spawn_waiting_child(go, &[data_read], || match ulib::write(data_write, b"d") {
        Ok(1) => 0,
        _ => 3,
    });
    check_ok!(fs::close(data_write), "close the parent's write end");
    GO_FD.store(go.1, SeqCst);
    install(SA_RESTART);
    arm_periodic(20);
    check_eq!(
        ulib::read(data_read, &mut byte),
        Ok(1),
        "a read restarted after SA_RESTART handlers returns the data"
    );
    disarm();
    GO_FD.store(-1, SeqCst);
    check_eq!(byte[0], b'd', "the byte the child wrote");
    check!(
        ALARMS.load(SeqCst) >= GO_ON_RUN,
        "the handler ran {GO_ON_RUN} times before the data came"
    );
    check_eq!(
        ulib::waitpid(child),
        Ok(wait::exited(0)),
        "the writing child"
    );
    for fd in [data_read, go.1] {
        check_ok!(fs::close(fd), "close {fd}");
    }
}

fn check_wait4() {
    let go = check_ok!(fs::pipe(), "pipe");
    let child = spawn_waiting_child(go, &[], || 5);
    install(0);
    arm_periodic(50);
    check_eq!(
        ulib::wait4(child, 0),
        Err(Errno::EINTR),
        "wait4 interrupted without SA_RESTART"
    );
    disarm();
    check!(ALARMS.load(SeqCst) >= 1, "the handler ran");

    GO_FD.store(go.1, SeqCst);
    install(SA_RESTART);
    arm_periodic(20);
    check_eq!(
        ulib::wait4(child, 0),
        Ok((child, wait::exited(5))),
        "wait4 restarted after SA_RESTART handlers reaps the child"
    );
    disarm();
    GO_FD.store(-1, SeqCst);
    check!(
        ALARMS.load(SeqCst) >= GO_ON_RUN,
        "the handler let the child go"
    );
    check_ok!(fs::close(go.1), "close the go pipe");
}

fn check_nanosleep() {
    for flags in [0, SA_RESTART] {
        install(flags);
        arm_periodic(50);
        check_eq!(
            ulib::sleep(10),
            Err(Errno::EINTR),
            "nanosleep(10 s) interrupted (flags {flags:#x})"
        );
        disarm();
        check!(ALARMS.load(SeqCst) >= 1, "the handler ran");
    }
}

fn check_periodic() {
    const WANTED: u32 = 5;
    install(0);
    check_ok!(signal::block(sigset_bit(SIGALRM)), "block SIGALRM");
    arm_periodic(10);
    signal::suspend_until(0, || ALARMS.load(SeqCst) >= WANTED);
    disarm();
    check_ok!(signal::set_mask(0), "unblock SIGALRM");
    check_eq!(
        ALARM_CODE.load(SeqCst),
        SI_KERNEL,
        "si_code of the timer's SIGALRM"
    );
    check_eq!(ALARM_PID.load(SeqCst), 0, "si_pid of the timer's SIGALRM");
}

fn check_getitimer_and_alarm() {
    let ten_seconds = millis(10_000);
    let quarter = millis(250);
    let total_micros = |time: Timeval| time.tv_sec * 1_000_000 + time.tv_usec;
    check_ok!(signal::ignore(SIGALRM), "ignore SIGALRM");
    let old = check_ok!(
        signal::setitimer(
            ITIMER_REAL,
            &Itimerval {
                it_interval: quarter,
                it_value: ten_seconds,
            },
        ),
        "arm 10 s, then every 250 ms"
    );
    check_eq!(old, Itimerval::default(), "the timer was disarmed before");
    let now = check_ok!(signal::getitimer(ITIMER_REAL), "getitimer");
    check_eq!(now.it_interval, quarter, "the interval reads back exactly");
    let left = total_micros(now.it_value);
    check!(
        left > 0 && left <= total_micros(ten_seconds) && now.it_value.tv_usec < 1_000_000,
        "time left {:?} within (0, 10 s]",
        now.it_value
    );
    let old = check_ok!(
        signal::setitimer(
            ITIMER_REAL,
            &Itimerval {
                it_interval: millis(1000),
                it_value: Timeval::default(),
            },
        ),
        "disarm with a zero it_value and an interval"
    );
    check_eq!(
        old.it_interval,
        quarter,
        "setitimer returned the old interval"
    );
    check!(
        total_micros(old.it_value) <= left,
        "setitimer returned the time left, {:?}",
        old.it_value
    );
    check_eq!(
        signal::getitimer(ITIMER_REAL),
        Ok(Itimerval::default()),
        "a zero it_value disarmed the timer and cleared the interval"
    );

    check_eq!(signal::alarm(10), Ok(0), "alarm(10) with no alarm set");
    let left = check_ok!(signal::alarm(0), "alarm(0)");
    check!(
        (9..=10).contains(&left),
        "alarm(0) right after alarm(10) returned {left}"
    );
    check_eq!(
        signal::getitimer(ITIMER_REAL),
        Ok(Itimerval::default()),
        "alarm(0) disarmed the timer"
    );
    check_ok!(signal::set_default(SIGALRM), "default SIGALRM");
}

fn check_bad_arguments() {
    let zero = Itimerval::default();
    let zero_addr = &zero as *const Itimerval as usize;
    for which in [99, -1] {
        check_eq!(
            decode(signal::raw::setitimer(which, zero_addr, 0)),
            Err(Errno::EINVAL),
            "setitimer with which {which}"
        );
        check_eq!(
            decode(signal::raw::getitimer(which, UNMAPPED_ADDR)),
            Err(Errno::EINVAL),
            "getitimer with which {which}"
        );
    }
    let bad_times = [
        Timeval {
            tv_sec: 0,
            tv_usec: 1_000_000,
        },
        Timeval {
            tv_sec: -1,
            tv_usec: 0,
        },
        Timeval {
            tv_sec: 0,
            tv_usec: -1,
        },
    ];
    for bad in bad_times {
        for (value, interval) in [(bad, millis(1)), (millis(1), bad)] {
            check_eq!(
                signal::setitimer(
                    ITIMER_REAL,
                    &Itimerval {
                        it_interval: interval,
                        it_value: value,
                    },
                )
                .map(|_| ()),
                Err(Errno::EINVAL),
                "setitimer with it_value {value:?}, it_interval {interval:?}"
            );
        }
    }
    for bad in [KERNEL_ADDR, UNMAPPED_ADDR] {
        check_eq!(
            decode(signal::raw::setitimer(ITIMER_REAL, bad, 0)),
            Err(Errno::EFAULT),
            "setitimer with the new value at {bad:#x}"
        );
        check_eq!(
            decode(signal::raw::setitimer(ITIMER_REAL, zero_addr, bad)),
            Err(Errno::EFAULT),
            "setitimer with the old value at {bad:#x}"
        );
        check_eq!(
            decode(signal::raw::getitimer(ITIMER_REAL, bad)),
            Err(Errno::EFAULT),
            "getitimer into {bad:#x}"
        );
    }
    check_eq!(
        signal::getitimer(ITIMER_REAL),
        Ok(zero),
        "no failed call armed the timer"
    );
}
