//! Named pipes and System V message queues (concepts I2 and I3): [`mkfifo`] makes a FIFO
//! that unrelated processes open by its path; [`msgget`], [`msgsnd`], [`msgrcv`],
//! [`msgctl_stat`] and [`msgctl_rmid`] use a message queue. The constants and the
//! `msqid64_ds` layout are in [`abi::ipc`]; the unchecked forms for tests of bad pointers
//! and sizes are in [`raw`].
//!
//! A message crosses the boundary as Linux's `struct msgbuf`: a `long` type followed by the
//! text. The wrappers build that image in a buffer of their own, so callers pass the type
//! and the text separately and never lay out memory themselves.
//!
//! Queue ids and keys are `int`s; they are passed sign-extended, so a negative id reaches
//! the kernel as such and is refused with `EINVAL` like on Linux.

use alloc::vec;

use abi::ipc::{IPC_RMID, IPC_STAT, MSG_TYPE_SIZE, MsqidDs};
use abi::{Errno, WireFormat, nr};

use crate::syscall::{decode, syscall2, syscall3, syscall4, syscall5};

/// Named pipes are made with [`crate::fs::mkfifo`], next to the other path calls.
pub use crate::fs::mkfifo;

/// `msgget(key, flags)`: the id of the queue of `key`. `abi::ipc::IPC_PRIVATE` always makes
/// a new queue; otherwise `IPC_CREAT` makes one if the key has none (`ENOENT` without it)
/// and `IPC_EXCL` with it fails with `EEXIST` if one exists. The low 9 bits of `flags` are
/// the new queue's permissions.
pub fn msgget(key: i32, flags: u32) -> Result<i32, Errno> {
    // SAFETY: `msgget` takes only numbers and touches no user memory.
    let ret = unsafe { syscall2(nr::MSGGET, key as usize, flags as usize) };
    decode(ret).map(|id| id as i32)
}

/// `msgsnd(id, {mtype, data}, data.len(), flags)`: appends a message of type `mtype` (which
/// must be positive: `EINVAL` otherwise) to the queue. `EINVAL` if `data` is longer than
/// `MSGMAX`; with `IPC_NOWAIT`, `EAGAIN` instead of waiting for room; `EIDRM` if the queue
/// is removed while waiting.
pub fn msgsnd(id: i32, mtype: i64, data: &[u8], flags: u32) -> Result<(), Errno> {
    let mut message = vec![0u8; MSG_TYPE_SIZE + data.len()];
    mtype.write_le(&mut message);
    message[MSG_TYPE_SIZE..].copy_from_slice(data);
    // SAFETY: `message` is a `struct msgbuf` image (type, then `data.len()` bytes of text)
    // that lives across the call; `msgsnd` only reads it.
    let ret = unsafe {
        syscall4(
            nr::MSGSND,
            id as usize,
            message.as_ptr() as usize,
            data.len(),
            flags as usize,
        )
    };
    decode(ret).map(|_| ())
}

/// `msgrcv(id, msgp, buf.len(), mtype, flags)`: takes a message off the queue and returns its
/// type and the number of text bytes stored at the front of `buf`. `mtype` 0 takes the
/// oldest message, a positive `mtype` the oldest of that type (with `MSG_EXCEPT`: of any
/// other type), a negative one the oldest of the lowest type `<= |mtype|`. A message longer
/// than `buf` is `E2BIG` and stays queued, unless `MSG_NOERROR` truncates it. With
/// `IPC_NOWAIT`, `ENOMSG` instead of waiting; `EIDRM` if the queue is removed while waiting.
pub fn msgrcv(id: i32, buf: &mut [u8], mtype: i64, flags: u32) -> Result<(i64, usize), Errno> {
    let mut message = vec![0u8; MSG_TYPE_SIZE + buf.len()];
    // SAFETY: `message` is exclusively owned and writable for `MSG_TYPE_SIZE + buf.len()`
    // bytes, the size of a `struct msgbuf` with `buf.len()` bytes of text; `msgrcv` stores
    // at most that much, and any bytes are valid `u8`s.
    let ret = unsafe {
        syscall5(
            nr::MSGRCV,
            id as usize,
            message.as_mut_ptr() as usize,
            buf.len(),
            mtype as usize,
            flags as usize,
        )
    };
    let len = decode(ret)?;
    // A kernel that claims more text than the buffer holds is broken.
    let text = message
        .get(MSG_TYPE_SIZE..MSG_TYPE_SIZE + len)
        .ok_or(Errno::EIO)?;
    buf[..len].copy_from_slice(text);
    Ok((i64::read_le(&message), len))
}

/// `msgctl(id, IPC_STAT, &ds)`: the queue's owner, permissions, counts and times.
pub fn msgctl_stat(id: i32) -> Result<MsqidDs, Errno> {
    let mut image = [0u8; MsqidDs::SIZE];
    // SAFETY: `image` is `MsqidDs::SIZE` (120) bytes, exclusively borrowed for the call; the
    // kernel stores one `struct msqid64_ds` there, and any bytes are valid `u8`s.
    let ret = unsafe {
        syscall3(
            nr::MSGCTL,
            id as usize,
            IPC_STAT as usize,
            image.as_mut_ptr() as usize,
        )
    };
    decode(ret)?;
    Ok(MsqidDs::from_bytes(&image))
}

/// `msgctl(id, IPC_RMID, NULL)`: removes the queue and its messages at once; processes
/// waiting in `msgsnd` or `msgrcv` on it fail with `EIDRM`.
pub fn msgctl_rmid(id: i32) -> Result<(), Errno> {
    // SAFETY: `IPC_RMID` ignores the buffer argument (NULL), so no user memory is touched.
    let ret = unsafe { syscall3(nr::MSGCTL, id as usize, IPC_RMID as usize, 0) };
    decode(ret).map(|_| ())
}

/// Deliberately unchecked message-queue calls, for tests of the kernel's argument checking,
/// with the conventions of [`crate::raw`]: addresses and sizes are plain `usize`s and
/// results raw (`-errno` on failure). Callers pass only addresses that hold no Rust data.
pub mod raw {
    use abi::nr;

    use crate::syscall::{syscall3, syscall4, syscall5};

    /// `msgsnd(id, msgp, size, flags)` with an arbitrary `struct msgbuf` address and size.
    pub fn msgsnd(id: i32, msgp: usize, size: usize, flags: u32) -> isize {
        // SAFETY: `msgsnd` only reads user memory and the kernel validates
        // `msgp..msgp+8+size`, so no Rust-visible memory changes.
        unsafe { syscall4(nr::MSGSND, id as usize, msgp, size, flags as usize) }
    }

    /// `msgrcv(id, msgp, size, mtype, flags)` with an arbitrary buffer address and size.
    pub fn msgrcv(id: i32, msgp: usize, size: usize, mtype: i64, flags: u32) -> isize {
        // SAFETY: the kernel validates `msgp..msgp+8+size`; see the module comment for why
        // callers pass only addresses that hold no Rust data.
        unsafe {
            syscall5(
                nr::MSGRCV,
                id as usize,
                msgp,
                size,
                mtype as usize,
                flags as usize,
            )
        }
    }

    /// `msgctl(id, cmd, buf)` with an arbitrary command and buffer address.
    pub fn msgctl(id: i32, cmd: i32, buf: usize) -> isize {
        // SAFETY: the kernel validates `buf` for the commands that use it; see the module
        // comment for why callers pass only addresses that hold no Rust data.
        unsafe { syscall3(nr::MSGCTL, id as usize, cmd as usize, buf) }
    }
}
