//! Test `t_bigfile` (expects `exit=0`): an 8 MiB file (xv6 usertests' `bigfile` and
//! `bigwrite`, scaled to Lantern's disk).
//!
//! Works in a fresh directory `/tmp/t_bigfile.<pid>` ([`fs::scratch_dir`]), removed at the
//! end.
//! - 8 MiB written in 64 KiB pieces with a position-dependent pattern (well past 12 direct
//!   and one single-indirect block, so doubly indirect blocks are in use), `fsync`ed and
//!   closed, has the right size and at least 8 MiB of blocks, and reads back exactly, then
//!   end of file.
//! - Writes of every size from 1 to 8 KiB in steps of 509 bytes, one after the other,
//!   land back to back (xv6's `bigwrite`).
//! - 10000 bytes overwritten at 6 MiB + 123 read back, and the bytes around them are
//!   unchanged.
//! - An `O_APPEND` write lands at 8 MiB; truncating to 0 leaves no blocks; unlinking works.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::format;
use alloc::vec;
use alloc::vec::Vec;

use ulib::abi::fs::{O_APPEND, O_CREAT, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY};
use ulib::fs;
use ulib::{check, check_eq, check_ok};

ulib::entry!(main);

/// The size of the big file.
const SIZE: u64 = 8 << 20;

/// Bytes per write and per read.
const CHUNK: usize = 64 * 1024;

/// Where the overwritten range starts.
const PATCH_AT: u64 = (6 << 20) + 123;

/// Bytes overwritten.
const PATCH_LEN: usize = 10_000;

fn pattern(pos: u64) -> u8 {
    let block = (pos / 4096) as u32;
    let hash = block.wrapping_mul(0x9e37_79b1) ^ 0x5bd1_e995;
    (pos as u8).wrapping_mul(3) ^ (hash >> 24) as u8 ^ (hash >> 9) as u8
}

fn patch(pos: u64) -> u8 {
    !pattern(pos) ^ 0x5a
}

/// What the big file holds at `pos` after the patch.
fn expected(pos: u64) -> u8 {
    if (PATCH_AT..PATCH_AT + PATCH_LEN as u64).contains(&pos) {
        patch(pos)
    } else {
        pattern(pos)
    }
}

fn check_bytes(data: &[u8], offset: u64, want: impl Fn(u64) -> u8, what: &str) {
    if let Some(index) = (0..data.len()).find(|&i| data[i] != want(offset + i as u64)) {
        let pos = offset + index as u64;
        ulib::fail!(
            "{what}: byte {pos} is {:#x}, expected {:#x}",
            data[index],
            want(pos)
        );
    }
}

fn main() -> i32 {
    let dir = check_ok!(fs::scratch_dir("t_bigfile"), "make the scratch directory");
    let path = format!("{dir}/big");
    write_big(&path);
    read_back(&path, pattern, "the big file");
    overwrite(&path);
    read_back(&path, expected, "the patched big file");
    check_bigwrite(&dir);
    let fd = check_ok!(fs::open(&path, O_WRONLY | O_APPEND, 0), "open O_APPEND");
    check_eq!(fs::write(fd, b"+"), Ok(1), "append one byte");
    let stat = check_ok!(fs::fstat(fd), "fstat");
    check_eq!(stat.st_size, SIZE as i64 + 1, "size after the append");
    check_ok!(fs::ftruncate(fd, 0), "truncate to 0");
    let stat = check_ok!(fs::fstat(fd), "fstat");
    check_eq!(
        (stat.st_size, stat.st_blocks),
        (0, 0),
        "size and blocks after truncating"
    );
    check_ok!(fs::close(fd), "close");
    check_ok!(fs::remove_tree(&dir), "remove {dir}");
    ulib::println!("t_bigfile: ok");
    0
}

fn write_big(path: &str) {
    let fd = check_ok!(
        fs::open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644),
        "create {path}"
    );
    let mut chunk = vec![0u8; CHUNK];
    let mut pos = 0u64;
    while pos < SIZE {
        for (index, byte) in chunk.iter_mut().enumerate() {
            *byte = pattern(pos + index as u64);
        }
        check_eq!(fs::write(fd, &chunk), Ok(CHUNK), "write at {pos}");
        pos += CHUNK as u64;
    }
    check_ok!(fs::fsync(fd), "fsync");
    check_ok!(fs::close(fd), "close");
    let stat = check_ok!(fs::stat(path), "stat {path}");
    check_eq!(stat.st_size, SIZE as i64, "size of the big file");
    check!(
        stat.st_blocks as u64 * 512 >= SIZE,
        "st_blocks {} cover the 8 MiB",
        stat.st_blocks
    );
}

fn read_back(path: &str, want: fn(u64) -> u8, what: &str) {
    let fd = check_ok!(fs::open(path, O_RDONLY, 0), "open {path}");
    let mut chunk = vec![0u8; CHUNK];
    let mut pos = 0u64;
    while pos < SIZE {
        check_eq!(fs::read_full(fd, &mut chunk), Ok(CHUNK), "read at {pos}");
        check_bytes(&chunk, pos, want, what);
        pos += CHUNK as u64;
    }
    check_eq!(fs::read(fd, &mut chunk), Ok(0), "end of file after 8 MiB");
    check_ok!(fs::close(fd), "close");
}

fn overwrite(path: &str) {
    let fd = check_ok!(fs::open(path, O_RDWR, 0), "open {path}");
    let data: Vec<u8> = (0..PATCH_LEN as u64).map(|i| patch(PATCH_AT + i)).collect();
    check_eq!(
        fs::pwrite(fd, &data, PATCH_AT as i64),
        Ok(PATCH_LEN),
        "overwrite at 6 MiB + 123"
    );
    let around = PATCH_AT - 5000;
    let mut buf = vec![0u8; PATCH_LEN + 10_000];
    check_eq!(
        fs::pread(fd, &mut buf, around as i64),
        Ok(buf.len()),
        "read around the overwritten range"
    );
    check_bytes(&buf, around, expected, "around the overwritten range");
    check_ok!(fs::close(fd), "close");
}

fn check_bigwrite(dir: &str) {
    let path = format!("{dir}/bigwrite");
    let fd = check_ok!(
        fs::open(&path, O_RDWR | O_CREAT | O_TRUNC, 0o644),
        "create {path}"
    );
    let mut total = 0u64;
    for size in (1..=8192).step_by(509) {
        let data: Vec<u8> = (0..size as u64).map(|i| pattern(total + i)).collect();
        check_eq!(fs::write(fd, &data), Ok(size), "write of {size} bytes");
        total += size as u64;
    }
    let mut back = vec![0u8; total as usize];
    check_eq!(fs::pread(fd, &mut back, 0), Ok(back.len()), "read back");
    check_bytes(&back, 0, pattern, "the writes of growing sizes");
    check_ok!(fs::close(fd), "close");
}
