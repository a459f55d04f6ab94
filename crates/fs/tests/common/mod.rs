//! Helpers shared by the integration tests: fresh disks, a seeded random generator, a
//! device that simulates power cuts, and a snapshot of a whole tree for comparisons.
#![allow(dead_code)] // Each test file uses a different part of these helpers.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use fs::{
    BLOCK_SIZE, Block, BlockDevice, FileKind, FileSystem, Ino, IoError, MkfsOptions, Owner,
    RamDisk, Timestamp, fsck, mkfs,
};

/// A time stamp `secs` seconds after the epoch.
pub fn at(secs: i64) -> Timestamp {
    Timestamp::new(secs, 0)
}

pub const ROOT_OWNER: Owner = Owner { uid: 0, gid: 0 };

/// A disk of `blocks` blocks with a new file system (default options).
pub fn fresh_disk(blocks: u64) -> RamDisk {
    let mut disk = RamDisk::new(blocks);
    mkfs(&mut disk, &MkfsOptions::for_blocks(blocks, at(1))).unwrap();
    disk
}

/// A disk with a new file system made with `inodes` inodes and a journal of `journal`
/// blocks.
pub fn fresh_disk_with(blocks: u64, inodes: u32, journal: u32) -> RamDisk {
    let mut disk = RamDisk::new(blocks);
    let options = MkfsOptions {
        inodes,
        journal_blocks: journal,
        now: at(1),
    };
    mkfs(&mut disk, &options).unwrap();
    disk
}

/// Unlinks `dir/name` and frees the inode if that was its last link (as the kernel does
/// for a file no one has open).
pub fn remove<D: BlockDevice>(fs: &mut FileSystem<D>, dir: Ino, name: &[u8], now: Timestamp) {
    if let Some(ino) = fs.unlink(dir, name, now).unwrap() {
        fs.release(ino).unwrap();
    }
}

/// Asserts that fsck finds nothing wrong with `disk`.
pub fn assert_clean<D: BlockDevice>(disk: &mut D) {
    let report = fsck(disk, false).unwrap();
    assert!(report.is_clean(), "fsck:\n{report}");
    assert!(report.problems.is_empty(), "fsck:\n{report}");
}

/// splitmix64: a small deterministic generator for reproducible random tests.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..bound`.
    pub fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
}

/// One event a [`Recorder`] saw.
#[derive(Clone, Debug)]
pub enum Event {
    Write(u64, Box<Block>),
    Flush,
}

/// A device that remembers every write and flush, so that a test can rebuild the disk as
/// a power cut at any point would have left it.
#[derive(Clone)]
pub struct Recorder {
    pub disk: RamDisk,
    pub log: Rc<RefCell<Vec<Event>>>,
}

impl Recorder {
    pub fn new(disk: RamDisk) -> Recorder {
        Recorder {
            disk,
            log: Rc::new(RefCell::new(Vec::new())),
        }
    }

    /// Number of events so far.
    pub fn position(&self) -> usize {
        self.log.borrow().len()
    }
}

impl BlockDevice for Recorder {
    fn block_count(&self) -> u64 {
        self.disk.block_count()
    }

    fn read_block(&mut self, block: u64, buf: &mut Block) -> Result<(), IoError> {
        self.disk.read_block(block, buf)
    }

    fn write_block(&mut self, block: u64, buf: &Block) -> Result<(), IoError> {
        self.log
            .borrow_mut()
            .push(Event::Write(block, Box::new(*buf)));
        self.disk.write_block(block, buf)
    }

    fn flush(&mut self) -> Result<(), IoError> {
        self.log.borrow_mut().push(Event::Flush);
        Ok(())
    }
}

/// Which of the writes since the last flush reach the disk when the power fails.
#[derive(Clone, Copy, Debug)]
pub enum Survivors {
    /// All of them, in order (a disk without a volatile cache).
    All,
    /// None of them.
    None,
    /// A random subset (a disk cache that writes back in any order).
    Random(u64),
}

/// The disk after a power cut just before event `cut` of `log`, starting from `base`:
/// everything before the last flush before `cut` is durable, the writes after it survive
/// as `survivors` says.
pub fn crashed_disk(base: &RamDisk, log: &[Event], cut: usize, survivors: Survivors) -> RamDisk {
    let mut disk = base.clone();
    let last_flush = log[..cut]
        .iter()
        .rposition(|event| matches!(event, Event::Flush))
        .map_or(0, |position| position + 1);
    for event in &log[..last_flush] {
        if let Event::Write(block, contents) = event {
            disk.write_block(*block, contents).unwrap();
        }
    }
    let mut rng = Rng::new(match survivors {
        Survivors::Random(seed) => seed ^ cut as u64,
        _ => 0,
    });
    for event in &log[last_flush..cut] {
        if let Event::Write(block, contents) = event {
            let keep = match survivors {
                Survivors::All => true,
                Survivors::None => false,
                Survivors::Random(_) => rng.chance(50),
            };
            if keep {
                disk.write_block(*block, contents).unwrap();
            }
        }
    }
    disk
}

/// What a snapshot records about one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    File {
        mode: u32,
        data: Vec<u8>,
    },
    Dir {
        mode: u32,
    },
    Symlink {
        target: Vec<u8>,
    },
    Other {
        kind: FileKind,
        mode: u32,
        rdev: u32,
    },
}

/// Every path under the root with what it holds, and each path's link count.
pub type Snapshot = BTreeMap<Vec<u8>, (Node, u32)>;

/// Walks the whole tree (checking `..` and link counts on the way).
pub fn snapshot<D: BlockDevice>(fs: &mut FileSystem<D>) -> Snapshot {
    let mut out = BTreeMap::new();
    let root = fs.root();
    walk(fs, root, root, b"", &mut out);
    out
}

fn walk<D: BlockDevice>(
    fs: &mut FileSystem<D>,
    dir: Ino,
    parent: Ino,
    path: &[u8],
    out: &mut Snapshot,
) {
    let mut cookie = 0;
    let mut subdirs = 0;
    loop {
        let entries = fs.read_dir(dir, cookie).unwrap();
        let Some(last) = entries.last() else { break };
        cookie = last.next;
        for entry in entries {
            match &entry.name[..] {
                b"." => assert_eq!(entry.ino, dir),
                b".." => assert_eq!(entry.ino, parent),
                name => {
                    let mut child = path.to_vec();
                    child.push(b'/');
                    child.extend_from_slice(name);
                    let stat = fs.stat(entry.ino).unwrap();
                    assert_eq!(stat.kind, entry.kind);
                    let node = match stat.kind {
                        FileKind::Regular => {
                            let mut data = vec![0; stat.size as usize];
                            assert_eq!(fs.read_at(entry.ino, 0, &mut data).unwrap(), data.len());
                            Node::File {
                                mode: stat.mode,
                                data,
                            }
                        }
                        FileKind::Directory => {
                            subdirs += 1;
                            walk(fs, entry.ino, dir, &child, out);
                            Node::Dir { mode: stat.mode }
                        }
                        FileKind::Symlink => Node::Symlink {
                            target: fs.readlink(entry.ino).unwrap(),
                        },
                        kind => Node::Other {
                            kind,
                            mode: stat.mode,
                            rdev: stat.rdev,
                        },
                    };
                    out.insert(child, (node, stat.nlink));
                }
            }
        }
    }
    assert_eq!(
        fs.stat(dir).unwrap().nlink,
        2 + subdirs,
        "links of directory {dir}"
    );
}

/// The block size as a u64.
pub const BLOCK: u64 = BLOCK_SIZE as u64;
