//! `crash_check`: the verdict of the crash-consistency test (concept F3).
//!
//! Booted as init after QEMU was killed in the middle of `crash_writer`, with
//! `durable=<n>` on the kernel command line (read from `/proc/cmdline`): every file
//! `crash_writer` reported durable must be there — as `/crash/f<i>`, or `/crash/g<i>` if it
//! was renamed, unless the churn deleted it — with exactly the contents it was written with.
//! Exits 0 if so (the kernel then powers off with success).

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::format;
use ulib::fs;

ulib::entry!(main);

fn contents(i: u64) -> alloc::vec::Vec<u8> {
    let len = 1000 + (i * 7919 % 60_000) as usize;
    (0..len).map(|k| (i as usize * 31 + k * 7) as u8).collect()
}

/// Whether the churn of a step that may have run (at most one step past the last durable
/// one) deletes file `i`: file `i` (with `i % 10 == 4`) is renamed at step `i + 5` and
/// deleted at step `i + 15`.
fn may_be_deleted(i: u64, durable: u64) -> bool {
    i % 10 == 4 && i + 15 <= durable + 1
}

fn main() -> i32 {
    let cmdline = fs::read_to_string("/proc/cmdline").unwrap_or_default();
    let Some(durable) = cmdline
        .split_whitespace()
        .find_map(|w| w.strip_prefix("durable="))
        .and_then(|n| n.parse::<u64>().ok())
    else {
        ulib::eprintln!("crash_check: no durable=<n> on the command line ({cmdline:?})");
        return 2;
    };
    let mut checked = 0;
    for i in 0..=durable {
        // A rename at a step that may or may not have completed: accept either name.
        let found = [format!("/crash/f{i}"), format!("/crash/g{i}")]
            .into_iter()
            .find_map(|path| fs::read_file(&path).ok().map(|data| (path, data)));
        match found {
            Some((_, data)) if data == contents(i) => checked += 1,
            Some((path, data)) => {
                ulib::eprintln!(
                    "crash_check: {path} has {} bytes, not the {} written",
                    data.len(),
                    contents(i).len()
                );
                return 1;
            }
            None if may_be_deleted(i, durable) => {}
            None => {
                ulib::eprintln!("crash_check: file {i} was durable but is missing");
                return 1;
            }
        }
    }
    ulib::println!("crash_check: ok, {checked} durable files intact up to {durable}");
    0
}
