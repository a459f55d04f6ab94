//! Test `t_deadlock` (expects `exit=0`): the semaphore deadlock detector (concept T4).
//!
//! - `/proc/sys/kernel/deadlock_detect` reads 0 (off by default); writing 1 turns it on,
//!   anything but 0 or 1 is `EINVAL`, and a process that is not root may not write it
//!   (`EACCES`).
//! - Off: two processes that each hold one semaphore and wait for the other's are
//!   deadlocked; only their `semtimedop` timeouts end it (`EAGAIN`, not `EDEADLK`).
//! - On, two processes (the seed notes' definition: each waits for the other): the first
//!   to wait blocks; the second, whose wait would close the cycle, fails with `EDEADLK` and
//!   backs off, releasing its semaphore, and the first then gets it.
//! - On, five philosophers, each holding its left fork and, one at a time, reaching for
//!   its right: the first four block; exactly the fifth, whose wait closes the cycle, gets
//!   `EDEADLK` and puts its fork down; then everyone eats (the fifth after trying again,
//!   right fork first).
//!   The kernel log names the cycle, pid by pid, from the fifth philosopher round.
//! - On, waits that close no cycle are not reported: waiting for a semaphore whose holder
//!   waits for nothing, waiting for zero, and waiting for a semaphore that nobody holds
//!   end normally (the holder's V, or a timeout's `EAGAIN`).
//! - The detector is switched off again at the end.
//!
//! Every wait has a `semtimedop` timeout, so a broken detector fails the test instead of
//! hanging it. Linux has no such detector: elsewhere the test only says it is skipped.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use ulib::abi::Errno;
use ulib::abi::time::Timespec;
use ulib::abi::wait;
use ulib::ipc::{self, SemSet, sembuf};
use ulib::procfs::{self, DEADLOCK_DETECT};
use ulib::{Pid, check, check_eq, check_ok, fs};

ulib::entry!(main);

/// How long any wait may last before the test calls it a failure.
const PATIENCE_MS: u64 = 10_000;

/// How long a wait that a timeout should end is given.
const SHORT_MS: u64 = 300;

/// Philosophers (and forks) at the table.
const PHILOSOPHERS: u16 = 5;

/// Exit statuses of the children: success, `EDEADLK` then success after backing off, and
/// anything else.
const ATE: i32 = 0;
const BACKED_OFF_THEN_ATE: i32 = 3;
const WRONG: i32 = 1;

fn main() -> i32 {
    if !ulib::on_lantern() {
        ulib::println!("t_deadlock: the detector is Lantern's; skipped");
        return 0;
    }
    check_switch();
    check_cycle_without_detector();
    check_ok!(procfs::set_deadlock_detection(true), "turn the detector on");
    check_two_processes();
    check_philosophers();
    check_no_cycle();
    check_ok!(
        procfs::set_deadlock_detection(false),
        "turn the detector off"
    );
    check_eq!(
        procfs::deadlock_detection(),
        Ok(false),
        "the detector is off again"
    );
    ulib::println!("t_deadlock: ok");
    0
}

fn millis(ms: u64) -> Timespec {
    Timespec::from_nanos(ms * 1_000_000)
}

/// P on semaphore `num`, waiting at most `ms`.
fn take(set: SemSet, num: u16, ms: u64) -> Result<(), Errno> {
    ipc::semtimedop(set.id(), &[sembuf(num, -1, 0)], &millis(ms))
}

fn spawn(child: impl FnOnce() -> i32) -> Pid {
    check_ok!(ulib::spawn(child), "fork")
}

fn new_set(count: i32) -> SemSet {
    check_ok!(SemSet::private(count, 0o600), "semget")
}

/// Waits up to [`PATIENCE_MS`] until `count` processes wait to take from semaphore `num`.
fn await_waiters(set: SemSet, num: u16, count: usize) {
    let mut waited = 0;
    loop {
        let now = check_ok!(
            ipc::semctl_getncnt(set.id(), i32::from(num)),
            "GETNCNT of semaphore {num}"
        );
        if now == count {
            return;
        }
        check!(
            waited < PATIENCE_MS,
            "{now} processes wait on semaphore {num}, not {count}"
        );
        let _ = ulib::sleep_ms(5);
        waited += 5;
    }
}

/// Waits up to [`PATIENCE_MS`] until every semaphore in `nums` is 0 (taken).
fn await_taken(set: SemSet, nums: impl Iterator<Item = u16> + Clone) {
    let mut waited = 0;
    while nums.clone().any(|num| set.value(num) != Ok(0)) {
        check!(waited < PATIENCE_MS, "the semaphores were not all taken");
        let _ = ulib::sleep_ms(5);
        waited += 5;
    }
}

fn check_switch() {
    check_eq!(
        procfs::deadlock_detection(),
        Ok(false),
        "the detector is off by default"
    );
    for bad in ["2", "on"] {
        let fd = check_ok!(
            fs::open(DEADLOCK_DETECT, ulib::abi::fs::O_WRONLY, 0),
            "open {DEADLOCK_DETECT}"
        );
        check_eq!(
            fs::write(fd, bad.as_bytes()),
            Err(Errno::EINVAL),
            "writing {bad:?}"
        );
        check_ok!(fs::close(fd), "close");
    }
    check_ok!(procfs::set_deadlock_detection(true), "write 1");
    check_eq!(procfs::deadlock_detection(), Ok(true), "it reads 1");
    let child = spawn(|| {
        if ulib::process::setresuid(1000, 1000, 1000).is_err() {
            return 2;
        }
        match procfs::set_deadlock_detection(false) {
            Err(Errno::EACCES) => 0,
            _ => WRONG,
        }
    });
    check_eq!(
        ulib::waitpid(child),
        Ok(wait::exited(0)),
        "a process that is not root may not switch the detector"
    );
    check_ok!(procfs::set_deadlock_detection(false), "write 0");
    check_eq!(procfs::deadlock_detection(), Ok(false), "it reads 0");
}

/// Two processes: this one holds semaphore 0, a child holds 1; then each waits for the
/// other's, the child first (for up to [`PATIENCE_MS`]), this process for up to `ms`, after
/// which it gives semaphore 0 back. Returns what this process's wait ended with and the
/// child's exit status (10 + the errno of its wait, or 0 if it got through).
fn cross_wait(set: SemSet, ms: u64) -> (Result<(), Errno>, i32) {
    check_ok!(ipc::semctl_setall(set.id(), &[1, 1]), "SETALL 1, 1");
    check_ok!(set.wait(0), "take semaphore 0");
    let child = spawn(move || {
        if set.wait(1).is_err() {
            return WRONG;
        }
        let result = take(set, 0, PATIENCE_MS);
        let _ = set.post(1);
        match result {
            Ok(()) => {
                let _ = set.post(0);
                0
            }
            Err(errno) => 10 + errno.0,
        }
    });
    await_waiters(set, 0, 1);
    let mine = take(set, 1, ms);
    let _ = set.post(0);
    if mine.is_ok() {
        let _ = set.post(1);
    }
    let status = check_ok!(ulib::waitpid(child), "wait for the child");
    (mine, status)
}

fn check_cycle_without_detector() {
    let set = new_set(2);
    let (mine, child) = cross_wait(set, SHORT_MS);
    check_eq!(
        mine,
        Err(Errno::EAGAIN),
        "off: the cycle is a deadlock only the timeout ends"
    );
    check_eq!(
        child,
        wait::exited(0),
        "off: the child got through once this process gave up"
    );
    check_ok!(set.remove(), "IPC_RMID");
}

fn check_two_processes() {
    let set = new_set(2);
    let (mine, child) = cross_wait(set, PATIENCE_MS);
    check_eq!(
        mine,
        Err(Errno::EDEADLK),
        "on: the wait that closes the cycle fails"
    );
    check_eq!(
        child,
        wait::exited(0),
        "on: the child got the semaphore once this process backed off"
    );
    check_eq!(
        ipc::semctl_getall(set.id()),
        Ok(alloc::vec![1, 1]),
        "everything given back"
    );
    check_ok!(set.remove(), "IPC_RMID");
}

/// Philosopher `seat`: takes its left fork, waits at its gate, takes its right fork, eats,
/// puts both down. On `EDEADLK` it backs off: puts its left fork down and starts again,
/// right fork first. Holding nothing while it waits, it cannot be part of a cycle; its
/// neighbours eat in turn, and the last to eat leaves it both forks.
fn philosopher(table: SemSet, seat: u16) -> i32 {
    let left = seat;
    let right = (seat + 1) % PHILOSOPHERS;
    let gate = PHILOSOPHERS + seat;
    if take(table, left, PATIENCE_MS).is_err() || take(table, gate, PATIENCE_MS).is_err() {
        return WRONG;
    }
    let status = match take(table, right, PATIENCE_MS) {
        Ok(()) => ATE,
        Err(Errno::EDEADLK) => {
            if table.post(left).is_err()
                || take(table, right, PATIENCE_MS).is_err()
                || take(table, left, PATIENCE_MS).is_err()
            {
                return WRONG;
            }
            BACKED_OFF_THEN_ATE
        }
        Err(_) => return WRONG,
    };
    if table.post(right).is_err() || table.post(left).is_err() {
        return WRONG;
    }
    status
}

fn check_philosophers() {
    // Forks 0..5 (1 each), then one closed gate per philosopher.
    let table = new_set(i32::from(2 * PHILOSOPHERS));
    for fork in 0..PHILOSOPHERS {
        check_ok!(table.set(fork, 1), "put fork {fork} on the table");
    }
    let seats: Vec<Pid> = (0..PHILOSOPHERS)
        .map(|seat| spawn(move || philosopher(table, seat)))
        .collect();
    await_taken(table, 0..PHILOSOPHERS);
    for seat in 0..PHILOSOPHERS - 1 {
        check_ok!(table.post(PHILOSOPHERS + seat), "open gate {seat}");
        await_waiters(table, (seat + 1) % PHILOSOPHERS, 1);
    }
    check_ok!(
        table.post(2 * PHILOSOPHERS - 1),
        "open the last philosopher's gate"
    );
    for (seat, pid) in seats.iter().enumerate() {
        let expected = if seat == usize::from(PHILOSOPHERS) - 1 {
            BACKED_OFF_THEN_ATE
        } else {
            ATE
        };
        check_eq!(
            ulib::waitpid(*pid),
            Ok(wait::exited(expected as u8)),
            "philosopher {seat} (0: ate, 3: backed off on EDEADLK, then ate, 1: failed)"
        );
    }
    let forks: Vec<u16> = check_ok!(ipc::semctl_getall(table.id()), "GETALL");
    check_eq!(
        forks[..usize::from(PHILOSOPHERS)].to_vec(),
        alloc::vec![1; usize::from(PHILOSOPHERS)],
        "every fork is back on the table"
    );
    check_ok!(table.remove(), "IPC_RMID");

    // The log names the cycle from the last philosopher round: 4 -> 0 -> 1 -> 2 -> 3 -> 4.
    let order = [4usize, 0, 1, 2, 3, 4];
    let cycle: Vec<String> = order
        .iter()
        .map(|&seat| format!("{} (t_deadlock)", seats[seat]))
        .collect();
    let expected = format!("the cycle {}", cycle.join(" -> "));
    let log = check_ok!(ulib::log::read_all(), "read the kernel log");
    let log = String::from_utf8_lossy(&log);
    check!(
        log.lines()
            .any(|line| line.contains("deadlock detected") && line.contains(&expected)),
        "the kernel log has a line with `deadlock detected` and `{expected}`"
    );
}

fn check_no_cycle() {
    let set = new_set(3);
    check_ok!(ipc::semctl_setall(set.id(), &[1, 1, 1]), "SETALL");
    // This process holds 0; a child waits for it: a chain, not a cycle.
    check_ok!(set.wait(0), "take semaphore 0");
    let child = spawn(move || match take(set, 0, PATIENCE_MS) {
        Ok(()) => {
            let _ = set.post(0);
            0
        }
        Err(errno) => 10 + errno.0,
    });
    await_waiters(set, 0, 1);
    check_ok!(set.post(0), "give semaphore 0 back");
    check_eq!(
        ulib::waitpid(child),
        Ok(wait::exited(0)),
        "a waiter whose holder waits for nothing gets through"
    );

    // A child holds 1 and waits for zero on 2; this process, holding 0, waits for 1.
    // Waiting for zero makes no edge, so there is no cycle: the wait times out.
    let child = spawn(move || {
        if set.wait(1).is_err() {
            return WRONG;
        }
        let result = ipc::semtimedop(set.id(), &[sembuf(2, 0, 0)], &millis(PATIENCE_MS));
        let _ = set.post(1);
        match result {
            Ok(()) => 0,
            Err(errno) => 10 + errno.0,
        }
    });
    check_ok!(set.wait(0), "take semaphore 0");
    let mut waited = 0;
    while ipc::semctl_getzcnt(set.id(), 2) != Ok(1) {
        check!(waited < PATIENCE_MS, "the child never waited for zero");
        let _ = ulib::sleep_ms(5);
        waited += 5;
    }
    check_eq!(
        take(set, 1, SHORT_MS),
        Err(Errno::EAGAIN),
        "waiting for a holder that waits for zero is no cycle"
    );
    check_ok!(set.wait(2), "let the child see zero");
    check_eq!(
        ulib::waitpid(child),
        Ok(wait::exited(0)),
        "the zero waiter got through"
    );
    check_ok!(set.post(0), "give semaphore 0 back");

    // Nobody holds a semaphore set to 0: waiting for it is no cycle either.
    check_ok!(set.set(2, 0), "SETVAL 0");
    check_eq!(
        take(set, 2, SHORT_MS),
        Err(Errno::EAGAIN),
        "waiting for a semaphore nobody holds"
    );
    check_ok!(set.remove(), "IPC_RMID");
}
