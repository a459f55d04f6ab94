//! Test `t_file_io` (expects `exit=0`): reading and writing regular files.
//!
//! Works in a fresh directory `/tmp/t_file_io.<pid>` ([`fs::scratch_dir`]), removed at the
//! end.
//! - `lseek`: `SEEK_SET`, `SEEK_CUR` and `SEEK_END` with positive and negative offsets;
//!   a resulting offset below 0 or an unknown `whence` is `EINVAL` and leaves the offset
//!   alone; seeking past the end is allowed.
//! - Holes: after seeking (or `pwrite`ing) past the end and writing, the gap reads as zeros,
//!   within a block, across blocks and across a whole megabyte.
//! - `pread`/`pwrite` use their own offset and leave the file offset alone; reading at or
//!   past the end returns 0 or the short rest; a negative offset is `EINVAL`.
//! - `writev` gathers and `readv` scatters, zero-length buffers and a zero count included;
//!   1024 buffers are fine and 1025 are `EINVAL`; a bad `iovec` array or a bad buffer in it
//!   (NULL, kernel half, unmapped) is `EFAULT`. For a good buffer followed by a bad one,
//!   Linux transfers the good one and returns a short count, while Lantern may refuse the
//!   whole call with `EFAULT` (as `t_write_efault` explains): either is accepted.
//! - `ftruncate` shrinks and grows (also across the direct/indirect boundary at 48 KiB);
//!   bytes that come back by growing read as zeros, not as the old data; the offset does not
//!   move; a negative length, a read-only descriptor and a directory are `EINVAL`.
//! - A 4.5 MiB file (more blocks than 12 direct + one single-indirect block of 1024 block
//!   numbers hold, with 4 KiB blocks) written in 64 KiB pieces with a position-dependent
//!   pattern reads back exactly, in unaligned pieces and with `pread` at block edges.
//! - `fsync` (on a file and a directory) and `sync` return 0.
//! - `fstat`/`stat`: type bits, `st_nlink`, `st_size`, `st_blksize`, and a plausible
//!   `st_blocks` (0 for an empty file; covering the data of a dense file without being far
//!   larger); `stat` and `fstat` agree on device and inode.
//! - `utimensat` sets access and modification times (seconds checked exactly; the FS may
//!   round nanoseconds), `UTIME_OMIT` keeps one, `UTIME_NOW` and a NULL `times` take the
//!   current `CLOCK_REALTIME` time, a NULL path works on the open descriptor (`futimens`); a
//!   `tv_nsec` outside `0..1e9` and unknown flags are `EINVAL`. A write updates the
//!   modification time.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::format;
use alloc::vec;
use alloc::vec::Vec;

use ulib::abi::Errno;
use ulib::abi::fs::{
    AT_FDCWD, Iovec, O_CREAT, O_DIRECTORY, O_RDONLY, O_RDWR, O_TRUNC, S_IFDIR, S_IFMT, S_IFREG,
    SEEK_CUR, SEEK_END, SEEK_SET, UTIME_NOW, UTIME_OMIT,
};
use ulib::abi::time::{CLOCK_REALTIME, Timespec};
use ulib::fs::{self, IOV_MAX};
use ulib::hazard::{BAD_POINTERS, KERNEL_ADDR};
use ulib::syscall::decode;
use ulib::{check, check_eq, check_ne, check_ok, raw};

ulib::entry!(main);

/// Size of the large pattern file: 4.5 MiB.
const BIG_SIZE: u64 = 4608 * 1024;

/// Bytes per write of the large file.
const WRITE_CHUNK: usize = 64 * 1024;

/// Bytes per read of the large file: not a multiple of the block size.
const READ_CHUNK: usize = 61 * 1000;

fn main() -> i32 {
    let dir = check_ok!(fs::scratch_dir("t_file_io"), "make the scratch directory");
    check_lseek(&dir);
    check_holes(&dir);
    check_pread_pwrite(&dir);
    check_readv_writev(&dir);
    check_ftruncate(&dir);
    check_big_file(&dir);
    check_sync(&dir);
    check_fstat(&dir);
    check_utimensat(&dir);
    check_ok!(fs::remove_tree(&dir), "remove {dir}");
    ulib::println!("t_file_io: ok");
    0
}

fn create(path: &str) -> i32 {
    check_ok!(
        fs::open(path, O_RDWR | O_CREAT | O_TRUNC, 0o644),
        "create {path}"
    )
}

fn close(fd: i32) {
    check_ok!(fs::close(fd), "close({fd})");
}

fn write(fd: i32, data: &[u8]) {
    check_eq!(
        fs::write(fd, data),
        Ok(data.len()),
        "write of {} bytes to fd {fd}",
        data.len()
    );
}

fn size(fd: i32) -> i64 {
    check_ok!(fs::fstat(fd), "fstat({fd})").st_size
}

fn offset(fd: i32) -> u64 {
    check_ok!(fs::lseek(fd, 0, SEEK_CUR), "lseek({fd}, 0, SEEK_CUR)")
}

/// `len` bytes at `offset`, read with `pread`, which must return all of them.
fn pread_exact(fd: i32, offset: u64, len: usize) -> Vec<u8> {
    let mut buf = vec![0u8; len];
    check_eq!(
        fs::pread(fd, &mut buf, offset as i64),
        Ok(len),
        "pread of {len} bytes at {offset}"
    );
    buf
}

/// The byte at `pos` of the pattern files: differs between neighbouring bytes and between
/// blocks, so a misplaced block or a shifted copy shows.
fn pattern(pos: u64) -> u8 {
    let block = (pos / 4096) as u32;
    let hash = block.wrapping_mul(2_654_435_761);
    (pos as u8) ^ (hash >> 24) as u8 ^ (hash >> 13) as u8
}

/// Checks that `data`, read at `offset`, is the pattern.
fn check_pattern(data: &[u8], offset: u64, what: &str) {
    if let Some(index) = (0..data.len()).find(|&i| data[i] != pattern(offset + i as u64)) {
        let pos = offset + index as u64;
        ulib::fail!(
            "{what}: byte {pos} is {:#x}, the pattern says {:#x}",
            data[index],
            pattern(pos)
        );
    }
}

fn check_lseek(dir: &str) {
    let fd = create(&format!("{dir}/seek"));
    write(fd, b"0123456789");
    let mut two = [0u8; 2];
    check_eq!(fs::lseek(fd, 4, SEEK_SET), Ok(4), "SEEK_SET 4");
    check_eq!(fs::read(fd, &mut two), Ok(2), "read at 4");
    check_eq!(&two, b"45", "the bytes at 4");
    check_eq!(fs::lseek(fd, -3, SEEK_CUR), Ok(3), "SEEK_CUR -3");
    check_eq!(fs::lseek(fd, 0, SEEK_CUR), Ok(3), "SEEK_CUR 0");
    check_eq!(fs::lseek(fd, 0, SEEK_END), Ok(10), "SEEK_END 0");
    check_eq!(fs::lseek(fd, -1, SEEK_END), Ok(9), "SEEK_END -1");
    check_eq!(fs::read(fd, &mut two), Ok(1), "read of the last byte");
    check_eq!(two[0], b'9', "the last byte");
    check_eq!(fs::read(fd, &mut two), Ok(0), "read at the end");
    check_eq!(
        fs::lseek(fd, 5, SEEK_END),
        Ok(15),
        "SEEK_END 5 (past the end)"
    );
    check_eq!(fs::read(fd, &mut two), Ok(0), "read past the end");
    check_eq!(size(fd), 10, "seeking past the end does not grow the file");
    check_eq!(fs::lseek(fd, 2, SEEK_SET), Ok(2), "SEEK_SET 2");
    for (off, whence, what) in [
        (-1, SEEK_SET, "SEEK_SET -1"),
        (-3, SEEK_CUR, "SEEK_CUR -3 from 2"),
        (-11, SEEK_END, "SEEK_END -11 from 10"),
        (0, 5, "whence 5"),
        (0, -1, "whence -1"),
        (0, 1000, "whence 1000"),
    ] {
        check_eq!(
            fs::lseek(fd, off, whence),
            Err(Errno::EINVAL),
            "lseek {what}"
        );
    }
    check_eq!(offset(fd), 2, "the failed seeks left the offset alone");
    close(fd);
}

fn check_holes(dir: &str) {
    let path = format!("{dir}/holes");
    let fd = create(&path);
    write(fd, b"A");
    check_eq!(fs::lseek(fd, 10_000, SEEK_SET), Ok(10_000), "seek to 10000");
    write(fd, b"Z");
    check_eq!(size(fd), 10_001, "size after writing past the end");
    let data = pread_exact(fd, 0, 10_001);
    check_eq!((data[0], data[10_000]), (b'A', b'Z'), "the written bytes");
    check!(
        data[1..10_000].iter().all(|&byte| byte == 0),
        "the 9999-byte gap (three blocks) reads as zeros"
    );

    let far = 1 << 20;
    check_eq!(fs::pwrite(fd, b"end", far), Ok(3), "pwrite at 1 MiB");
    check_eq!(size(fd), far + 3, "size after pwrite at 1 MiB");
    let mut pos = 10_001u64;
    let mut chunk = vec![0u8; WRITE_CHUNK];
    while pos < far as u64 {
        let len = WRITE_CHUNK.min((far as u64 - pos) as usize);
        check_eq!(
            fs::pread(fd, &mut chunk[..len], pos as i64),
            Ok(len),
            "pread in the hole at {pos}"
        );
        check!(
            chunk[..len].iter().all(|&byte| byte == 0),
            "the hole reads as zeros at {pos}..{}",
            pos + len as u64
        );
        pos += len as u64;
    }
    check_eq!(pread_exact(fd, far as u64, 3), b"end", "the bytes at 1 MiB");
    close(fd);
    check_ok!(fs::unlink(&path), "unlink {path}");
}

fn check_pread_pwrite(dir: &str) {
    let fd = create(&format!("{dir}/pread"));
    let data: Vec<u8> = (0..100u8).collect();
    write(fd, &data);
    check_eq!(fs::lseek(fd, 10, SEEK_SET), Ok(10), "seek to 10");
    check_eq!(pread_exact(fd, 50, 20), &data[50..70], "pread at 50");
    check_eq!(offset(fd), 10, "pread left the offset alone");
    check_eq!(fs::pwrite(fd, b"XY", 0), Ok(2), "pwrite at 0");
    check_eq!(offset(fd), 10, "pwrite left the offset alone");
    let mut two = [0u8; 2];
    check_eq!(fs::read(fd, &mut two), Ok(2), "read at the offset");
    check_eq!(&two, &data[10..12], "read after pread and pwrite");
    check_eq!(pread_exact(fd, 0, 3), b"XY\x02", "the pwritten bytes");
    let mut buf = [0u8; 20];
    check_eq!(fs::pread(fd, &mut buf, 95), Ok(5), "pread across the end");
    check_eq!(&buf[..5], &data[95..], "the short pread");
    check_eq!(fs::pread(fd, &mut buf, 100), Ok(0), "pread at the end");
    check_eq!(
        fs::pread(fd, &mut buf, 1 << 30),
        Ok(0),
        "pread far past the end"
    );
    check_eq!(
        fs::pread(fd, &mut buf, -1),
        Err(Errno::EINVAL),
        "pread at offset -1"
    );
    check_eq!(
        fs::pwrite(fd, b"x", -1),
        Err(Errno::EINVAL),
        "pwrite at offset -1"
    );
    check_eq!(fs::pwrite(fd, b"far", 200), Ok(3), "pwrite past the end");
    check_eq!(size(fd), 203, "size after pwrite past the end");
    check_eq!(pread_exact(fd, 100, 100), [0u8; 100], "the gap pwrite left");
    check_eq!(offset(fd), 12, "the offset after all that");
    close(fd);
}

fn check_readv_writev(dir: &str) {
    let fd = create(&format!("{dir}/vectors"));
    check_eq!(
        fs::writev(fd, &[b"ab", b"", b"cdef", b""]),
        Ok(6),
        "writev of 2 + 0 + 4 + 0 bytes"
    );
    check_eq!(fs::writev(fd, &[]), Ok(0), "writev of no buffers");
    check_eq!(pread_exact(fd, 0, 6), b"abcdef", "what writev gathered");
    check_eq!(fs::lseek(fd, 0, SEEK_SET), Ok(0), "rewind");
    let (mut a, mut b, mut c, mut d) = ([0u8; 2], [0u8; 0], [0u8; 3], [0u8; 10]);
    check_eq!(
        fs::readv(fd, &mut [&mut a, &mut b, &mut c, &mut d]),
        Ok(6),
        "readv into 2 + 0 + 3 + 10 bytes"
    );
    check_eq!(
        (&a, &c, &d[..1]),
        (b"ab", b"cde", &b"f"[..]),
        "what readv scattered"
    );
    check_eq!(fs::readv(fd, &mut [&mut d]), Ok(0), "readv at the end");
    check_eq!(fs::readv(fd, &mut []), Ok(0), "readv of no buffers");

    let byte = [b'v'];
    let many = vec![
        Iovec {
            base: byte.as_ptr() as usize,
            len: 0,
        };
        IOV_MAX + 1
    ];
    let fd_reg = fd as usize;
    let array = many.as_ptr() as usize;
    check_eq!(
        decode(raw::writev(fd_reg, array, IOV_MAX)),
        Ok(0),
        "writev of {IOV_MAX} empty buffers"
    );
    for count in [IOV_MAX + 1, usize::MAX] {
        check_eq!(
            decode(raw::writev(fd_reg, array, count)),
            Err(Errno::EINVAL),
            "writev of {count} buffers"
        );
        check_eq!(
            decode(raw::readv(fd_reg, array, count)),
            Err(Errno::EINVAL),
            "readv of {count} buffers"
        );
    }
    for bad in BAD_POINTERS {
        check_eq!(
            decode(raw::writev(fd_reg, bad, 1)),
            Err(Errno::EFAULT),
            "writev with the iovec array at {bad:#x}"
        );
        check_eq!(
            decode(raw::readv(fd_reg, bad, 1)),
            Err(Errno::EFAULT),
            "readv with the iovec array at {bad:#x}"
        );
        let bad_buffer = [Iovec { base: bad, len: 4 }];
        let array = bad_buffer.as_ptr() as usize;
        check_eq!(
            decode(raw::writev(fd_reg, array, 1)),
            Err(Errno::EFAULT),
            "writev from a buffer at {bad:#x}"
        );
        check_eq!(fs::lseek(fd, 0, SEEK_SET), Ok(0), "rewind");
        check_eq!(
            decode(raw::readv(fd_reg, array, 1)),
            Err(Errno::EFAULT),
            "readv into a buffer at {bad:#x}"
        );
    }
    check_eq!(size(fd), 6, "the failed writevs wrote nothing");
    let good = *b"GOOD";
    let mixed = [
        Iovec {
            base: good.as_ptr() as usize,
            len: good.len(),
        },
        Iovec {
            base: KERNEL_ADDR,
            len: 4,
        },
    ];
    check_eq!(fs::lseek(fd, 0, SEEK_END), Ok(6), "seek to the end");
    let result = decode(raw::writev(fd_reg, mixed.as_ptr() as usize, 2));
    check!(
        result == Err(Errno::EFAULT) || result == Ok(good.len()),
        "writev of a good and a kernel-half buffer: want EFAULT (or Linux's short count 4), \
         got {result:?}"
    );
    let expected_size = if result.is_ok() { 10 } else { 6 };
    check_eq!(size(fd), expected_size, "size after the mixed writev");
    close(fd);
}

fn check_ftruncate(dir: &str) {
    let path = format!("{dir}/truncate");
    let fd = create(&path);
    let data: Vec<u8> = (0..10_000u64).map(pattern).collect();
    write(fd, &data);
    check_eq!(fs::ftruncate(fd, 5000), Ok(()), "shrink to 5000");
    check_eq!(size(fd), 5000, "size after shrinking");
    check_eq!(offset(fd), 10_000, "ftruncate does not move the offset");
    check_eq!(
        pread_exact(fd, 4990, 10),
        &data[4990..5000],
        "the kept tail"
    );
    let mut buf = [0u8; 16];
    check_eq!(
        fs::pread(fd, &mut buf, 5000),
        Ok(0),
        "nothing after the new end"
    );
    check_eq!(fs::ftruncate(fd, 12_000), Ok(()), "grow to 12000");
    check_eq!(size(fd), 12_000, "size after growing");
    check!(
        pread_exact(fd, 5000, 7000).iter().all(|&byte| byte == 0),
        "bytes 5000..12000 read as zeros after shrinking and growing"
    );
    check_eq!(
        pread_exact(fd, 0, 5000),
        &data[..5000],
        "the first 5000 bytes"
    );
    check_eq!(fs::ftruncate(fd, 0), Ok(()), "truncate to 0");
    check_eq!(size(fd), 0, "size after truncating to 0");
    check_eq!(
        check_ok!(fs::fstat(fd), "fstat").st_blocks,
        0,
        "st_blocks of a file truncated to 0"
    );

    let big = 100 * 1024;
    let data: Vec<u8> = (0..big as u64).map(pattern).collect();
    check_eq!(fs::pwrite(fd, &data, 0), Ok(big), "pwrite 100 KiB");
    check_eq!(
        fs::ftruncate(fd, 50 * 1024 + 1),
        Ok(()),
        "shrink to 50 KiB + 1"
    );
    check_eq!(
        fs::ftruncate(fd, big as i64),
        Ok(()),
        "grow back to 100 KiB"
    );
    let back = pread_exact(fd, 0, big);
    check_pattern(&back[..50 * 1024 + 1], 0, "the kept 50 KiB + 1");
    check!(
        back[50 * 1024 + 1..].iter().all(|&byte| byte == 0),
        "the regrown part past 50 KiB reads as zeros"
    );
    check_eq!(fs::ftruncate(fd, -1), Err(Errno::EINVAL), "ftruncate to -1");
    close(fd);

    let read_only = check_ok!(fs::open(&path, O_RDONLY, 0), "open O_RDONLY");
    check_eq!(
        fs::ftruncate(read_only, 0),
        Err(Errno::EINVAL),
        "ftruncate of an O_RDONLY fd"
    );
    close(read_only);
    let directory = check_ok!(fs::open(dir, O_RDONLY | O_DIRECTORY, 0), "open {dir}");
    check_eq!(
        fs::ftruncate(directory, 0),
        Err(Errno::EINVAL),
        "ftruncate of a directory"
    );
    close(directory);
}

fn check_big_file(dir: &str) {
    let path = format!("{dir}/big");
    let fd = create(&path);
    let mut chunk = vec![0u8; WRITE_CHUNK];
    let mut pos = 0u64;
    while pos < BIG_SIZE {
        let len = WRITE_CHUNK.min((BIG_SIZE - pos) as usize);
        for (index, byte) in chunk[..len].iter_mut().enumerate() {
            *byte = pattern(pos + index as u64);
        }
        check_eq!(
            fs::write(fd, &chunk[..len]),
            Ok(len),
            "write of the big file at {pos}"
        );
        pos += len as u64;
    }
    check_eq!(size(fd), BIG_SIZE as i64, "size of the big file");
    let stat = check_ok!(fs::fstat(fd), "fstat");
    let allocated = stat.st_blocks as u64 * 512;
    check!(
        (BIG_SIZE..=BIG_SIZE + BIG_SIZE / 64 + 65_536).contains(&allocated),
        "st_blocks {} ({allocated} bytes) of a dense {BIG_SIZE}-byte file",
        stat.st_blocks
    );
    close(fd);

    let fd = check_ok!(fs::open(&path, O_RDONLY, 0), "reopen the big file");
    let mut buf = vec![0u8; READ_CHUNK];
    let mut pos = 0u64;
    loop {
        let count = check_ok!(fs::read_full(fd, &mut buf), "read at {pos}");
        check_pattern(&buf[..count], pos, "the big file read back");
        pos += count as u64;
        if count < buf.len() {
            break;
        }
    }
    check_eq!(pos, BIG_SIZE, "bytes read back");
    for edge in [4096, 48 * 1024, 1 << 20, 1036 * 4096, 4 << 20, BIG_SIZE - 1] {
        let len = 2.min((BIG_SIZE - edge + 1) as usize);
        let start = edge - 1;
        check_pattern(&pread_exact(fd, start, len), start, "pread at a block edge");
    }
    close(fd);
    check_ok!(fs::unlink(&path), "unlink the big file");
}

fn check_sync(dir: &str) {
    let fd = create(&format!("{dir}/synced"));
    write(fd, b"durable");
    check_eq!(fs::fsync(fd), Ok(()), "fsync of a file");
    close(fd);
    let directory = check_ok!(fs::open(dir, O_RDONLY | O_DIRECTORY, 0), "open {dir}");
    check_eq!(fs::fsync(directory), Ok(()), "fsync of a directory");
    close(directory);
    check_eq!(fs::sync(), Ok(()), "sync");
}

fn check_fstat(dir: &str) {
    let path = format!("{dir}/stat");
    let fd = create(&path);
    let empty = check_ok!(fs::fstat(fd), "fstat of an empty file");
    check_eq!(empty.st_mode & S_IFMT, S_IFREG, "type of a file");
    check_eq!(
        (empty.st_size, empty.st_blocks, empty.st_nlink),
        (0, 0, 1),
        "size, blocks and links of an empty file"
    );
    check!(
        empty.st_blksize > 0 && (empty.st_blksize as u32).is_power_of_two(),
        "st_blksize {} is a power of two",
        empty.st_blksize
    );
    write(fd, &[7u8; 5000]);
    let stat = check_ok!(fs::fstat(fd), "fstat");
    check_eq!(stat.st_size, 5000, "size after writing 5000 bytes");
    check!(
        (5000..=5000 + 65_536).contains(&(stat.st_blocks * 512)),
        "st_blocks {} for 5000 bytes",
        stat.st_blocks
    );
    let by_path = check_ok!(fs::stat(&path), "stat {path}");
    check_eq!(
        (by_path.st_dev, by_path.st_ino, by_path.st_size),
        (stat.st_dev, stat.st_ino, stat.st_size),
        "stat and fstat agree"
    );
    close(fd);
    let directory = check_ok!(fs::stat(dir), "stat {dir}");
    check_eq!(directory.st_mode & S_IFMT, S_IFDIR, "type of a directory");
    check!(directory.st_nlink >= 2, "a directory has at least 2 links");
    check_ne!(
        (directory.st_dev, directory.st_ino),
        (stat.st_dev, stat.st_ino),
        "a directory and a file in it have different inodes"
    );
    let tmp = check_ok!(fs::stat("/tmp"), "stat /tmp");
    check_eq!(tmp.st_mode & S_IFMT, S_IFDIR, "type of /tmp");
}

fn now() -> i64 {
    check_ok!(ulib::clock_gettime(CLOCK_REALTIME), "clock_gettime").tv_sec
}

/// (access, modification) seconds of `path`.
fn times_of(path: &str) -> (i64, i64) {
    let stat = check_ok!(fs::stat(path), "stat {path}");
    check!(
        stat.st_atime_nsec < 1_000_000_000 && stat.st_mtime_nsec < 1_000_000_000,
        "nanoseconds in range: {} {}",
        stat.st_atime_nsec,
        stat.st_mtime_nsec
    );
    (stat.st_atime, stat.st_mtime)
}

fn check_utimensat(dir: &str) {
    let path = format!("{dir}/times");
    let fd = create(&path);
    let at = |sec: i64, nsec: i64| Timespec {
        tv_sec: sec,
        tv_nsec: nsec,
    };
    let set = |times: &[Timespec; 2]| fs::utimensat(AT_FDCWD, Some(&path), Some(times), 0);
    check_eq!(
        set(&[at(1_000_000_000, 123), at(1_500_000_000, 456)]),
        Ok(()),
        "utimensat with explicit times"
    );
    check_eq!(
        times_of(&path),
        (1_000_000_000, 1_500_000_000),
        "the times utimensat set"
    );
    check_eq!(
        set(&[at(0, UTIME_OMIT), at(1_600_000_000, 0)]),
        Ok(()),
        "utimensat with UTIME_OMIT for the access time"
    );
    check_eq!(
        times_of(&path),
        (1_000_000_000, 1_600_000_000),
        "UTIME_OMIT kept the access time"
    );
    let before = now();
    check_eq!(
        set(&[at(1_000_000_000, UTIME_OMIT), at(0, UTIME_NOW)]),
        Ok(()),
        "utimensat with UTIME_NOW for the modification time"
    );
    let (atime, mtime) = times_of(&path);
    check_eq!(
        atime,
        1_000_000_000,
        "the access time after UTIME_NOW on mtime"
    );
    check!(
        mtime >= before - 2 && mtime <= now() + 2,
        "UTIME_NOW set the modification time to now ({before}): {mtime}"
    );
    check_eq!(
        fs::utimensat(
            fd,
            None,
            Some(&[at(2_000_000_000, 0), at(2_000_000_001, 0)]),
            0
        ),
        Ok(()),
        "utimensat on the open fd (futimens)"
    );
    check_eq!(
        times_of(&path),
        (2_000_000_000, 2_000_000_001),
        "the times futimens set"
    );
    check_eq!(
        fs::utimensat(AT_FDCWD, Some(&path), None, 0),
        Ok(()),
        "utimensat with NULL times"
    );
    let (atime, mtime) = times_of(&path);
    check!(
        (before - 2..=now() + 2).contains(&atime) && (before - 2..=now() + 2).contains(&mtime),
        "NULL times set both to now: {atime} {mtime}"
    );
    check_eq!(
        set(&[at(0, 1_000_000_000), at(0, 0)]),
        Err(Errno::EINVAL),
        "utimensat with tv_nsec 1e9"
    );
    check_eq!(
        set(&[at(0, -5), at(0, 0)]),
        Err(Errno::EINVAL),
        "utimensat with tv_nsec -5"
    );
    check_eq!(
        fs::utimensat(AT_FDCWD, Some(&path), None, 0x8000),
        Err(Errno::EINVAL),
        "utimensat with unknown flag 0x8000"
    );
    check_eq!(
        set(&[at(1_000_000_000, 0), at(1_000_000_000, 0)]),
        Ok(()),
        "reset the times"
    );
    let before = now();
    write(fd, b"touch");
    let (_, mtime) = times_of(&path);
    check!(
        mtime >= before - 2,
        "a write set the modification time to now ({before}): {mtime}"
    );
    close(fd);
}
