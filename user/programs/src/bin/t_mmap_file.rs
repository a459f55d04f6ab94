//! Test `t_mmap_file` (expects `exit=0`): file mappings (concept M5).
//!
//! - A MAP_SHARED mapping shows the file's bytes; what is written through it is what
//!   `pread` returns after `msync(MS_SYNC)`, after `munmap`, and after the writer (a child)
//!   exits.
//! - A MAP_PRIVATE mapping of the same file also shows its bytes, but what is written
//!   through it never reaches the file.
//! - The bytes past the end of the file in the last page read as zeros and are not written
//!   back (the file keeps its size).
//! - `msync` with both MS_SYNC and MS_ASYNC, or an unaligned address, is EINVAL; of an
//!   unmapped range, ENOMEM.
//! - Last, it leaves `/mmap_persist` written only through a shared mapping and `msync`.
//!   `cargo xtask test` then boots again with `init=/bin/t_mmap_file mmap_verify` on the
//!   command line, and this program checks that the file came back from the disk intact.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::vec;
use alloc::vec::Vec;
use ulib::abi::errno::Errno;
use ulib::abi::fs::{O_CREAT, O_RDWR, O_TRUNC};
use ulib::abi::mm::{MS_ASYNC, MS_SYNC};
use ulib::abi::wait;
use ulib::fs;
use ulib::mm::{Mapping, msync};
use ulib::process::Fork;
use ulib::{check, check_eq};

ulib::entry!(main);

const PAGE: usize = 4096;
const SCRATCH: &str = "/t_mmap_file.dat";
const PERSIST: &str = "/mmap_persist";
/// Bytes of the persisted file: two and a half pages.
const PERSIST_LEN: usize = 2 * PAGE + PAGE / 2;

/// The byte at `offset` of the persisted file (a pattern no zeroed or stale page matches).
fn persist_byte(offset: usize) -> u8 {
    (offset.wrapping_mul(31) % 253) as u8 ^ 0x5a
}

/// The file's bytes as `pread` sees them.
fn file_bytes(fd: i32, len: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; len];
    let got = fs::pread(fd, &mut bytes, 0).unwrap_or_else(|e| ulib::fail!("pread: {e}"));
    check_eq!(got, len, "pread of the whole file");
    bytes
}

fn open_scratch(len: usize) -> i32 {
    let fd = fs::open(SCRATCH, O_RDWR | O_CREAT | O_TRUNC, 0o644)
        .unwrap_or_else(|e| ulib::fail!("open {SCRATCH}: {e}"));
    let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
    check_eq!(fs::pwrite(fd, &data, 0).ok(), Some(len), "fill the file");
    fd
}

fn shared_writes_reach_the_file() {
    // Two and a half pages: the last page is part file, part beyond its end.
    let len = 2 * PAGE + 100;
    let fd = open_scratch(len);
    let mut map = Mapping::file(fd, 3 * PAGE, 0, true).unwrap_or_else(|e| ulib::fail!("mmap: {e}"));
    check!(
        map.bytes()[..len] == file_bytes(fd, len)[..],
        "a shared mapping shows the file's bytes"
    );
    check!(
        map.bytes()[len..].iter().all(|&b| b == 0),
        "past the end of the file the last page reads zeros"
    );
    map.bytes_mut()[10] = 0xaa;
    map.bytes_mut()[2 * PAGE + 5] = 0xbb;
    map.bytes_mut()[len + 1] = 0xcc; // beyond the end: never written back
    msync(map.addr(), 3 * PAGE, MS_SYNC).unwrap_or_else(|e| ulib::fail!("msync: {e}"));
    let bytes = file_bytes(fd, len);
    check_eq!(bytes[10], 0xaa, "pread sees a write to page 0 after msync");
    check_eq!(
        bytes[2 * PAGE + 5],
        0xbb,
        "pread sees a write to page 2 after msync"
    );
    check_eq!(bytes[11], 11, "unwritten bytes are unchanged");

    map.bytes_mut()[PAGE + 7] = 0xdd;
    drop(map); // munmap
    check_eq!(
        file_bytes(fd, len)[PAGE + 7],
        0xdd,
        "munmap writes a shared mapping back"
    );
    let mut size = [0u8; 1];
    check_eq!(
        fs::pread(fd, &mut size, len as i64).ok(),
        Some(0),
        "the file keeps its size (nothing past its end was written back)"
    );

    match ulib::fork() {
        Ok(Fork::Child) => {
            let mut map = Mapping::file(fd, 3 * PAGE, 0, true)
                .unwrap_or_else(|e| ulib::fail!("child mmap: {e}"));
            map.bytes_mut()[20] = 0xee;
            ulib::exit(0) // no msync, no munmap: exit unmaps
        }
        Ok(Fork::Parent(pid)) => {
            let status = ulib::waitpid(pid).unwrap_or_else(|e| ulib::fail!("wait: {e}"));
            check_eq!(status, wait::exited(0), "the child mapped and wrote");
            check_eq!(
                file_bytes(fd, len)[20],
                0xee,
                "a child's write through a shared mapping reaches the file when it exits"
            );
        }
        Err(e) => ulib::fail!("fork: {e}"),
    }
    let _ = fs::close(fd);
}

fn private_writes_stay_private() {
    let len = 2 * PAGE;
    let fd = open_scratch(len);
    let before = file_bytes(fd, len);
    let mut map =
        Mapping::file(fd, len, 0, false).unwrap_or_else(|e| ulib::fail!("mmap private: {e}"));
    check!(
        map.bytes() == &before[..],
        "a private mapping shows the file's bytes"
    );
    map.bytes_mut()[3] = 0x11;
    map.bytes_mut()[PAGE + 3] = 0x22;
    check_eq!(map.bytes()[3], 0x11, "the mapping keeps its own write");
    let _ = msync(map.addr(), len, MS_SYNC);
    drop(map);
    check!(
        file_bytes(fd, len) == before,
        "writes through a private mapping never reach the file"
    );
    let _ = fs::close(fd);
}

fn bad_msync() {
    let fd = open_scratch(PAGE);
    let map = Mapping::file(fd, PAGE, 0, true).unwrap_or_else(|e| ulib::fail!("mmap: {e}"));
    check_eq!(
        msync(map.addr(), PAGE, MS_SYNC | MS_ASYNC).err(),
        Some(Errno::EINVAL),
        "MS_SYNC with MS_ASYNC"
    );
    check_eq!(
        msync(map.addr() + 1, PAGE, MS_SYNC).err(),
        Some(Errno::EINVAL),
        "an unaligned address"
    );
    let addr = map.addr();
    drop(map);
    check_eq!(
        msync(addr, PAGE, MS_SYNC).err(),
        Some(Errno::ENOMEM),
        "an unmapped range"
    );
    let _ = fs::close(fd);
    let _ = fs::unlink(SCRATCH);
}

/// Writes `/mmap_persist` through a shared mapping only (the file is created empty and
/// sized with ftruncate), then msync.
fn leave_persisted_file() {
    let fd = fs::open(PERSIST, O_RDWR | O_CREAT | O_TRUNC, 0o644)
        .unwrap_or_else(|e| ulib::fail!("open {PERSIST}: {e}"));
    fs::ftruncate(fd, PERSIST_LEN as i64).unwrap_or_else(|e| ulib::fail!("ftruncate: {e}"));
    let mut map =
        Mapping::file(fd, PERSIST_LEN, 0, true).unwrap_or_else(|e| ulib::fail!("mmap: {e}"));
    for (offset, byte) in map.bytes_mut()[..PERSIST_LEN].iter_mut().enumerate() {
        *byte = persist_byte(offset);
    }
    msync(map.addr(), PERSIST_LEN, MS_SYNC).unwrap_or_else(|e| ulib::fail!("msync: {e}"));
    // The mapping stays until exit; msync(MS_SYNC) has put the bytes on the disk already.
    core::mem::forget(map);
    let _ = fs::close(fd);
}

/// The second boot: the persisted file is there with its bytes.
fn verify_persisted() -> i32 {
    let bytes = fs::read_file(PERSIST).unwrap_or_else(|e| ulib::fail!("read {PERSIST}: {e}"));
    check_eq!(bytes.len(), PERSIST_LEN, "the persisted file's size");
    let wrong = bytes
        .iter()
        .enumerate()
        .filter(|&(offset, &byte)| byte != persist_byte(offset))
        .count();
    check_eq!(
        wrong,
        0,
        "bytes of {PERSIST} differ from what was written through the mapping"
    );
    ulib::println!("t_mmap_file: {PERSIST} came back from the disk intact");
    0
}

fn main() -> i32 {
    let cmdline = fs::read_to_string("/proc/cmdline").unwrap_or_default();
    if cmdline.split_whitespace().any(|word| word == "mmap_verify") {
        return verify_persisted();
    }
    shared_writes_reach_the_file();
    private_writes_stay_private();
    bad_msync();
    leave_persisted_file();
    ulib::println!("t_mmap_file: ok");
    0
}
