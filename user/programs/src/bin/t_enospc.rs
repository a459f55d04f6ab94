//! Test `t_enospc` (expects `exit=0`): a full disk (concept F2).
//!
//! Writes 1 MiB chunks to a file in /tmp until the file system refuses: the refusal must be
//! ENOSPC (or a short write followed by ENOSPC), never a crash or silent loss. `statfs`
//! must then report (nearly) no free blocks. Deleting the file must give the space back:
//! free blocks rise again and a new 1 MiB file can be written and read back intact.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::vec;
use ulib::abi::errno::Errno;
use ulib::abi::fs::{O_CREAT, O_RDONLY, O_TRUNC, O_WRONLY};
use ulib::{check, check_eq, check_ok, fs};

ulib::entry!(main);

const CHUNK: usize = 1 << 20;

fn main() -> i32 {
    let before = check_ok!(fs::statfs("/tmp"), "statfs before");
    let path = "/tmp/t_enospc.fill";
    let fd = check_ok!(
        fs::open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644),
        "create {path}"
    );
    let chunk = vec![0x5au8; CHUNK];
    let mut written: u64 = 0;
    let refusal = loop {
        match fs::write(fd, &chunk) {
            Ok(n) if n == CHUNK => written += n as u64,
            Ok(n) => {
                // A short write at the end of the space: the next one must be refused.
                written += n as u64;
            }
            Err(e) => break e,
        }
        check!(written < 1 << 31, "the disk never filled up");
    };
    check_eq!(refusal, Errno::ENOSPC, "writing to a full disk");
    check_ok!(fs::close(fd), "close {path}");
    let full = check_ok!(fs::statfs("/tmp"), "statfs when full");
    check!(
        full.f_bfree * full.f_bsize as u64 <= 2 * CHUNK as u64,
        "statfs reports the disk full ({} free blocks)",
        full.f_bfree
    );
    check!(
        written >= CHUNK as u64,
        "at least a MiB fit before the disk filled"
    );

    check_ok!(fs::unlink(path), "unlink {path}");
    let after = check_ok!(fs::statfs("/tmp"), "statfs after the delete");
    check!(
        after.f_bfree + 16 >= before.f_bfree,
        "deleting the file gave the space back ({} free before, {} after)",
        before.f_bfree,
        after.f_bfree
    );
    let again = "/tmp/t_enospc.again";
    let pattern: alloc::vec::Vec<u8> = (0..CHUNK).map(|i| (i % 253) as u8).collect();
    check_ok!(
        fs::write_file(again, &pattern, 0o644),
        "write {again} after recovery"
    );
    let fd = check_ok!(fs::open(again, O_RDONLY, 0), "open {again}");
    let mut back = vec![0u8; CHUNK];
    check_eq!(fs::read_full(fd, &mut back), Ok(CHUNK), "read {again}");
    check!(back == pattern, "{again} reads back what was written");
    check_ok!(fs::close(fd), "close");
    check_ok!(fs::unlink(again), "unlink {again}");
    ulib::println!("t_enospc: ok ({} MiB fit)", written >> 20);
    0
}
