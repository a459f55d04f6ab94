//! Test `t_shm` (expects `exit=0`): System V shared memory (concept I4).
//!
//! - A segment reads as zeros; `IPC_STAT` reports its size, creator and attachments.
//! - Two processes share it: a child that inherited the attachment writes a page the parent
//!   never touched, and the parent sees it; a second attachment of the same segment in one
//!   process aliases the first.
//! - Unrelated processes find it by key and hand data over, a System V semaphore saying
//!   when (the shm + semaphore pattern).
//! - `IPC_RMID` takes the key away at once, while attached memory stays usable; the id goes
//!   with the last attachment.
//! - Bad requests: size 0 or beyond the existing segment, `IPC_EXCL` on an existing key, an
//!   unknown key without `IPC_CREAT`, an unknown id, an unaligned address, detaching what
//!   is not attached, an unknown command; writing through a `SHM_RDONLY` attachment is
//!   SIGSEGV.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use ulib::abi::errno::Errno;
use ulib::abi::ipc::{IPC_CREAT, IPC_EXCL, IPC_PRIVATE, SHM_RDONLY, SHM_RND, SemBuf};
use ulib::abi::signal::SIGSEGV;
use ulib::abi::wait;
use ulib::hazard::{read_volatile_at, write_volatile_at};
use ulib::ipc::{semctl_rmid, semget, semop, shmat, shmctl_rmid, shmctl_stat, shmdt, shmget};
use ulib::process::Fork;
use ulib::{check, check_eq};

ulib::entry!(main);

const PAGE: usize = 4096;

/// Runs `f` in a child and returns how it ended (without the core-dump bit).
fn in_child(f: impl FnOnce() -> i32) -> i32 {
    match ulib::fork() {
        Ok(Fork::Child) => ulib::exit(f()),
        Ok(Fork::Parent(pid)) => ulib::waitpid(pid).map_or(-1, |status| status & !0x80),
        Err(e) => ulib::fail!("fork: {e}"),
    }
}

fn two_processes_share_a_segment() {
    let id = shmget(IPC_PRIVATE, 3 * PAGE, IPC_CREAT | 0o600)
        .unwrap_or_else(|e| ulib::fail!("shmget: {e}"));
    let stat = shmctl_stat(id).unwrap_or_else(|e| ulib::fail!("IPC_STAT: {e}"));
    check_eq!(stat.shm_segsz, 3 * PAGE as u64, "the segment's size");
    check_eq!(stat.shm_nattch, 0, "nobody attached yet");
    let me = ulib::getpid().unwrap_or(0) as i32;
    check_eq!(stat.shm_cpid, me, "the creator's pid");

    let addr = shmat(id, 0, 0).unwrap_or_else(|e| ulib::fail!("shmat: {e}"));
    check_eq!(read_volatile_at(addr), 0, "a new segment reads as zeros");
    check_eq!(
        shmctl_stat(id).map(|s| s.shm_nattch),
        Ok(1),
        "one attachment"
    );
    write_volatile_at(addr, 0x1111);
    let status = in_child(|| {
        // The attachment came with fork: the same memory, not a copy.
        if read_volatile_at(addr) != 0x1111 {
            return 1;
        }
        if shmctl_stat(id).map(|s| s.shm_nattch) != Ok(2) {
            return 2;
        }
        // A page the parent never touched.
        write_volatile_at(addr + 2 * PAGE, 0x2222);
        // A second attachment aliases the first.
        let Ok(again) = shmat(id, 0, 0) else { return 3 };
        if again == addr || read_volatile_at(again + 2 * PAGE) != 0x2222 {
            return 4;
        }
        write_volatile_at(again + PAGE, 0x3333);
        if shmdt(again).is_err() {
            return 5;
        }
        0
    });
    check_eq!(status, wait::exited(0), "the child's view of the segment");
    check_eq!(
        read_volatile_at(addr + 2 * PAGE),
        0x2222,
        "the parent sees the child's write to a page it never touched"
    );
    check_eq!(
        read_volatile_at(addr + PAGE),
        0x3333,
        "the parent sees a write made through the child's second attachment"
    );
    check_eq!(
        shmctl_stat(id).map(|s| s.shm_nattch),
        Ok(1),
        "the child's attachments went with it"
    );

    check_eq!(shmctl_rmid(id), Ok(()), "IPC_RMID");
    check_eq!(
        read_volatile_at(addr + 2 * PAGE),
        0x2222,
        "attached memory outlives IPC_RMID"
    );
    check_eq!(shmdt(addr), Ok(()), "shmdt");
    check_eq!(
        shmdt(addr),
        Err(Errno::EINVAL),
        "shmdt of what is not attached"
    );
    check_eq!(
        shmat(id, 0, 0),
        Err(Errno::EINVAL),
        "a removed segment is gone once its last attachment is"
    );
}

/// Unrelated processes (the second one finds the segment by key) pass 100 values through
/// one word, a semaphore pair making the hand-over strict.
fn by_key_with_semaphores() {
    const KEY: i32 = 0x5eed_0001;
    const ROUNDS: u64 = 100;
    let id = shmget(KEY, PAGE, IPC_CREAT | IPC_EXCL | 0o600)
        .unwrap_or_else(|e| ulib::fail!("shmget by key: {e}"));
    // Semaphore 0: "a value is there"; 1: "the slot is free" (starts at 1).
    let sems =
        semget(IPC_PRIVATE, 2, IPC_CREAT | 0o600).unwrap_or_else(|e| ulib::fail!("semget: {e}"));
    let op = |num: u16, delta: i16| SemBuf {
        sem_num: num,
        sem_op: delta,
        sem_flg: 0,
    };
    check_eq!(semop(sems, &[op(1, 1)]), Ok(()), "the slot starts free");
    let consumer = match ulib::fork() {
        Ok(Fork::Child) => {
            let code = (|| {
                let Ok(found) = shmget(KEY, 0, 0) else {
                    return 1;
                };
                let Ok(addr) = shmat(found, 0, SHM_RDONLY) else {
                    return 2;
                };
                let mut sum = 0;
                for _ in 0..ROUNDS {
                    if semop(sems, &[op(0, -1)]).is_err() {
                        return 3;
                    }
                    sum += read_volatile_at(addr);
                    if semop(sems, &[op(1, 1)]).is_err() {
                        return 4;
                    }
                }
                if sum == ROUNDS * (ROUNDS + 1) / 2 {
                    0
                } else {
                    5
                }
            })();
            ulib::exit(code)
        }
        Ok(Fork::Parent(pid)) => pid,
        Err(e) => ulib::fail!("fork: {e}"),
    };
    let addr = shmat(id, 0, 0).unwrap_or_else(|e| ulib::fail!("shmat: {e}"));
    for value in 1..=ROUNDS {
        check_eq!(semop(sems, &[op(1, -1)]), Ok(()), "wait for the slot");
        write_volatile_at(addr, value);
        check_eq!(semop(sems, &[op(0, 1)]), Ok(()), "say a value is there");
    }
    check_eq!(
        ulib::waitpid(consumer),
        Ok(wait::exited(0)),
        "the consumer got every value once, in order of hand-over"
    );
    check_eq!(shmdt(addr), Ok(()), "shmdt");
    check_eq!(shmctl_rmid(id), Ok(()), "IPC_RMID");
    check_eq!(semctl_rmid(sems), Ok(()), "remove the semaphores");
}

fn bad_requests() {
    check_eq!(
        shmget(IPC_PRIVATE, 0, IPC_CREAT | 0o600),
        Err(Errno::EINVAL),
        "size 0"
    );
    const KEY: i32 = 0x5eed_0002;
    let id = shmget(KEY, PAGE, IPC_CREAT | 0o600).unwrap_or_else(|e| ulib::fail!("shmget: {e}"));
    check_eq!(shmget(KEY, PAGE, 0), Ok(id), "the key finds the segment");
    check_eq!(
        shmget(KEY, 2 * PAGE, 0),
        Err(Errno::EINVAL),
        "asking for more than the segment has"
    );
    check_eq!(
        shmget(KEY, PAGE, IPC_CREAT | IPC_EXCL | 0o600),
        Err(Errno::EEXIST),
        "IPC_EXCL on an existing key"
    );
    check_eq!(
        shmget(0x5eed_0003, PAGE, 0),
        Err(Errno::ENOENT),
        "an unknown key without IPC_CREAT"
    );
    check_eq!(
        shmat(0x7fff_0000, 0, 0),
        Err(Errno::EINVAL),
        "an unknown id"
    );
    check_eq!(shmat(-1i32, 0, 0), Err(Errno::EINVAL), "a negative id");
    let first = shmat(id, 0, 0).unwrap_or_else(|e| ulib::fail!("shmat: {e}"));
    check_eq!(shmdt(first), Ok(()), "shmdt");
    check_eq!(
        shmat(id, first + 12, 0),
        Err(Errno::EINVAL),
        "an unaligned address"
    );
    check_eq!(
        shmat(id, first + 12, SHM_RND),
        Ok(first),
        "SHM_RND rounds it down"
    );
    check_eq!(
        shmdt(first + 12),
        Err(Errno::EINVAL),
        "shmdt inside, not at the start"
    );
    check_eq!(shmdt(first), Ok(()), "shmdt");
    check_eq!(
        ulib::ipc::raw::shmctl(id, 99, 0),
        Errno::EINVAL.as_return(),
        "an unknown command"
    );
    check_eq!(
        ulib::ipc::raw::shmctl(id, ulib::abi::ipc::IPC_STAT, 8),
        Errno::EFAULT.as_return(),
        "IPC_STAT into a bad buffer"
    );
    let status = in_child(|| {
        let Ok(addr) = shmat(id, 0, SHM_RDONLY) else {
            return 1;
        };
        let _ = read_volatile_at(addr);
        write_volatile_at(addr, 1);
        2
    });
    check_eq!(
        status,
        wait::signaled(SIGSEGV, false),
        "writing through a SHM_RDONLY attachment"
    );
    check_eq!(shmctl_rmid(id), Ok(()), "IPC_RMID");
    check!(
        shmget(KEY, PAGE, 0) == Err(Errno::ENOENT),
        "the key is free again after IPC_RMID"
    );
}

fn main() -> i32 {
    two_processes_share_a_segment();
    by_key_with_semaphores();
    bad_requests();
    ulib::println!("t_shm: ok");
    0
}
