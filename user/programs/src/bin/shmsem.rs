//! `shmsem [ITEMS]`: a bounded buffer in System V shared memory between two processes,
//! guarded by System V semaphores (concepts I4, I7).
//!
//! The parent makes a segment holding a ring of `SLOTS` numbers and a set of three
//! semaphores — `EMPTY` (free slots, starts at `SLOTS`), `FULL` (filled slots, starts at 0)
//! and `MUTEX` (1) — then forks. The child produces `ITEMS` numbers: P(EMPTY), P(MUTEX), put,
//! V(MUTEX), V(FULL). The parent consumes them the other way round and checks that it got
//! every number once, in order. Both print a line now and then, so the buffer's filling and
//! the waiting show.
//!
//! The segment and the semaphores are removed at the end (`ipcs`-style files in
//! `/proc/sysvipc/` show them while it runs).

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use ulib::abi::ipc::{IPC_CREAT, IPC_PRIVATE, SemBuf};
use ulib::hazard::{read_volatile_at, write_volatile_at};
use ulib::ipc::{semctl_rmid, semctl_setval, semop, shmat, shmctl_rmid, shmdt, shmget};
use ulib::process::Fork;
use ulib::{env, eprintln, println};

ulib::entry!(main);

/// Slots in the ring.
const SLOTS: usize = 8;
/// The semaphores of the set.
const EMPTY: u16 = 0;
const FULL: u16 = 1;
const MUTEX: u16 = 2;
/// Layout of the segment: the ring, then the producer's and consumer's positions.
const RING: usize = 0;
const PUT_AT: usize = 8 * SLOTS;
const TAKE_AT: usize = PUT_AT + 8;

fn op(num: u16, delta: i16) -> SemBuf {
    SemBuf {
        sem_num: num,
        sem_op: delta,
        sem_flg: 0,
    }
}

/// P then V around `f`, the textbook way.
fn step(sems: i32, wait_for: u16, signal: u16, f: impl FnOnce()) -> bool {
    if semop(sems, &[op(wait_for, -1)]).is_err() || semop(sems, &[op(MUTEX, -1)]).is_err() {
        return false;
    }
    f();
    semop(sems, &[op(MUTEX, 1)]).is_ok() && semop(sems, &[op(signal, 1)]).is_ok()
}

fn main() -> i32 {
    let items: u64 = env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(40);
    let Ok(shm) = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0o600) else {
        eprintln!("shmsem: shmget failed");
        return 1;
    };
    let Ok(sems) = ulib::ipc::semget(IPC_PRIVATE, 3, IPC_CREAT | 0o600) else {
        eprintln!("shmsem: semget failed");
        return 1;
    };
    for (num, value) in [(EMPTY, SLOTS as i32), (FULL, 0), (MUTEX, 1)] {
        if semctl_setval(sems, num.into(), value).is_err() {
            eprintln!("shmsem: SETVAL failed");
            return 1;
        }
    }
    let Ok(base) = shmat(shm, 0, 0) else {
        eprintln!("shmsem: shmat failed");
        return 1;
    };
    println!(
        "shmsem: segment {shm} at {base:#x}, semaphores {sems} (EMPTY={SLOTS} FULL=0 MUTEX=1)"
    );
    let producer = match ulib::fork() {
        Ok(Fork::Child) => {
            for value in 1..=items {
                let ok = step(sems, EMPTY, FULL, || {
                    let at = read_volatile_at(base + PUT_AT) as usize;
                    write_volatile_at(base + RING + 8 * at, value);
                    write_volatile_at(base + PUT_AT, ((at + 1) % SLOTS) as u64);
                });
                if !ok {
                    ulib::exit(1);
                }
                if value % 10 == 0 {
                    println!("  producer: put {value}");
                }
            }
            ulib::exit(0)
        }
        Ok(Fork::Parent(pid)) => pid,
        Err(error) => {
            eprintln!("shmsem: fork: {error}");
            return 1;
        }
    };
    let mut in_order = true;
    for expected in 1..=items {
        let mut got = 0;
        let ok = step(sems, FULL, EMPTY, || {
            let at = read_volatile_at(base + TAKE_AT) as usize;
            got = read_volatile_at(base + RING + 8 * at);
            write_volatile_at(base + TAKE_AT, ((at + 1) % SLOTS) as u64);
        });
        if !ok {
            eprintln!("shmsem: semop failed");
            return 1;
        }
        in_order &= got == expected;
        if expected % 10 == 0 {
            println!("  consumer: took {got}");
        }
    }
    let producer_ok = ulib::waitpid(producer) == Ok(ulib::abi::wait::exited(0));
    let _ = shmdt(base);
    let _ = shmctl_rmid(shm);
    let _ = semctl_rmid(sems);
    println!(
        "shmsem: {items} items through {SLOTS} shared slots: {}",
        if in_order && producer_ok {
            "every one once, in order"
        } else {
            "LOST OR REORDERED"
        }
    );
    if in_order && producer_ok { 0 } else { 1 }
}
