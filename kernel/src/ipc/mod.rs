//! System V IPC (concepts I3, I4, I7): objects named by a numeric key, found with `*get`,
//! used by id, removed with `*ctl(IPC_RMID)`. Message queues ([`msg`]) and semaphore sets
//! ([`sem`]) share what this module holds:
//! - [`Perm`], an object's `ipc_perm`: key, owner, creator, mode bits, and the two checks
//!   Linux makes with it — [`Perm::allows`] (`ipcperms`: the owner, group or other bits,
//!   root always) and [`Perm::may_change`] (`IPC_SET`, `IPC_RMID`: owner, creator or root);
//! - [`Ids`], a table of objects of one kind by id, with `*get`'s key rules
//!   ([`Ids::get_or_create`]) and Linux's id scheme: a slot number plus a sequence number
//!   times the slot count, so a removed object's id is not handed out again at once.
//!
//! Each kind keeps its table under its own lock (`msg-queues`, `sem-sets`); nothing here
//! locks.

pub mod msg;
pub mod sem;
pub mod shm;

use crate::proc::Credentials;
use crate::time;
use abi::errno::Errno;
use abi::ipc::{IPC_CREAT, IPC_EXCL, IPC_PRIVATE, Ipc64Perm};
use alloc::collections::BTreeMap;

/// The read bits of a mode (`S_IRUGO`): what reading an object asks for.
pub const READ: u32 = 0o444;
/// The write bits of a mode (`S_IWUGO`): what changing an object asks for.
pub const WRITE: u32 = 0o222;

/// An object's owner and permissions (`struct kern_ipc_perm`).
#[derive(Clone, Copy, Debug)]
pub struct Perm {
    pub key: i32,
    pub owner: Credentials,
    pub creator: Credentials,
    /// The permission bits (`0o777`).
    pub mode: u32,
    /// The slot-reuse sequence number that is part of the id.
    pub seq: u16,
}

impl Perm {
    /// Whether `creds` may access the object as `requested` asks (any mix of the owner,
    /// group and other bits of [`READ`] and [`WRITE`]: Linux folds them into one `rwx`
    /// triple). The owner's bits apply to the owner or creator, the group's to their
    /// groups, the other bits to everyone else; root may do anything.
    pub fn allows(&self, creds: Credentials, requested: u32) -> bool {
        let wanted = (requested >> 6 | requested >> 3 | requested) & 0o7;
        let shift = if creds.euid == self.owner.uid || creds.euid == self.creator.uid {
            6
        } else if creds.egid == self.owner.gid || creds.egid == self.creator.gid {
            3
        } else {
            0
        };
        let granted = (self.mode >> shift) & 0o7;
        creds.euid == 0 || wanted & !granted == 0
    }

    /// Whether `creds` may change the owner or mode or remove the object: its owner, its
    /// creator or root (`EPERM` otherwise).
    pub fn may_change(&self, creds: Credentials) -> bool {
        creds.euid == 0 || creds.euid == self.owner.uid || creds.euid == self.creator.uid
    }

    /// `IPC_SET`: the new owner and permission bits from the caller's `ipc64_perm`.
    pub fn update(&mut self, new: &Ipc64Perm) {
        self.owner.uid = new.uid;
        self.owner.gid = new.gid;
        self.mode = new.mode & 0o777;
    }

    /// The `ipc64_perm` that `IPC_STAT` reports.
    pub fn to_abi(self) -> Ipc64Perm {
        Ipc64Perm {
            key: self.key,
            uid: self.owner.uid,
            gid: self.owner.gid,
            cuid: self.creator.uid,
            cgid: self.creator.gid,
            mode: self.mode,
            seq: self.seq,
            ..Ipc64Perm::default()
        }
    }
}

/// An object kept in an [`Ids`] table.
pub trait IpcObject {
    fn perm(&self) -> &Perm;
    fn perm_mut(&mut self) -> &mut Perm;
}

/// The objects of one kind, by id, with at most `capacity` at once.
pub struct Ids<T> {
    objects: BTreeMap<i32, T>,
    next_seq: u16,
    capacity: usize,
}

impl<T: IpcObject> Ids<T> {
    pub const fn new(capacity: usize) -> Ids<T> {
        Ids {
            objects: BTreeMap::new(),
            next_seq: 0,
            capacity,
        }
    }

    /// `*get(key, flags)`'s rules, in Linux's order. A key that names an object: `EEXIST`
    /// with `IPC_CREAT | IPC_EXCL`, else `check` (the kind's own test, such as the set
    /// size), then the permissions the low 9 bits of `flags` ask for (`EACCES`).
    /// `IPC_PRIVATE`, or a key with no object and `IPC_CREAT`: `create` builds a new one
    /// (its mode from `flags`), `ENOSPC` if the table is full. A key with no object and no
    /// `IPC_CREAT`: `ENOENT`. Returns the id.
    pub fn get_or_create(
        &mut self,
        key: i32,
        flags: u32,
        creds: Credentials,
        check: impl FnOnce(&T) -> Result<(), Errno>,
        create: impl FnOnce(Perm) -> Result<T, Errno>,
    ) -> Result<i32, Errno> {
        if key != IPC_PRIVATE
            && let Some((&id, object)) = self.objects.iter().find(|(_, o)| o.perm().key == key)
        {
            if flags & IPC_CREAT != 0 && flags & IPC_EXCL != 0 {
                return Err(Errno::EEXIST);
            }
            check(object)?;
            if !object.perm().allows(creds, flags & 0o777) {
                return Err(Errno::EACCES);
            }
            return Ok(id);
        }
        if key != IPC_PRIVATE && flags & IPC_CREAT == 0 {
            return Err(Errno::ENOENT);
        }
        let mut object = create(Perm {
            key,
            owner: creds,
            creator: creds,
            mode: flags & 0o777,
            seq: 0,
        })?;
        let slots = self.capacity as i32;
        let slot = (0..slots)
            .find(|s| !self.objects.keys().any(|id| id % slots == *s))
            .ok_or(Errno::ENOSPC)?;
        let seq = self.next_seq;
        self.next_seq = self.next_seq.wrapping_add(1) % 0x7f;
        object.perm_mut().seq = seq;
        let id = slot + i32::from(seq) * slots;
        self.objects.insert(id, object);
        Ok(id)
    }

    pub fn get(&self, id: i32) -> Option<&T> {
        self.objects.get(&id)
    }

    pub fn get_mut(&mut self, id: i32) -> Option<&mut T> {
        self.objects.get_mut(&id)
    }

    pub fn remove(&mut self, id: i32) -> Option<T> {
        self.objects.remove(&id)
    }

    /// Every object with its id, in id order.
    pub fn iter(&self) -> impl Iterator<Item = (i32, &T)> {
        self.objects.iter().map(|(&id, object)| (id, object))
    }

    /// Every object, mutably.
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut T> {
        self.objects.values_mut()
    }
}

/// The current time in seconds since the epoch (the `*_time` fields).
pub fn now_secs() -> i64 {
    (time::realtime_ns() / 1_000_000_000) as i64
}
