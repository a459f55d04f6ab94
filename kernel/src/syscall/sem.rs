//! System V semaphore syscalls (concept I7): semget, semop, semtimedop, semctl. The sets
//! are in `ipc::sem`; this file checks arguments and copies operations, values and
//! `semid64_ds` in and out, in the order Linux checks them (`ipc/sem.c`), so that a call
//! with several things wrong fails with the same errno as on Linux.

use crate::ipc::{WRITE, sem};
use crate::mm::user::UserPtr;
use crate::proc::{Process, UserState};
use crate::time;
use abi::errno::Errno;
use abi::ipc::{
    GETALL, GETNCNT, GETPID, GETVAL, GETZCNT, IPC_RMID, IPC_SET, IPC_STAT, SEMOPM, SETALL, SETVAL,
    SemBuf, SemidDs,
};
use abi::time::Timespec;
use abi::wire::WireFormat;
use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;

/// `semget(key, nsems, semflg)`.
pub fn semget(me: &Arc<Process>, key: usize, nsems: usize, flags: usize) -> Result<usize, Errno> {
    sem::get(me, key as i32, nsems as i32, flags as u32).map(|id| id as usize)
}

/// `semop(semid, sops, nsops)`: `semtimedop` without a timeout.
pub fn semop(
    me: &Arc<Process>,
    user: &mut UserState,
    id: usize,
    sops: usize,
    count: usize,
) -> Result<usize, Errno> {
    semtimedop(me, user, id, sops, count, 0)
}

/// `semtimedop(semid, sops, nsops, timeout)`: `nsops` is an `unsigned int` (1..=SEMOPM:
/// `EINVAL` / `E2BIG`); `timeout` is NULL or a relative `timespec` (`EAGAIN` when it
/// passes).
pub fn semtimedop(
    me: &Arc<Process>,
    user: &mut UserState,
    id: usize,
    sops: usize,
    count: usize,
    timeout: usize,
) -> Result<usize, Errno> {
    let timeout = match timeout {
        0 => None,
        addr => Some(UserPtr::<Timespec>::new(addr).read(&mut user.space)?),
    };
    let count = count as u32 as usize;
    if count > SEMOPM {
        return Err(Errno::E2BIG);
    }
    if count == 0 {
        return Err(Errno::EINVAL);
    }
    let mut image = vec![0u8; count * SemBuf::SIZE];
    user.space.copy_in(sops, &mut image)?;
    let ops: Vec<SemBuf> = image
        .chunks_exact(SemBuf::SIZE)
        .map(SemBuf::read_le)
        .collect();
    let id = set_id(id)?;
    let deadline = match timeout {
        None => None,
        Some(limit) if !limit.is_normalized() => return Err(Errno::EINVAL),
        // A timeout too long for 64 bits of nanoseconds is as good as none.
        Some(limit) => {
            Some(time::monotonic_ns().saturating_add(limit.to_nanos().unwrap_or(u64::MAX)))
        }
    };
    sem::semop(me, id, &ops, deadline).map(|()| 0)
}

fn set_id(id: usize) -> Result<i32, Errno> {
    let id = id as i32;
    if id < 0 { Err(Errno::EINVAL) } else { Ok(id) }
}

/// `semctl(semid, semnum, cmd, arg)`: `arg` is `union semun` passed by value — the value
/// for `SETVAL` (its low 32 bits), otherwise a pointer. Native riscv64 Linux takes the
/// command as is (no `IPC_64` bit); `IPC_INFO`, `SEM_INFO` and `SEM_STAT` are not served
/// (`EINVAL`, like any unknown command).
pub fn semctl(
    me: &Arc<Process>,
    user: &mut UserState,
    id: usize,
    num: usize,
    cmd: usize,
    arg: usize,
) -> Result<usize, Errno> {
    let id = set_id(id)?;
    let num = num as i32;
    match cmd as i32 {
        IPC_STAT => {
            let state = sem::stat(me, id)?;
            UserPtr::<SemidDs>::new(arg).write(&mut user.space, &state)?;
            Ok(0)
        }
        IPC_SET => {
            let new = UserPtr::<SemidDs>::new(arg).read(&mut user.space)?;
            sem::set_perm(me, id, &new.sem_perm).map(|()| 0)
        }
        IPC_RMID => sem::remove(me, id).map(|()| 0),
        cmd @ (GETVAL | GETPID | GETNCNT | GETZCNT) => sem::query(me, id, num, cmd),
        GETALL => {
            let image: Vec<u8> = sem::values(me, id)?
                .iter()
                .flat_map(|value| value.to_le_bytes())
                .collect();
            user.space.copy_out(arg, &image)?;
            Ok(0)
        }
        SETVAL => sem::set_value(me, id, num, arg as i32).map(|()| 0),
        SETALL => {
            let mut image = vec![0u8; sem::size(me, id, WRITE)? * 2];
            user.space.copy_in(arg, &mut image)?;
            let values: Vec<u16> = image
                .chunks_exact(2)
                .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
                .collect();
            sem::set_all(me, id, &values).map(|()| 0)
        }
        _ => Err(Errno::EINVAL),
    }
}
