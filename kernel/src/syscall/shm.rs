//! System V shared memory syscalls (concept I4): `shmget` 194, `shmctl` 195, `shmat` 196,
//! `shmdt` 197. The segments themselves are in kernel/src/ipc/shm.rs.

use crate::exec::MMAP_TOP;
use crate::ipc::shm;
use crate::mm::user::UserPtr;
use crate::proc::{Process, UserState};
use abi::errno::Errno;
use abi::ipc::{IPC_RMID, IPC_SET, IPC_STAT, ShmidDs};
use alloc::sync::Arc;

fn segment_id(id: usize) -> Result<i32, Errno> {
    let id = id as i32;
    if id < 0 { Err(Errno::EINVAL) } else { Ok(id) }
}

/// `shmget(key, size, shmflg)`.
pub fn shmget(me: &Arc<Process>, key: usize, size: usize, flags: usize) -> Result<usize, Errno> {
    shm::get(me, key as i32, size, flags as u32).map(|id| id as usize)
}

/// `shmat(shmid, shmaddr, shmflg)`: the address the segment is attached at.
pub fn shmat(
    me: &Arc<Process>,
    user: &mut UserState,
    id: usize,
    addr: usize,
    flags: usize,
) -> Result<usize, Errno> {
    shm::attach(
        me,
        &user.space,
        segment_id(id)?,
        addr,
        flags as u32,
        MMAP_TOP,
    )
}

/// `shmdt(shmaddr)`.
pub fn shmdt(me: &Arc<Process>, user: &mut UserState, addr: usize) -> Result<usize, Errno> {
    shm::detach(me, &user.space, addr).map(|()| 0)
}

/// `shmctl(shmid, cmd, buf)`: IPC_STAT, IPC_SET, IPC_RMID; other commands `EINVAL`.
pub fn shmctl(
    me: &Arc<Process>,
    user: &mut UserState,
    id: usize,
    cmd: usize,
    buf: usize,
) -> Result<usize, Errno> {
    let id = segment_id(id)?;
    match cmd as i32 {
        IPC_RMID => shm::remove(me, id).map(|()| 0),
        IPC_STAT => {
            let stat = shm::stat(me, id)?;
            UserPtr::<ShmidDs>::new(buf).write(&mut user.space, &stat)?;
            Ok(0)
        }
        IPC_SET => {
            let new = UserPtr::<ShmidDs>::new(buf).read(&mut user.space)?;
            shm::set(me, id, &new).map(|()| 0)
        }
        _ => Err(Errno::EINVAL),
    }
}
