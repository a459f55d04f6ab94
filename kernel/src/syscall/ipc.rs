//! System V IPC syscalls (concept I3): msgget, msgsnd, msgrcv, msgctl. The queues are in
//! `ipc::msg`; this file checks arguments and copies messages in and out.

use crate::ipc::{READ, msg, now_secs};
use crate::mm::user::UserPtr;
use crate::proc::{Process, UserState};
use abi::errno::Errno;
use abi::ipc::{IPC_RMID, IPC_SET, IPC_STAT, MSG_TYPE_SIZE, MSGMAX, MsqidDs};
use alloc::sync::Arc;
use alloc::vec;

/// `msgget(key, msgflg)`.
pub fn msgget(me: &Arc<Process>, key: usize, flags: usize) -> Result<usize, Errno> {
    msg::get(me, key as i32, flags as u32).map(|id| id as usize)
}

fn queue_id(id: usize) -> Result<i32, Errno> {
    let id = id as i32;
    if id < 0 { Err(Errno::EINVAL) } else { Ok(id) }
}

/// `msgsnd(msqid, msgp, msgsz, msgflg)`: `msgp` is `{ long mtype; char mtext[msgsz]; }`.
pub fn msgsnd(
    me: &Arc<Process>,
    user: &mut UserState,
    id: usize,
    msgp: usize,
    size: usize,
    flags: usize,
) -> Result<usize, Errno> {
    let id = queue_id(id)?;
    if size > MSGMAX || (size as isize) < 0 {
        return Err(Errno::EINVAL);
    }
    if !msg::exists(id) {
        return Err(Errno::EINVAL);
    }
    let kind = UserPtr::<i64>::new(msgp).read(&mut user.space)?;
    if kind < 1 {
        return Err(Errno::EINVAL);
    }
    let mut text = vec![0u8; size];
    let text_at = msgp.checked_add(MSG_TYPE_SIZE).ok_or(Errno::EFAULT)?;
    user.space.copy_in(text_at, &mut text)?;
    msg::send(me, id, kind, text, flags as u32).map(|()| 0)
}

/// `msgrcv(msqid, msgp, msgsz, msgtyp, msgflg)`: returns the bytes of text copied.
pub fn msgrcv(
    me: &Arc<Process>,
    user: &mut UserState,
    id: usize,
    msgp: usize,
    size: usize,
    wanted: usize,
    flags: usize,
) -> Result<usize, Errno> {
    let id = queue_id(id)?;
    if (size as isize) < 0 {
        return Err(Errno::EINVAL);
    }
    if !msg::exists(id) {
        return Err(Errno::EINVAL);
    }
    // Check the destination first, so a bad buffer does not cost a message.
    let total = size.checked_add(MSG_TYPE_SIZE).ok_or(Errno::EFAULT)?;
    user.space
        .check_access(msgp, total, hal::trap::Access::Write)?;
    let (kind, text) = msg::receive(me, id, size, wanted as i64, flags as u32)?;
    UserPtr::<i64>::new(msgp).write(&mut user.space, &kind)?;
    user.space.copy_out(msgp + MSG_TYPE_SIZE, &text)?;
    Ok(text.len())
}

/// `msgctl(msqid, cmd, buf)`: `IPC_STAT`, `IPC_SET`, `IPC_RMID`.
pub fn msgctl(
    me: &Arc<Process>,
    user: &mut UserState,
    id: usize,
    cmd: usize,
    buf: usize,
) -> Result<usize, Errno> {
    let id = queue_id(id)?;
    let creds = me.inner().creds;
    // Native riscv64 Linux takes the command as is (no IPC_64 bit).
    match cmd as i32 {
        IPC_RMID => msg::remove(me, id).map(|()| 0),
        IPC_STAT => {
            let stat = msg::with_queue(id, |queue| {
                if !queue.perm.allows(creds, READ) {
                    return Err(Errno::EACCES);
                }
                Ok(MsqidDs {
                    msg_perm: queue.perm.to_abi(),
                    msg_stime: queue.send_time,
                    msg_rtime: queue.receive_time,
                    msg_ctime: queue.change_time,
                    msg_cbytes: queue.bytes as u64,
                    msg_qnum: queue.count() as u64,
                    msg_qbytes: queue.max_bytes as u64,
                    msg_lspid: queue.last_sender as i32,
                    msg_lrpid: queue.last_receiver as i32,
                    unused4: 0,
                    unused5: 0,
                })
            })?;
            UserPtr::<MsqidDs>::new(buf).write(&mut user.space, &stat)?;
            Ok(0)
        }
        IPC_SET => {
            let new = UserPtr::<MsqidDs>::new(buf).read(&mut user.space)?;
            msg::with_queue(id, |queue| {
                if !queue.perm.may_change(creds) {
                    return Err(Errno::EPERM);
                }
                let budget = new.msg_qbytes as usize;
                if budget > queue.max_bytes && creds.euid != 0 {
                    return Err(Errno::EPERM);
                }
                queue.perm.update(&new.msg_perm);
                queue.max_bytes = budget;
                queue.change_time = now_secs();
                Ok(0)
            })
        }
        _ => Err(Errno::EINVAL),
    }
}
