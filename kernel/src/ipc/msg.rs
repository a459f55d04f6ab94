//! System V message queues (concept I3): `msgget`, `msgsnd`, `msgrcv`, `msgctl`.
//!
//! A queue holds typed messages in arrival order. `msgrcv`'s type argument picks which:
//! 0 the oldest, `t > 0` the oldest of type `t` (with `MSG_EXCEPT`, of any other type),
//! `t < 0` the oldest of the lowest type `<= |t|`. Senders wait while the queue's byte
//! budget (`msg_qbytes`) is used up, receivers while no message matches; `IPC_NOWAIT`
//! turns those waits into `EAGAIN` / `ENOMSG`. Removing a queue wakes every waiter with
//! `EIDRM`.
//!
//! Every queue sits in one table ([`super::Ids`]) under the `msg-queues` lock; all waiters
//! share one wait queue, woken by every change (simple; Linux keeps per-queue lists).

use super::{Ids, IpcObject, Perm, READ, WRITE, now_secs};
use crate::proc::wait_queue::WaitQueue;
use crate::proc::{Pid, Process};
use abi::errno::Errno;
use abi::ipc::{IPC_NOWAIT, MSG_EXCEPT, MSG_NOERROR, MSGMAX, MSGMNB};
use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt::Write;
use hal::sync::SpinLock;

/// Most queues at once (`msgmni` is 32000 on Linux; Lantern is small).
pub const MSGMNI: usize = 256;

/// One queue and its `msqid_ds` bookkeeping.
pub struct Queue {
    pub perm: Perm,
    messages: VecDeque<(i64, Vec<u8>)>,
    pub bytes: usize,
    pub max_bytes: usize,
    pub send_time: i64,
    pub receive_time: i64,
    pub change_time: i64,
    pub last_sender: Pid,
    pub last_receiver: Pid,
}

impl IpcObject for Queue {
    fn perm(&self) -> &Perm {
        &self.perm
    }

    fn perm_mut(&mut self) -> &mut Perm {
        &mut self.perm
    }
}

impl Queue {
    pub fn count(&self) -> usize {
        self.messages.len()
    }

    /// The index of the message `msgrcv`'s type rule picks.
    fn pick(&self, wanted: i64, except: bool) -> Option<usize> {
        match wanted {
            0 => (!self.messages.is_empty()).then_some(0),
            t if t > 0 => self
                .messages
                .iter()
                .position(|(kind, _)| (*kind == t) != except),
            t => {
                let limit = t.checked_neg().unwrap_or(i64::MAX);
                let lowest = self
                    .messages
                    .iter()
                    .map(|(kind, _)| *kind)
                    .filter(|kind| *kind <= limit)
                    .min()?;
                self.messages.iter().position(|(kind, _)| *kind == lowest)
            }
        }
    }
}

static TABLE: SpinLock<Ids<Queue>> = SpinLock::new("msg-queues", Ids::new(MSGMNI));
static CHANGED: WaitQueue = WaitQueue::new();

/// `msgget(key, flags)`.
pub fn get(me: &Process, key: i32, flags: u32) -> Result<i32, Errno> {
    let creds = me.inner().creds;
    TABLE.lock().get_or_create(
        key,
        flags,
        creds,
        |_| Ok(()),
        |perm| {
            Ok(Queue {
                perm,
                messages: VecDeque::new(),
                bytes: 0,
                max_bytes: MSGMNB,
                send_time: 0,
                receive_time: 0,
                change_time: now_secs(),
                last_sender: 0,
                last_receiver: 0,
            })
        },
    )
}

/// `msgsnd`'s core: appends a message of type `kind`, waiting for room.
pub fn send(me: &Arc<Process>, id: i32, kind: i64, text: Vec<u8>, flags: u32) -> Result<(), Errno> {
    if kind < 1 || text.len() > MSGMAX {
        return Err(Errno::EINVAL);
    }
    let creds = me.inner().creds;
    let mut text = Some(text);
    let mut result = Err(Errno::EINVAL);
    let waited = CHANGED.wait_until(me, 0, || {
        let mut table = TABLE.lock();
        let Some(queue) = table.get_mut(id) else {
            result = Err(Errno::EIDRM);
            return true;
        };
        if !queue.perm.allows(creds, WRITE) {
            result = Err(Errno::EACCES);
            return true;
        }
        let len = text.as_ref().map_or(0, Vec::len);
        if queue.bytes + len <= queue.max_bytes {
            queue.bytes += len;
            queue
                .messages
                .push_back((kind, text.take().unwrap_or_default()));
            queue.send_time = now_secs();
            queue.last_sender = me.pid;
            result = Ok(());
            return true;
        }
        if flags & IPC_NOWAIT != 0 {
            result = Err(Errno::EAGAIN);
            return true;
        }
        false
    });
    waited?;
    if result.is_ok() {
        CHANGED.wake_all();
    }
    result
}

/// `msgrcv`'s core: takes the message the type rule picks (at most `max` bytes of it;
/// longer ones are `E2BIG` unless `MSG_NOERROR` truncates), waiting for one.
pub fn receive(
    me: &Arc<Process>,
    id: i32,
    max: usize,
    wanted: i64,
    flags: u32,
) -> Result<(i64, Vec<u8>), Errno> {
    let creds = me.inner().creds;
    let mut result = Err(Errno::EINVAL);
    let waited = CHANGED.wait_until(me, 0, || {
        let mut table = TABLE.lock();
        let Some(queue) = table.get_mut(id) else {
            result = Err(Errno::EIDRM);
            return true;
        };
        if !queue.perm.allows(creds, READ) {
            result = Err(Errno::EACCES);
            return true;
        }
        match queue.pick(wanted, flags & MSG_EXCEPT != 0) {
            Some(index) => {
                if queue.messages[index].1.len() > max && flags & MSG_NOERROR == 0 {
                    result = Err(Errno::E2BIG);
                    return true;
                }
                let (kind, mut text) = queue.messages.remove(index).unwrap_or_default();
                queue.bytes -= text.len();
                text.truncate(max);
                queue.receive_time = now_secs();
                queue.last_receiver = me.pid;
                result = Ok((kind, text));
                true
            }
            None if flags & IPC_NOWAIT != 0 => {
                result = Err(Errno::ENOMSG);
                true
            }
            None => false,
        }
    });
    waited?;
    if result.is_ok() {
        CHANGED.wake_all();
    }
    result
}

/// Whether queue `id` exists (for the first `EINVAL` check of a call).
pub fn exists(id: i32) -> bool {
    TABLE.lock().get(id).is_some()
}

/// `msgctl(IPC_RMID)`: only the owner, the creator or root; waiters get `EIDRM`.
pub fn remove(me: &Process, id: i32) -> Result<(), Errno> {
    let creds = me.inner().creds;
    let mut table = TABLE.lock();
    let queue = table.get(id).ok_or(Errno::EINVAL)?;
    if !queue.perm.may_change(creds) {
        return Err(Errno::EPERM);
    }
    table.remove(id);
    drop(table);
    CHANGED.wake_all();
    Ok(())
}

/// Runs `f` on queue `id` (`msgctl(IPC_STAT / IPC_SET)`); `EINVAL` if there is none.
pub fn with_queue<T>(id: i32, f: impl FnOnce(&mut Queue) -> Result<T, Errno>) -> Result<T, Errno> {
    let mut table = TABLE.lock();
    let queue = table.get_mut(id).ok_or(Errno::EINVAL)?;
    let result = f(queue);
    drop(table);
    CHANGED.wake_all();
    result
}

/// `/proc/sysvipc/msg`: one line per queue, in Linux's format.
pub fn proc_text() -> String {
    let mut text = String::from(
        "       key      msqid perms      cbytes       qnum lspid lrpid   uid   gid  cuid  cgid      stime      rtime      ctime\n",
    );
    for (id, queue) in TABLE.lock().iter() {
        let perm = &queue.perm;
        let _ = writeln!(
            text,
            "{:10} {:10}  {:4o}  {:10} {:10} {:5} {:5} {:5} {:5} {:5} {:5} {:10} {:10} {:10}",
            perm.key,
            id,
            perm.mode,
            queue.bytes,
            queue.count(),
            queue.last_sender,
            queue.last_receiver,
            perm.owner.uid,
            perm.owner.gid,
            perm.creator.uid,
            perm.creator.gid,
            queue.send_time,
            queue.receive_time,
            queue.change_time
        );
    }
    text
}
