//! Test `t_sem` (expects `exit=0`): System V semaphores (concept I7).
//!
//! - `semget`: `IPC_PRIVATE` makes a new set each time, all values 0; `nsems` 0 (for a new
//!   set), negative or above `SEMMSL` (32000) is `EINVAL`; a key without `IPC_CREAT` and no
//!   set is `ENOENT`; `IPC_CREAT | IPC_EXCL` is `EEXIST` the second time; the key then finds
//!   the set with any `nsems` up to its size (0 too), a larger one is `EINVAL`; `IPC_STAT`
//!   shows the key, the mode and `sem_nsems`; `IPC_SET` changes the mode; after `IPC_RMID`
//!   the key is `ENOENT`. On Lantern, too many sets or semaphores are `ENOSPC`.
//! - Permissions: a process that gave up root may not open a root set whose mode denies it
//!   what it asks for (`EACCES`; asking for nothing is allowed), may not change values
//!   (`semop`, `SETVAL`: `EACCES`) without write permission but may wait for zero and read
//!   with read permission, and may not remove the set or `IPC_SET` it (`EPERM`).
//! - Operations: a positive `sem_op` adds, a negative one subtracts; several operations
//!   go all at once or not at all (a multi-operation `semop` that cannot finish changes
//!   nothing); operations on one semaphore apply in order; `sem_op == 0` waits for zero;
//!   `IPC_NOWAIT` turns every wait into `EAGAIN`; `GETPID` names the last process;
//!   `SEMOPM` (500) operations pass, 501 are `E2BIG`, 0 `EINVAL`; a semaphore number
//!   beyond the set is `EFBIG`; a value beyond `SEMVMX` (32767) is `ERANGE`, from `semop`,
//!   `SETVAL` (also below 0) and `SETALL`; so is a `SEM_UNDO` adjustment beyond `SEMAEM`.
//!   `GETALL` and `SETALL` move every value.
//! - Bad ids (negative, never made, removed) are `EINVAL` for every call, and an unknown
//!   `semctl` command too; `SETVAL` checks its value before the id (`ERANGE`). Bad
//!   operation, timeout and buffer pointers (NULL, kernel half, unmapped; a NULL timeout is
//!   none) are `EFAULT`, and change nothing; a denormalized timeout is `EINVAL`.
//! - Waiting: a process waiting to subtract is counted by `GETNCNT` and woken by another
//!   process's `semop`; one waiting for zero is counted by `GETZCNT` and woken only when
//!   the value reaches zero; a process waiting for two semaphores at once takes neither
//!   until both are available. Removing the set wakes a waiter with `EIDRM`. `semtimedop`
//!   gives up with `EAGAIN` after its timeout (at once for a zero timeout). A signal
//!   handler ends a wait with `EINTR`, even with `SA_RESTART` (signal(7): never restarted);
//!   so does a stop and `SIGCONT` without a handler (on Lantern; Linux does the same).
//! - `SEM_UNDO`: a child that takes a unit with `SEM_UNDO` and exits (or is killed while
//!   holding it) gives it back, and `GETPID` then names the child; an undo that would take
//!   the value below 0 stops at 0; `SETVAL` and `SETALL` cancel the pending undo.
//! - `/proc/sysvipc/sem` lists the set with its key, id, mode and size.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::vec;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, Ordering::SeqCst};

use ulib::abi::Errno;
use ulib::abi::ipc::{
    GETALL, IPC_CREAT, IPC_EXCL, IPC_NOWAIT, IPC_PRIVATE, IPC_SET, IPC_STAT, SEM_UNDO, SEMAEM,
    SEMMSL, SEMOPM, SEMVMX, SETALL, SETVAL, SemBuf,
};
use ulib::abi::signal::{SA_RESTART, SIGALRM, SIGCONT, SIGKILL, SIGSTOP, SigInfo};
use ulib::abi::time::{CLOCK_MONOTONIC, Timespec};
use ulib::abi::wait::{self, WUNTRACED};
use ulib::hazard::BAD_POINTERS;
use ulib::ipc::{self, SemSet, raw, sembuf};
use ulib::signal::{self, ITIMER_REAL, UContext};
use ulib::syscall::decode;
use ulib::{Pid, check, check_eq, check_ok, fs};

ulib::entry!(main);

/// How long to wait for something another process does before giving up.
const PATIENCE_MS: u64 = 10_000;

/// How long a process that should stay blocked is given to (wrongly) get through.
const SETTLE_MS: u64 = 200;

/// A user id other than root's.
const NOBODY: u32 = 1000;

/// Exit statuses of children that report an outcome other than success.
const WRONG: i32 = 1;

fn main() -> i32 {
    check_get();
    check_permissions();
    check_operations();
    check_limits_and_ranges();
    check_all_values();
    check_bad_ids();
    check_bad_pointers();
    check_waiters();
    check_removal_wakes_waiter();
    check_timeouts();
    check_signal_interrupts();
    check_stop_interrupts();
    check_undo();
    check_proc_file();
    ulib::println!("t_sem: ok");
    0
}

fn new_set(count: i32) -> SemSet {
    check_ok!(
        SemSet::private(count, 0o600),
        "semget(IPC_PRIVATE, {count})"
    )
}

fn remove(set: SemSet) {
    check_ok!(set.remove(), "semctl({}, IPC_RMID)", set.id());
}

fn value(set: SemSet, num: u16) -> i32 {
    check_ok!(set.value(num), "GETVAL of semaphore {num}")
}

fn set_value(set: SemSet, num: u16, value: i32) {
    check_ok!(set.set(num, value), "SETVAL of semaphore {num} to {value}");
}

fn op(set: SemSet, ops: &[SemBuf]) -> Result<(), Errno> {
    ipc::semop(set.id(), ops)
}

fn spawn(child: impl FnOnce() -> i32) -> Pid {
    check_ok!(ulib::spawn(child), "fork")
}

fn expect_exit(pid: Pid, what: &str) {
    check_eq!(ulib::waitpid(pid), Ok(wait::exited(0)), "{what}");
}

/// A key unlikely to be in use by anyone else.
fn own_key(salt: i32) -> i32 {
    let pid = check_ok!(ulib::getpid(), "getpid");
    0x5345_0000 | ((pid & 0xfff) << 4) | salt
}

/// Waits up to [`PATIENCE_MS`] until `probe` returns `want`.
fn await_count(what: &str, want: usize, probe: impl Fn() -> Result<usize, Errno>) {
    let mut waited = 0;
    loop {
        let now = check_ok!(probe(), "{what}");
        if now == want {
            return;
        }
        check!(waited < PATIENCE_MS, "{what} is {now}, not {want}");
        let _ = ulib::sleep_ms(5);
        waited += 5;
    }
}

/// Waits until `count` processes wait to subtract from semaphore `num`.
fn await_ncnt(set: SemSet, num: u16, count: usize) {
    await_count("GETNCNT", count, || {
        ipc::semctl_getncnt(set.id(), i32::from(num))
    });
}

fn monotonic_ms() -> u64 {
    let now = check_ok!(ulib::clock_gettime(CLOCK_MONOTONIC), "clock_gettime");
    now.to_nanos().unwrap_or(0) / 1_000_000
}

fn millis(ms: u64) -> Timespec {
    Timespec::from_nanos(ms * 1_000_000)
}

fn check_get() {
    let first = new_set(1);
    let second = new_set(1);
    check!(
        first != second,
        "IPC_PRIVATE makes a new set each time ({first:?}, {second:?})"
    );
    remove(first);
    remove(second);
    for nsems in [0, -1, SEMMSL as i32 + 1] {
        check_eq!(
            ipc::semget(IPC_PRIVATE, nsems, IPC_CREAT | 0o600),
            Err(Errno::EINVAL),
            "a new set of {nsems} semaphores"
        );
    }

    let key = own_key(1);
    check_eq!(
        ipc::semget(key, 3, 0o600),
        Err(Errno::ENOENT),
        "a key with no set, without IPC_CREAT"
    );
    let id = check_ok!(
        ipc::semget(key, 3, IPC_CREAT | IPC_EXCL | 0o640),
        "semget(key, 3, IPC_CREAT | IPC_EXCL)"
    );
    check_eq!(
        ipc::semget(key, 3, IPC_CREAT | IPC_EXCL | 0o640),
        Err(Errno::EEXIST),
        "IPC_CREAT | IPC_EXCL the second time"
    );
    for nsems in [0, 2, 3] {
        check_eq!(
            ipc::semget(key, nsems, 0),
            Ok(id),
            "the key finds its set with nsems {nsems}"
        );
    }
    check_eq!(
        ipc::semget(key, 4, IPC_CREAT | 0o640),
        Err(Errno::EINVAL),
        "more semaphores than the set has"
    );
    let state = check_ok!(ipc::semctl_stat(id), "IPC_STAT");
    check_eq!(state.sem_perm.key, key, "IPC_STAT key");
    check_eq!(state.sem_perm.mode & 0o777, 0o640, "IPC_STAT mode");
    check_eq!(state.sem_nsems, 3, "IPC_STAT sem_nsems");
    check_eq!(state.sem_otime, 0, "no semop yet");
    check_eq!(
        ipc::semctl_getall(id),
        Ok(vec![0, 0, 0]),
        "a new set's values"
    );
    let mut changed = state;
    changed.sem_perm.mode = 0o600;
    check_ok!(ipc::semctl_set(id, &changed), "IPC_SET");
    let state = check_ok!(ipc::semctl_stat(id), "IPC_STAT after IPC_SET");
    check_eq!(state.sem_perm.mode & 0o777, 0o600, "the mode IPC_SET gave");
    check_ok!(ipc::semctl_rmid(id), "IPC_RMID");
    check_eq!(
        ipc::semget(key, 0, 0),
        Err(Errno::ENOENT),
        "the key after IPC_RMID"
    );

    // Lantern's limits: 128 sets and 4096 semaphores in all (Linux's are far larger).
    if ulib::on_lantern() {
        check_eq!(
            ipc::semget(IPC_PRIVATE, SEMMSL as i32, IPC_CREAT | 0o600),
            Err(Errno::ENOSPC),
            "a set larger than the semaphores left"
        );
        let mut made = Vec::new();
        let outcome = loop {
            match SemSet::private(1, 0o600) {
                Ok(set) if made.len() < 1000 => made.push(set),
                Ok(set) => break Ok(set.id()),
                Err(errno) => break Err(errno),
            }
        };
        check_eq!(outcome, Err(Errno::ENOSPC), "sets beyond the table's size");
        check!(!made.is_empty(), "some sets could be made");
        for set in made {
            remove(set);
        }
        let set = new_set(1);
        remove(set);
    }
}

/// Gives up root: user and group [`NOBODY`].
fn become_nobody() -> Result<(), Errno> {
    ulib::process::setresgid(NOBODY, NOBODY, NOBODY)?;
    ulib::process::setresuid(NOBODY, NOBODY, NOBODY)
}

fn check_permissions() {
    if check_ok!(ulib::process::geteuid(), "geteuid") != 0 {
        ulib::println!("t_sem: not root, permission checks skipped");
        return;
    }
    let key = own_key(2);
    let id = check_ok!(
        ipc::semget(key, 1, IPC_CREAT | IPC_EXCL | 0o604),
        "a set others may read"
    );
    let child = spawn(move || {
        if become_nobody().is_err() {
            return 2;
        }
        let results = [
            ipc::semget(key, 1, 0o600) == Err(Errno::EACCES),
            ipc::semget(key, 1, 0o004) == Ok(id),
            ipc::semget(key, 1, 0) == Ok(id),
            ipc::semop(id, &[sembuf(0, 1, 0)]) == Err(Errno::EACCES),
            ipc::semop(id, &[sembuf(0, 0, IPC_NOWAIT)]) == Ok(()),
            ipc::semctl_getval(id, 0) == Ok(0),
            ipc::semctl_setval(id, 0, 1) == Err(Errno::EACCES),
            ipc::semctl_set(id, &Default::default()) == Err(Errno::EPERM),
            ipc::semctl_rmid(id) == Err(Errno::EPERM),
        ];
        match results.iter().position(|ok| !ok) {
            None => 0,
            Some(index) => 10 + index as i32,
        }
    });
    expect_exit(
        child,
        "the checks of a non-root process (exit 10 + n: check n failed)",
    );
    let state = check_ok!(ipc::semctl_stat(id), "IPC_STAT");
    check_eq!(state.sem_perm.mode & 0o777, 0o604, "the mode is unchanged");

    check_ok!(ipc::semctl_setval(id, 0, 0), "SETVAL");
    let mut state = state;
    state.sem_perm.mode = 0o000;
    check_ok!(ipc::semctl_set(id, &state), "IPC_SET mode 0");
    let child = spawn(move || {
        if become_nobody().is_err() {
            return 2;
        }
        let results = [
            ipc::semctl_getval(id, 0) == Err(Errno::EACCES),
            ipc::semctl_stat(id).map(|_| ()) == Err(Errno::EACCES),
            ipc::semop(id, &[sembuf(0, 0, IPC_NOWAIT)]) == Err(Errno::EACCES),
        ];
        match results.iter().position(|ok| !ok) {
            None => 0,
            Some(index) => 10 + index as i32,
        }
    });
    expect_exit(
        child,
        "a non-root process may not read a mode-0 set (exit 10 + n: check n failed)",
    );
    check_eq!(ipc::semctl_getval(id, 0), Ok(0), "root may still read it");
    check_ok!(ipc::semctl_rmid(id), "IPC_RMID");
}

fn check_operations() {
    let set = new_set(3);
    let me = check_ok!(ulib::getpid(), "getpid") as i32;
    check_ok!(op(set, &[sembuf(0, 2, 0)]), "V by 2");
    check_eq!(value(set, 0), 2, "the value after adding 2");
    check_ok!(op(set, &[sembuf(0, -1, 0)]), "P");
    check_eq!(value(set, 0), 1, "the value after taking 1");
    check_eq!(
        ipc::semctl_getpid(set.id(), 0),
        Ok(me),
        "GETPID names this process"
    );
    check_eq!(
        ipc::semctl_getpid(set.id(), 1),
        Ok(0),
        "GETPID of an untouched semaphore"
    );
    check!(
        check_ok!(ipc::semctl_stat(set.id()), "IPC_STAT").sem_otime != 0,
        "semop set sem_otime"
    );

    // All or nothing: semaphore 1 is 0, so taking from 0 and 1 together changes neither.
    check_eq!(
        op(set, &[sembuf(0, -1, IPC_NOWAIT), sembuf(1, -1, IPC_NOWAIT)]),
        Err(Errno::EAGAIN),
        "taking from 0 and the empty 1 at once"
    );
    check_eq!(
        value(set, 0),
        1,
        "semaphore 0 untouched by the failed semop"
    );
    check_eq!(
        op(set, &[sembuf(0, 1, 0), sembuf(1, -1, IPC_NOWAIT)]),
        Err(Errno::EAGAIN),
        "adding to 0 while taking from the empty 1"
    );
    check_eq!(value(set, 0), 1, "the addition did not happen either");

    // Operations on one semaphore apply in order.
    check_ok!(
        op(set, &[sembuf(0, 1, 0), sembuf(0, -2, IPC_NOWAIT)]),
        "add 1 then take 2 from a value of 1"
    );
    check_eq!(value(set, 0), 0, "1 + 1 - 2");
    check_eq!(
        op(set, &[sembuf(2, -1, IPC_NOWAIT), sembuf(2, 1, 0)]),
        Err(Errno::EAGAIN),
        "take then give back, on 0"
    );
    check_ok!(
        op(set, &[sembuf(2, 1, 0), sembuf(2, -1, IPC_NOWAIT)]),
        "give then take back, on 0"
    );
    check_eq!(value(set, 2), 0, "the value after give and take");

    // Waiting for zero.
    check_ok!(op(set, &[sembuf(0, 0, 0)]), "wait for zero on 0");
    set_value(set, 0, 1);
    check_eq!(
        op(set, &[sembuf(0, 0, IPC_NOWAIT)]),
        Err(Errno::EAGAIN),
        "wait for zero on 1 with IPC_NOWAIT"
    );
    check_ok!(
        op(set, &[sembuf(0, -1, 0), sembuf(0, 0, 0)]),
        "take the last unit, then wait for zero"
    );
    check_eq!(
        op(set, &[sembuf(1, -1, IPC_NOWAIT)]),
        Err(Errno::EAGAIN),
        "P on 0 with IPC_NOWAIT"
    );
    remove(set);
}

fn check_limits_and_ranges() {
    let set = new_set(3);
    let most = vec![sembuf(1, 0, 0); SEMOPM];
    check_ok!(op(set, &most), "SEMOPM operations");
    let too_many = vec![sembuf(1, 0, 0); SEMOPM + 1];
    check_eq!(
        op(set, &too_many),
        Err(Errno::E2BIG),
        "SEMOPM + 1 operations"
    );
    check_eq!(op(set, &[]), Err(Errno::EINVAL), "no operations");
    for num in [3, u16::MAX] {
        check_eq!(
            op(set, &[sembuf(0, 1, 0), sembuf(num, 1, 0)]),
            Err(Errno::EFBIG),
            "semaphore number {num} of 3"
        );
    }
    check_eq!(value(set, 0), 0, "the EFBIG semop changed nothing");

    set_value(set, 0, SEMVMX);
    check_eq!(value(set, 0), SEMVMX, "SETVAL to SEMVMX");
    check_eq!(
        op(set, &[sembuf(0, 1, 0)]),
        Err(Errno::ERANGE),
        "adding beyond SEMVMX"
    );
    check_eq!(value(set, 0), SEMVMX, "the ERANGE semop changed nothing");
    for bad in [-1, SEMVMX + 1, i32::MIN] {
        check_eq!(set.set(0, bad), Err(Errno::ERANGE), "SETVAL to {bad}");
    }
    check_eq!(value(set, 0), SEMVMX, "the refused SETVALs changed nothing");

    // SEM_UNDO adjustments stay within -SEMAEM - 1 ..= SEMAEM.
    set_value(set, 1, 0);
    let undo_add = |amount: i16| op(set, &[sembuf(1, amount, SEM_UNDO)]);
    let take = |amount: i16| op(set, &[sembuf(1, -amount, IPC_NOWAIT)]);
    check_ok!(undo_add(SEMAEM as i16), "SEM_UNDO add of SEMAEM");
    check_ok!(take(SEMAEM as i16), "take it back without undo");
    check_ok!(undo_add(1), "adjustment -SEMAEM - 1");
    check_ok!(take(1), "take it back without undo");
    check_eq!(
        undo_add(1),
        Err(Errno::ERANGE),
        "an adjustment beyond -SEMAEM - 1"
    );
    check_eq!(value(set, 1), 0, "the refused SEM_UNDO changed nothing");
    // SETVAL clears the adjustment: SEM_UNDO counts from 0 again.
    set_value(set, 1, 0);
    check_ok!(undo_add(1), "SEM_UNDO after SETVAL cleared the adjustment");
    remove(set);
}

fn check_all_values() {
    let set = new_set(3);
    check_ok!(ipc::semctl_setall(set.id(), &[5, 6, 7]), "SETALL");
    check_eq!(
        ipc::semctl_getall(set.id()),
        Ok(vec![5, 6, 7]),
        "GETALL after SETALL"
    );
    check_eq!(value(set, 2), 7, "GETVAL after SETALL");
    let too_big: [u16; 3] = [1, SEMVMX as u16 + 1, 1];
    check_eq!(
        decode(raw::semctl(set.id(), 0, SETALL, too_big.as_ptr() as usize)),
        Err(Errno::ERANGE),
        "SETALL with a value beyond SEMVMX"
    );
    check_eq!(
        ipc::semctl_getall(set.id()),
        Ok(vec![5, 6, 7]),
        "the refused SETALL changed nothing"
    );
    for num in [-1, 3] {
        check_eq!(
            ipc::semctl_getval(set.id(), num),
            Err(Errno::EINVAL),
            "GETVAL of semaphore {num} of 3"
        );
        check_eq!(
            ipc::semctl_setval(set.id(), num, 1),
            Err(Errno::EINVAL),
            "SETVAL of semaphore {num} of 3"
        );
    }
    check_eq!(
        decode(raw::semctl(set.id(), 0, 99, 0)),
        Err(Errno::EINVAL),
        "an unknown semctl command"
    );
    remove(set);
}

fn check_bad_ids() {
    let removed = new_set(1);
    remove(removed);
    for id in [-1, i32::MAX, removed.id()] {
        check_eq!(
            ipc::semop(id, &[sembuf(0, 1, 0)]),
            Err(Errno::EINVAL),
            "semop on the id {id}"
        );
        check_eq!(
            ipc::semctl_getval(id, 0),
            Err(Errno::EINVAL),
            "GETVAL of the id {id}"
        );
        check_eq!(
            ipc::semctl_setval(id, 0, 1),
            Err(Errno::EINVAL),
            "SETVAL of the id {id}"
        );
        check_eq!(
            ipc::semctl_stat(id).map(|_| ()),
            Err(Errno::EINVAL),
            "IPC_STAT of the id {id}"
        );
        check_eq!(
            ipc::semctl_rmid(id),
            Err(Errno::EINVAL),
            "IPC_RMID of the id {id}"
        );
    }
    check_eq!(
        decode(raw::semctl(removed.id(), 0, SETVAL, SEMVMX as usize + 1)),
        Err(Errno::ERANGE),
        "SETVAL checks the value before the id"
    );
}

fn check_bad_pointers() {
    let set = new_set(2);
    let ops = [sembuf(0, 1, 0)];
    for bad in BAD_POINTERS {
        check_eq!(
            decode(raw::semop(set.id(), bad, 1)),
            Err(Errno::EFAULT),
            "semop of operations at {bad:#x}"
        );
        // A NULL timeout is no timeout.
        if bad != 0 {
            check_eq!(
                decode(raw::semtimedop(set.id(), ops.as_ptr() as usize, 1, bad)),
                Err(Errno::EFAULT),
                "semtimedop with a timeout at {bad:#x}"
            );
        }
        for cmd in [IPC_STAT, IPC_SET, GETALL, SETALL] {
            check_eq!(
                decode(raw::semctl(set.id(), 0, cmd, bad)),
                Err(Errno::EFAULT),
                "semctl command {cmd} with a buffer at {bad:#x}"
            );
        }
    }
    check_eq!(
        ipc::semctl_getall(set.id()),
        Ok(vec![0, 0]),
        "the faulting calls changed nothing"
    );
    for limit in [
        Timespec {
            tv_sec: 0,
            tv_nsec: 1_000_000_000,
        },
        Timespec {
            tv_sec: -1,
            tv_nsec: 0,
        },
    ] {
        check_eq!(
            ipc::semtimedop(set.id(), &ops, &limit),
            Err(Errno::EINVAL),
            "semtimedop with the timeout {limit:?}"
        );
    }
    check_eq!(value(set, 0), 0, "the refused semtimedops changed nothing");
    remove(set);
}

fn check_waiters() {
    // A process waiting to subtract, woken by another's V.
    let set = new_set(2);
    let taker = spawn(move || match op(set, &[sembuf(0, -2, 0)]) {
        Ok(()) => 0,
        Err(_) => WRONG,
    });
    await_ncnt(set, 0, 1);
    check_ok!(set.post(0), "V once");
    let _ = ulib::sleep_ms(SETTLE_MS);
    check_eq!(
        ipc::semctl_getncnt(set.id(), 0),
        Ok(1),
        "one unit does not satisfy a waiter for two"
    );
    check_ok!(set.post(0), "V twice");
    expect_exit(taker, "the waiter for two units got them");
    check_eq!(value(set, 0), 0, "the waiter took both units");
    check_eq!(
        ipc::semctl_getncnt(set.id(), 0),
        Ok(0),
        "no waiter after the wake-up"
    );

    // A process waiting for zero.
    set_value(set, 1, 2);
    let zero_waiter = spawn(move || match op(set, &[sembuf(1, 0, 0)]) {
        Ok(()) => 0,
        Err(_) => WRONG,
    });
    await_count("GETZCNT", 1, || ipc::semctl_getzcnt(set.id(), 1));
    check_ok!(set.wait(1), "P from 2 to 1");
    let _ = ulib::sleep_ms(SETTLE_MS);
    check_eq!(
        ipc::semctl_getzcnt(set.id(), 1),
        Ok(1),
        "the zero waiter still waits at 1"
    );
    check_ok!(set.wait(1), "P from 1 to 0");
    expect_exit(zero_waiter, "the zero waiter saw zero");

    // A process waiting for two semaphores takes neither until both are there.
    let both = spawn(
        move || match op(set, &[sembuf(0, -1, 0), sembuf(1, -1, 0)]) {
            Ok(()) => 0,
            Err(_) => WRONG,
        },
    );
    await_ncnt(set, 0, 1);
    check_ok!(set.post(0), "V on semaphore 0 only");
    let _ = ulib::sleep_ms(SETTLE_MS);
    check_eq!(
        value(set, 0),
        1,
        "the waiter for both did not take semaphore 0 alone"
    );
    check_ok!(set.post(1), "V on semaphore 1");
    expect_exit(both, "the waiter for both took both");
    check_eq!(
        ipc::semctl_getall(set.id()),
        Ok(vec![0, 0]),
        "both units taken"
    );
    remove(set);
}

fn check_removal_wakes_waiter() {
    let set = new_set(1);
    let waiter = spawn(move || match set.wait(0) {
        Err(Errno::EIDRM) => 0,
        _ => WRONG,
    });
    await_ncnt(set, 0, 1);
    remove(set);
    expect_exit(waiter, "IPC_RMID woke the waiter with EIDRM");
}

fn check_timeouts() {
    let set = new_set(1);
    let start = monotonic_ms();
    check_eq!(
        ipc::semtimedop(set.id(), &[sembuf(0, -1, 0)], &millis(100)),
        Err(Errno::EAGAIN),
        "semtimedop on 0 with a 100 ms timeout"
    );
    let waited = monotonic_ms() - start;
    check!(waited >= 90, "the timeout ended the wait after {waited} ms");
    check_eq!(
        ipc::semtimedop(set.id(), &[sembuf(0, -1, 0)], &millis(0)),
        Err(Errno::EAGAIN),
        "semtimedop with a zero timeout"
    );
    check_ok!(set.post(0), "V");
    check_ok!(
        ipc::semtimedop(set.id(), &[sembuf(0, -1, 0)], &millis(0)),
        "semtimedop that need not wait"
    );
    check_eq!(
        ipc::semctl_getncnt(set.id(), 0),
        Ok(0),
        "timed-out waiters are no longer counted"
    );
    remove(set);
}

/// Handler runs since the last reset.
static ALARMS: AtomicU32 = AtomicU32::new(0);

extern "C" fn count_alarm(_sig: i32, _info: &SigInfo, _context: &UContext) {
    ALARMS.fetch_add(1, SeqCst);
}

fn check_signal_interrupts() {
    let set = new_set(1);
    check_ok!(
        signal::set_info_handler(SIGALRM, count_alarm, SA_RESTART, 0),
        "install a SIGALRM handler with SA_RESTART"
    );
    ALARMS.store(0, SeqCst);
    check_ok!(
        signal::setitimer(
            ITIMER_REAL,
            &ulib::abi::time::Itimerval {
                it_interval: Default::default(),
                it_value: ulib::abi::time::Timeval {
                    tv_sec: 0,
                    tv_usec: 100_000,
                },
            },
        ),
        "arm a 100 ms alarm"
    );
    // The timeout only keeps a broken kernel from hanging the test.
    check_eq!(
        ipc::semtimedop(set.id(), &[sembuf(0, -1, 0)], &millis(PATIENCE_MS)),
        Err(Errno::EINTR),
        "a handled signal ends the wait, SA_RESTART or not"
    );
    check_eq!(ALARMS.load(SeqCst), 1, "the handler ran once");
    check_eq!(
        ipc::semctl_getncnt(set.id(), 0),
        Ok(0),
        "the interrupted waiter is no longer counted"
    );
    check_ok!(signal::set_default(SIGALRM), "restore SIGALRM");
    remove(set);
}

fn check_stop_interrupts() {
    let set = new_set(1);
    let child =
        spawn(
            move || match ipc::semtimedop(set.id(), &[sembuf(0, -1, 0)], &millis(PATIENCE_MS)) {
                Err(Errno::EINTR) => 0,
                Ok(()) => 3,
                Err(Errno::EAGAIN) => 4,
                Err(_) => WRONG,
            },
        );
    await_ncnt(set, 0, 1);
    check_ok!(ulib::kill(child, SIGSTOP), "SIGSTOP");
    check_eq!(
        ulib::wait4(child, WUNTRACED),
        Ok((child, wait::stopped(SIGSTOP))),
        "the waiter stopped"
    );
    check_ok!(ulib::kill(child, SIGCONT), "SIGCONT");
    let _ = ulib::sleep_ms(SETTLE_MS);
    // Lantern ends the wait with EINTR, as Linux does (signal(7)); qemu-user, this test's
    // reference, restarts it, so it is let through there.
    if ulib::on_lantern() {
        expect_exit(
            child,
            "stop and continue end the wait with EINTR (3: got the unit, 4: timed out)",
        );
    } else {
        check_ok!(set.post(0), "V for a restarted waiter");
        let _ = ulib::waitpid(child);
    }
    remove(set);
}

fn check_undo() {
    let set = new_set(2);
    set_value(set, 0, 3);
    let child = spawn(move || match op(set, &[sembuf(0, -1, SEM_UNDO)]) {
        Ok(()) if set.value(0) == Ok(2) => 0,
        _ => WRONG,
    });
    expect_exit(child, "the child took a unit with SEM_UNDO");
    check_eq!(value(set, 0), 3, "the child's exit gave the unit back");
    check_eq!(
        ipc::semctl_getpid(set.id(), 0),
        Ok(child as i32),
        "GETPID names the exiting child"
    );

    // Killed while holding the unit: the undo still happens.
    let (ready_r, ready_w) = check_ok!(fs::pipe(), "pipe");
    let holder = spawn(move || {
        if op(set, &[sembuf(0, -1, SEM_UNDO)]).is_err() {
            return WRONG;
        }
        let _ = fs::write(ready_w, b"r");
        loop {
            let _ = ulib::sleep_ms(1000);
        }
    });
    check_ok!(fs::close(ready_w), "close the pipe's write end");
    let mut byte = [0u8];
    check_eq!(
        fs::read(ready_r, &mut byte),
        Ok(1),
        "the holder took the unit"
    );
    check_eq!(value(set, 0), 2, "the unit is taken");
    check_ok!(ulib::kill(holder, SIGKILL), "SIGKILL the holder");
    check_eq!(
        ulib::waitpid(holder),
        Ok(wait::signaled(SIGKILL, false)),
        "the holder was killed"
    );
    check_eq!(value(set, 0), 3, "a killed holder's unit comes back");
    check_ok!(fs::close(ready_r), "close the pipe");

    // A SEM_UNDO increment is taken back at exit too; if its units are gone by then, the
    // value stops at 0.
    set_value(set, 1, 0);
    let child = spawn(move || match op(set, &[sembuf(1, 2, SEM_UNDO)]) {
        Ok(()) => 0,
        Err(_) => WRONG,
    });
    expect_exit(child, "the child added 2 with SEM_UNDO");
    check_eq!(value(set, 1), 0, "the undo took the 2 back");
    set_value(set, 1, 0);
    let (ready_r, ready_w) = check_ok!(fs::pipe(), "pipe");
    let (go_r, go_w) = check_ok!(fs::pipe(), "pipe");
    let child = spawn(move || {
        if op(set, &[sembuf(1, 2, SEM_UNDO)]).is_err() {
            return WRONG;
        }
        let _ = fs::write(ready_w, b"r");
        let mut byte = [0u8];
        let _ = fs::read(go_r, &mut byte);
        0
    });
    check_eq!(fs::read(ready_r, &mut byte), Ok(1), "the child added 2");
    check_ok!(op(set, &[sembuf(1, -2, 0)]), "take the 2 without undo");
    check_eq!(fs::write(go_w, b"g"), Ok(1), "let the child exit");
    expect_exit(child, "the child exited");
    check_eq!(value(set, 1), 0, "an undo below zero stops at zero");
    for fd in [ready_r, ready_w, go_r, go_w] {
        let _ = fs::close(fd);
    }

    // SETVAL and SETALL cancel pending undos.
    set_value(set, 1, 1);
    check_undo_cancelled(set, "SETVAL", || set_value(set, 1, 0));
    set_value(set, 1, 1);
    check_undo_cancelled(set, "SETALL", || {
        check_ok!(ipc::semctl_setall(set.id(), &[3, 0]), "SETALL");
    });
    remove(set);
}

/// A child takes the unit of semaphore 1 with `SEM_UNDO`; `cancel` (named `how`) runs
/// while the child holds it and sets semaphore 1 to 0; after the child exits, semaphore 1
/// must still be 0: no undo gave the unit back.
fn check_undo_cancelled(set: SemSet, how: &str, cancel: impl FnOnce()) {
    let (ready_r, ready_w) = check_ok!(fs::pipe(), "pipe");
    let (go_r, go_w) = check_ok!(fs::pipe(), "pipe");
    let child = spawn(move || {
        if op(set, &[sembuf(1, -1, SEM_UNDO)]).is_err() {
            return WRONG;
        }
        let _ = fs::write(ready_w, b"r");
        let mut byte = [0u8];
        let _ = fs::read(go_r, &mut byte);
        0
    });
    let mut byte = [0u8];
    check_eq!(
        fs::read(ready_r, &mut byte),
        Ok(1),
        "the child took the unit"
    );
    cancel();
    check_eq!(fs::write(go_w, b"g"), Ok(1), "let the child exit");
    expect_exit(child, "the child exited");
    check_eq!(value(set, 1), 0, "{how} cancelled the child's undo");
    for fd in [ready_r, ready_w, go_r, go_w] {
        let _ = fs::close(fd);
    }
}

fn check_proc_file() {
    let key = own_key(3);
    let id = check_ok!(
        ipc::semget(key, 4, IPC_CREAT | IPC_EXCL | 0o640),
        "a set to find in /proc"
    );
    let text = check_ok!(
        fs::read_to_string("/proc/sysvipc/sem"),
        "read /proc/sysvipc/sem"
    );
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split_whitespace().collect();
    check_eq!(
        header,
        vec![
            "key", "semid", "perms", "nsems", "uid", "gid", "cuid", "cgid", "otime", "ctime"
        ],
        "the header"
    );
    let key_text = alloc::format!("{key}");
    let id_text = alloc::format!("{id}");
    let row: Option<Vec<&str>> = lines
        .map(|line| line.split_whitespace().collect::<Vec<&str>>())
        .find(|fields| fields.first() == Some(&key_text.as_str()));
    let row = check_ok!(row.ok_or(Errno::ENOENT), "the set's line");
    check_eq!(
        row[1..4].to_vec(),
        vec![id_text.as_str(), "640", "4"],
        "its id, mode and size"
    );
    check_ok!(ipc::semctl_rmid(id), "IPC_RMID");
}
