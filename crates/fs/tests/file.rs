//! File contents: reads and writes, holes, truncation, the block map's direct, single- and
//! double-indirect ranges, the largest file, a full disk, and transactions split over a
//! small journal.

mod common;

use common::*;
use fs::*;

/// Blocks addressed by the 12 direct pointers and the single-indirect block.
const DIRECT: u64 = 12;
const SINGLE_END: u64 = 12 + 1024;

fn pattern(len: usize, seed: u64) -> Vec<u8> {
    Rng::new(seed).bytes(len)
}

fn read_all<D: BlockDevice>(fs: &mut FileSystem<D>, ino: Ino) -> Vec<u8> {
    let mut data = vec![0; fs.stat(ino).unwrap().size as usize];
    assert_eq!(fs.read_at(ino, 0, &mut data).unwrap(), data.len());
    data
}

#[test]
fn write_read_overwrite_and_extend() {
    let mut disk = fresh_disk(2048);
    let mut fs = FileSystem::mount(&mut disk).unwrap();
    let root = fs.root();
    let file = fs.create(root, b"f", 0o644, ROOT_OWNER, at(2)).unwrap();
    assert_eq!(fs.write_at(file, 0, b"", at(3)).unwrap(), 0);
    assert_eq!(
        fs.stat(file).unwrap().mtime,
        at(2),
        "an empty write changes nothing"
    );
    let mut expected = pattern(10_000, 1);
    assert_eq!(fs.write_at(file, 0, &expected, at(3)).unwrap(), 10_000);
    assert_eq!(fs.stat(file).unwrap().mtime, at(3));
    fs.write_at(file, 4000, b"middle", at(4)).unwrap();
    expected[4000..4006].copy_from_slice(b"middle");
    fs.write_at(file, 9_998, b"tail!", at(4)).unwrap();
    expected.truncate(9_998);
    expected.extend_from_slice(b"tail!");
    assert_eq!(read_all(&mut fs, file), expected);
    let mut buf = [0xAA; 64];
    assert_eq!(fs.read_at(file, 10_000, &mut buf).unwrap(), 3);
    assert_eq!(&buf[..3], b"il!");
    assert_eq!(fs.read_at(file, 10_003, &mut buf).unwrap(), 0);
    assert_eq!(fs.read_at(file, u64::MAX, &mut buf).unwrap(), 0);
    let stat = fs.stat(file).unwrap();
    assert_eq!((stat.size, stat.blocks_512), (10_003, 3 * 8));
    fs.unmount().unwrap();
    assert_clean(&mut disk);
    let mut fs = FileSystem::mount(&mut disk).unwrap();
    assert_eq!(read_all(&mut fs, file), expected);
}

#[test]
fn holes_read_as_zeros_and_take_no_blocks() {
    let mut disk = fresh_disk(4096);
    let mut fs = FileSystem::mount(&mut disk).unwrap();
    let root = fs.root();
    let free = fs.statfs().free_blocks;
    let file = fs
        .create(root, b"sparse", 0o644, ROOT_OWNER, at(2))
        .unwrap();
    // One byte in each range of the block map: direct, single indirect, double indirect.
    let offsets = [
        5 * BLOCK + 7,
        100 * BLOCK,
        SINGLE_END * BLOCK + 1,
        (SINGLE_END + 5000) * BLOCK,
    ];
    for (i, offset) in offsets.iter().enumerate() {
        fs.write_at(file, *offset, &[i as u8 + 1], at(3)).unwrap();
    }
    let stat = fs.stat(file).unwrap();
    assert_eq!(stat.size, offsets[3] + 1);
    // 4 data blocks, the single-indirect block, the double-indirect root and two leaves.
    assert_eq!(stat.blocks_512, 8 * 8);
    assert_eq!(fs.statfs().free_blocks, free - 8);
    let mut buf = vec![0xFF; 3 * BLOCK as usize];
    fs.read_at(file, 4 * BLOCK, &mut buf).unwrap();
    assert!(
        buf.iter()
            .enumerate()
            .all(|(i, &b)| b == if i == BLOCK as usize + 7 { 1 } else { 0 })
    );
    let mut one = [0];
    for (i, offset) in offsets.iter().enumerate() {
        fs.read_at(file, *offset, &mut one).unwrap();
        assert_eq!(one[0], i as u8 + 1);
    }
    // Growing with truncate makes a hole too.
    fs.truncate(file, offsets[3] + 10 * BLOCK, at(4)).unwrap();
    assert_eq!(fs.stat(file).unwrap().blocks_512, 8 * 8);
    fs.read_at(file, offsets[3] + 5 * BLOCK, &mut one).unwrap();
    assert_eq!(one[0], 0);
    fs.unmount().unwrap();
    assert_clean(&mut disk);
}

#[test]
fn truncate_frees_blocks_and_zeroes_the_tail() {
    let mut disk = fresh_disk(4096);
    let mut fs = FileSystem::mount(&mut disk).unwrap();
    let root = fs.root();
    let free = fs.statfs().free_blocks;
    let file = fs.create(root, b"f", 0o644, ROOT_OWNER, at(2)).unwrap();
    let data = pattern(3 * BLOCK as usize, 2);
    fs.write_at(file, 0, &data, at(2)).unwrap();
    fs.truncate(file, 5000, at(3)).unwrap();
    let stat = fs.stat(file).unwrap();
    assert_eq!((stat.size, stat.blocks_512, stat.mtime), (5000, 16, at(3)));
    // Growing again shows zeros, not the old bytes past 5000.
    fs.truncate(file, 3 * BLOCK, at(4)).unwrap();
    let now = read_all(&mut fs, file);
    assert_eq!(now[..5000], data[..5000]);
    assert!(now[5000..].iter().all(|&b| b == 0));
    // A write past the end after a shrink: the gap reads as zeros too.
    fs.truncate(file, 4097, at(5)).unwrap();
    fs.write_at(file, 6000, b"x", at(5)).unwrap();
    let now = read_all(&mut fs, file);
    assert_eq!(now[..4097], data[..4097]);
    assert!(now[4097..6000].iter().all(|&b| b == 0));
    fs.truncate(file, 0, at(6)).unwrap();
    assert_eq!(fs.stat(file).unwrap().blocks_512, 0);
    assert_eq!(fs.statfs().free_blocks, free);
    assert_eq!(
        fs.truncate(file, MAX_FILE_SIZE + 1, at(6)),
        Err(FsError::FileTooBig)
    );
    fs.truncate(file, MAX_FILE_SIZE, at(6)).unwrap();
    fs.unmount().unwrap();
    assert_clean(&mut disk);
}

#[test]
fn a_file_past_the_start_of_the_double_indirect_range() {
    let mut disk = fresh_disk(8192);
    let mut fs = FileSystem::mount(&mut disk).unwrap();
    let root = fs.root();
    let free = fs.statfs().free_blocks;
    let file = fs.create(root, b"big", 0o644, ROOT_OWNER, at(2)).unwrap();
    let blocks = SINGLE_END + 1100;
    let data = pattern((blocks * BLOCK) as usize - 123, 3);
    // Written in uneven pieces, so that some writes straddle block boundaries.
    let mut at_offset = 0;
    for piece in data.chunks(50_001) {
        assert_eq!(
            fs.write_at(file, at_offset, piece, at(3)).unwrap(),
            piece.len()
        );
        at_offset += piece.len() as u64;
    }
    let stat = fs.stat(file).unwrap();
    // Data blocks, the single-indirect block, the double root and two leaves.
    assert_eq!(stat.blocks_512, (blocks + 4) * 8);
    assert_eq!(read_all(&mut fs, file), data);
    // Reads across the boundaries of the ranges.
    for boundary in [DIRECT, SINGLE_END, SINGLE_END + 1024] {
        let mut buf = vec![0; 10_000];
        let offset = boundary * BLOCK - 5_000;
        fs.read_at(file, offset, &mut buf).unwrap();
        assert_eq!(buf[..], data[offset as usize..offset as usize + 10_000]);
    }
    fs.sync().unwrap();
    // Shrink in stages across each range; freed indirect blocks go back too.
    for (size, expected_blocks) in [
        ((SINGLE_END + 1024) * BLOCK, SINGLE_END + 1024 + 3),
        ((SINGLE_END + 1) * BLOCK - 1, SINGLE_END + 1 + 3),
        (SINGLE_END * BLOCK, SINGLE_END + 1),
        (DIRECT * BLOCK + 1, DIRECT + 2),
        (DIRECT * BLOCK, DIRECT),
        (1, 1),
    ] {
        fs.truncate(file, size, at(4)).unwrap();
        assert_eq!(
            fs.stat(file).unwrap().blocks_512,
            expected_blocks * 8,
            "size {size}"
        );
        let mut buf = vec![0; size.min(70_000) as usize];
        fs.read_at(file, size - buf.len() as u64, &mut buf).unwrap();
        assert_eq!(buf[..], data[(size as usize - buf.len())..size as usize]);
    }
    let ino = fs.unlink(root, b"big", at(5)).unwrap().unwrap();
    fs.release(ino).unwrap();
    assert_eq!(fs.statfs().free_blocks, free);
    fs.unmount().unwrap();
    assert_clean(&mut disk);
}

#[test]
fn the_largest_file() {
    let mut disk = fresh_disk(2048);
    let mut fs = FileSystem::mount(&mut disk).unwrap();
    let root = fs.root();
    let file = fs.create(root, b"huge", 0o644, ROOT_OWNER, at(2)).unwrap();
    assert_eq!(
        fs.write_at(file, MAX_FILE_SIZE - 3, b"abcdef", at(3))
            .unwrap(),
        3
    );
    assert_eq!(fs.stat(file).unwrap().size, MAX_FILE_SIZE);
    assert_eq!(
        fs.write_at(file, MAX_FILE_SIZE, b"x", at(3)),
        Err(FsError::FileTooBig)
    );
    let mut buf = [0; 8];
    assert_eq!(fs.read_at(file, MAX_FILE_SIZE - 5, &mut buf).unwrap(), 5);
    assert_eq!(&buf[..5], b"\0\0abc");
    fs.sync().unwrap();
    let ino = fs.unlink(root, b"huge", at(4)).unwrap().unwrap();
    fs.release(ino).unwrap();
    fs.unmount().unwrap();
    assert_clean(&mut disk);
}

#[test]
fn a_full_disk_says_enospc_and_stays_consistent() {
    let mut disk = fresh_disk_with(300, 256, 40);
    let mut fs = FileSystem::mount(&mut disk).unwrap();
    let root = fs.root();
    let file = fs
        .create(root, b"filler", 0o644, ROOT_OWNER, at(2))
        .unwrap();
    let free = fs.statfs().free_blocks;
    let data = pattern(400 * BLOCK as usize, 4);
    // A short write: as much as fits (data blocks plus the single-indirect block).
    let written = fs.write_at(file, 0, &data, at(3)).unwrap();
    assert_eq!(written as u64, (free - 1) * BLOCK);
    assert_eq!(fs.statfs().free_blocks, 0);
    assert_eq!(
        fs.write_at(file, written as u64, b"more", at(3)),
        Err(FsError::NoSpace)
    );
    // Failed operations leave nothing behind.
    let inodes = fs.statfs().free_inodes;
    assert_eq!(
        fs.mkdir(root, b"d", 0o755, ROOT_OWNER, at(4)),
        Err(FsError::NoSpace)
    );
    assert_eq!(
        fs.symlink(root, b"s", b"target", ROOT_OWNER, at(4)),
        Err(FsError::NoSpace)
    );
    assert_eq!(fs.statfs().free_inodes, inodes);
    assert_eq!(fs.lookup(root, b"d"), Err(FsError::NotFound));
    // An empty file needs no block, unless the directory must grow.
    let mut made = 0;
    loop {
        match fs.create(
            root,
            format!("empty-file-with-a-long-name-{made:03}").as_bytes(),
            0o644,
            ROOT_OWNER,
            at(5),
        ) {
            Ok(_) => made += 1,
            Err(error) => {
                assert_eq!(error, FsError::NoSpace);
                break;
            }
        }
    }
    assert!(made > 10, "{made} files fit in the root's block");
    assert_eq!(read_all(&mut fs, file), data[..written]);
    fs.sync().unwrap();
    // Freeing space makes it usable again.
    fs.truncate(file, 0, at(6)).unwrap();
    assert_eq!(fs.statfs().free_blocks, free);
    fs.mkdir(root, b"d", 0o755, ROOT_OWNER, at(7)).unwrap();
    fs.unmount().unwrap();
    assert_clean(&mut disk);
}

#[test]
fn running_out_of_inodes() {
    let mut disk = fresh_disk_with(600, 16, 40);
    let mut fs = FileSystem::mount(&mut disk).unwrap();
    let root = fs.root();
    for i in 0..14 {
        fs.create(root, format!("f{i}").as_bytes(), 0o644, ROOT_OWNER, at(2))
            .unwrap();
    }
    assert_eq!(fs.statfs().free_inodes, 0);
    assert_eq!(
        fs.create(root, b"one-more", 0o644, ROOT_OWNER, at(2)),
        Err(FsError::NoSpace)
    );
    assert_eq!(
        fs.mkdir(root, b"one-more", 0o644, ROOT_OWNER, at(2)),
        Err(FsError::NoSpace)
    );
    remove(&mut fs, root, b"f3", at(3));
    fs.create(root, b"one-more", 0o644, ROOT_OWNER, at(4))
        .unwrap();
    fs.unmount().unwrap();
    assert_clean(&mut disk);
}

#[test]
fn large_operations_split_over_a_small_journal() {
    // The smallest journal holds 32 blocks per transaction: a 2 MiB write takes dozens.
    let mut disk = fresh_disk_with(4096, 64, MIN_JOURNAL_BLOCKS);
    let mut fs = FileSystem::mount(&mut disk).unwrap();
    let root = fs.root();
    let free = fs.statfs().free_blocks;
    let file = fs.create(root, b"f", 0o644, ROOT_OWNER, at(2)).unwrap();
    let data = pattern(2 << 20, 5);
    assert_eq!(fs.write_at(file, 0, &data, at(3)).unwrap(), data.len());
    assert_eq!(read_all(&mut fs, file), data);
    fs.unmount().unwrap();
    assert_clean(&mut disk);
    let mut fs = FileSystem::mount(&mut disk).unwrap();
    assert_eq!(read_all(&mut fs, file), data);
    let ino = fs.unlink(root, b"f", at(4)).unwrap().unwrap();
    fs.release(ino).unwrap();
    assert_eq!(fs.statfs().free_blocks, free);
    fs.unmount().unwrap();
    assert_clean(&mut disk);
}

#[test]
fn mkfs_refuses_impossible_options_and_mount_refuses_garbage() {
    let mut disk = RamDisk::new(40);
    let options = MkfsOptions::for_blocks(40, at(1));
    assert_eq!(
        mkfs(&mut disk, &options),
        Err(FsError::Invalid),
        "too small for its journal"
    );
    let mut disk = RamDisk::new(1024);
    let bad = MkfsOptions {
        journal_blocks: 8,
        ..MkfsOptions::for_blocks(1024, at(1))
    };
    assert_eq!(mkfs(&mut disk, &bad), Err(FsError::Invalid));
    assert_eq!(FileSystem::mount(&mut disk).err(), Some(FsError::Corrupt));
    let report = fsck(&mut disk, true).unwrap();
    assert!(!report.is_clean());
    assert_eq!(
        report.problems,
        [Problem::Superblock(SuperblockProblem::BadMagic)]
    );
    // A file system on a device smaller than it says.
    let big = fresh_disk(1024);
    let mut small = RamDisk::from_bytes(big.bytes()[..512 * BLOCK_SIZE].to_vec());
    assert_eq!(FileSystem::mount(&mut small).err(), Some(FsError::Corrupt));
}
