//! Concept F2, `fsck`: checks that the on-disk structures agree with each other, and with
//! `repair` makes them agree.
//!
//! The check reads the file system as the next mount would see it: without `repair` a
//! committed journal transaction is overlaid in memory and nothing is written; with
//! `repair` the journal is replayed first. Orphans on the orphan list are legitimate
//! (mount frees them) and are only counted.
//!
//! What is checked, in this order:
//! 1. the superblock (magic, version, block size, layout, checksum, size) and the journal
//!    header;
//! 2. every used inode: a valid file type; every block pointer inside the data region,
//!    within the file's size, and not shared with another inode; the recorded block
//!    count; a size the block map can address; a directory's size a whole number of
//!    blocks; a symlink's length;
//! 3. every directory block: records that tile the block; entries that name used inodes
//!    (not dangling), with the right file type, no duplicate names, no stray `.`/`..`;
//! 4. the tree from the root: `.` and `..` of each directory; no directory named twice;
//! 5. the orphan list: only unlinked, unreachable inodes, no loops;
//! 6. unreachable used inodes (not on the orphan list);
//! 7. each inode's link count against the entries that name it;
//! 8. the inode and block bitmaps against the inodes in use and the blocks they hold.
//!
//! Repair works in passes: each pass applies the fixes of the problems found (bitmaps
//! first, so that any allocation a fix makes is safe), commits them through the journal,
//! and checks again, until a check is clean. Damaged pointers are cleared, dangling or
//! duplicate entries removed, damaged directory blocks emptied, unreachable inodes with
//! links moved to `/lost+found` as `#<inode>` (freed if they have none), link counts and
//! bitmaps rewritten. Link counts are only fixed in a pass that changed nothing else, as
//! the other fixes change what they should be.
//!
//! Invariant: fsck never panics on a damaged image, and without `repair` it never writes.

use alloc::collections::BTreeSet;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

use crate::bitmap::get_bit;
use crate::block_map::{
    DOUBLE_START, MAX_FILE_SIZE, POINTERS_PER_BLOCK, SINGLE_START, blocks_spanned,
};
use crate::codec::{get_u32, put_u32};
use crate::device::{BLOCK_SIZE, BlockDevice};
use crate::dir::{Slot, init_empty, init_first, records, remove, retarget};
use crate::error::{FsError, Result};
use crate::filesystem::{FileSystem, NAMESPACE_BLOCKS, read_superblock};
use crate::inode::{DiskInode, FileKind, INODE_SIZE, Ino, ROOT, Timestamp};
use crate::journal::{Journal, LogState};
use crate::layout::{BITS_PER_BLOCK, INODES_PER_BLOCK, SuperblockProblem};
use crate::mkfs::LOST_AND_FOUND_NAME;
use crate::namespace::MAX_SYMLINK_LEN;

/// Most check-and-repair passes before fsck gives up.
const MAX_PASSES: usize = 8;

/// One inconsistency fsck found. The `Display` form is a plain sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The superblock cannot be used (nothing else can be checked).
    Superblock(SuperblockProblem),
    /// The journal header is not a journal header.
    JournalDamaged,
    /// The root inode is not a directory (the tree cannot be checked).
    RootNotDirectory,
    /// A used inode's mode holds no valid file type.
    BadFileType { ino: Ino, mode: u32 },
    /// A block pointer outside the data region.
    BadBlockPointer { ino: Ino, block: u64 },
    /// A block pointer to a block that another inode (or this one) already uses.
    SharedBlock { ino: Ino, block: u64 },
    /// A block mapped at or past the end of the file.
    BlockPastEnd { ino: Ino, index: u64 },
    /// The inode's block count is not the number of blocks it holds.
    WrongBlockCount {
        ino: Ino,
        recorded: u32,
        actual: u32,
    },
    /// A directory whose size is not a whole number of blocks.
    BadDirectorySize { ino: Ino, size: u64 },
    /// A symbolic link whose target is empty or too long.
    BadSymlink { ino: Ino, size: u64 },
    /// A file larger than the block map can address.
    TooBig { ino: Ino, size: u64 },
    /// A directory block whose records do not tile it.
    DamagedDirectoryBlock { dir: Ino, index: u64 },
    /// An entry naming an inode that is free or out of range.
    DanglingEntry { dir: Ino, name: Vec<u8>, ino: u32 },
    /// An entry whose file type differs from its inode's.
    WrongEntryType { dir: Ino, name: Vec<u8>, ino: Ino },
    /// A second entry with the same name in one directory.
    DuplicateName { dir: Ino, name: Vec<u8> },
    /// An entry named `.` or `..` that is not one of the first two records.
    StrayDotEntry { dir: Ino, name: Vec<u8> },
    /// A second entry naming a directory (directories have one parent).
    DirectoryHardLink { dir: Ino, name: Vec<u8>, ino: Ino },
    /// A reachable directory without `.` and `..` at the start of its first block.
    MissingDotEntries { dir: Ino },
    /// A `.` that does not name the directory itself.
    WrongDot { dir: Ino, found: Ino },
    /// A `..` that does not name the directory's parent.
    WrongDotDot { dir: Ino, found: Ino, parent: Ino },
    /// The orphan list leads to an inode that is not an orphan (or loops).
    BrokenOrphanList { ino: u32 },
    /// A used inode that no directory entry reaches and that is not an orphan.
    Unreachable { ino: Ino, nlink: u32 },
    /// An inode whose link count differs from the entries naming it.
    WrongLinkCount {
        ino: Ino,
        recorded: u32,
        actual: u32,
    },
    /// The inode bitmap disagrees with the inodes in use.
    InodeBitmap {
        used_marked_free: u64,
        free_marked_used: u64,
    },
    /// The block bitmap disagrees with the blocks in use.
    BlockBitmap {
        used_marked_free: u64,
        free_marked_used: u64,
    },
    /// A repair step failed; the file system could not be fully repaired.
    RepairFailed { error: FsError },
}

fn show(name: &[u8]) -> String {
    String::from_utf8_lossy(name).into_owned()
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Superblock(problem) => write!(f, "{problem}"),
            Problem::JournalDamaged => write!(f, "the journal header is damaged"),
            Problem::RootNotDirectory => write!(f, "the root inode is not a directory"),
            Problem::BadFileType { ino, mode } => {
                write!(
                    f,
                    "inode {ino} is in use but its mode {mode:#o} names no file type"
                )
            }
            Problem::BadBlockPointer { ino, block } => {
                write!(
                    f,
                    "inode {ino} points to block {block}, outside the data region"
                )
            }
            Problem::SharedBlock { ino, block } => {
                write!(f, "inode {ino} uses block {block}, which is already in use")
            }
            Problem::BlockPastEnd { ino, index } => {
                write!(
                    f,
                    "inode {ino} maps file block {index}, past the end of the file"
                )
            }
            Problem::WrongBlockCount {
                ino,
                recorded,
                actual,
            } => write!(
                f,
                "inode {ino} records {recorded} blocks but holds {actual}"
            ),
            Problem::BadDirectorySize { ino, size } => write!(
                f,
                "directory {ino} has size {size}, not a multiple of {BLOCK_SIZE}"
            ),
            Problem::BadSymlink { ino, size } => {
                write!(f, "symbolic link {ino} has a target of {size} bytes")
            }
            Problem::TooBig { ino, size } => write!(
                f,
                "inode {ino} has size {size}, more than the largest file ({MAX_FILE_SIZE})"
            ),
            Problem::DamagedDirectoryBlock { dir, index } => {
                write!(f, "block {index} of directory {dir} is damaged")
            }
            Problem::DanglingEntry { dir, name, ino } => write!(
                f,
                "entry \"{}\" in directory {dir} names inode {ino}, which is not in use",
                show(name)
            ),
            Problem::WrongEntryType { dir, name, ino } => write!(
                f,
                "entry \"{}\" in directory {dir} has the wrong file type for inode {ino}",
                show(name)
            ),
            Problem::DuplicateName { dir, name } => {
                write!(
                    f,
                    "directory {dir} has two entries named \"{}\"",
                    show(name)
                )
            }
            Problem::StrayDotEntry { dir, name } => write!(
                f,
                "directory {dir} has an extra entry named \"{}\"",
                show(name)
            ),
            Problem::DirectoryHardLink { dir, name, ino } => write!(
                f,
                "entry \"{}\" in directory {dir} names directory {ino}, which already has a parent",
                show(name)
            ),
            Problem::MissingDotEntries { dir } => {
                write!(f, "directory {dir} does not start with \".\" and \"..\"")
            }
            Problem::WrongDot { dir, found } => {
                write!(f, "\".\" in directory {dir} names inode {found}")
            }
            Problem::WrongDotDot { dir, found, parent } => write!(
                f,
                "\"..\" in directory {dir} names inode {found}, not its parent {parent}"
            ),
            Problem::BrokenOrphanList { ino } => {
                write!(
                    f,
                    "the orphan list leads to inode {ino}, which is not an orphan"
                )
            }
            Problem::Unreachable { ino, nlink } => write!(
                f,
                "inode {ino} is in use ({nlink} links) but no directory reaches it"
            ),
            Problem::WrongLinkCount {
                ino,
                recorded,
                actual,
            } => write!(
                f,
                "inode {ino} has link count {recorded} but {actual} entries name it"
            ),
            Problem::InodeBitmap {
                used_marked_free,
                free_marked_used,
            } => write!(
                f,
                "the inode bitmap marks {used_marked_free} used inodes free and \
                 {free_marked_used} free inodes used"
            ),
            Problem::BlockBitmap {
                used_marked_free,
                free_marked_used,
            } => write!(
                f,
                "the block bitmap marks {used_marked_free} used blocks free and \
                 {free_marked_used} free blocks used"
            ),
            Problem::RepairFailed { error } => write!(f, "a repair failed: {error}"),
        }
    }
}

/// What fsck found, and what is left after repair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FsckReport {
    /// The problems the first check found.
    pub problems: Vec<Problem>,
    /// The problems the last check found: after a successful repair none; without repair
    /// the same as `problems`.
    pub remaining: Vec<Problem>,
    /// Whether repair wrote anything.
    pub repaired: bool,
    /// Facts worth knowing that are not problems (journal state, orphans, usage).
    pub notes: Vec<String>,
}

impl FsckReport {
    /// Whether the file system is consistent now.
    pub fn is_clean(&self) -> bool {
        self.remaining.is_empty()
    }
}

impl fmt::Display for FsckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for note in &self.notes {
            writeln!(f, "note: {note}.")?;
        }
        for problem in &self.problems {
            writeln!(f, "problem: {problem}.")?;
        }
        let count = |n: usize| {
            if n == 1 {
                "1 problem".to_string()
            } else {
                format!("{n} problems")
            }
        };
        if self.repaired {
            writeln!(f, "repaired {}.", count(self.problems.len()))?;
            for problem in &self.remaining {
                writeln!(f, "still wrong after repair: {problem}.")?;
            }
        }
        if self.is_clean() {
            write!(f, "verdict: clean.")
        } else {
            write!(f, "verdict: NOT clean ({}).", count(self.remaining.len()))
        }
    }
}

/// Checks the file system on `device`; with `repair`, also fixes what it finds. Fails
/// only if the device fails.
pub fn fsck<D: BlockDevice + ?Sized>(device: &mut D, repair: bool) -> Result<FsckReport> {
    let mut report = FsckReport {
        problems: Vec::new(),
        remaining: Vec::new(),
        repaired: false,
        notes: Vec::new(),
    };
    let superblock = match read_superblock(device)? {
        Ok(superblock) => superblock,
        Err(problem) => {
            report.problems.push(Problem::Superblock(problem));
            report.remaining = report.problems.clone();
            return Ok(report);
        }
    };
    if !superblock.clean {
        report
            .notes
            .push("the file system was not unmounted cleanly".to_string());
    }
    let mut journal = Journal::new(&mut *device, superblock.geometry);
    if repair {
        match journal.replay() {
            Ok(Some(sequence)) => report
                .notes
                .push(format!("replayed committed journal transaction {sequence}")),
            Ok(None) => {}
            Err(FsError::Corrupt) => {
                report.problems.push(Problem::JournalDamaged);
                journal.reset_log()?;
                report.repaired = true;
            }
            Err(error) => return Err(error),
        }
    } else {
        match journal.read_log()? {
            LogState::Empty => {}
            LogState::Committed { sequence, blocks } => {
                report.notes.push(format!(
                    "the journal holds committed transaction {sequence} ({} blocks), which \
                     the next mount replays; checked as replayed",
                    blocks.len()
                ));
                journal.overlay(blocks);
            }
            LogState::Uncommitted { sequence } => report.notes.push(format!(
                "the journal holds transaction {sequence}, never committed, which mount ignores"
            )),
            LogState::Damaged => report.problems.push(Problem::JournalDamaged),
        }
    }
    let mut fs = FileSystem::assemble(journal, superblock.geometry)?;
    let mut scan = check(&mut fs)?;
    report
        .problems
        .extend(scan.findings.iter().map(|finding| finding.problem.clone()));
    if repair {
        for _ in 0..MAX_PASSES {
            if scan.findings.is_empty() {
                break;
            }
            match repair_pass(&mut fs, &scan) {
                Ok(true) => {}
                Ok(false) => break,
                Err(FsError::Io) => return Err(FsError::Io),
                Err(error) => {
                    report.repaired = true;
                    report.remaining.push(Problem::RepairFailed { error });
                    break;
                }
            }
            report.repaired = true;
            fs.journal.sync()?;
            scan = check(&mut fs)?;
        }
        report
            .remaining
            .extend(scan.findings.iter().map(|finding| finding.problem.clone()));
    } else {
        report.remaining = report.problems.clone();
    }
    report.notes.push(format!(
        "{} of {} inodes and {} of {} blocks in use",
        scan.used_inodes,
        superblock.geometry.inode_count,
        scan.used_blocks,
        superblock.geometry.total_blocks
    ));
    if scan.orphans > 0 {
        report.notes.push(format!(
            "{} unlinked inodes are on the orphan list; the next mount frees them",
            scan.orphans
        ));
    }
    Ok(report)
}

/// A set of numbers below a bound, one bit each.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Bits(Vec<u64>);

impl Bits {
    fn new(len: u64) -> Bits {
        Bits(vec![0; len.div_ceil(64) as usize])
    }

    fn get(&self, bit: u64) -> bool {
        self.0[(bit / 64) as usize] & (1 << (bit % 64)) != 0
    }

    fn set(&mut self, bit: u64) {
        self.0[(bit / 64) as usize] |= 1 << (bit % 64);
    }
}

/// Where a block pointer is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PointerAt {
    Direct(usize),
    Single,
    Double,
    Entry { table: u64, index: usize },
}

/// How to fix a problem.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Fix {
    /// Rewrite both bitmaps.
    WriteBitmaps {
        inodes: Bits,
        blocks: Bits,
    },
    /// Zero the inode's record and clear its bitmap bit.
    FreeInode(Ino),
    ClearPointer {
        ino: Ino,
        at: PointerAt,
    },
    SetBlockCount {
        ino: Ino,
        blocks: u32,
    },
    SetSize {
        ino: Ino,
        size: u64,
    },
    /// Make a directory block one free record.
    EmptyDirectoryBlock {
        block: u64,
    },
    RemoveEntry {
        slot: Slot,
    },
    SetEntry {
        slot: Slot,
        ino: Ino,
        kind: FileKind,
    },
    /// Rewrite a directory's first block as `.` and `..` only.
    RebuildFirstBlock {
        dir: Ino,
        parent: Ino,
    },
    /// End the orphan list after this inode (`None`: empty it).
    CutOrphanList {
        after: Option<Ino>,
    },
    /// Link an unreachable inode into `/lost+found`.
    LinkToLostFound {
        ino: Ino,
        kind: FileKind,
    },
    SetLinkCount {
        ino: Ino,
        nlink: u32,
    },
}

impl Fix {
    /// Whether applying the fix changes which entries name which inodes.
    fn changes_links(&self) -> bool {
        !matches!(
            self,
            Fix::WriteBitmaps { .. }
                | Fix::SetBlockCount { .. }
                | Fix::SetSize { .. }
                | Fix::SetLinkCount { .. }
        )
    }
}

#[derive(Debug)]
struct Finding {
    problem: Problem,
    fix: Option<Fix>,
}

/// The result of one check.
#[derive(Debug)]
struct Scan {
    findings: Vec<Finding>,
    used_inodes: u64,
    used_blocks: u64,
    orphans: u64,
}

/// One directory entry, as fsck sees it.
#[derive(Debug, Clone)]
struct Entry {
    name: Vec<u8>,
    ino: u32,
    dirent_type: u8,
    slot: Slot,
}

/// The entries of one directory: `.`, `..` and the rest.
#[derive(Debug, Default)]
struct DirEntries {
    dot: Option<Entry>,
    dotdot: Option<Entry>,
    others: Vec<Entry>,
}

/// The state of one check.
struct Checker<'a, D: BlockDevice> {
    fs: &'a mut FileSystem<D>,
    findings: Vec<Finding>,
    /// Used inodes (valid type), by inode number - 1.
    inodes: Vec<Option<(DiskInode, FileKind)>>,
    claimed: Bits,
    /// Data blocks of each directory: (inode, [(file block, disk block)]).
    dir_data: Vec<(Ino, Vec<(u64, u64)>)>,
}

impl<D: BlockDevice> Checker<'_, D> {
    fn found(&mut self, problem: Problem, fix: Option<Fix>) {
        self.findings.push(Finding { problem, fix });
    }

    fn used(&self, ino: u32) -> Option<&(DiskInode, FileKind)> {
        let index = (ino as usize).checked_sub(1)?;
        self.inodes.get(index)?.as_ref()
    }

    fn kind_of(&self, ino: u32) -> Option<FileKind> {
        self.used(ino).map(|(_, kind)| *kind)
    }

    /// Reads every inode record; records with a bad type are found and treated as free.
    fn read_inodes(&mut self) -> Result<()> {
        let geometry = self.fs.geometry;
        let mut records = Vec::with_capacity(geometry.inode_count as usize);
        for table in 0..u64::from(geometry.inode_table_blocks) {
            let first = table * INODES_PER_BLOCK;
            let count = (u64::from(geometry.inode_count) - first).min(INODES_PER_BLOCK) as usize;
            self.fs
                .journal
                .read_with(geometry.inode_table_start + table, |block| {
                    for slot in 0..count {
                        let at = slot * INODE_SIZE;
                        records.push(DiskInode::decode(&block[at..at + INODE_SIZE]));
                    }
                })?;
        }
        for (index, inode) in records.into_iter().enumerate() {
            let ino = Ino(index as u32 + 1);
            let entry = match inode.kind() {
                _ if inode.is_free() => None,
                Some(kind) => Some((inode, kind)),
                None => {
                    let mode = inode.mode;
                    self.found(
                        Problem::BadFileType { ino, mode },
                        Some(Fix::FreeInode(ino)),
                    );
                    None
                }
            };
            self.inodes.push(entry);
        }
        Ok(())
    }

    /// Claims the block a pointer names, covering file blocks from `first_index`; returns
    /// whether it is good (to count and, for an indirect block, to descend into).
    fn claim(&mut self, ino: Ino, pointer: u32, at: PointerAt, first_index: u64, end: u64) -> bool {
        let block = u64::from(pointer);
        if block == 0 {
            return false;
        }
        let fix = Some(Fix::ClearPointer { ino, at });
        if first_index >= end {
            self.found(
                Problem::BlockPastEnd {
                    ino,
                    index: first_index,
                },
                fix,
            );
        } else if !self.fs.geometry.is_data_block(block) {
            self.found(Problem::BadBlockPointer { ino, block }, fix);
        } else if self.claimed.get(block) {
            self.found(Problem::SharedBlock { ino, block }, fix);
        } else {
            self.claimed.set(block);
            return true;
        }
        false
    }

    fn pointers(&mut self, table: u64) -> Result<Vec<u32>> {
        self.fs.journal.read_with(table, |block| {
            (0..POINTERS_PER_BLOCK as usize)
                .map(|index| get_u32(block, 4 * index))
                .collect()
        })
    }

    /// Claims the data blocks an indirect block points to, covering file blocks from
    /// `first_index`; returns how many were good, and adds them to `data`.
    fn claim_leaf(
        &mut self,
        ino: Ino,
        table: u64,
        first_index: u64,
        end: u64,
        data: &mut Vec<(u64, u64)>,
    ) -> Result<u32> {
        let mut count = 0;
        for (index, pointer) in self.pointers(table)?.into_iter().enumerate() {
            let file_block = first_index + index as u64;
            let at = PointerAt::Entry { table, index };
            if self.claim(ino, pointer, at, file_block, end) {
                count += 1;
                data.push((file_block, u64::from(pointer)));
            }
        }
        Ok(count)
    }

    /// Walks the block map of inode `ino`, claiming its blocks; returns how many it holds
    /// and its data blocks.
    fn claim_blocks(&mut self, ino: Ino, inode: &DiskInode) -> Result<(u32, Vec<(u64, u64)>)> {
        let end = blocks_spanned(inode.size);
        let mut count = 0;
        let mut data = Vec::new();
        for (index, pointer) in inode.direct.into_iter().enumerate() {
            if self.claim(ino, pointer, PointerAt::Direct(index), index as u64, end) {
                count += 1;
                data.push((index as u64, u64::from(pointer)));
            }
        }
        if self.claim(ino, inode.single, PointerAt::Single, SINGLE_START, end) {
            count +=
                1 + self.claim_leaf(ino, u64::from(inode.single), SINGLE_START, end, &mut data)?;
        }
        if self.claim(ino, inode.double, PointerAt::Double, DOUBLE_START, end) {
            count += 1;
            let root = u64::from(inode.double);
            for (index, pointer) in self.pointers(root)?.into_iter().enumerate() {
                let first = DOUBLE_START + index as u64 * POINTERS_PER_BLOCK;
                let at = PointerAt::Entry { table: root, index };
                if self.claim(ino, pointer, at, first, end) {
                    count += 1 + self.claim_leaf(ino, u64::from(pointer), first, end, &mut data)?;
                }
            }
        }
        Ok((count, data))
    }

    /// Step 2: block maps, block counts, sizes.
    fn check_inodes(&mut self) -> Result<()> {
        for index in 0..self.inodes.len() {
            let Some((inode, kind)) = self.inodes[index].clone() else {
                continue;
            };
            let ino = Ino(index as u32 + 1);
            let (actual, data) = self.claim_blocks(ino, &inode)?;
            if actual != inode.blocks {
                let recorded = inode.blocks;
                self.found(
                    Problem::WrongBlockCount {
                        ino,
                        recorded,
                        actual,
                    },
                    Some(Fix::SetBlockCount {
                        ino,
                        blocks: actual,
                    }),
                );
            }
            let size = inode.size;
            if size > MAX_FILE_SIZE {
                // Keep what the map holds: the size ends with the last data block.
                let end = data.iter().map(|&(index, _)| index + 1).max().unwrap_or(0);
                let fixed = end * BLOCK_SIZE as u64;
                self.found(
                    Problem::TooBig { ino, size },
                    Some(Fix::SetSize { ino, size: fixed }),
                );
            } else if kind == FileKind::Directory && size % BLOCK_SIZE as u64 != 0 {
                let fixed = size.next_multiple_of(BLOCK_SIZE as u64);
                self.found(
                    Problem::BadDirectorySize { ino, size },
                    Some(Fix::SetSize { ino, size: fixed }),
                );
            } else if kind == FileKind::Symlink && (size == 0 || size > MAX_SYMLINK_LEN as u64) {
                self.found(Problem::BadSymlink { ino, size }, Some(Fix::FreeInode(ino)));
            }
            if kind == FileKind::Directory {
                self.dir_data.push((ino, data));
            }
        }
        Ok(())
    }

    /// Step 3: the records of every directory.
    fn read_directories(&mut self) -> Result<Vec<DirEntries>> {
        let mut all: Vec<DirEntries> = (0..self.inodes.len())
            .map(|_| DirEntries::default())
            .collect();
        for (dir, data) in core::mem::take(&mut self.dir_data) {
            let mut names = BTreeSet::new();
            let entries = &mut all[dir.0 as usize - 1];
            for (index, block) in data {
                let parsed = self.fs.journal.read_with(block, |contents| {
                    records(contents)
                        .map(|record| {
                            record.map(|r| (r.offset, r.ino, r.dirent_type, r.name.to_vec()))
                        })
                        .collect::<Result<Vec<_>>>()
                })?;
                let Ok(parsed) = parsed else {
                    self.findings.push(Finding {
                        problem: Problem::DamagedDirectoryBlock { dir, index },
                        fix: Some(Fix::EmptyDirectoryBlock { block }),
                    });
                    continue;
                };
                for (position, (offset, ino, dirent_type, name)) in parsed.into_iter().enumerate() {
                    if ino == 0 {
                        continue;
                    }
                    let entry = Entry {
                        name,
                        ino,
                        dirent_type,
                        slot: Slot { block, offset },
                    };
                    let remove_it = Some(Fix::RemoveEntry { slot: entry.slot });
                    let first_block = index == 0;
                    if first_block && position == 0 && entry.name == b"." {
                        entries.dot = Some(entry);
                    } else if first_block
                        && position == 1
                        && entry.name == b".."
                        && entries.dot.is_some()
                    {
                        entries.dotdot = Some(entry);
                    } else if entry.name == b"." || entry.name == b".." {
                        self.findings.push(Finding {
                            problem: Problem::StrayDotEntry {
                                dir,
                                name: entry.name,
                            },
                            fix: remove_it,
                        });
                    } else if self.used(ino).is_none() {
                        self.findings.push(Finding {
                            problem: Problem::DanglingEntry {
                                dir,
                                name: entry.name,
                                ino,
                            },
                            fix: remove_it,
                        });
                    } else if !names.insert(entry.name.clone()) {
                        self.findings.push(Finding {
                            problem: Problem::DuplicateName {
                                dir,
                                name: entry.name,
                            },
                            fix: remove_it,
                        });
                    } else {
                        let kind = self.kind_of(ino).unwrap_or(FileKind::Regular);
                        if FileKind::from_dirent_type(dirent_type) != Some(kind) {
                            self.findings.push(Finding {
                                problem: Problem::WrongEntryType {
                                    dir,
                                    name: entry.name.clone(),
                                    ino: Ino(ino),
                                },
                                fix: Some(Fix::SetEntry {
                                    slot: entry.slot,
                                    ino: Ino(ino),
                                    kind,
                                }),
                            });
                        }
                        entries.others.push(entry);
                    }
                }
            }
        }
        Ok(all)
    }
}

/// Runs every check (see the module comment) on `fs`.
fn check<D: BlockDevice>(fs: &mut FileSystem<D>) -> Result<Scan> {
    let geometry = fs.geometry;
    let mut checker = Checker {
        fs,
        findings: Vec::new(),
        inodes: Vec::new(),
        claimed: Bits::new(geometry.total_blocks),
        dir_data: Vec::new(),
    };
    for block in 0..geometry.data_start {
        checker.claimed.set(block);
    }
    checker.read_inodes()?;
    checker.check_inodes()?;
    let dirs = checker.read_directories()?;
    let count = checker.inodes.len();

    // Step 4: the tree.
    let mut reached = vec![false; count];
    let mut links = vec![0u32; count];
    let mut parent = vec![0u32; count];
    let root_is_dir = checker.kind_of(ROOT.0) == Some(FileKind::Directory);
    if root_is_dir {
        let mut queue = alloc::collections::VecDeque::from([ROOT.0]);
        reached[0] = true;
        parent[0] = ROOT.0;
        links[0] = 1;
        while let Some(dir) = queue.pop_front() {
            let d = dir as usize - 1;
            links[d] += 1;
            for entry in &dirs[d].others {
                let t = entry.ino as usize - 1;
                if checker.kind_of(entry.ino) == Some(FileKind::Directory) {
                    if reached[t] {
                        checker.findings.push(Finding {
                            problem: Problem::DirectoryHardLink {
                                dir: Ino(dir),
                                name: entry.name.clone(),
                                ino: Ino(entry.ino),
                            },
                            fix: Some(Fix::RemoveEntry { slot: entry.slot }),
                        });
                        continue;
                    }
                    parent[t] = dir;
                    links[d] += 1;
                    queue.push_back(entry.ino);
                }
                reached[t] = true;
                links[t] += 1;
            }
        }
        for (index, entries) in dirs.iter().enumerate() {
            if !reached[index] || checker.kind_of(index as u32 + 1) != Some(FileKind::Directory) {
                continue;
            }
            let dir = Ino(index as u32 + 1);
            let dir_type = FileKind::Directory.dirent_type();
            let expected_parent = Ino(parent[index]);
            match (&entries.dot, &entries.dotdot) {
                (Some(dot), Some(dotdot)) => {
                    if dot.ino != dir.0 || dot.dirent_type != dir_type {
                        checker.found(
                            Problem::WrongDot {
                                dir,
                                found: Ino(dot.ino),
                            },
                            Some(Fix::SetEntry {
                                slot: dot.slot,
                                ino: dir,
                                kind: FileKind::Directory,
                            }),
                        );
                    }
                    if dotdot.ino != expected_parent.0 || dotdot.dirent_type != dir_type {
                        checker.found(
                            Problem::WrongDotDot {
                                dir,
                                found: Ino(dotdot.ino),
                                parent: expected_parent,
                            },
                            Some(Fix::SetEntry {
                                slot: dotdot.slot,
                                ino: expected_parent,
                                kind: FileKind::Directory,
                            }),
                        );
                    }
                }
                _ => checker.found(
                    Problem::MissingDotEntries { dir },
                    Some(Fix::RebuildFirstBlock {
                        dir,
                        parent: expected_parent,
                    }),
                ),
            }
        }
    } else {
        checker.found(Problem::RootNotDirectory, None);
    }

    // Step 5: the orphan list.
    let mut orphan = vec![false; count];
    let mut orphans = 0;
    let mut previous = None;
    let mut current = checker.fs.superblock()?.orphan_head;
    while current != 0 {
        let is_orphan = checker
            .used(current)
            .is_some_and(|(inode, _)| inode.nlink == 0)
            && !reached[current as usize - 1]
            && !orphan[current as usize - 1];
        if !is_orphan {
            checker.found(
                Problem::BrokenOrphanList { ino: current },
                Some(Fix::CutOrphanList { after: previous }),
            );
            break;
        }
        orphan[current as usize - 1] = true;
        orphans += 1;
        previous = Some(Ino(current));
        current = checker
            .used(current)
            .map_or(0, |(inode, _)| inode.next_orphan);
    }

    // Step 6: unreachable inodes. Those with links go to lost+found, one entry for each
    // unreachable subtree: first the inodes no unreachable directory names, then (for
    // cycles of directories) the lowest-numbered left.
    if root_is_dir {
        let lost: Vec<usize> = (0..count)
            .filter(|&i| checker.inodes[i].is_some() && !reached[i] && !orphan[i])
            .collect();
        let mut named = vec![false; count];
        for &i in &lost {
            for entry in &dirs[i].others {
                named[entry.ino as usize - 1] = true;
            }
        }
        let mut covered = vec![false; count];
        let order = lost
            .iter()
            .filter(|&&i| !named[i])
            .chain(lost.iter().filter(|&&i| named[i]));
        for &i in order {
            if covered[i] {
                continue;
            }
            let ino = Ino(i as u32 + 1);
            let Some((inode, kind)) = checker.inodes[i].clone() else {
                continue;
            };
            let fix = if inode.nlink == 0 {
                Fix::FreeInode(ino)
            } else {
                Fix::LinkToLostFound { ino, kind }
            };
            checker.found(
                Problem::Unreachable {
                    ino,
                    nlink: inode.nlink,
                },
                Some(fix),
            );
            let mut stack = vec![i];
            while let Some(j) = stack.pop() {
                if core::mem::replace(&mut covered[j], true) {
                    continue;
                }
                stack.extend(dirs[j].others.iter().map(|entry| entry.ino as usize - 1));
            }
        }

        // Step 7: link counts.
        for i in 0..count {
            let Some((inode, _)) = &checker.inodes[i] else {
                continue;
            };
            if reached[i] && inode.nlink != links[i] {
                let (ino, recorded, actual) = (Ino(i as u32 + 1), inode.nlink, links[i]);
                checker.found(
                    Problem::WrongLinkCount {
                        ino,
                        recorded,
                        actual,
                    },
                    Some(Fix::SetLinkCount { ino, nlink: actual }),
                );
            }
        }
    }

    // Step 8: the bitmaps.
    let mut inode_bits = Bits::new(u64::from(geometry.inode_count));
    for (i, inode) in checker.inodes.iter().enumerate() {
        if inode.is_some() {
            inode_bits.set(i as u64);
        }
    }
    let inode_errors = compare_bitmap(
        checker.fs,
        geometry.inode_bitmap_start,
        &inode_bits,
        u64::from(geometry.inode_count),
    )?;
    let block_errors = compare_bitmap(
        checker.fs,
        geometry.block_bitmap_start,
        &checker.claimed,
        geometry.total_blocks,
    )?;
    let used_inodes = checker
        .inodes
        .iter()
        .filter(|inode| inode.is_some())
        .count() as u64;
    let used_blocks = (0..geometry.total_blocks)
        .filter(|&block| checker.claimed.get(block))
        .count() as u64;
    if inode_errors != (0, 0) || block_errors != (0, 0) {
        let fix = Fix::WriteBitmaps {
            inodes: inode_bits,
            blocks: checker.claimed.clone(),
        };
        if inode_errors != (0, 0) {
            checker.found(
                Problem::InodeBitmap {
                    used_marked_free: inode_errors.0,
                    free_marked_used: inode_errors.1,
                },
                None,
            );
        }
        if block_errors != (0, 0) {
            checker.found(
                Problem::BlockBitmap {
                    used_marked_free: block_errors.0,
                    free_marked_used: block_errors.1,
                },
                None,
            );
        }
        // One rewrite fixes both bitmaps: it goes with the last bitmap problem.
        if let Some(last) = checker.findings.last_mut() {
            last.fix = Some(fix);
        }
    }
    Ok(Scan {
        findings: checker.findings,
        used_inodes,
        used_blocks,
        orphans,
    })
}

/// Counts (bits in `expected` that are clear on disk, bits set on disk that are not in
/// `expected`) over the first `len` bits of the bitmap at `start`.
fn compare_bitmap<D: BlockDevice>(
    fs: &mut FileSystem<D>,
    start: u64,
    expected: &Bits,
    len: u64,
) -> Result<(u64, u64)> {
    let mut errors = (0, 0);
    let mut first = 0;
    while first < len {
        let end = (len - first).min(BITS_PER_BLOCK);
        fs.journal
            .read_with(start + first / BITS_PER_BLOCK, |block| {
                for bit in 0..end {
                    match (expected.get(first + bit), get_bit(block, bit as usize)) {
                        (true, false) => errors.0 += 1,
                        (false, true) => errors.1 += 1,
                        _ => {}
                    }
                }
            })?;
        first += BITS_PER_BLOCK;
    }
    Ok(errors)
}

/// Applies the fixes of one check, bitmaps first, link counts only if nothing else
/// changed links. Returns whether there was anything to fix.
fn repair_pass<D: BlockDevice>(fs: &mut FileSystem<D>, scan: &Scan) -> Result<bool> {
    let fixes: Vec<&Fix> = scan
        .findings
        .iter()
        .filter_map(|f| f.fix.as_ref())
        .collect();
    let changes_links = fixes.iter().any(|fix| fix.changes_links());
    let now = fs.read_inode(ROOT)?.mtime;
    let bitmaps_first = fixes
        .iter()
        .filter(|fix| matches!(fix, Fix::WriteBitmaps { .. }))
        .chain(
            fixes
                .iter()
                .filter(|fix| !matches!(fix, Fix::WriteBitmaps { .. })),
        );
    for fix in bitmaps_first {
        if matches!(fix, Fix::SetLinkCount { .. }) && changes_links {
            continue;
        }
        apply(fs, fix, now)?;
    }
    Ok(!fixes.is_empty())
}

fn apply<D: BlockDevice>(fs: &mut FileSystem<D>, fix: &Fix, now: Timestamp) -> Result<()> {
    match fix {
        Fix::WriteBitmaps { inodes, blocks } => {
            let geometry = fs.geometry;
            write_bitmap(
                fs,
                geometry.inode_bitmap_start,
                inodes,
                u64::from(geometry.inode_count),
            )?;
            write_bitmap(
                fs,
                geometry.block_bitmap_start,
                blocks,
                geometry.total_blocks,
            )?;
            fs.recount()
        }
        Fix::FreeInode(ino) => fs.step(2, |fs| {
            fs.write_inode(*ino, &DiskInode::default())?;
            fs.inode_bitmap
                .set(&mut fs.journal, u64::from(ino.0 - 1), false)?;
            fs.recount()
        }),
        Fix::ClearPointer { ino, at } => fs.step(2, |fs| match at {
            PointerAt::Entry { table, index } => {
                put_u32(fs.journal.block_mut(*table)?, 4 * index, 0);
                Ok(())
            }
            _ => change_inode(fs, *ino, |inode| match at {
                PointerAt::Direct(index) => inode.direct[*index] = 0,
                PointerAt::Single => inode.single = 0,
                _ => inode.double = 0,
            }),
        }),
        Fix::SetBlockCount { ino, blocks } => fs.step(1, |fs| {
            change_inode(fs, *ino, |inode| inode.blocks = *blocks)
        }),
        Fix::SetSize { ino, size } => {
            fs.step(1, |fs| change_inode(fs, *ino, |inode| inode.size = *size))
        }
        Fix::SetLinkCount { ino, nlink } => {
            fs.step(1, |fs| change_inode(fs, *ino, |inode| inode.nlink = *nlink))
        }
        Fix::EmptyDirectoryBlock { block } => fs.step(1, |fs| {
            init_empty(fs.journal.block_mut(*block)?);
            Ok(())
        }),
        Fix::RemoveEntry { slot } => fs.step(1, |fs| {
            remove(fs.journal.block_mut(slot.block)?, slot.offset)
        }),
        Fix::SetEntry { slot, ino, kind } => fs.step(1, |fs| {
            retarget(
                fs.journal.block_mut(slot.block)?,
                slot.offset,
                ino.0,
                kind.dirent_type(),
            )
        }),
        Fix::RebuildFirstBlock { dir, parent } => fs.step(NAMESPACE_BLOCKS, |fs| {
            rebuild_first_block(fs, *dir, *parent)
        }),
        Fix::CutOrphanList { after } => fs.step(1, |fs| match after {
            None => fs.update_superblock(|superblock| superblock.orphan_head = 0),
            Some(ino) => change_inode(fs, *ino, |inode| inode.next_orphan = 0),
        }),
        Fix::LinkToLostFound { ino, kind } => {
            // Perhaps a mkdir of lost+found, then a link: two namespace operations.
            fs.step(2 * NAMESPACE_BLOCKS, |fs| {
                link_to_lost_found(fs, *ino, *kind, now)
            })
        }
    }
}

fn change_inode<D: BlockDevice>(
    fs: &mut FileSystem<D>,
    ino: Ino,
    change: impl FnOnce(&mut DiskInode),
) -> Result<()> {
    let mut inode = fs.read_inode(ino)?;
    change(&mut inode);
    fs.write_inode(ino, &inode)
}

fn write_bitmap<D: BlockDevice>(
    fs: &mut FileSystem<D>,
    start: u64,
    bits: &Bits,
    len: u64,
) -> Result<()> {
    let mut first = 0;
    while first < len {
        let end = (len - first).min(BITS_PER_BLOCK);
        fs.step(1, |fs| {
            let block = fs.journal.block_mut(start + first / BITS_PER_BLOCK)?;
            block.fill(0);
            for bit in 0..end {
                if bits.get(first + bit) {
                    crate::bitmap::set_bit(block, bit as usize, true);
                }
            }
            Ok(())
        })?;
        first += BITS_PER_BLOCK;
    }
    Ok(())
}

fn rebuild_first_block<D: BlockDevice>(
    fs: &mut FileSystem<D>,
    dir: Ino,
    parent: Ino,
) -> Result<()> {
    let mut inode = fs.read_inode(dir)?;
    let (block, _) = fs.map_or_allocate(&mut inode, 0)?;
    init_first(fs.journal.block_mut(block)?, dir, parent);
    inode.size = inode.size.max(BLOCK_SIZE as u64);
    fs.write_inode(dir, &inode)
}

/// Links `ino` into `/lost+found` as `#<ino>` (creating the directory if it is missing;
/// into the root if the name is taken by something else).
fn link_to_lost_found<D: BlockDevice>(
    fs: &mut FileSystem<D>,
    ino: Ino,
    kind: FileKind,
    now: Timestamp,
) -> Result<()> {
    let root = fs.load_dir(ROOT)?;
    let home = match fs.dir_lookup(&root, LOST_AND_FOUND_NAME)? {
        Some(found) if fs.load(found.ino)?.1 == FileKind::Directory => found.ino,
        Some(_) => ROOT,
        None => {
            let lost = fs.allocate_inode()?;
            let mut inode = DiskInode::new(FileKind::Directory, 0o700, Default::default(), 0, now);
            inode.nlink = 2;
            let (block, _) = fs.map_or_allocate(&mut inode, 0)?;
            init_first(fs.journal.fresh_block(block)?, lost, ROOT);
            inode.size = BLOCK_SIZE as u64;
            fs.write_inode(lost, &inode)?;
            fs.dir_insert(ROOT, LOST_AND_FOUND_NAME, lost, FileKind::Directory, now)?;
            fs.adjust_links(ROOT, 1)?;
            lost
        }
    };
    let home_inode = fs.load_dir(home)?;
    let mut name = format!("#{}", ino.0);
    let mut suffix = 0;
    while fs.dir_lookup(&home_inode, name.as_bytes())?.is_some() {
        suffix += 1;
        name = format!("#{}.{suffix}", ino.0);
    }
    fs.dir_insert(home, name.as_bytes(), ino, kind, now)?;
    if kind == FileKind::Directory {
        let inode = fs.read_inode(ino)?;
        if fs.dir_lookup(&inode, b"..")?.is_some() {
            fs.set_parent(ino, home, now)?;
        } else {
            rebuild_first_block(fs, ino, home)?;
        }
        fs.adjust_links(home, 1)?;
    }
    Ok(())
}
