//! fsck (concept F2): deliberately damaged images are found not clean, the report names the
//! damage, repair makes them clean, and what could be saved is still there.

mod common;

use common::*;
use fs::*;

/// A populated, cleanly unmounted image and where its regions are (read from the
/// superblock at the offsets the crate documents).
struct Image {
    disk: RamDisk,
    inode_bitmap: u64,
    block_bitmap: u64,
    inode_table: u64,
    /// The tree before any damage.
    before: Snapshot,
    docs: Ino,
    notes: Ino,
    letter: Ino,
    sub: Ino,
}

fn u32_at(block: &Block, at: usize) -> u32 {
    u32::from_le_bytes(block[at..at + 4].try_into().unwrap())
}

fn u64_at(block: &Block, at: usize) -> u64 {
    u64::from_le_bytes(block[at..at + 8].try_into().unwrap())
}

impl Image {
    /// `/docs/notes` (two blocks), `/docs/letter` (two links: also `/letter-link`),
    /// `/docs/sub/deep` and `/big` (past the single-indirect start).
    fn new() -> Image {
        let mut disk = fresh_disk(4096);
        let mut fs = FileSystem::mount(&mut disk).unwrap();
        let root = fs.root();
        let docs = fs.mkdir(root, b"docs", 0o755, ROOT_OWNER, at(2)).unwrap();
        let notes = fs.create(docs, b"notes", 0o644, ROOT_OWNER, at(2)).unwrap();
        fs.write_at(notes, 0, &Rng::new(1).bytes(6000), at(2))
            .unwrap();
        let letter = fs
            .create(docs, b"letter", 0o644, ROOT_OWNER, at(2))
            .unwrap();
        fs.write_at(letter, 0, b"Dear reader", at(2)).unwrap();
        fs.link(letter, root, b"letter-link", at(2)).unwrap();
        let sub = fs.mkdir(docs, b"sub", 0o755, ROOT_OWNER, at(2)).unwrap();
        let deep = fs.create(sub, b"deep", 0o644, ROOT_OWNER, at(2)).unwrap();
        fs.write_at(deep, 0, b"deep down", at(2)).unwrap();
        let big = fs.create(root, b"big", 0o644, ROOT_OWNER, at(2)).unwrap();
        fs.write_at(big, 0, &Rng::new(2).bytes(20 * BLOCK_SIZE), at(2))
            .unwrap();
        let before = snapshot(&mut fs);
        fs.unmount().unwrap();
        let mut superblock = [0; BLOCK_SIZE];
        disk.read_block(0, &mut superblock).unwrap();
        Image {
            inode_bitmap: u64_at(&superblock, 40),
            block_bitmap: u64_at(&superblock, 56),
            inode_table: u64_at(&superblock, 64),
            disk,
            before,
            docs,
            notes,
            letter,
            sub,
        }
    }

    fn edit_block(&mut self, block: u64, edit: impl FnOnce(&mut Block)) {
        let mut contents = [0; BLOCK_SIZE];
        self.disk.read_block(block, &mut contents).unwrap();
        edit(&mut contents);
        self.disk.write_block(block, &contents).unwrap();
    }

    fn read_block(&mut self, block: u64) -> Block {
        let mut contents = [0; BLOCK_SIZE];
        self.disk.read_block(block, &mut contents).unwrap();
        contents
    }

    /// Changes the 128-byte record of `ino`.
    fn edit_inode(&mut self, ino: Ino, edit: impl FnOnce(&mut [u8])) {
        let slot = u64::from(ino.0 - 1);
        let block = self.inode_table + slot / 32;
        let at = (slot % 32) as usize * 128;
        self.edit_block(block, |contents| edit(&mut contents[at..at + 128]));
    }

    fn inode_field(&mut self, ino: Ino, at: usize) -> u32 {
        let slot = u64::from(ino.0 - 1);
        let block = self.read_block(self.inode_table + slot / 32);
        u32_at(&block, (slot % 32) as usize * 128 + at)
    }

    /// The first data block of `ino`.
    fn first_block(&mut self, ino: Ino) -> u64 {
        u64::from(self.inode_field(ino, 72))
    }

    fn flip_bit(&mut self, bitmap: u64, bit: u64) {
        self.edit_block(bitmap + bit / 32768, |contents| {
            contents[(bit % 32768 / 8) as usize] ^= 1 << (bit % 8);
        });
    }

    /// Clears the entry `name` in the first block of directory `dir` (it stays as a free
    /// record): the inode it named loses a reference behind the file system's back.
    fn drop_entry(&mut self, dir: Ino, name: &[u8]) {
        let block = self.first_block(dir);
        self.edit_block(block, |contents| {
            let mut at = 0;
            while at < BLOCK_SIZE {
                let len = u16::from_le_bytes([contents[at + 4], contents[at + 5]]) as usize;
                let name_len = contents[at + 6] as usize;
                if u32_at(contents, at) != 0 && &contents[at + 8..at + 8 + name_len] == name {
                    contents[at..at + 4].fill(0);
                    return;
                }
                at += len;
            }
            panic!("no entry {name:?}");
        });
    }

    fn check(&mut self) -> FsckReport {
        fsck(&mut self.disk, false).unwrap()
    }

    /// Repairs, then checks that a second fsck finds nothing and the disk mounts.
    fn repair(&mut self) -> FsckReport {
        let report = fsck(&mut self.disk, true).unwrap();
        assert!(report.repaired, "{report}");
        assert!(report.is_clean(), "{report}");
        assert_clean(&mut self.disk);
        report
    }

    fn tree(&mut self) -> Snapshot {
        let mut fs = FileSystem::mount(&mut self.disk).unwrap();
        let tree = snapshot(&mut fs);
        fs.unmount().unwrap();
        tree
    }
}

#[test]
fn a_fresh_and_a_populated_image_are_clean() {
    let mut image = Image::new();
    let report = image.check();
    assert!(
        report.is_clean() && report.problems.is_empty() && !report.repaired,
        "{report}"
    );
    assert!(report.to_string().ends_with("verdict: clean."), "{report}");
    assert_clean(&mut fresh_disk(100));
}

#[test]
fn fsck_without_repair_never_writes() {
    let mut image = Image::new();
    image.flip_bit(image.block_bitmap, 3000);
    image.edit_inode(image.notes, |record| record[12] = 9);
    let before = image.disk.clone();
    let report = image.check();
    assert!(!report.is_clean());
    assert_eq!(image.disk, before);
}

#[test]
fn a_used_block_marked_free_is_found_and_repaired() {
    let mut image = Image::new();
    let block = image.first_block(image.notes);
    image.flip_bit(image.block_bitmap, block);
    let report = image.check();
    assert_eq!(
        report.problems,
        [Problem::BlockBitmap {
            used_marked_free: 1,
            free_marked_used: 0
        }]
    );
    assert!(!report.is_clean());
    assert!(
        report
            .to_string()
            .contains("the block bitmap marks 1 used blocks free"),
        "{report}"
    );
    assert!(
        report
            .to_string()
            .ends_with("verdict: NOT clean (1 problem)."),
        "{report}"
    );
    image.repair();
    assert_eq!(image.tree(), image.before);
}

#[test]
fn a_free_block_and_a_free_inode_marked_used_are_found_and_repaired() {
    let mut image = Image::new();
    image.flip_bit(image.block_bitmap, 4000);
    image.flip_bit(image.inode_bitmap, 300);
    let report = image.check();
    assert_eq!(
        report.problems,
        [
            Problem::InodeBitmap {
                used_marked_free: 0,
                free_marked_used: 1
            },
            Problem::BlockBitmap {
                used_marked_free: 0,
                free_marked_used: 1
            }
        ]
    );
    image.repair();
    let fs = FileSystem::mount(&mut image.disk).unwrap();
    assert_eq!(fs.statfs().free_inodes, fs.statfs().inodes - 8);
}

#[test]
fn a_wrong_link_count_is_found_and_repaired() {
    let mut image = Image::new();
    let (letter, docs) = (image.letter, image.docs);
    image.edit_inode(letter, |record| record[12] = 1);
    image.edit_inode(docs, |record| record[12] = 7);
    let report = image.check();
    assert_eq!(
        report.problems,
        [
            Problem::WrongLinkCount {
                ino: docs,
                recorded: 7,
                actual: 3
            },
            Problem::WrongLinkCount {
                ino: letter,
                recorded: 1,
                actual: 2
            }
        ]
    );
    image.repair();
    assert_eq!(image.tree(), image.before);
}

#[test]
fn a_dangling_entry_is_found_and_removed() {
    let mut image = Image::new();
    // Free the inode of /docs/sub/deep behind the directory's back.
    let mut fs = FileSystem::mount(&mut image.disk).unwrap();
    let deep = fs.lookup(image.sub, b"deep").unwrap();
    let free_blocks = fs.statfs().free_blocks;
    fs.unmount().unwrap();
    let data_block = image.first_block(deep);
    image.edit_inode(deep, |record| record.fill(0));
    image.flip_bit(image.inode_bitmap, u64::from(deep.0 - 1));
    image.flip_bit(image.block_bitmap, data_block);
    let report = image.check();
    assert_eq!(
        report.problems,
        [Problem::DanglingEntry {
            dir: image.sub,
            name: b"deep".to_vec(),
            ino: deep.0
        }]
    );
    assert!(
        report.to_string().contains("entry \"deep\" in directory"),
        "{report}"
    );
    image.repair();
    let mut expected = image.before.clone();
    expected.remove(&b"/docs/sub/deep"[..]);
    assert_eq!(image.tree(), expected);
    let mut fs = FileSystem::mount(&mut image.disk).unwrap();
    assert_eq!(fs.statfs().free_blocks, free_blocks + 1);
    assert_eq!(fs.lookup(image.sub, b"deep"), Err(FsError::NotFound));
}

#[test]
fn an_unreachable_file_goes_to_lost_and_found() {
    let mut image = Image::new();
    let notes = image.notes;
    image.drop_entry(image.docs, b"notes");
    let report = image.check();
    assert_eq!(
        report.problems,
        [Problem::Unreachable {
            ino: notes,
            nlink: 1
        }]
    );
    image.repair();
    let tree = image.tree();
    let saved = format!("/lost+found/#{}", notes.0).into_bytes();
    assert_eq!(tree[&saved], image.before[&b"/docs/notes"[..]]);
}

#[test]
fn an_unreachable_directory_goes_to_lost_and_found_whole() {
    let mut image = Image::new();
    let sub = image.sub;
    image.drop_entry(image.docs, b"sub");
    let report = image.check();
    assert!(
        report
            .problems
            .contains(&Problem::Unreachable { ino: sub, nlink: 2 }),
        "{report}"
    );
    assert!(
        report.problems.contains(&Problem::WrongLinkCount {
            ino: image.docs,
            recorded: 3,
            actual: 2
        }),
        "{report}"
    );
    image.repair();
    let tree = image.tree();
    let saved = format!("/lost+found/#{}/deep", sub.0).into_bytes();
    assert_eq!(tree[&saved], image.before[&b"/docs/sub/deep"[..]]);
    // The walk in `snapshot` checked `..` and every directory's link count.
}

#[test]
fn lost_and_found_is_made_again_when_it_is_missing() {
    let mut image = Image::new();
    let notes = image.notes;
    let mut fs = FileSystem::mount(&mut image.disk).unwrap();
    let lost = fs.rmdir(ROOT, b"lost+found", at(3)).unwrap();
    fs.release(lost).unwrap();
    fs.unmount().unwrap();
    image.drop_entry(image.docs, b"notes");
    image.repair();
    let tree = image.tree();
    assert_eq!(tree[&b"/lost+found"[..]].0, Node::Dir { mode: 0o700 });
    assert!(tree.contains_key(format!("/lost+found/#{}", notes.0).as_bytes()));
}

#[test]
fn a_shared_block_and_a_pointer_out_of_range_are_cleared() {
    let mut image = Image::new();
    let (notes, letter) = (image.notes, image.letter);
    let stolen = image.first_block(notes);
    // /docs/letter now claims the first block of /docs/notes; notes' second block points
    // outside the disk.
    image.edit_inode(letter, |record| {
        record[72..76].copy_from_slice(&(stolen as u32).to_le_bytes())
    });
    image.edit_inode(notes, |record| {
        record[76..80].copy_from_slice(&9_999_999u32.to_le_bytes())
    });
    let report = image.check();
    assert!(
        report.problems.contains(&Problem::SharedBlock {
            ino: letter,
            block: stolen
        }),
        "{report}"
    );
    assert!(
        report.problems.contains(&Problem::BadBlockPointer {
            ino: notes,
            block: 9_999_999
        }),
        "{report}"
    );
    image.repair();
    let mut fs = FileSystem::mount(&mut image.disk).unwrap();
    let mut buf = vec![0; 6000];
    fs.read_at(notes, 0, &mut buf).unwrap();
    let original = Rng::new(1).bytes(6000);
    assert_eq!(
        buf[..4096],
        original[..4096],
        "the first owner keeps the block"
    );
    assert!(
        buf[4096..].iter().all(|&b| b == 0),
        "the bad pointer became a hole"
    );
    let mut letter_text = [0xFF; 11];
    fs.read_at(letter, 0, &mut letter_text).unwrap();
    assert_eq!(letter_text, [0; 11], "the second claimant lost the block");
}

#[test]
fn a_damaged_directory_block_is_emptied_and_its_files_saved() {
    let mut image = Image::new();
    let (docs, notes, letter, sub) = (image.docs, image.notes, image.letter, image.sub);
    let block = image.first_block(docs);
    image.edit_block(block, |contents| contents[..64].fill(0xAB));
    let report = image.check();
    assert!(
        report.problems.contains(&Problem::DamagedDirectoryBlock {
            dir: docs,
            index: 0
        }),
        "{report}"
    );
    image.repair();
    let tree = image.tree();
    for ino in [notes, sub] {
        assert!(
            tree.contains_key(format!("/lost+found/#{}", ino.0).as_bytes()),
            "{ino} saved"
        );
    }
    assert!(
        tree.contains_key(&b"/docs"[..]),
        "the directory itself stays"
    );
    // letter still has its other name, so it is not lost.
    assert_eq!(tree[&b"/letter-link"[..]].1, 1);
    let _ = letter;
}

#[test]
fn wrong_dot_dot_and_entry_types_are_fixed() {
    let mut image = Image::new();
    let (docs, sub) = (image.docs, image.sub);
    let block = image.first_block(sub);
    image.edit_block(block, |contents| {
        contents[16..20].copy_from_slice(&sub.0.to_le_bytes())
    });
    let docs_block = image.first_block(docs);
    image.edit_block(docs_block, |contents| contents[32 + 7] = abi::fs::DT_FIFO);
    let report = image.check();
    assert!(
        report.problems.contains(&Problem::WrongDotDot {
            dir: sub,
            found: sub,
            parent: docs
        }),
        "{report}"
    );
    assert!(
        report
            .problems
            .iter()
            .any(|problem| matches!(problem, Problem::WrongEntryType { dir, .. } if *dir == docs)),
        "{report}"
    );
    image.repair();
    assert_eq!(image.tree(), image.before);
}

#[test]
fn bad_inodes_and_a_broken_orphan_list_are_repaired() {
    let mut image = Image::new();
    let (letter, notes) = (image.letter, image.notes);
    image.edit_inode(letter, |record| {
        record[0..4].copy_from_slice(&0o030_644u32.to_le_bytes())
    });
    image.edit_inode(notes, |record| {
        record[68..72].copy_from_slice(&99u32.to_le_bytes())
    });
    // An orphan list that starts at a linked file.
    let deep = {
        let mut fs = FileSystem::mount(&mut image.disk).unwrap();
        let deep = fs.lookup(image.sub, b"deep").unwrap();
        fs.unmount().unwrap();
        deep
    };
    image.edit_block(0, |superblock| {
        superblock[96..100].copy_from_slice(&deep.0.to_le_bytes());
        let checksum = crc32c(&superblock[..100]);
        superblock[100..104].copy_from_slice(&checksum.to_le_bytes());
    });
    let report = image.check();
    for expected in [
        Problem::BadFileType {
            ino: letter,
            mode: 0o030_644,
        },
        Problem::WrongBlockCount {
            ino: notes,
            recorded: 99,
            actual: 2,
        },
        Problem::BrokenOrphanList { ino: deep.0 },
    ] {
        assert!(
            report.problems.contains(&expected),
            "{expected:?} in\n{report}"
        );
    }
    image.repair();
    let tree = image.tree();
    assert!(!tree.contains_key(&b"/docs/letter"[..]) && !tree.contains_key(&b"/letter-link"[..]));
    assert_eq!(
        tree[&b"/docs/sub/deep"[..]],
        image.before[&b"/docs/sub/deep"[..]]
    );
}

/// CRC-32C, as the superblock uses (to forge a superblock the checksum accepts).
fn crc32c(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0x82F6_3B78
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn a_damaged_journal_header_stops_mount_until_repaired() {
    let mut image = Image::new();
    image.edit_block(1, |header| header[..8].copy_from_slice(b"garbage!"));
    assert_eq!(
        FileSystem::mount(&mut image.disk).err(),
        Some(FsError::Corrupt)
    );
    let report = image.check();
    assert_eq!(report.problems, [Problem::JournalDamaged]);
    image.repair();
    assert_eq!(image.tree(), image.before);
}

#[test]
fn a_damaged_superblock_cannot_be_repaired() {
    let mut image = Image::new();
    image.edit_block(0, |superblock| superblock[30] ^= 0x40);
    let report = fsck(&mut image.disk, true).unwrap();
    assert_eq!(
        report.problems,
        [Problem::Superblock(SuperblockProblem::BadChecksum)]
    );
    assert!(!report.is_clean() && !report.repaired);
    assert_eq!(
        FileSystem::mount(&mut image.disk).err(),
        Some(FsError::Corrupt)
    );
}

/// Reads everything reachable, ignoring errors: the file system must not panic on a
/// damaged image.
fn read_everything<D: BlockDevice>(fs: &mut FileSystem<D>, dir: Ino, depth: usize) {
    if depth > 20 {
        return;
    }
    let mut cookie = 0;
    for _ in 0..1000 {
        let Ok(entries) = fs.read_dir(dir, cookie) else {
            return;
        };
        let Some(last) = entries.last() else { return };
        cookie = last.next;
        for entry in entries {
            if entry.name == b"." || entry.name == b".." {
                continue;
            }
            let _ = fs.stat(entry.ino);
            let _ = fs.read_at(entry.ino, 0, &mut [0; 9000]);
            let _ = fs.readlink(entry.ino);
            let _ = fs.write_at(entry.ino, 100, b"poke", at(50));
            let _ = fs.truncate(entry.ino, 5, at(50));
            let _ = fs.create(entry.ino, b"new", 0o644, ROOT_OWNER, at(50));
            let _ = fs.rename(dir, &entry.name, ROOT, b"moved", 0, at(50));
            read_everything(fs, entry.ino, depth + 1);
        }
    }
}

#[test]
fn random_damage_never_panics_and_repair_always_ends_clean() {
    let pristine = Image::new();
    let metadata_end = pristine.inode_table + 64;
    for seed in 0..100 {
        let mut rng = Rng::new(seed);
        let mut disk = pristine.disk.clone();
        for _ in 0..1 + rng.below(6) {
            // Damage the inode table, a bitmap, a directory or indirect block, or anything.
            let block = if rng.chance(70) {
                pristine.inode_bitmap + rng.below(metadata_end - pristine.inode_bitmap + 40)
            } else {
                rng.below(4096)
            };
            let mut contents = [0; BLOCK_SIZE];
            disk.read_block(block, &mut contents).unwrap();
            for _ in 0..1 + rng.below(20) {
                let at = rng.below(BLOCK_SIZE as u64) as usize;
                contents[at] = rng.next() as u8;
            }
            disk.write_block(block, &contents).unwrap();
        }
        // Operations on the damaged image fail cleanly or succeed; nothing panics.
        let mut scratch = disk.clone();
        if let Ok(mut fs) = FileSystem::mount(&mut scratch) {
            read_everything(&mut fs, ROOT, 0);
            let _ = fs.unmount();
        }
        let report = fsck(&mut disk, true).unwrap();
        let superblock_gone = report
            .problems
            .iter()
            .any(|p| matches!(p, Problem::Superblock(_)));
        if superblock_gone {
            continue;
        }
        assert!(report.is_clean(), "seed {seed}:\n{report}");
        let again = fsck(&mut disk, false).unwrap();
        assert!(
            again.problems.is_empty(),
            "seed {seed}: a second fsck found\n{again}"
        );
        let mut fs = FileSystem::mount(&mut disk).unwrap();
        snapshot(&mut fs);
        fs.mkdir(ROOT, b"after-repair", 0o755, ROOT_OWNER, at(60))
            .unwrap();
        fs.unmount().unwrap();
        assert_clean(&mut disk);
    }
}
