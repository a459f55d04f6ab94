//! Test `t_fd_basics` (expects `exit=0`): file descriptors, open files and `open` flags.
//!
//! Works in a fresh directory `/tmp/t_fd_basics.<pid>` ([`fs::scratch_dir`]), removed at the
//! end.
//! - A file created in `/tmp` reads back what was written; a read at the end returns 0.
//! - Offsets live in the open file, not the descriptor: they are shared by `dup`ed
//!   descriptors and, across `fork`, between parent and child (the child writes, the
//!   parent's offset moves); a second `open` of the same file has its own offset.
//! - `open`, `dup` and `pipe2` return the lowest free descriptor, 0 included.
//! - `O_APPEND` writes at the end whatever the offset and whoever else wrote; `O_TRUNC`
//!   empties; `O_CREAT | O_EXCL` on an existing name is `EEXIST`; a missing name without
//!   `O_CREAT` is `ENOENT`; `O_DIRECTORY` on a file is `ENOTDIR`; a directory opened for
//!   writing or with `O_CREAT` is `EISDIR`.
//! - Close-on-exec: descriptors opened with `O_CLOEXEC`, marked with `F_SETFD`, made by
//!   `F_DUPFD_CLOEXEC` or `dup3(.., O_CLOEXEC)` are closed by `execve`; others (and `dup`s of
//!   a close-on-exec descriptor) stay open with their offset and flags. A child execs
//!   `/bin/t_fd_exec_helper`, which checks that, with the descriptor numbers in its argv.
//! - `fcntl`: `F_GETFD`/`F_SETFD`; `F_GETFL` reports the access mode and status flags (bits
//!   Linux adds, such as `O_LARGEFILE`, are ignored); `F_SETFL` changes `O_APPEND` and
//!   `O_NONBLOCK` but not the access mode; `F_DUPFD`/`F_DUPFD_CLOEXEC` take the lowest free
//!   descriptor at or above the minimum; a minimum at or above the limit (the argument is
//!   taken as a C `int`, then as unsigned, so -1 and 2^31 count), or an unknown command,
//!   is `EINVAL`. `dup3` onto itself or with unknown flags is `EINVAL`, onto a
//!   descriptor at or above the limit `EBADF`; onto an open descriptor it replaces it.
//! - Every descriptor call on a closed, negative or huge descriptor is `EBADF`; so is
//!   writing to an `O_RDONLY` descriptor and reading from an `O_WRONLY` one; reading a
//!   directory is `EISDIR`.
//! - The per-process limit is 1024 descriptors: opening `/dev/null` again and again fills
//!   exactly the free slots below 1024, then `open`, `dup`, `F_DUPFD` and `pipe2` fail with
//!   `EMFILE`; closing one frees exactly that slot. (On Linux this needs `RLIMIT_NOFILE` at
//!   1024, the usual default.)

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use ulib::abi::Errno;
use ulib::abi::fs::{
    F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD, F_GETFL, F_SETFD, F_SETFL, FD_CLOEXEC, O_ACCMODE, O_APPEND,
    O_CLOEXEC, O_CREAT, O_DIRECTORY, O_EXCL, O_NONBLOCK, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY,
    S_IFMT, S_IFREG, SEEK_CUR, SEEK_SET,
};
use ulib::abi::wait;
use ulib::fs;
use ulib::{check, check_eq, check_ok};

ulib::entry!(main);

/// The program that checks which descriptors survived an exec.
const HELPER: &str = "/bin/t_fd_exec_helper";

/// Lantern's per-process descriptor limit (and Linux's default `RLIMIT_NOFILE`).
const FD_LIMIT: i32 = 1024;

/// The `F_GETFL` bits this test looks at.
const FL_MASK: u32 = O_ACCMODE | O_APPEND | O_NONBLOCK;

fn main() -> i32 {
    let dir = check_ok!(fs::scratch_dir("t_fd_basics"), "make the scratch directory");
    check_create_write_read(&dir);
    check_shared_offsets(&dir);
    check_lowest_free();
    check_open_flags(&dir);
    check_cloexec_exec(&dir);
    check_fcntl(&dir);
    check_dup3(&dir);
    check_bad_fds();
    check_access_modes(&dir);
    check_emfile();
    check_ok!(fs::remove_tree(&dir), "remove {dir}");
    ulib::println!("t_fd_basics: ok");
    0
}

fn open(path: &str, flags: u32) -> i32 {
    check_ok!(fs::open(path, flags, 0o644), "open({path:?}, {flags:#o})")
}

fn close(fd: i32) {
    check_ok!(fs::close(fd), "close({fd})");
}

fn write(fd: i32, data: &[u8]) {
    check_eq!(
        fs::write(fd, data),
        Ok(data.len()),
        "write of {} bytes to fd {fd}",
        data.len()
    );
}

fn offset(fd: i32) -> u64 {
    check_ok!(fs::lseek(fd, 0, SEEK_CUR), "lseek({fd}, 0, SEEK_CUR)")
}

fn contents(path: &str) -> Vec<u8> {
    check_ok!(fs::read_file(path), "read {path}")
}

fn check_create_write_read(dir: &str) {
    let path = format!("{dir}/hello");
    let text = b"hello, lantern\n";
    let fd = open(&path, O_RDWR | O_CREAT | O_EXCL);
    write(fd, text);
    check_eq!(offset(fd), text.len() as u64, "offset after the write");
    check_eq!(fs::lseek(fd, 0, SEEK_SET), Ok(0), "rewind");
    let mut buf = [0u8; 64];
    check_eq!(fs::read(fd, &mut buf), Ok(text.len()), "read back");
    check_eq!(&buf[..text.len()], text, "the bytes read back");
    check_eq!(fs::read(fd, &mut buf), Ok(0), "read at end of file");
    let stat = check_ok!(fs::fstat(fd), "fstat");
    check_eq!(stat.st_mode & S_IFMT, S_IFREG, "a new file is regular");
    check_eq!(stat.st_size, text.len() as i64, "st_size");
    check_eq!(stat.st_nlink, 1, "st_nlink of a new file");
    close(fd);
    check_eq!(contents(&path), text, "the file after reopening");
}

fn check_shared_offsets(dir: &str) {
    let path = format!("{dir}/shared");
    let fd = open(&path, O_RDWR | O_CREAT | O_TRUNC);
    write(fd, b"abc");
    let copy = check_ok!(fs::dup(fd), "dup");
    check_eq!(offset(copy), 3, "a dup starts at the original's offset");
    write(copy, b"de");
    check_eq!(
        offset(fd),
        5,
        "a write through the dup moves the original's offset"
    );
    check_eq!(fs::lseek(fd, 1, SEEK_SET), Ok(1), "lseek(fd, 1)");
    check_eq!(
        offset(copy),
        1,
        "lseek on the original moves the dup's offset"
    );
    let separate = open(&path, O_RDONLY);
    check_eq!(offset(separate), 0, "a second open has its own offset");
    close(separate);

    let child = check_ok!(
        ulib::spawn(|| match fs::write(fd, b"12345") {
            Ok(5) => 0,
            _ => 1,
        }),
        "fork"
    );
    check_eq!(
        ulib::waitpid(child),
        Ok(wait::exited(0)),
        "the child wrote 5 bytes through the inherited descriptor"
    );
    check_eq!(offset(fd), 6, "the child's write moved the parent's offset");
    check_eq!(offset(copy), 6, "... and the dup's");
    close(fd);
    write(copy, b"!");
    close(copy);
    check_eq!(
        contents(&path),
        b"a12345!",
        "the file after writes by dup, child and the dup after closing the original"
    );
}

/// The lowest descriptor at or above `min` that is not open.
fn lowest_free_from(min: i32) -> i32 {
    (min..FD_LIMIT)
        .find(|&fd| fs::fcntl(fd, F_GETFD, 0) == Err(Errno::EBADF))
        .unwrap_or(FD_LIMIT)
}

fn check_lowest_free() {
    let [a, b, c] = [0; 3].map(|_| open("/dev/null", O_RDONLY));
    check!(
        a < b && b < c,
        "three opens give increasing fds: {a} {b} {c}"
    );
    check_eq!(lowest_free_from(0), c + 1, "no free fd below the three");
    close(b);
    check_eq!(
        fs::open("/dev/null", O_RDONLY, 0),
        Ok(b),
        "open after closing {b}"
    );
    close(a);
    close(b);
    check_eq!(fs::dup(c), Ok(a), "dup after closing {a} and {b}");
    let write_end = lowest_free_from(b + 1);
    check_eq!(
        fs::pipe(),
        Ok((b, write_end)),
        "pipe takes the two lowest free fds"
    );
    let saved = check_ok!(fs::dup(0), "dup(0)");
    close(0);
    check_eq!(
        fs::open("/dev/null", O_RDONLY, 0),
        Ok(0),
        "open after closing 0"
    );
    check_eq!(fs::dup2(saved, 0), Ok(0), "dup2 the saved stdin back to 0");
    for fd in [saved, a, b, c, write_end] {
        close(fd);
    }
}

fn check_open_flags(dir: &str) {
    let path = format!("{dir}/flags");
    check_ok!(fs::write_file(&path, b"base", 0o644), "create {path}");
    let append = open(&path, O_WRONLY | O_APPEND);
    check_eq!(
        fs::lseek(append, 0, SEEK_SET),
        Ok(0),
        "rewind the O_APPEND fd"
    );
    write(append, b"++");
    check_eq!(contents(&path), b"base++", "O_APPEND wrote at the end");
    check_eq!(offset(append), 6, "offset after an O_APPEND write");
    let plain = open(&path, O_WRONLY);
    write(plain, b"B");
    write(append, b"!");
    check_eq!(contents(&path), b"Base++!", "O_APPEND after another writer");
    check_eq!(fs::pwrite(plain, b"xyz", 7), Ok(3), "pwrite past the end");
    write(append, b"?");
    check_eq!(
        contents(&path),
        b"Base++!xyz?",
        "O_APPEND after the file grew"
    );
    close(plain);
    close(append);

    let again = open(&path, O_RDWR | O_CREAT);
    check_eq!(
        check_ok!(fs::fstat(again), "fstat").st_size,
        11,
        "O_CREAT on an existing file keeps it"
    );
    close(again);
    let truncated = open(&path, O_RDWR | O_TRUNC);
    check_eq!(
        check_ok!(fs::fstat(truncated), "fstat").st_size,
        0,
        "size after O_TRUNC"
    );
    let mut buf = [0u8; 8];
    check_eq!(fs::read(truncated, &mut buf), Ok(0), "read after O_TRUNC");
    close(truncated);

    let errors = [
        (path.clone(), O_WRONLY | O_CREAT | O_EXCL, Errno::EEXIST),
        (format!("{dir}/missing"), O_RDONLY, Errno::ENOENT),
        (format!("{dir}/missing"), O_RDWR | O_TRUNC, Errno::ENOENT),
        (path.clone(), O_RDONLY | O_DIRECTORY, Errno::ENOTDIR),
        (String::from(dir), O_WRONLY, Errno::EISDIR),
        (String::from(dir), O_RDWR, Errno::EISDIR),
        (String::from(dir), O_RDONLY | O_CREAT, Errno::EISDIR),
    ];
    for (path, flags, expected) in errors {
        check_eq!(
            fs::open(&path, flags, 0o644),
            Err(expected),
            "open({path:?}, {flags:#o})"
        );
    }
    let fd = open(dir, O_RDONLY | O_DIRECTORY);
    close(fd);
}

fn check_cloexec_exec(dir: &str) {
    let path = format!("{dir}/exec");
    check_ok!(fs::write_file(&path, b"kept across exec", 0o644), "create");
    let keep = open(&path, O_RDONLY);
    check_eq!(fs::lseek(keep, 5, SEEK_SET), Ok(5), "lseek the kept fd");
    let gone_open = open(&path, O_RDONLY | O_CLOEXEC);
    let gone_setfd = open(&path, O_RDONLY);
    check_eq!(
        fs::fcntl(gone_setfd, F_SETFD, FD_CLOEXEC as usize),
        Ok(0),
        "F_SETFD FD_CLOEXEC"
    );
    let gone_dupfd = check_ok!(fs::fcntl(keep, F_DUPFD_CLOEXEC, 0), "F_DUPFD_CLOEXEC");
    let gone_dup3 = open("/dev/null", O_RDONLY);
    check_eq!(
        fs::dup3(keep, gone_dup3, O_CLOEXEC),
        Ok(gone_dup3),
        "dup3(.., O_CLOEXEC)"
    );
    let keep_dup = check_ok!(fs::dup(gone_open), "dup of a close-on-exec fd");
    check_eq!(
        fs::fcntl(keep_dup, F_GETFD, 0),
        Ok(0),
        "dup clears close-on-exec"
    );
    let keep_append = open(&path, O_WRONLY | O_APPEND);

    let kept = [0, 1, 2, keep, keep_dup, keep_append];
    let gone = [gone_open, gone_setfd, gone_dupfd, gone_dup3];
    let list = |fds: &[i32]| {
        let numbers: Vec<String> = fds.iter().map(|fd| format!("{fd}")).collect();
        numbers.join(",")
    };
    let open_list = list(&kept);
    let closed_list = list(&gone);
    let read_spec = format!("{keep}@5=across exec");
    let append_spec = format!("{keep_append}");
    let child = check_ok!(
        ulib::spawn(|| {
            let error = ulib::execve(
                HELPER,
                &[HELPER, &open_list, &closed_list, &read_spec, &append_spec],
                &[],
            );
            ulib::eprintln!("t_fd_basics: execve({HELPER}) failed: {error}");
            100
        }),
        "fork"
    );
    check_eq!(
        ulib::waitpid(child),
        Ok(wait::exited(0)),
        "{HELPER} found the kept fds {open_list} open and {closed_list} closed"
    );
    check_eq!(
        offset(keep),
        16,
        "the helper's read moved the parent's offset"
    );
    for fd in gone {
        check_eq!(
            fs::fcntl(fd, F_GETFD, 0),
            Ok(FD_CLOEXEC as i32),
            "fd {fd} is still open, close-on-exec, in the parent"
        );
        close(fd);
    }
    for fd in [keep, keep_dup, keep_append] {
        close(fd);
    }
}

fn check_fcntl(dir: &str) {
    let path = format!("{dir}/fcntl");
    check_ok!(fs::write_file(&path, b"0123", 0o644), "create");
    let fd = open(&path, O_RDWR);
    check_eq!(fs::fcntl(fd, F_GETFD, 0), Ok(0), "F_GETFD of a new fd");
    check_eq!(
        fs::fcntl(fd, F_SETFD, FD_CLOEXEC as usize),
        Ok(0),
        "F_SETFD FD_CLOEXEC"
    );
    check_eq!(
        fs::fcntl(fd, F_GETFD, 0),
        Ok(FD_CLOEXEC as i32),
        "F_GETFD after F_SETFD"
    );
    check_eq!(fs::fcntl(fd, F_SETFD, 0), Ok(0), "F_SETFD 0");
    check_eq!(fs::fcntl(fd, F_GETFD, 0), Ok(0), "F_GETFD after clearing");

    let getfl = |fd: i32| check_ok!(fs::fcntl(fd, F_GETFL, 0), "F_GETFL") as u32 & FL_MASK;
    check_eq!(getfl(fd), O_RDWR, "F_GETFL of an O_RDWR fd");
    let flags = (O_APPEND | O_NONBLOCK | O_WRONLY) as usize;
    check_eq!(fs::fcntl(fd, F_SETFL, flags), Ok(0), "F_SETFL");
    check_eq!(
        getfl(fd),
        O_RDWR | O_APPEND | O_NONBLOCK,
        "F_SETFL sets O_APPEND and O_NONBLOCK, not the access mode"
    );
    check_eq!(fs::lseek(fd, 0, SEEK_SET), Ok(0), "rewind");
    write(fd, b"4");
    check_eq!(contents(&path), b"01234", "F_SETFL O_APPEND took effect");
    check_eq!(fs::fcntl(fd, F_SETFL, 0), Ok(0), "F_SETFL 0");
    check_eq!(getfl(fd), O_RDWR, "F_GETFL after clearing");
    check_eq!(fs::lseek(fd, 0, SEEK_SET), Ok(0), "rewind");
    write(fd, b"X");
    check_eq!(contents(&path), b"X1234", "O_APPEND is off again");
    let read_only = open(&path, O_RDONLY);
    check_eq!(getfl(read_only), O_RDONLY, "F_GETFL of an O_RDONLY fd");
    close(read_only);
    let write_only = open(&path, O_WRONLY | O_APPEND);
    check_eq!(
        getfl(write_only),
        O_WRONLY | O_APPEND,
        "F_GETFL of O_WRONLY|O_APPEND"
    );
    close(write_only);

    let min = 100;
    for fd in min..min + 3 {
        check_eq!(
            fs::fcntl(fd, F_GETFD, 0),
            Err(Errno::EBADF),
            "fd {fd} is free before the F_DUPFD checks"
        );
    }
    check_eq!(
        fs::fcntl(fd, F_DUPFD, min as usize),
        Ok(min),
        "F_DUPFD {min}"
    );
    check_eq!(
        fs::fcntl(fd, F_DUPFD, min as usize),
        Ok(min + 1),
        "F_DUPFD {min} again"
    );
    check_eq!(
        fs::fcntl(min, F_GETFD, 0),
        Ok(0),
        "F_DUPFD clears close-on-exec"
    );
    check_eq!(
        fs::fcntl(fd, F_DUPFD_CLOEXEC, min as usize),
        Ok(min + 2),
        "F_DUPFD_CLOEXEC {min}"
    );
    check_eq!(
        fs::fcntl(min + 2, F_GETFD, 0),
        Ok(FD_CLOEXEC as i32),
        "F_DUPFD_CLOEXEC sets close-on-exec"
    );
    check_eq!(
        offset(min + 1),
        offset(fd),
        "an F_DUPFD copy shares the offset"
    );
    for copy in min..min + 3 {
        close(copy);
    }
    let lowest = lowest_free_from(0);
    check_eq!(
        fs::fcntl(fd, F_DUPFD, 0),
        Ok(lowest),
        "F_DUPFD 0 takes the lowest free fd"
    );
    close(lowest);
    for (arg, what) in [
        (FD_LIMIT as usize, "the limit"),
        (usize::MAX, "-1"),
        (0x8000_0000, "2^31 (Linux reads the argument as an int)"),
    ] {
        check_eq!(
            fs::fcntl(fd, F_DUPFD, arg),
            Err(Errno::EINVAL),
            "F_DUPFD with a minimum of {what}"
        );
    }
    check_eq!(
        fs::fcntl(fd, 9999, 0),
        Err(Errno::EINVAL),
        "fcntl with unknown command 9999"
    );
    close(fd);
}

fn check_dup3(dir: &str) {
    let path = format!("{dir}/dup3");
    let fd = open(&path, O_RDWR | O_CREAT);
    let target = open("/dev/null", O_RDONLY);
    check_eq!(fs::dup3(fd, target, 0), Ok(target), "dup3 onto an open fd");
    let (ours, theirs) = (
        check_ok!(fs::fstat(fd), "fstat"),
        check_ok!(fs::fstat(target), "fstat"),
    );
    check_eq!(
        (theirs.st_dev, theirs.st_ino),
        (ours.st_dev, ours.st_ino),
        "dup3 replaced /dev/null with the file"
    );
    check_eq!(
        fs::fcntl(target, F_GETFD, 0),
        Ok(0),
        "dup3 without O_CLOEXEC"
    );
    check_eq!(fs::dup3(fd, fd, 0), Err(Errno::EINVAL), "dup3 onto itself");
    check_eq!(fs::dup2(fd, fd), Ok(fd), "dup2 onto itself");
    check_eq!(
        fs::dup3(fd, target, O_APPEND),
        Err(Errno::EINVAL),
        "dup3 with flag O_APPEND"
    );
    for new in [FD_LIMIT, i32::MAX, -1] {
        check_eq!(fs::dup3(fd, new, 0), Err(Errno::EBADF), "dup3 onto {new}");
    }
    close(target);
    close(fd);
}

fn check_bad_fds() {
    let closed = open("/dev/null", O_RDONLY);
    close(closed);
    let mut buf = [0u8; 8];
    for fd in [closed, -1, -100, FD_LIMIT, 1_000_000, i32::MAX] {
        check_eq!(fs::read(fd, &mut buf), Err(Errno::EBADF), "read({fd})");
        check_eq!(fs::write(fd, b"x"), Err(Errno::EBADF), "write({fd})");
        check_eq!(fs::pread(fd, &mut buf, 0), Err(Errno::EBADF), "pread({fd})");
        check_eq!(fs::pwrite(fd, b"x", 0), Err(Errno::EBADF), "pwrite({fd})");
        check_eq!(fs::close(fd), Err(Errno::EBADF), "close({fd})");
        check_eq!(
            fs::fstat(fd).map(|stat| stat.st_ino),
            Err(Errno::EBADF),
            "fstat({fd})"
        );
        check_eq!(fs::lseek(fd, 0, SEEK_SET), Err(Errno::EBADF), "lseek({fd})");
        check_eq!(fs::dup(fd), Err(Errno::EBADF), "dup({fd})");
        check_eq!(fs::dup3(fd, 50, 0), Err(Errno::EBADF), "dup3({fd}, 50)");
        check_eq!(
            fs::fcntl(fd, F_GETFD, 0),
            Err(Errno::EBADF),
            "F_GETFD({fd})"
        );
        check_eq!(fs::fsync(fd), Err(Errno::EBADF), "fsync({fd})");
        check_eq!(fs::ftruncate(fd, 0), Err(Errno::EBADF), "ftruncate({fd})");
        check_eq!(fs::fchdir(fd), Err(Errno::EBADF), "fchdir({fd})");
        check_eq!(
            fs::getdents64(fd, &mut [0u8; 256]),
            Err(Errno::EBADF),
            "getdents64({fd})"
        );
    }
    check_eq!(
        fs::fcntl(50, F_GETFD, 0),
        Err(Errno::EBADF),
        "the failed dup3s left fd 50 closed"
    );
}

fn check_access_modes(dir: &str) {
    let path = format!("{dir}/modes");
    check_ok!(fs::write_file(&path, b"data", 0o644), "create");
    let mut buf = [0u8; 8];
    let read_only = open(&path, O_RDONLY);
    check_eq!(
        fs::write(read_only, b"x"),
        Err(Errno::EBADF),
        "write to O_RDONLY"
    );
    check_eq!(
        fs::pwrite(read_only, b"x", 0),
        Err(Errno::EBADF),
        "pwrite to O_RDONLY"
    );
    check_eq!(
        fs::writev(read_only, &[b"x"]),
        Err(Errno::EBADF),
        "writev to O_RDONLY"
    );
    check_eq!(fs::read(read_only, &mut buf), Ok(4), "read from O_RDONLY");
    close(read_only);
    let write_only = open(&path, O_WRONLY);
    check_eq!(
        fs::read(write_only, &mut buf),
        Err(Errno::EBADF),
        "read from O_WRONLY"
    );
    check_eq!(
        fs::pread(write_only, &mut buf, 0),
        Err(Errno::EBADF),
        "pread from O_WRONLY"
    );
    check_eq!(
        fs::readv(write_only, &mut [&mut buf[..]]),
        Err(Errno::EBADF),
        "readv from O_WRONLY"
    );
    write(write_only, b"D");
    close(write_only);
    check_eq!(contents(&path), b"Data", "the file after both");
    let directory = open(dir, O_RDONLY | O_DIRECTORY);
    check_eq!(
        fs::read(directory, &mut buf),
        Err(Errno::EISDIR),
        "read from a directory"
    );
    check_eq!(
        fs::write(directory, b"x"),
        Err(Errno::EBADF),
        "write to a directory (opened O_RDONLY)"
    );
    close(directory);
}

fn check_emfile() {
    let open_before: Vec<i32> = (0..FD_LIMIT)
        .filter(|&fd| fs::fcntl(fd, F_GETFD, 0).is_ok())
        .collect();
    let mut opened = Vec::new();
    let error = loop {
        match fs::open("/dev/null", O_RDONLY, 0) {
            Ok(fd) => opened.push(fd),
            Err(error) => break error,
        }
        check!(
            opened.len() <= FD_LIMIT as usize,
            "opened {} descriptors without EMFILE",
            opened.len()
        );
    };
    check_eq!(
        error,
        Errno::EMFILE,
        "the open that found no free descriptor"
    );
    check_eq!(
        opened.len() + open_before.len(),
        FD_LIMIT as usize,
        "descriptors opened ({}) + open before ({}) = the limit",
        opened.len(),
        open_before.len()
    );
    check_eq!(opened.iter().max(), Some(&(FD_LIMIT - 1)), "the highest fd");
    check_eq!(fs::dup(0), Err(Errno::EMFILE), "dup with every fd taken");
    check_eq!(
        fs::fcntl(0, F_DUPFD, 0),
        Err(Errno::EMFILE),
        "F_DUPFD with every fd taken"
    );
    check_eq!(fs::pipe(), Err(Errno::EMFILE), "pipe with every fd taken");
    check_eq!(
        fs::open("/dev/null", O_RDONLY, 0),
        Err(Errno::EMFILE),
        "open again"
    );
    let freed = opened[opened.len() / 2];
    close(freed);
    check_eq!(
        fs::open("/dev/null", O_RDONLY, 0),
        Ok(freed),
        "open after closing fd {freed}"
    );
    check_eq!(fs::dup(0), Err(Errno::EMFILE), "dup after that");
    for fd in opened {
        close(fd);
    }
    let fd = check_ok!(fs::open("/dev/null", O_RDONLY, 0), "open after closing all");
    check!(
        fd < FD_LIMIT / 2,
        "a low fd is free again after closing everything (got {fd})"
    );
    close(fd);
}
