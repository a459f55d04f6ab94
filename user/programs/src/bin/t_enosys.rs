//! Test `t_enosys` (expects `exit=0`): system-call numbers no Linux riscv64 call uses
//! (500, 9999, 1000000 and the largest number) must fail with `ENOSYS` whatever their
//! arguments, and the program must keep running normally afterwards.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use ulib::abi::Errno;
use ulib::syscall::decode;
use ulib::{check, check_eq, raw};

ulib::entry!(main);

fn main() -> i32 {
    let pid = ulib::getpid();
    check!(pid.is_ok(), "getpid before the unknown calls: {pid:?}");
    let argument_sets = [
        [0; 6],
        [1, 2, 3, 4, 5, 6],
        [usize::MAX; 6],
        [0xffff_ffc0_8020_0000, 0, 0, 0, 0, 0],
    ];
    for nr in [9999, 500, 1_000_000, usize::MAX] {
        for args in argument_sets {
            let ret = raw::unassigned(nr, args);
            check_eq!(
                decode(ret),
                Err(Errno::ENOSYS),
                "syscall {nr} with arguments {args:x?} (raw return {ret})"
            );
        }
        // Still alive and the kernel still serves real calls.
        check_eq!(ulib::getpid(), pid, "getpid after syscall {nr}");
        let line = b"t_enosys: still running\n";
        check_eq!(
            ulib::write(1, line),
            Ok(line.len()),
            "write after syscall {nr}"
        );
    }
    ulib::println!("t_enosys: ok");
    0
}
