//! System V shared memory (concept I4): `shmget`, `shmat`, `shmdt`, `shmctl`.
//!
//! A segment is a [`SharedMemory`] object (kernel/src/mm/shmem.rs) with a key and
//! permissions. `shmat` maps the object into the caller's address space as a shared region
//! whose pages are the object's frames, so every process that attached it sees every store
//! at once; the pages are made on first touch. `fork` copies attachments (the child maps
//! the same object), `exec` and exit drop them.
//!
//! The number of attachments (`shm_nattch`) is the number of regions holding the object:
//! its reference count minus the table's own. `IPC_RMID` frees the key at once; a segment
//! still attached somewhere is only marked (Linux's `SHM_DEST`: its id may still be
//! attached, as on Linux) and destroyed once nothing maps it — noticed at the next use of
//! the table, since regions are dropped by munmap, exec and exit without telling it.

use super::{Ids, IpcObject, Perm, READ, WRITE, now_secs};
use crate::mm::shmem::{SharedMemory, ShmemBacking};
use crate::mm::{Perm as MemPerm, SharedSpace, Vma, VmaKind};
use crate::proc::{Pid, Process};
use abi::errno::Errno;
use abi::ipc::{SHM_EXEC, SHM_RDONLY, SHM_REMAP, SHM_RND, SHMMAX, SHMMIN, ShmidDs};
use alloc::string::String;
use alloc::sync::Arc;
use core::fmt::Write;
use hal::PAGE_SIZE;
use hal::sync::SpinLock;

/// Most segments at once (`SHMMNI` is 4096 on Linux).
pub const SHMMNI: usize = 128;

/// One segment and its `shmid_ds` bookkeeping.
pub struct Segment {
    pub perm: Perm,
    pub memory: Arc<SharedMemory>,
    /// The size asked for, in bytes (the mapping rounds it up to pages).
    pub size: usize,
    pub attach_time: i64,
    pub detach_time: i64,
    pub change_time: i64,
    pub creator: Pid,
    pub last: Pid,
    /// `IPC_RMID` was called while it was attached (`SHM_DEST`).
    pub removed: bool,
}

impl Segment {
    /// Regions mapping the segment now.
    pub fn attachments(&self) -> usize {
        Arc::strong_count(&self.memory) - 1
    }
}

impl IpcObject for Segment {
    fn perm(&self) -> &Perm {
        &self.perm
    }

    fn perm_mut(&mut self) -> &mut Perm {
        &mut self.perm
    }
}

static TABLE: SpinLock<Ids<Segment>> = SpinLock::new("shm-segments", Ids::new(SHMMNI));

/// The table, after destroying removed segments nothing maps any more.
fn table() -> hal::sync::SpinLockGuard<'static, Ids<Segment>> {
    let mut table = TABLE.lock();
    let done: alloc::vec::Vec<i32> = table
        .iter()
        .filter(|(_, s)| s.removed && s.attachments() == 0)
        .map(|(id, _)| id)
        .collect();
    for id in done {
        table.remove(id);
    }
    table
}

/// `shmget(key, size, flags)`: `EINVAL` for a size outside `SHMMIN..=SHMMAX` when
/// creating, or larger than an existing segment's.
pub fn get(me: &Process, key: i32, size: usize, flags: u32) -> Result<i32, Errno> {
    let creds = me.inner().creds;
    table().get_or_create(
        key,
        flags,
        creds,
        |segment| {
            if size > segment.size {
                Err(Errno::EINVAL)
            } else {
                Ok(())
            }
        },
        |perm| {
            if !(SHMMIN..=SHMMAX).contains(&size) {
                return Err(Errno::EINVAL);
            }
            Ok(Segment {
                perm,
                memory: SharedMemory::new(size.div_ceil(PAGE_SIZE)),
                size,
                attach_time: 0,
                detach_time: 0,
                change_time: now_secs(),
                creator: me.tgid,
                last: 0,
                removed: false,
            })
        },
    )
}

/// `shmat(id, addr, flags)`: maps the segment at `addr` (0: where there is room below
/// `top`) and returns the address. `EINVAL` for an unknown id or an unaligned `addr`
/// without `SHM_RND`, `EACCES` without permission, `ENOMEM` without room.
pub fn attach(
    me: &Process,
    space: &SharedSpace,
    id: i32,
    addr: usize,
    flags: u32,
    top: usize,
) -> Result<usize, Errno> {
    let creds = me.inner().creds;
    let read_only = flags & SHM_RDONLY != 0;
    let (memory, size) = {
        let table = table();
        let segment = table.get(id).ok_or(Errno::EINVAL)?;
        let wanted = if read_only { READ } else { READ | WRITE };
        if !segment.perm.allows(creds, wanted) {
            return Err(Errno::EACCES);
        }
        (segment.memory.clone(), segment.size)
    };
    let len = size.next_multiple_of(PAGE_SIZE);
    let addr = if flags & SHM_RND != 0 {
        addr & !(PAGE_SIZE - 1)
    } else {
        addr
    };
    if !addr.is_multiple_of(PAGE_SIZE) || (flags & SHM_REMAP != 0 && addr == 0) {
        return Err(Errno::EINVAL);
    }
    let mut space = space.lock();
    let start = if addr == 0 {
        space.find_free(len, top).ok_or(Errno::ENOMEM)?
    } else {
        let end = addr
            .checked_add(len)
            .filter(|&e| e <= top)
            .ok_or(Errno::EINVAL)?;
        if space.overlaps(addr, end, None) {
            if flags & SHM_REMAP == 0 {
                return Err(Errno::EINVAL);
            }
            space.unmap_range(addr, end);
        }
        addr
    };
    space.add_vma(Vma {
        start,
        end: start + len,
        perm: MemPerm {
            read: true,
            write: !read_only,
            exec: flags & SHM_EXEC != 0,
        },
        kind: VmaKind::Shm,
        shared: true,
        file: None,
        shmem: Some(ShmemBacking {
            object: memory.clone(),
            first_page: 0,
        }),
        program: None,
    })?;
    drop(space);
    if let Some(segment) = table().get_mut(id) {
        segment.attach_time = now_secs();
        segment.last = me.tgid;
    }
    Ok(start)
}

/// `shmdt(addr)`: unmaps the attachment that starts at `addr` (`EINVAL` if none does).
pub fn detach(me: &Process, space: &SharedSpace, addr: usize) -> Result<(), Errno> {
    if !addr.is_multiple_of(PAGE_SIZE) {
        return Err(Errno::EINVAL);
    }
    let object = {
        let mut space = space.lock();
        let vma = space
            .find_vma(addr)
            .filter(|v| v.start == addr && v.kind == VmaKind::Shm)
            .ok_or(Errno::EINVAL)?;
        let object = vma.shmem.as_ref().map(|s| s.object.clone());
        let end = vma.end;
        space.unmap_range(addr, end);
        object
    };
    if let Some(object) = object {
        let mut table = table();
        if let Some(segment) = table.values_mut().find(|s| Arc::ptr_eq(&s.memory, &object)) {
            segment.detach_time = now_secs();
            segment.last = me.tgid;
        }
    }
    Ok(())
}

/// `shmctl(IPC_STAT)`.
pub fn stat(me: &Process, id: i32) -> Result<ShmidDs, Errno> {
    let creds = me.inner().creds;
    let table = table();
    let segment = table.get(id).ok_or(Errno::EINVAL)?;
    if !segment.perm.allows(creds, READ) {
        return Err(Errno::EACCES);
    }
    Ok(ShmidDs {
        shm_perm: segment.perm.to_abi(),
        shm_segsz: segment.size as u64,
        shm_atime: segment.attach_time,
        shm_dtime: segment.detach_time,
        shm_ctime: segment.change_time,
        shm_cpid: segment.creator as i32,
        shm_lpid: segment.last as i32,
        shm_nattch: segment.attachments() as u64,
        ..ShmidDs::default()
    })
}

/// `shmctl(IPC_SET)`: the owner and mode from `new`.
pub fn set(me: &Process, id: i32, new: &ShmidDs) -> Result<(), Errno> {
    let creds = me.inner().creds;
    let mut table = table();
    let segment = table.get_mut(id).ok_or(Errno::EINVAL)?;
    if !segment.perm.may_change(creds) {
        return Err(Errno::EPERM);
    }
    segment.perm.update(&new.shm_perm);
    segment.change_time = now_secs();
    Ok(())
}

/// `shmctl(IPC_RMID)`: the segment's key and id are gone at once; its memory when the last
/// attachment goes.
pub fn remove(me: &Process, id: i32) -> Result<(), Errno> {
    let creds = me.inner().creds;
    let mut table = table();
    let segment = table.get(id).ok_or(Errno::EINVAL)?;
    if !segment.perm.may_change(creds) {
        return Err(Errno::EPERM);
    }
    if segment.attachments() == 0 {
        table.remove(id);
    } else if let Some(segment) = table.get_mut(id) {
        segment.removed = true;
        segment.perm.key = abi::ipc::IPC_PRIVATE;
    }
    Ok(())
}

/// `/proc/sysvipc/shm`, in Linux's column order.
pub fn proc_text() -> String {
    let mut text = String::from(
        "       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid      atime      dtime      ctime\n",
    );
    for (id, s) in table().iter() {
        let _ = writeln!(
            text,
            "{:>10} {:>10} {:>5o} {:>21} {:>5} {:>5} {:>6} {:>5} {:>5} {:>5} {:>5} {:>10} {:>10} {:>10}",
            s.perm.key,
            id,
            s.perm.mode,
            s.size,
            s.creator,
            s.last,
            s.attachments(),
            s.perm.owner.uid,
            s.perm.owner.gid,
            s.perm.creator.uid,
            s.perm.creator.gid,
            s.attach_time,
            s.detach_time,
            s.change_time
        );
    }
    text
}
