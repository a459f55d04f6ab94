//! Test `t_two_writers` (expects `exit=0`): two processes on two harts write different
//! files at the same time (concepts F1, F2, K7). Each child pins itself to its own hart
//! (`sched_setaffinity`) and writes 2 MiB in 8 KiB pieces, each piece carrying the writer's
//! number and offset; afterwards both files must hold exactly what their writer wrote.
//! With one hart the children simply share it.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::format;
use alloc::vec;
use ulib::abi::fs::{O_CREAT, O_TRUNC, O_WRONLY};
use ulib::abi::wait;
use ulib::{check, check_eq, check_ok, fs};

ulib::entry!(main);

const SIZE: usize = 2 << 20;
const PIECE: usize = 8192;

fn expected(writer: u8, offset: usize) -> u8 {
    writer.wrapping_mul(101) ^ (offset / 7) as u8
}

fn main() -> i32 {
    let harts = ulib::sched::sched_getaffinity(0).map_or(1, |mask| mask.count_ones());
    let mut children = vec![];
    for writer in 0..2u8 {
        let child = check_ok!(
            ulib::process::spawn(move || {
                if harts > 1 {
                    let _ = ulib::sched::sched_setaffinity(0, 1 << writer);
                }
                let path = format!("/tmp/t_two_writers.{writer}");
                let Ok(fd) = fs::open(&path, O_WRONLY | O_CREAT | O_TRUNC, 0o644) else {
                    return 1;
                };
                let mut piece = vec![0u8; PIECE];
                for start in (0..SIZE).step_by(PIECE) {
                    for (k, slot) in piece.iter_mut().enumerate() {
                        *slot = expected(writer, start + k);
                    }
                    if ulib::io::write_all(fd, &piece).is_err() {
                        return 2;
                    }
                }
                i32::from(fs::close(fd).is_err())
            }),
            "fork writer {writer}"
        );
        children.push(child);
    }
    for child in children {
        check_eq!(
            ulib::waitpid(child),
            Ok(wait::exited(0)),
            "writer {child} succeeded"
        );
    }
    for writer in 0..2u8 {
        let path = format!("/tmp/t_two_writers.{writer}");
        let data = check_ok!(fs::read_file(&path), "read {path}");
        check_eq!(data.len(), SIZE, "size of {path}");
        check!(
            data.iter()
                .enumerate()
                .all(|(i, &b)| b == expected(writer, i)),
            "{path} holds exactly what its writer wrote"
        );
        check_ok!(fs::unlink(&path), "unlink {path}");
    }
    ulib::println!("t_two_writers: ok ({harts} harts)");
    0
}
