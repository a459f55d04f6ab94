//! Memory-mapping syscalls (concepts M5, M6): mmap, munmap, mprotect, msync, madvise.
//! Linux semantics: page-aligned addresses, lengths rounded up to pages, EINVAL for bad
//! arguments, ENOMEM for address ranges that cannot be (or are not) mapped.

use crate::exec::MMAP_TOP;
use crate::fs::FileType;
use crate::mm::address_space::FileBacking;
use crate::mm::shmem::{SharedMemory, ShmemBacking};
use crate::mm::{Perm, Vma, VmaKind};
use crate::proc::{Process, UserState};
use abi::errno::Errno;
use abi::fs::{O_ACCMODE, O_RDWR, O_WRONLY};
use abi::mm::{
    MADV_DONTNEED, MADV_FREE, MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED,
    MAP_ANONYMOUS, MAP_FIXED, MAP_FIXED_NOREPLACE, MAP_PRIVATE, MAP_SHARED, MAP_SHARED_VALIDATE,
    MAP_TYPE, MS_ASYNC, MS_INVALIDATE, MS_SYNC, PROT_EXEC, PROT_READ, PROT_WRITE,
};
use alloc::sync::Arc;
use alloc::vec::Vec;
use hal::{PAGE_SIZE, USER_TOP};

/// Flags `mmap` understands; others are accepted and ignored, as Linux does, except with
/// MAP_SHARED_VALIDATE.
const KNOWN_FLAGS: u32 = MAP_TYPE
    | MAP_FIXED
    | MAP_ANONYMOUS
    | MAP_FIXED_NOREPLACE
    | abi::mm::MAP_NORESERVE
    | abi::mm::MAP_POPULATE
    | abi::mm::MAP_STACK
    | abi::mm::MAP_GROWSDOWN;

fn perm_of(prot: u32) -> Result<Perm, Errno> {
    if prot & !(PROT_READ | PROT_WRITE | PROT_EXEC) != 0 {
        return Err(Errno::EINVAL);
    }
    Ok(Perm {
        read: prot & PROT_READ != 0,
        write: prot & PROT_WRITE != 0,
        exec: prot & PROT_EXEC != 0,
    })
}

/// `[addr, addr + len)` rounded out to pages; EINVAL if `addr` is unaligned or the length is
/// zero, ENOMEM if the range leaves user space.
fn page_range(addr: usize, len: usize) -> Result<(usize, usize), Errno> {
    if !addr.is_multiple_of(PAGE_SIZE) || len == 0 {
        return Err(Errno::EINVAL);
    }
    let end = addr
        .checked_add(len)
        .and_then(|e| e.checked_next_multiple_of(PAGE_SIZE))
        .ok_or(Errno::ENOMEM)?;
    if end > USER_TOP {
        return Err(Errno::ENOMEM);
    }
    Ok((addr, end))
}

/// `mmap(addr, len, prot, flags, fd, offset)`.
#[allow(clippy::too_many_arguments)]
pub fn mmap(
    me: &Arc<Process>,
    user: &mut UserState,
    addr: usize,
    len: usize,
    prot: usize,
    flags: usize,
    fd: usize,
    offset: usize,
) -> Result<usize, Errno> {
    let (prot, flags) = (prot as u32, flags as u32);
    let shared = match flags & MAP_TYPE {
        MAP_SHARED => true,
        MAP_PRIVATE => false,
        MAP_SHARED_VALIDATE if flags & !KNOWN_FLAGS == 0 => true,
        _ => return Err(Errno::EINVAL),
    };
    let perm = perm_of(prot)?;
    if len == 0 || !offset.is_multiple_of(PAGE_SIZE) {
        return Err(Errno::EINVAL);
    }
    let len = len
        .checked_next_multiple_of(PAGE_SIZE)
        .ok_or(Errno::ENOMEM)?;
    let file = if flags & MAP_ANONYMOUS != 0 {
        None
    } else {
        let open = me.files().lock().get(fd as u32 as usize)?;
        let inode = open.inode().ok_or(Errno::ENODEV)?.clone();
        if inode.metadata()?.kind != FileType::Regular {
            return Err(Errno::ENODEV);
        }
        let access = open.flags() & O_ACCMODE;
        if access == O_WRONLY || (shared && perm.write && access != O_RDWR) {
            return Err(Errno::EACCES);
        }
        Some(FileBacking {
            inode,
            offset: offset as u64,
        })
    };
    let fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE) != 0;
    let mut space = user.space.lock();
    let start = if fixed {
        let (start, end) = page_range(addr, len)?;
        if space.overlaps(start, end, None) {
            if flags & MAP_FIXED_NOREPLACE != 0 {
                return Err(Errno::EEXIST);
            }
            space.unmap_range(start, end);
        }
        start
    } else {
        let hint = page_range(addr & !(PAGE_SIZE - 1), len)
            .ok()
            .filter(|&(s, e)| s != 0 && e <= MMAP_TOP && !space.overlaps(s, e, None));
        match hint {
            Some((start, _)) => start,
            None => space.find_free(len, MMAP_TOP).ok_or(Errno::ENOMEM)?,
        }
    };
    let kind = if file.is_some() {
        VmaKind::File
    } else {
        VmaKind::Anonymous
    };
    // Shared anonymous memory lives in an object of its own, so that the pages a parent
    // and a child touch after fork are the same pages.
    let shmem = (shared && file.is_none()).then(|| ShmemBacking {
        object: SharedMemory::new(len / PAGE_SIZE),
        first_page: 0,
    });
    space.add_vma(Vma {
        start,
        end: start + len,
        perm,
        kind,
        shared,
        file,
        shmem,
        program: None,
    })?;
    Ok(start)
}

/// `munmap(addr, len)`.
pub fn munmap(user: &mut UserState, addr: usize, len: usize) -> Result<usize, Errno> {
    let (start, end) = page_range(addr, len)?;
    user.space.lock().unmap_range(start, end);
    Ok(0)
}

/// `mprotect(addr, len, prot)`.
pub fn mprotect(
    user: &mut UserState,
    addr: usize,
    len: usize,
    prot: usize,
) -> Result<usize, Errno> {
    let perm = perm_of(prot as u32)?;
    if len == 0 && addr.is_multiple_of(PAGE_SIZE) {
        return Ok(0);
    }
    let (start, end) = page_range(addr, len)?;
    user.space.lock().protect_range(start, end, perm)?;
    Ok(0)
}

/// `msync(addr, len, flags)`: writes shared file mappings in the range back to their files
/// (with MS_SYNC, through to the disk).
pub fn msync(user: &mut UserState, addr: usize, len: usize, flags: usize) -> Result<usize, Errno> {
    let flags = flags as u32;
    if flags & !(MS_ASYNC | MS_SYNC | MS_INVALIDATE) != 0
        || flags & MS_ASYNC != 0 && flags & MS_SYNC != 0
    {
        return Err(Errno::EINVAL);
    }
    if !addr.is_multiple_of(PAGE_SIZE) {
        return Err(Errno::EINVAL);
    }
    let end = addr
        .checked_add(len)
        .and_then(|e| e.checked_next_multiple_of(PAGE_SIZE))
        .ok_or(Errno::ENOMEM)?;
    let space = user.space.lock();
    let mut cursor = addr;
    while cursor < end {
        cursor = space.find_vma(cursor).ok_or(Errno::ENOMEM)?.end;
    }
    space.write_back(addr, end)?;
    if flags & MS_SYNC != 0 {
        // As fsync: the files reach the disk before msync returns.
        let files: Vec<_> = space
            .vmas()
            .iter()
            .filter(|v| v.shared && v.start < end && addr < v.end)
            .filter_map(|v| v.file.as_ref().map(|f| f.inode.clone()))
            .collect();
        drop(space);
        for inode in files {
            inode.sync()?;
        }
    }
    Ok(0)
}

/// `madvise(addr, len, advice)`: DONTNEED drops private pages (they read back as zeros, or
/// as the file's bytes); the hints are accepted and ignored.
pub fn madvise(
    user: &mut UserState,
    addr: usize,
    len: usize,
    advice: usize,
) -> Result<usize, Errno> {
    if !addr.is_multiple_of(PAGE_SIZE) {
        return Err(Errno::EINVAL);
    }
    let end = addr
        .checked_add(len)
        .and_then(|e| e.checked_next_multiple_of(PAGE_SIZE))
        .ok_or(Errno::EINVAL)?;
    match advice as u32 {
        MADV_DONTNEED | MADV_FREE => user.space.lock().discard_range(addr, end).map(|()| 0),
        MADV_NORMAL | MADV_RANDOM | MADV_SEQUENTIAL | MADV_WILLNEED => Ok(0),
        _ => Err(Errno::EINVAL),
    }
}
