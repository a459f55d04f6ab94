//! Test `t_devfs` (expects `exit=0`): the device files in `/dev`.
//!
//! - `/dev` is a directory that lists `console`, `tty`, `null`, `zero`, `random` and `urandom` as
//!   character devices (`DT_CHR`), and `stat` says `S_IFCHR` for each.
//! - `/dev/null` reads end of file and swallows writes whole.
//! - `/dev/zero` fills a read with zeros (64 KiB at once) and accepts writes.
//! - `/dev/random` and `/dev/urandom` return bytes that are not all the same and differ from
//!   read to read.
//! - `/dev/console` can be opened for writing and takes a line. On Lantern the console is
//!   also what descriptors 0, 1 and 2 of every test are, so `fstat(1)` says `S_IFCHR`
//!   there (elsewhere the runner's output may be a pipe or file).
//! - A missing name in `/dev` is `ENOENT`; creating a file or a directory there is refused
//!   with `EACCES`, `EROFS` or `EPERM` (whichever the system uses; Linux's devtmpfs needs a
//!   read-only mount for that, as the verification setup provides); on Lantern, removing
//!   `/dev/null` is refused the same way (not tried elsewhere, where it might succeed).

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::format;
use alloc::vec;
use alloc::vec::Vec;

use ulib::abi::Errno;
use ulib::abi::fs::{DT_CHR, O_CREAT, O_RDONLY, O_RDWR, O_WRONLY, S_IFCHR, S_IFDIR, S_IFMT};
use ulib::fs;
use ulib::{check, check_eq, check_ok};

ulib::entry!(main);

/// The devices every system here has.
const DEVICES: [&str; 6] = ["console", "tty", "null", "zero", "random", "urandom"];

/// The errors that say "this file system does not take new files".
const REFUSALS: [Errno; 3] = [Errno::EACCES, Errno::EROFS, Errno::EPERM];

fn main() -> i32 {
    check_listing();
    check_null();
    check_zero();
    check_random("/dev/random");
    check_random("/dev/urandom");
    check_console();
    check_refusals();
    ulib::println!("t_devfs: ok");
    0
}

fn open(path: &str, flags: u32) -> i32 {
    check_ok!(fs::open(path, flags, 0), "open {path}")
}

fn close(fd: i32) {
    check_ok!(fs::close(fd), "close({fd})");
}

fn check_listing() {
    let dev = check_ok!(fs::stat("/dev"), "stat /dev");
    check_eq!(dev.st_mode & S_IFMT, S_IFDIR, "/dev is a directory");
    let entries = check_ok!(fs::read_dir("/dev"), "list /dev");
    for name in DEVICES {
        let found: Vec<u8> = entries
            .iter()
            .filter(|entry| entry.name == name)
            .map(|entry| entry.kind)
            .collect();
        check_eq!(
            found,
            [DT_CHR],
            "/dev lists {name} once, as a character device"
        );
        let path = format!("/dev/{name}");
        let stat = check_ok!(fs::stat(&path), "stat {path}");
        check_eq!(
            stat.st_mode & S_IFMT,
            S_IFCHR,
            "{path} is a character device"
        );
    }
}

fn check_null() {
    let fd = open("/dev/null", O_RDWR);
    let stat = check_ok!(fs::fstat(fd), "fstat /dev/null");
    check_eq!(stat.st_mode & S_IFMT, S_IFCHR, "fstat of /dev/null");
    let mut buf = [0x11u8; 64];
    check_eq!(fs::read(fd, &mut buf), Ok(0), "read from /dev/null");
    check_eq!(buf, [0x11; 64], "a read from /dev/null stores nothing");
    let big = vec![0x22u8; 100_000];
    check_eq!(
        fs::write(fd, &big),
        Ok(big.len()),
        "write of 100000 bytes to /dev/null"
    );
    check_eq!(fs::write(fd, b""), Ok(0), "empty write to /dev/null");
    close(fd);
}

fn check_zero() {
    let fd = open("/dev/zero", O_RDWR);
    let mut buf = vec![0xffu8; 64 * 1024];
    check_eq!(
        fs::read(fd, &mut buf),
        Ok(buf.len()),
        "read 64 KiB from /dev/zero"
    );
    check!(buf.iter().all(|&byte| byte == 0), "/dev/zero gave zeros");
    let mut small = [0xffu8; 3];
    check_eq!(
        fs::read(fd, &mut small),
        Ok(3),
        "read 3 bytes from /dev/zero"
    );
    check_eq!(small, [0; 3], "the 3 bytes");
    check_eq!(fs::write(fd, b"ignored"), Ok(7), "write to /dev/zero");
    close(fd);
}

fn check_random(path: &str) {
    let fd = open(path, O_RDONLY);
    let mut first = [0u8; 64];
    let mut second = [0u8; 64];
    check_eq!(
        fs::read(fd, &mut first),
        Ok(64),
        "read 64 bytes from {path}"
    );
    check_eq!(
        fs::read(fd, &mut second),
        Ok(64),
        "read 64 more from {path}"
    );
    check!(
        first.iter().any(|&byte| byte != first[0]),
        "{path} gave 64 equal bytes"
    );
    check!(first != second, "two reads of {path} gave the same bytes");
    close(fd);
}

fn check_console() {
    let fd = open("/dev/console", O_WRONLY);
    let line = b"t_devfs: a line written to /dev/console\n";
    check_eq!(fs::write(fd, line), Ok(line.len()), "write to /dev/console");
    let stat = check_ok!(fs::fstat(fd), "fstat /dev/console");
    check_eq!(stat.st_mode & S_IFMT, S_IFCHR, "fstat of /dev/console");
    close(fd);
    if ulib::on_lantern() {
        for std in 0..3 {
            let stat = check_ok!(fs::fstat(std), "fstat({std})");
            check_eq!(
                stat.st_mode & S_IFMT,
                S_IFCHR,
                "descriptor {std} is the console"
            );
        }
    }
}

fn refused(result: Result<(), Errno>, what: &str) {
    match result {
        Err(error) if REFUSALS.contains(&error) => {}
        other => ulib::fail!("{what}: want EACCES, EROFS or EPERM, got {other:?}"),
    }
}

fn check_refusals() {
    check_eq!(
        fs::open("/dev/no_such_device", O_RDONLY, 0),
        Err(Errno::ENOENT),
        "open a missing /dev entry"
    );
    check_eq!(
        fs::stat("/dev/no_such_device").map(|stat| stat.st_ino),
        Err(Errno::ENOENT),
        "stat a missing /dev entry"
    );
    refused(
        fs::open("/dev/t_devfs_file", O_WRONLY | O_CREAT, 0o644).map(|_| ()),
        "create a file in /dev",
    );
    refused(fs::mkdir("/dev/t_devfs_dir", 0o755), "mkdir in /dev");
    if ulib::on_lantern() {
        refused(fs::unlink("/dev/null"), "unlink /dev/null");
        refused(fs::rename("/dev/zero", "/dev/zero2"), "rename /dev/zero");
    }
}
