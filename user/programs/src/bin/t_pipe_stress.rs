//! Test `t_pipe_stress` (expects `exit=0`): pipes under load between several processes.
//!
//! - A pipeline of 5 processes joined by 4 pipes: the first generates 1 MiB of
//!   pseudo-random bytes (xorshift) in writes of pseudo-random sizes (1 byte to 8 KiB), three
//!   forwarders pass on whatever each read returns (reads of pseudo-random sizes), and the
//!   last counts the bytes and compares a checksum (FNV-1a) with that of the generated
//!   stream. Every process closes the pipe ends it does not use, so end of file travels
//!   down the chain.
//! - Ping-pong: two processes bounce one byte 2000 times through two pipes (each round a
//!   blocked reader must be woken), incrementing it on the way.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::vec;
use alloc::vec::Vec;

use ulib::abi::wait;
use ulib::fs;
use ulib::{Pid, check_eq, check_ok};

ulib::entry!(main);

/// Processes in the pipeline.
const STAGES: usize = 5;

/// Bytes the generator sends.
const TOTAL: usize = 1 << 20;

/// Seed of the generated stream.
const SEED: u64 = 0x1a27_e54d_0c3b_9f61;

/// Round trips of the ping-pong.
const ROUNDS: usize = 2000;

/// A xorshift64 generator: the stream's bytes and the sizes of reads and writes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A size in `1..=max`.
    fn size(&mut self, max: usize) -> usize {
        (self.next() % max as u64) as usize + 1
    }
}

/// FNV-1a over a byte stream.
struct Checksum(u64);

impl Checksum {
    fn new() -> Checksum {
        Checksum(0xcbf2_9ce4_8422_2325)
    }

    fn add(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0 ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// The generated stream, in the pieces the generator writes.
fn pieces(mut emit: impl FnMut(&[u8]) -> bool) -> bool {
    let mut data = Rng(SEED);
    let mut sizes = Rng(SEED ^ 0xffff);
    let mut buf = vec![0u8; 8192];
    let mut sent = 0;
    while sent < TOTAL {
        let len = sizes.size(8192).min(TOTAL - sent);
        for byte in &mut buf[..len] {
            *byte = data.next() as u8;
        }
        if !emit(&buf[..len]) {
            return false;
        }
        sent += len;
    }
    true
}

fn main() -> i32 {
    check_pipeline();
    check_ping_pong();
    ulib::println!("t_pipe_stress: ok");
    0
}

/// Closes every pipe end in `pipes` except `keep`.
fn close_others(pipes: &[(i32, i32)], keep: &[i32]) -> bool {
    pipes
        .iter()
        .flat_map(|&(r, w)| [r, w])
        .filter(|fd| !keep.contains(fd))
        .all(|fd| fs::close(fd).is_ok())
}

fn generator(out: i32) -> i32 {
    if pieces(|piece| fs::write_all(out, piece).is_ok()) {
        0
    } else {
        1
    }
}

fn forwarder(input: i32, out: i32, stage: usize) -> i32 {
    let mut sizes = Rng(SEED.rotate_left(stage as u32 * 8) | 1);
    let mut buf = vec![0u8; 10_000];
    loop {
        let want = sizes.size(buf.len());
        match fs::read(input, &mut buf[..want]) {
            Ok(0) => return 0,
            Ok(count) => {
                if fs::write_all(out, &buf[..count]).is_err() {
                    return 2;
                }
            }
            Err(_) => return 3,
        }
    }
}

fn checker(input: i32) -> i32 {
    let mut expected = Checksum::new();
    pieces(|piece| {
        expected.add(piece);
        true
    });
    let mut got = Checksum::new();
    let mut received = 0;
    let mut buf = vec![0u8; 5000];
    loop {
        match fs::read(input, &mut buf) {
            Ok(0) => break,
            Ok(count) => {
                got.add(&buf[..count]);
                received += count;
            }
            Err(_) => return 3,
        }
    }
    if received != TOTAL {
        ulib::eprintln!("t_pipe_stress: the last stage received {received} of {TOTAL} bytes");
        return 4;
    }
    if got.0 != expected.0 {
        ulib::eprintln!(
            "t_pipe_stress: checksum {:#x}, the generator's is {:#x}",
            got.0,
            expected.0
        );
        return 5;
    }
    0
}

fn check_pipeline() {
    let pipes: Vec<(i32, i32)> = (0..STAGES - 1)
        .map(|_| check_ok!(fs::pipe(), "pipe"))
        .collect();
    let mut children: Vec<Pid> = Vec::new();
    for stage in 0..STAGES {
        let input = stage.checked_sub(1).map(|index| pipes[index].0);
        let output = pipes.get(stage).map(|&(_, w)| w);
        let pipes = &pipes;
        let child = check_ok!(
            ulib::spawn(move || {
                let keep: Vec<i32> = input.into_iter().chain(output).collect();
                if !close_others(pipes, &keep) {
                    return 6;
                }
                match (input, output) {
                    (None, Some(out)) => generator(out),
                    (Some(input), Some(out)) => forwarder(input, out, stage),
                    (Some(input), None) => checker(input),
                    (None, None) => 7,
                }
            }),
            "fork stage {stage}"
        );
        children.push(child);
    }
    check_eq!(
        close_others(&pipes, &[]),
        true,
        "the parent closes every pipe end"
    );
    for (stage, child) in children.into_iter().enumerate() {
        check_eq!(
            ulib::waitpid(child),
            Ok(wait::exited(0)),
            "stage {stage} of {STAGES} (4: short stream, 5: checksum mismatch)"
        );
    }
}

fn check_ping_pong() {
    let (to_child_r, to_child_w) = check_ok!(fs::pipe(), "pipe");
    let (to_parent_r, to_parent_w) = check_ok!(fs::pipe(), "pipe");
    let child = check_ok!(
        ulib::spawn(|| {
            let _ = fs::close(to_child_w);
            let _ = fs::close(to_parent_r);
            let mut byte = [0u8];
            loop {
                match fs::read(to_child_r, &mut byte) {
                    Ok(0) => return 0,
                    Ok(_) => {
                        byte[0] = byte[0].wrapping_add(1);
                        if fs::write(to_parent_w, &byte) != Ok(1) {
                            return 1;
                        }
                    }
                    Err(_) => return 2,
                }
            }
        }),
        "fork"
    );
    check_ok!(fs::close(to_child_r), "close");
    check_ok!(fs::close(to_parent_w), "close");
    let mut byte = [0u8];
    for round in 0..ROUNDS {
        check_eq!(fs::write(to_child_w, &byte), Ok(1), "ping {round}");
        check_eq!(fs::read(to_parent_r, &mut byte), Ok(1), "pong {round}");
        byte[0] = byte[0].wrapping_add(1);
    }
    check_eq!(
        byte[0],
        (2 * ROUNDS) as u8,
        "the byte after {ROUNDS} rounds"
    );
    check_ok!(fs::close(to_child_w), "close");
    check_eq!(
        ulib::waitpid(child),
        Ok(wait::exited(0)),
        "the ping-pong child"
    );
    check_ok!(fs::close(to_parent_r), "close");
}
