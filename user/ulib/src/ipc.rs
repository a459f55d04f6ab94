//! Named pipes, System V message queues and semaphores (concepts I2, I3 and I7):
//! [`mkfifo`] makes a FIFO that unrelated processes open by its path; [`msgget`],
//! [`msgsnd`], [`msgrcv`], [`msgctl_stat`] and [`msgctl_rmid`] use a message queue;
//! [`semget`], [`semop`], [`semtimedop`] and the `semctl_*` calls use a semaphore set, and
//! [`SemSet`] wraps one with P and V. The constants and the `msqid64_ds`, `semid64_ds` and
//! `sembuf` layouts are in [`abi::ipc`]; the unchecked forms for tests of bad pointers and
//! sizes are in [`raw`].
//!
//! A message crosses the boundary as Linux's `struct msgbuf`: a `long` type followed by the
//! text. The wrappers build that image in a buffer of their own, so callers pass the type
//! and the text separately and never lay out memory themselves.
//!
//! Queue and set ids and keys are `int`s; they are passed sign-extended, so a negative id
//! reaches the kernel as such and is refused with `EINVAL` like on Linux.
//!
//! `semop`'s operations are `#[repr(C)]` [`SemBuf`]s, three `short`s with no padding,
//! exactly Linux's `struct sembuf`, so a slice of them is passed as it is. `semctl`'s
//! `GETALL` and `SETALL` move one `unsigned short` per semaphore of the set, however many
//! the set has when the kernel looks: the wrappers pass a buffer with room for the most a
//! set may have (`SEMMSL`), so no set can make the kernel write past it.

use alloc::vec;
use alloc::vec::Vec;

use abi::ipc::{
    GETALL, GETNCNT, GETPID, GETVAL, GETZCNT, IPC_CREAT, IPC_PRIVATE, IPC_RMID, IPC_SET, IPC_STAT,
    MSG_TYPE_SIZE, MsqidDs, SEMMSL, SETALL, SETVAL, SemBuf, SemidDs, ShmidDs,
};
use abi::time::Timespec;
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
    ctl_stat(nr::MSGCTL, id)
}

/// `msgctl`/`shmctl(id, IPC_STAT, buf)` (system call `number`): the object's `*id64_ds`.
fn ctl_stat<T: WireFormat>(number: usize, id: i32) -> Result<T, Errno> {
    let mut image = vec![0u8; T::SIZE];
    // SAFETY: `image` is `T::SIZE` bytes, exclusively borrowed for the call: the size of the
    // structure the kernel stores there for this call; any bytes are valid `u8`s.
    let ret = unsafe {
        syscall3(
            number,
            id as usize,
            IPC_STAT as usize,
            image.as_mut_ptr() as usize,
        )
    };
    decode(ret)?;
    Ok(T::read_le(&image))
}

/// `msgctl`/`shmctl(id, IPC_RMID, NULL)` (system call `number`).
fn ctl_rmid(number: usize, id: i32) -> Result<(), Errno> {
    // SAFETY: `IPC_RMID` ignores the buffer argument (NULL), so no user memory is touched.
    let ret = unsafe { syscall3(number, id as usize, IPC_RMID as usize, 0) };
    decode(ret).map(|_| ())
}

/// `msgctl(id, IPC_RMID, NULL)`: removes the queue and its messages at once; processes
/// waiting in `msgsnd` or `msgrcv` on it fail with `EIDRM`.
pub fn msgctl_rmid(id: i32) -> Result<(), Errno> {
    ctl_rmid(nr::MSGCTL, id)
}

/// `semget(key, nsems, flags)`: the id of the semaphore set of `key`, with the key rules of
/// [`msgget`]. A new set has `nsems` semaphores (1..=`SEMMSL`, `EINVAL` otherwise), all 0;
/// an existing one is found with any `nsems` up to its size (0 included). `ENOSPC` when
/// too many sets or semaphores exist.
pub fn semget(key: i32, nsems: i32, flags: u32) -> Result<i32, Errno> {
    // SAFETY: `semget` takes only numbers and touches no user memory.
    let ret = unsafe { syscall3(nr::SEMGET, key as usize, nsems as usize, flags as usize) };
    decode(ret).map(|id| id as i32)
}

/// One `semop` operation: add `op` to semaphore `num` (`op < 0` waits until it can be
/// subtracted, `op == 0` waits for zero), with `IPC_NOWAIT` and `SEM_UNDO` in `flags`.
pub const fn sembuf(num: u16, op: i16, flags: u32) -> SemBuf {
    SemBuf {
        sem_num: num,
        sem_op: op,
        sem_flg: flags as i16,
    }
}

/// `semop(id, ops, ops.len())`: applies every operation at once, or none, waiting until all
/// can go. `EAGAIN` instead of waiting if the operation that would wait has `IPC_NOWAIT`;
/// `EFBIG` for a semaphore number beyond the set, `E2BIG` for more than `SEMOPM`
/// operations, `ERANGE` for a value beyond `SEMVMX`; `EIDRM` if the set is removed while
/// waiting, `EINTR` if a signal handler runs (never restarted), `EDEADLK` if the deadlock
/// detector finds that waiting would close a cycle.
pub fn semop(id: i32, ops: &[SemBuf]) -> Result<(), Errno> {
    // SAFETY: `ops` is a live slice of `#[repr(C)]` sembufs (Linux's 6-byte layout) and its
    // length is passed; `semop` only reads it.
    let ret = unsafe { syscall3(nr::SEMOP, id as usize, ops.as_ptr() as usize, ops.len()) };
    decode(ret).map(|_| ())
}

/// `semtimedop(id, ops, ops.len(), timeout)`: [`semop`] that waits at most `timeout`
/// (relative), then fails with `EAGAIN`.
pub fn semtimedop(id: i32, ops: &[SemBuf], timeout: &Timespec) -> Result<(), Errno> {
    // SAFETY: as in `semop`; `timeout` is a live `#[repr(C)]` timespec the kernel only reads.
    let ret = unsafe {
        syscall4(
            nr::SEMTIMEDOP,
            id as usize,
            ops.as_ptr() as usize,
            ops.len(),
            timeout as *const Timespec as usize,
        )
    };
    decode(ret).map(|_| ())
}

/// `semctl(id, num, cmd, arg)` for the commands that take no pointer.
fn semctl_value(id: i32, num: i32, cmd: i32, arg: usize) -> Result<usize, Errno> {
    // SAFETY: the callers pass commands whose `arg` is a number (or ignored), so no user
    // memory is touched.
    decode(unsafe { syscall4(nr::SEMCTL, id as usize, num as usize, cmd as usize, arg) })
}

/// `semctl(id, num, GETVAL)`: the value of semaphore `num`.
pub fn semctl_getval(id: i32, num: i32) -> Result<i32, Errno> {
    semctl_value(id, num, GETVAL, 0).map(|value| value as i32)
}

/// `semctl(id, num, GETPID)`: the pid of the last process that operated on semaphore `num`
/// (`semop`, `SETVAL`, `SETALL`, or an undo at exit).
pub fn semctl_getpid(id: i32, num: i32) -> Result<i32, Errno> {
    semctl_value(id, num, GETPID, 0).map(|pid| pid as i32)
}

/// `semctl(id, num, GETNCNT)`: how many processes wait for semaphore `num` to grow.
pub fn semctl_getncnt(id: i32, num: i32) -> Result<usize, Errno> {
    semctl_value(id, num, GETNCNT, 0)
}

/// `semctl(id, num, GETZCNT)`: how many processes wait for semaphore `num` to be zero.
pub fn semctl_getzcnt(id: i32, num: i32) -> Result<usize, Errno> {
    semctl_value(id, num, GETZCNT, 0)
}

/// `semctl(id, num, SETVAL, value)`: sets semaphore `num` (`ERANGE` outside
/// `0..=SEMVMX`), clears every process's `SEM_UNDO` adjustment of it and wakes waiters.
pub fn semctl_setval(id: i32, num: i32, value: i32) -> Result<(), Errno> {
    semctl_value(id, num, SETVAL, value as u32 as usize).map(|_| ())
}

/// `semctl(id, 0, IPC_RMID)`: removes the set at once; waiters fail with `EIDRM`.
pub fn semctl_rmid(id: i32) -> Result<(), Errno> {
    semctl_value(id, 0, IPC_RMID, 0).map(|_| ())
}

/// `semctl(id, 0, IPC_STAT, &ds)`: the set's owner, permissions, size and times.
pub fn semctl_stat(id: i32) -> Result<SemidDs, Errno> {
    let mut image = [0u8; SemidDs::SIZE];
    // SAFETY: `image` is `SemidDs::SIZE` (88) bytes, exclusively borrowed for the call; the
    // kernel stores one `struct semid64_ds` there, and any bytes are valid `u8`s.
    let ret = unsafe {
        syscall4(
            nr::SEMCTL,
            id as usize,
            0,
            IPC_STAT as usize,
            image.as_mut_ptr() as usize,
        )
    };
    decode(ret)?;
    Ok(SemidDs::from_bytes(&image))
}

/// `semctl(id, 0, IPC_SET, &ds)`: sets the owner and permission bits from `ds.sem_perm`.
pub fn semctl_set(id: i32, ds: &SemidDs) -> Result<(), Errno> {
    let image = ds.to_bytes();
    // SAFETY: `image` is one `struct semid64_ds` that lives across the call; the kernel only
    // reads it.
    let ret = unsafe {
        syscall4(
            nr::SEMCTL,
            id as usize,
            0,
            IPC_SET as usize,
            image.as_ptr() as usize,
        )
    };
    decode(ret).map(|_| ())
}

/// `semctl(id, 0, GETALL, values)`: every value of the set, one per semaphore.
pub fn semctl_getall(id: i32) -> Result<Vec<u16>, Errno> {
    let mut values = vec![0u16; SEMMSL];
    // SAFETY: `values` holds `SEMMSL` `u16`s, as many as any set has, exclusively owned for
    // the call; the kernel stores one `unsigned short` per semaphore of the set there, and
    // any bits are valid `u16`s.
    let ret = unsafe {
        syscall4(
            nr::SEMCTL,
            id as usize,
            0,
            GETALL as usize,
            values.as_mut_ptr() as usize,
        )
    };
    decode(ret)?;
    values.truncate(semctl_stat(id)?.sem_nsems as usize);
    Ok(values)
}

/// `semctl(id, 0, SETALL, values)`: sets every value of the set (`ERANGE` if one is above
/// `SEMVMX`), clearing the set's `SEM_UNDO` adjustments. `values` must have one entry per
/// semaphore (`EINVAL` otherwise, checked here: the kernel reads as many as the set has).
pub fn semctl_setall(id: i32, values: &[u16]) -> Result<(), Errno> {
    if values.len() as u64 != semctl_stat(id)?.sem_nsems {
        return Err(Errno::EINVAL);
    }
    let mut image = vec![0u16; SEMMSL];
    image[..values.len()].copy_from_slice(values);
    // SAFETY: `image` holds `SEMMSL` `u16`s, as many as any set has, and lives across the
    // call; the kernel only reads it.
    let ret = unsafe {
        syscall4(
            nr::SEMCTL,
            id as usize,
            0,
            SETALL as usize,
            image.as_ptr() as usize,
        )
    };
    decode(ret).map(|_| ())
}

/// A System V semaphore set, by id, with the classic operations on one semaphore: P
/// ([`wait`](Self::wait)) and V ([`post`](Self::post)). Copies (and forked children)
/// name the same set; nothing is removed on drop, [`remove`](Self::remove) does it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SemSet {
    id: i32,
}

impl SemSet {
    /// A new private set of `count` semaphores, all 0, with permissions `mode`.
    pub fn private(count: i32, mode: u32) -> Result<SemSet, Errno> {
        semget(IPC_PRIVATE, count, IPC_CREAT | (mode & 0o777)).map(|id| SemSet { id })
    }

    /// The set with id `id`.
    pub const fn from_id(id: i32) -> SemSet {
        SemSet { id }
    }

    /// The set's id.
    pub const fn id(&self) -> i32 {
        self.id
    }

    /// P: waits until semaphore `num` is positive and takes one unit.
    pub fn wait(&self, num: u16) -> Result<(), Errno> {
        semop(self.id, &[sembuf(num, -1, 0)])
    }

    /// V: gives one unit back to semaphore `num`, waking a waiter.
    pub fn post(&self, num: u16) -> Result<(), Errno> {
        semop(self.id, &[sembuf(num, 1, 0)])
    }

    /// The value of semaphore `num`.
    pub fn value(&self, num: u16) -> Result<i32, Errno> {
        semctl_getval(self.id, i32::from(num))
    }

    /// Sets semaphore `num` to `value`.
    pub fn set(&self, num: u16, value: i32) -> Result<(), Errno> {
        semctl_setval(self.id, i32::from(num), value)
    }

    /// Removes the set (waiters fail with `EIDRM`).
    pub fn remove(self) -> Result<(), Errno> {
        semctl_rmid(self.id)
    }
}

/// `shmget(key, size, flags)`: the id of the shared memory segment of `key`, with the key
/// rules of [`msgget`]. A new segment has `size` bytes (`EINVAL` for 0 or more than
/// `SHMMAX`), all zero; an existing one is found with any `size` up to its own.
pub fn shmget(key: i32, size: usize, flags: u32) -> Result<i32, Errno> {
    // SAFETY: `shmget` takes only numbers and touches no user memory.
    let ret = unsafe { syscall3(nr::SHMGET, key as usize, size, flags as usize) };
    decode(ret).map(|id| id as i32)
}

/// `shmat(id, addr, flags)`: attaches the segment (at `addr`, or where the kernel finds room
/// when `addr` is 0) and returns its address. The memory is then read and written through
/// that address, e.g. with [`crate::hazard::read_volatile_at`] or atomics; it stays mapped
/// until [`shmdt`], `exec` or exit.
pub fn shmat(id: i32, addr: usize, flags: u32) -> Result<usize, Errno> {
    // SAFETY: attaching maps new memory; it changes no memory this program uses unless
    // `addr` names a mapping of its own and `flags` has SHM_REMAP, which callers pass only
    // for mappings they have given up.
    let ret = unsafe { syscall3(nr::SHMAT, id as usize, addr, flags as usize) };
    decode(ret)
}

/// `shmdt(addr)`: detaches the segment attached at `addr` (`EINVAL` if none is).
pub fn shmdt(addr: usize) -> Result<(), Errno> {
    // SAFETY: unmapping removes only the attachment at `addr`, which the caller no longer
    // uses (any reference into it would dangle; programs reach it through raw addresses).
    let ret = unsafe { syscall2(nr::SHMDT, addr, 0) };
    decode(ret).map(|_| ())
}

/// `shmctl(id, IPC_STAT, buf)`: the segment's state (size, attachments, pids, times).
pub fn shmctl_stat(id: i32) -> Result<ShmidDs, Errno> {
    ctl_stat(nr::SHMCTL, id)
}

/// `shmctl(id, IPC_RMID, NULL)`: removes the segment's key and id; its memory goes when the
/// last attachment does.
pub fn shmctl_rmid(id: i32) -> Result<(), Errno> {
    ctl_rmid(nr::SHMCTL, id)
}

/// Deliberately unchecked message-queue and semaphore calls, for tests of the kernel's argument checking,
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

    /// `shmctl(id, cmd, buf)` with an arbitrary command and buffer address.
    pub fn shmctl(id: i32, cmd: i32, buf: usize) -> isize {
        // SAFETY: the kernel validates `buf` for the commands that use it; see the module
        // comment for why callers pass only addresses that hold no Rust data.
        unsafe { syscall3(nr::SHMCTL, id as usize, cmd as usize, buf) }
    }

    /// `semop(id, sops, nsops)` with an arbitrary operations address and count.
    pub fn semop(id: i32, sops: usize, nsops: usize) -> isize {
        // SAFETY: `semop` only reads user memory and the kernel validates
        // `sops..sops+6*nsops`, so no Rust-visible memory changes.
        unsafe { syscall3(nr::SEMOP, id as usize, sops, nsops) }
    }

    /// `semtimedop(id, sops, nsops, timeout)` with arbitrary addresses and count.
    pub fn semtimedop(id: i32, sops: usize, nsops: usize, timeout: usize) -> isize {
        // SAFETY: `semtimedop` only reads user memory (the operations and the timeout),
        // which the kernel validates.
        unsafe { syscall4(nr::SEMTIMEDOP, id as usize, sops, nsops, timeout) }
    }

    /// `semctl(id, num, cmd, arg)` with an arbitrary command and argument.
    pub fn semctl(id: i32, num: i32, cmd: i32, arg: usize) -> isize {
        // SAFETY: the kernel validates `arg` for the commands that use it as a pointer; see
        // the module comment for why callers pass only addresses that hold no Rust data.
        unsafe { syscall4(nr::SEMCTL, id as usize, num as usize, cmd as usize, arg) }
    }
}
