//! `/dev` (concept F4): device files. `console` (the UART: reads wait for typed input),
//! `null` (reads end of file, swallows writes), `zero` (reads zeros), `random` and
//! `urandom` (a pseudo-random generator seeded from the clock; not cryptographic).
//!
//! The directory is fixed: nothing can be created or removed in it.

use super::{DirEntry, FileType, Inode, Metadata, Timestamp};
use crate::{console, time};
use abi::errno::Errno;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};

/// The devices, with their Linux device numbers (major, minor).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Device {
    Console,
    /// The caller's controlling terminal (Lantern has one terminal, the console).
    Tty,
    Null,
    Zero,
    Random,
    Urandom,
}

const DEVICES: [(&str, Device, u64, u64); 6] = [
    ("console", Device::Console, 5, 1),
    ("tty", Device::Tty, 5, 0),
    ("null", Device::Null, 1, 3),
    ("zero", Device::Zero, 1, 5),
    ("random", Device::Random, 1, 8),
    ("urandom", Device::Urandom, 1, 9),
];

/// Device number of devfs itself.
const DEV: u64 = 0x10;
const ROOT_INO: u64 = 1;

/// The `/dev` directory.
pub struct DevDir;

/// One device file.
pub struct DevNode {
    device: Device,
    index: usize,
}

/// The root of a devfs.
pub fn new() -> Arc<dyn Inode> {
    Arc::new(DevDir)
}

/// The console device, for the first process's standard descriptors.
pub fn console() -> Arc<dyn Inode> {
    Arc::new(DevNode {
        device: Device::Console,
        index: 0,
    })
}

fn boot_time() -> Timestamp {
    Timestamp::now()
}

impl Inode for DevDir {
    fn metadata(&self) -> Result<Metadata, Errno> {
        let now = boot_time();
        Ok(Metadata {
            dev: DEV,
            ino: ROOT_INO,
            kind: FileType::Directory,
            perm: 0o755,
            nlink: 2,
            uid: 0,
            gid: 0,
            rdev: 0,
            size: 0,
            blocks: 0,
            atime: now,
            mtime: now,
            ctime: now,
        })
    }

    fn lookup(&self, name: &str) -> Result<Arc<dyn Inode>, Errno> {
        match name {
            "." | ".." => Ok(Arc::new(DevDir)),
            _ => DEVICES
                .iter()
                .position(|(n, ..)| *n == name)
                .map(|index| {
                    Arc::new(DevNode {
                        device: DEVICES[index].1,
                        index,
                    }) as Arc<dyn Inode>
                })
                .ok_or(Errno::ENOENT),
        }
    }

    fn read_dir(&self, cookie: u64) -> Result<Vec<DirEntry>, Errno> {
        let mut entries = Vec::new();
        for (index, name) in [".", ".."].into_iter().enumerate() {
            if cookie <= index as u64 {
                entries.push(DirEntry {
                    ino: ROOT_INO,
                    kind: FileType::Directory,
                    name: String::from(name),
                    next: index as u64 + 1,
                });
            }
        }
        for (index, (name, ..)) in DEVICES
            .iter()
            .enumerate()
            .skip(cookie.saturating_sub(2) as usize)
        {
            entries.push(DirEntry {
                ino: index as u64 + 2,
                kind: FileType::CharDevice,
                name: String::from(*name),
                next: index as u64 + 3,
            });
        }
        Ok(entries)
    }

    fn as_any(&self) -> &dyn core::any::Any {
        self
    }
}

static RANDOM_STATE: AtomicU64 = AtomicU64::new(0);

fn fill_random(buf: &mut [u8]) {
    for chunk in buf.chunks_mut(8) {
        let mixed =
            time::random_u64() ^ RANDOM_STATE.fetch_add(0x2545_f491_4f6c_dd1d, Ordering::Relaxed);
        chunk.copy_from_slice(&mixed.to_le_bytes()[..chunk.len()]);
    }
}

impl Inode for DevNode {
    fn metadata(&self) -> Result<Metadata, Errno> {
        let (_, _, major, minor) = DEVICES[self.index];
        let now = boot_time();
        Ok(Metadata {
            dev: DEV,
            ino: self.index as u64 + 2,
            kind: FileType::CharDevice,
            perm: if self.device == Device::Console {
                0o620
            } else {
                0o666
            },
            nlink: 1,
            uid: 0,
            gid: 0,
            rdev: (major << 8) | minor,
            size: 0,
            blocks: 0,
            atime: now,
            mtime: now,
            ctime: now,
        })
    }

    fn is_stream(&self) -> bool {
        true
    }

    fn is_terminal(&self) -> bool {
        matches!(self.device, Device::Console | Device::Tty)
    }

    fn poll_events(&self) -> i16 {
        use abi::fs::{POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM};
        let readable = !self.is_terminal() || console::input_ready();
        let mut events = POLLOUT | POLLWRNORM;
        if readable {
            events |= POLLIN | POLLRDNORM;
        }
        events
    }

    fn read_stream(&self, buf: &mut [u8], nonblock: bool) -> Result<usize, Errno> {
        match self.device {
            Device::Console | Device::Tty => console::read_input(buf, nonblock),
            Device::Null => Ok(0),
            Device::Zero => {
                buf.fill(0);
                Ok(buf.len())
            }
            Device::Random | Device::Urandom => {
                fill_random(buf);
                Ok(buf.len())
            }
        }
    }

    fn write_stream(&self, data: &[u8], _nonblock: bool) -> Result<usize, Errno> {
        if matches!(self.device, Device::Console | Device::Tty) {
            console::write_bytes(data);
        }
        Ok(data.len())
    }

    fn truncate(&self, _size: u64) -> Result<(), Errno> {
        Ok(())
    }

    fn as_any(&self) -> &dyn core::any::Any {
        self
    }
}
