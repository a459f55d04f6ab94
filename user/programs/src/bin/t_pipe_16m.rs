//! Test `t_pipe_16m` (expects `exit=0`): 16 MiB through a pipe, checked byte for byte
//! (concept I1). A child writes a pseudo-random stream in writes of varying sizes; the
//! parent reads it in reads of other sizes and compares every byte with the same stream.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::vec;
use ulib::abi::wait;
use ulib::{check, check_eq, check_ok, fs};

ulib::entry!(main);

const TOTAL: usize = 16 << 20;

/// Byte `i` of the stream (a cheap hash, so shifted or repeated data is caught).
fn byte(i: usize) -> u8 {
    let x = (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (x >> 56) as u8 ^ (i >> 12) as u8
}

fn main() -> i32 {
    let (reader, writer) = check_ok!(fs::pipe(), "pipe");
    let child = check_ok!(
        ulib::process::spawn(move || {
            let _ = fs::close(reader);
            let mut sent = 0;
            let mut size = 1;
            let mut buf = vec![0u8; 70_000];
            while sent < TOTAL {
                size = (size * 7 + 13) % 70_000 + 1;
                let n = size.min(TOTAL - sent);
                for (k, slot) in buf[..n].iter_mut().enumerate() {
                    *slot = byte(sent + k);
                }
                if ulib::io::write_all(writer, &buf[..n]).is_err() {
                    return 1;
                }
                sent += n;
            }
            0
        }),
        "fork the writer"
    );
    check_ok!(fs::close(writer), "close the parent's write end");
    let mut received = 0;
    let mut buf = vec![0u8; 50_000];
    let mut size = 3;
    loop {
        size = (size * 11 + 5) % 50_000 + 1;
        let n = check_ok!(fs::read(reader, &mut buf[..size]), "read");
        if n == 0 {
            break;
        }
        for (k, &b) in buf[..n].iter().enumerate() {
            check!(
                b == byte(received + k),
                "byte {} of the stream",
                received + k
            );
        }
        received += n;
    }
    check_eq!(received, TOTAL, "every byte arrived, then end of file");
    check_eq!(
        ulib::waitpid(child),
        Ok(wait::exited(0)),
        "the writer finished"
    );
    ulib::println!("t_pipe_16m: ok");
    0
}
