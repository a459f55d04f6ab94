//! `crash_writer`: the workload of the crash-consistency test (concept F3).
//!
//! Booted as init by `cargo xtask test`, it writes files `/crash/f<i>` for ever, each with
//! contents derived from `i` (and a length that varies), and makes each one durable with
//! `fsync` before printing `crash: durable <i>`. Every tenth file also renames and deletes
//! older ones, so the journal sees all kinds of metadata changes. The host kills QEMU at a
//! random moment; `crash_check` then verifies that everything reported durable survived.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::format;
use ulib::abi::fs::{O_CREAT, O_TRUNC, O_WRONLY};
use ulib::fs;

ulib::entry!(main);

/// The contents of file `i`: its length and bytes depend on `i` only.
fn contents(i: u64) -> alloc::vec::Vec<u8> {
    let len = 1000 + (i * 7919 % 60_000) as usize;
    (0..len).map(|k| (i as usize * 31 + k * 7) as u8).collect()
}

fn main() -> i32 {
    let _ = fs::mkdir("/crash", 0o755);
    let mut i: u64 = 0;
    loop {
        let path = format!("/crash/f{i}");
        let fd = match fs::open(&path, O_WRONLY | O_CREAT | O_TRUNC, 0o644) {
            Ok(fd) => fd,
            Err(e) => ulib::fail!("open {path}: {e}"),
        };
        if let Err(e) = fs::write_all(fd, &contents(i)) {
            ulib::fail!("write {path}: {e}");
        }
        if let Err(e) = fs::fsync(fd) {
            ulib::fail!("fsync {path}: {e}");
        }
        let _ = fs::close(fd);
        if i % 10 == 9 {
            // Churn: rename an older file and delete an even older one.
            let _ = fs::rename(&format!("/crash/f{}", i - 5), &format!("/crash/g{}", i - 5));
            if i >= 15 {
                let _ = fs::unlink(&format!("/crash/g{}", i - 15));
            }
            let _ = fs::sync();
        }
        ulib::println!("crash: durable {i}");
        i += 1;
    }
}
