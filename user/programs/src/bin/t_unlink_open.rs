//! Test `t_unlink_open` (expects `exit=0`): a file whose last name is removed lives on while a
//! descriptor refers to it, and its space is freed when the last one closes.
//!
//! Works in a fresh directory `/tmp/t_unlink_open.<pid>` ([`fs::scratch_dir`]).
//! - A 1 MiB file (direct and indirect blocks) is unlinked while open: its name is gone
//!   (`stat` is `ENOENT`, `getdents64` does not list it), `fstat` says 0 links and the old
//!   size, and it can still be read, written, extended and truncated.
//! - A new file created under the same name is a different, empty file.
//! - A `dup` keeps the file alive after the original descriptor is closed, and a child
//!   that inherited the descriptor reads and writes it too.
//! - The directory that held it can be removed while the file is still open.
//! - With `statfs` (Linux has it; if the kernel answers `ENOSYS` that part is skipped), the
//!   free block count of `/tmp` rises by at least three quarters of the file's size once the
//!   last descriptor is closed (after a `sync`, so a journal has committed).

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::format;
use alloc::vec;
use alloc::vec::Vec;

use ulib::abi::Errno;
use ulib::abi::fs::{O_CREAT, O_RDWR, O_TRUNC};
use ulib::abi::wait;
use ulib::fs;
use ulib::{check, check_eq, check_ok};

ulib::entry!(main);

/// Size of the unlinked file.
const SIZE: usize = 1 << 20;

fn pattern(pos: usize) -> u8 {
    (pos as u8) ^ ((pos >> 12) as u8).wrapping_mul(29)
}

/// The free blocks of `/tmp` in bytes, or `None` if the kernel has no `statfs`.
fn free_bytes() -> Option<u64> {
    match fs::statfs("/tmp") {
        Ok(info) => Some(info.f_bfree * info.f_bsize),
        Err(Errno::ENOSYS) => None,
        Err(error) => ulib::fail!("statfs(/tmp): {error}"),
    }
}

fn pread_all(fd: i32, len: usize, offset: i64) -> Vec<u8> {
    let mut buf = vec![0u8; len];
    check_eq!(
        fs::pread(fd, &mut buf, offset),
        Ok(len),
        "pread of {len} bytes at {offset}"
    );
    buf
}

fn main() -> i32 {
    let dir = check_ok!(
        fs::scratch_dir("t_unlink_open"),
        "make the scratch directory"
    );
    let path = format!("{dir}/victim");
    let fd = check_ok!(
        fs::open(&path, O_RDWR | O_CREAT | O_TRUNC, 0o644),
        "create {path}"
    );
    let data: Vec<u8> = (0..SIZE).map(pattern).collect();
    check_ok!(fs::write_all(fd, &data), "write 1 MiB");
    let ino = check_ok!(fs::fstat(fd), "fstat").st_ino;

    check_ok!(fs::unlink(&path), "unlink the open file");
    check_eq!(
        fs::stat(&path).map(|stat| stat.st_ino),
        Err(Errno::ENOENT),
        "stat of the unlinked name"
    );
    let listed = check_ok!(fs::read_dir(&dir), "list {dir}");
    check!(
        listed.iter().all(|entry| entry.name != "victim"),
        "the unlinked name is not listed"
    );
    let stat = check_ok!(fs::fstat(fd), "fstat of the unlinked file");
    check_eq!(
        (stat.st_nlink, stat.st_size, stat.st_ino),
        (0, SIZE as i64, ino),
        "links, size and inode of the unlinked file"
    );
    check!(
        pread_all(fd, SIZE, 0) == data,
        "the unlinked file reads back whole"
    );
    check_eq!(fs::write(fd, b"tail"), Ok(4), "append to the unlinked file");
    check_eq!(pread_all(fd, 4, SIZE as i64), b"tail", "the appended bytes");

    let other = check_ok!(
        fs::open(&path, O_RDWR | O_CREAT, 0o644),
        "create a new file with the old name"
    );
    let new_stat = check_ok!(fs::fstat(other), "fstat of the new file");
    check!(
        new_stat.st_ino != ino && new_stat.st_size == 0 && new_stat.st_nlink == 1,
        "the new file is another, empty file (ino {} size {} links {})",
        new_stat.st_ino,
        new_stat.st_size,
        new_stat.st_nlink
    );
    check_ok!(fs::close(other), "close the new file");
    check_ok!(fs::unlink(&path), "unlink the new file");

    let copy = check_ok!(fs::dup(fd), "dup");
    check_ok!(fs::close(fd), "close the original descriptor");
    check!(
        pread_all(copy, 4096, 4096) == data[4096..8192],
        "the dup still reads the file"
    );
    let child = check_ok!(
        ulib::spawn(|| {
            let mut buf = [0u8; 16];
            let read_ok = fs::pread(copy, &mut buf, 100) == Ok(16) && buf[..] == data[100..116];
            let wrote = fs::pwrite(copy, b"child", 0) == Ok(5);
            if read_ok && wrote { 0 } else { 1 }
        }),
        "fork"
    );
    check_eq!(
        ulib::waitpid(child),
        Ok(wait::exited(0)),
        "the child read and wrote the unlinked file"
    );
    check_eq!(pread_all(copy, 5, 0), b"child", "the child's write");
    check_ok!(fs::ftruncate(copy, 8192), "truncate the unlinked file");
    check_eq!(
        check_ok!(fs::fstat(copy), "fstat").st_size,
        8192,
        "size after truncating the unlinked file"
    );
    check_eq!(
        fs::pwrite(copy, &data[8192..], 8192),
        Ok(SIZE - 8192),
        "write the truncated part back"
    );

    check_ok!(
        fs::rmdir(&dir),
        "rmdir the directory of the open, unlinked file"
    );
    check_eq!(
        pread_all(copy, 5, 0),
        b"child",
        "the file after its directory is gone"
    );
    check_ok!(fs::fsync(copy), "fsync of the unlinked file");
    check_ok!(fs::sync(), "sync");
    let before = free_bytes();
    check_ok!(fs::close(copy), "close the last descriptor");
    check_ok!(fs::sync(), "sync");
    match (before, free_bytes()) {
        (Some(before), Some(after)) => check!(
            after >= before + (SIZE as u64) * 3 / 4,
            "closing the last descriptor freed the file's blocks: {before} -> {after} bytes \
             free"
        ),
        _ => ulib::println!("t_unlink_open: no statfs, not checking that the space was freed"),
    }
    ulib::println!("t_unlink_open: ok");
    0
}
