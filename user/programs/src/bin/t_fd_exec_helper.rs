//! `t_fd_exec_helper`: the program `t_fd_basics` executes to see which descriptors survived
//! `execve` (not a test by itself).
//!
//! Expects `argv = [path, "<open fds>", "<closed fds>", "<fd>@<offset>=<text>", "<fd>"]`:
//! - every fd of the comma-separated `<open fds>` is open and not close-on-exec;
//! - every fd of `<closed fds>` is closed (`EBADF`);
//! - the fourth argument's fd is at file offset `<offset>` and reads `<text>` from there
//!   (the open file, offset included, survived the exec);
//! - the fifth argument's fd is open `O_WRONLY | O_APPEND` (status flags survived).
//!
//! Exits 0 if all of that holds, 1 (after saying what differs) otherwise.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::vec;
use alloc::vec::Vec;

use ulib::abi::Errno;
use ulib::abi::fs::{F_GETFD, F_GETFL, O_ACCMODE, O_APPEND, O_NONBLOCK, O_WRONLY, SEEK_CUR};
use ulib::{check_eq, check_ok, env, fail, fs};

ulib::entry!(main);

fn main() -> i32 {
    let args: Vec<&str> = env::args().collect();
    check_eq!(args.len(), 5, "argc");
    for fd in fds(args[1]) {
        check_eq!(
            fs::fcntl(fd, F_GETFD, 0),
            Ok(0),
            "fd {fd} is open after exec"
        );
    }
    for fd in fds(args[2]) {
        check_eq!(
            fs::fcntl(fd, F_GETFD, 0),
            Err(Errno::EBADF),
            "close-on-exec fd {fd} is closed after exec"
        );
    }
    let Some((fd, rest)) = args[3].split_once('@') else {
        fail!("bad read spec {:?}", args[3])
    };
    let Some((offset, text)) = rest.split_once('=') else {
        fail!("bad read spec {:?}", args[3])
    };
    let fd = number(fd);
    check_eq!(
        fs::lseek(fd, 0, SEEK_CUR),
        Ok(u64::from(number(offset).unsigned_abs())),
        "fd {fd} kept its offset across exec"
    );
    let mut buf = vec![0u8; text.len() + 1];
    check_eq!(
        fs::read_full(fd, &mut buf),
        Ok(text.len()),
        "read the rest of fd {fd}"
    );
    check_eq!(&buf[..text.len()], text.as_bytes(), "what fd {fd} reads");
    let append = number(args[4]);
    let flags = check_ok!(fs::fcntl(append, F_GETFL, 0), "F_GETFL({append})") as u32;
    check_eq!(
        flags & (O_ACCMODE | O_APPEND | O_NONBLOCK),
        O_WRONLY | O_APPEND,
        "fd {append} kept its status flags across exec"
    );
    0
}

fn number(text: &str) -> i32 {
    check_ok!(text.parse::<i32>(), "the number {text:?}")
}

fn fds(list: &str) -> Vec<i32> {
    list.split(',').map(number).collect()
}
