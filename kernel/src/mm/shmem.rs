//! Shared memory objects (concepts M6, I4): frames that several address spaces map at the
//! same time, so a store by one process is seen by the others at once.
//!
//! A [`SharedMemory`] backs every `MAP_SHARED | MAP_ANONYMOUS` region and every System V
//! shared memory segment. Its frames are made on first touch (zero-filled) and kept here,
//! so a process that touches a page after `fork` still finds the frame the other side
//! made, instead of getting one of its own. Each region mapping the object holds an
//! `Arc` to it: the object (and its memory) lives while anything maps it or names it.

use abi::errno::Errno;
use alloc::sync::Arc;
use alloc::vec::Vec;
use hal::mem::Frame;
use hal::sync::SpinLock;

/// A run of pages of memory that is shared by everyone who maps it.
pub struct SharedMemory {
    frames: SpinLock<Vec<Option<Arc<Frame>>>>,
}

impl SharedMemory {
    /// An object of `pages` pages, none of them in memory yet.
    pub fn new(pages: usize) -> Arc<SharedMemory> {
        Arc::new(SharedMemory {
            frames: SpinLock::new("shmem", alloc::vec![None; pages]),
        })
    }

    /// The frame of page `index`, made (zeroed) on first use. `EFAULT` past the end (a
    /// mapping longer than the object), `ENOMEM` without memory.
    pub fn frame(&self, index: usize) -> Result<Arc<Frame>, Errno> {
        let mut frames = self.frames.lock();
        let slot = frames.get_mut(index).ok_or(Errno::EFAULT)?;
        if let Some(frame) = slot {
            return Ok(frame.clone());
        }
        let frame = Arc::new(Frame::alloc_zeroed().map_err(|_| Errno::ENOMEM)?);
        *slot = Some(frame.clone());
        Ok(frame)
    }
}

/// What a region mapping shared memory maps: `object` from its page `first_page` on.
#[derive(Clone)]
pub struct ShmemBacking {
    pub object: Arc<SharedMemory>,
    pub first_page: usize,
}
