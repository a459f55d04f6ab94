//! Test `t_fs_efault` (expects `exit=0`): the file-system calls check every pointer and
//! every path.
//!
//! Works in a fresh directory `/tmp/t_fs_efault.<pid>` ([`fs::scratch_dir`]), removed at the
//! end.
//! - A bad path pointer (NULL, kernel half, unmapped) is `EFAULT` for `openat` (with and
//!   without `O_CREAT`), `mkdirat`, `unlinkat` (with and without `AT_REMOVEDIR`), `chdir`,
//!   `newfstatat`, and either path of `linkat` and `renameat2`; nothing is created.
//! - A path that runs from mapped memory into an unmapped page without a NUL is `EFAULT`
//!   (the page above the program break is unmapped), for `openat`, `newfstatat`, `mkdirat`
//!   and `chdir`.
//! - A bad result pointer is `EFAULT` for `fstat`, `newfstatat`, `getcwd` and `getdents64`,
//!   and a bad buffer for `read` and `write` of a regular file (which stays unchanged).
//! - Paths of 4095 bytes (the longest that fits `PATH_MAX` with its NUL) are resolved
//!   (here: `ENOENT`, as the first component does not exist); paths of 4096 bytes are
//!   `ENAMETOOLONG`, for `open`, `stat`, `mkdir`, `chdir`, `unlink`, `rmdir`, `access`,
//!   both sides of `link` and `rename`, and `execve`.
//! - The empty path is `ENOENT` for all of those and for `lstat` and `utimensat`, but
//!   `newfstatat(fd, "", AT_EMPTY_PATH)` is `fstat(fd)` (the C library's `fstat` uses it).

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use ulib::abi::Errno;
use ulib::abi::fs::{
    AT_EMPTY_PATH, AT_FDCWD, AT_REMOVEDIR, F_OK, O_CREAT, O_DIRECTORY, O_RDONLY, O_RDWR, O_WRONLY,
    SEEK_SET, Stat,
};
use ulib::abi::mm::PAGE_SIZE;
use ulib::fs::{self, PATH_MAX};
use ulib::hazard::BAD_POINTERS;
use ulib::syscall::decode;
use ulib::{check, check_eq, check_ok, heap, raw};

ulib::entry!(main);

/// `AT_FDCWD` as the register carries it.
const CWD: usize = AT_FDCWD as usize;

fn main() -> i32 {
    let dir = check_ok!(fs::scratch_dir("t_fs_efault"), "make the scratch directory");
    // Memory that no Rust value lives in, ending where the mapped heap ends: the kernel may
    // write results here, and a string at its very end runs into unmapped memory as long
    // as the allocator has not raised the break above it. It is never given back (the
    // allocator may take the memory above it), which is fine for a short test.
    let start = raw::brk(0);
    let len = (start + PAGE_SIZE).next_multiple_of(PAGE_SIZE) - start;
    let scratch = check_ok!(heap::extend_break(len), "extend the break by {len}");
    check_unterminated_path(scratch);
    check_bad_paths(&dir, scratch);
    check_bad_results(&dir);
    check_long_paths(&dir);
    check_empty_paths(&dir);
    check_ok!(fs::remove_tree(&dir), "remove {dir}");
    ulib::println!("t_fs_efault: ok");
    0
}

/// A NUL-terminated copy of `text`, for the raw calls.
fn c_string(text: &str) -> String {
    format!("{text}\0")
}

fn efault(result: isize, what: &str) {
    check_eq!(decode(result), Err(Errno::EFAULT), "{what}");
}

fn check_bad_paths(dir: &str, scratch: &mut [u8]) {
    let file = format!("{dir}/file");
    check_ok!(fs::write_file(&file, b"data", 0o644), "create {file}");
    let file_c = c_string(&file);
    let good = file_c.as_ptr() as usize;
    let new_c = c_string(&format!("{dir}/new"));
    let new = new_c.as_ptr() as usize;
    let stat_buf = scratch.as_mut_ptr() as usize;
    for bad in BAD_POINTERS {
        let what = |call: &str| format!("{call} with the path at {bad:#x}");
        efault(raw::openat(CWD, bad, O_RDONLY, 0), &what("openat"));
        efault(
            raw::openat(CWD, bad, O_WRONLY | O_CREAT, 0o644),
            &what("openat O_CREAT"),
        );
        efault(raw::mkdirat(CWD, bad, 0o755), &what("mkdirat"));
        efault(raw::unlinkat(CWD, bad, 0), &what("unlinkat"));
        efault(
            raw::unlinkat(CWD, bad, AT_REMOVEDIR),
            &what("unlinkat AT_REMOVEDIR"),
        );
        efault(raw::chdir(bad), &what("chdir"));
        efault(raw::newfstatat(CWD, bad, stat_buf, 0), &what("newfstatat"));
        efault(raw::linkat(CWD, bad, CWD, new, 0), &what("linkat (old)"));
        efault(raw::linkat(CWD, good, CWD, bad, 0), &what("linkat (new)"));
        efault(
            raw::renameat2(CWD, bad, CWD, new, 0),
            &what("renameat2 (old)"),
        );
        efault(
            raw::renameat2(CWD, good, CWD, bad, 0),
            &what("renameat2 (new)"),
        );
    }
    let mut names: Vec<String> = check_ok!(fs::read_dir(dir), "list {dir}")
        .into_iter()
        .map(|entry| entry.name)
        .collect();
    names.sort();
    check_eq!(names, [".", "..", "file"], "nothing was created or removed");
    check_eq!(
        check_ok!(fs::read_file(&file), "read {file}"),
        b"data",
        "the file is unchanged"
    );
}

/// Runs before anything else allocates, so the break is still right above `scratch`; the
/// checks themselves allocate nothing (the messages are literals) until one fails.
fn check_unterminated_path(scratch: &mut [u8]) {
    let tail = 16;
    let end = scratch.len();
    scratch[end - tail..].fill(b'a');
    let path = scratch[end - tail..].as_ptr() as usize;
    check!(
        (path + tail).is_multiple_of(PAGE_SIZE) && raw::brk(0) == path + tail,
        "the path ends at the break, on a page boundary"
    );
    let stat_buf = scratch.as_mut_ptr() as usize;
    efault(
        raw::openat(CWD, path, O_RDONLY, 0),
        "openat with a path running into unmapped memory",
    );
    efault(
        raw::newfstatat(CWD, path, stat_buf, 0),
        "newfstatat with a path running into unmapped memory",
    );
    efault(
        raw::mkdirat(CWD, path, 0o755),
        "mkdirat with a path running into unmapped memory",
    );
    efault(
        raw::chdir(path),
        "chdir with a path running into unmapped memory",
    );
}

fn check_bad_results(dir: &str) {
    let file = format!("{dir}/results");
    check_ok!(
        fs::write_file(&file, b"0123456789abcdef", 0o644),
        "create {file}"
    );
    let file_c = c_string(&file);
    let fd = check_ok!(fs::open(&file, O_RDWR, 0), "open {file}");
    let dir_fd = check_ok!(fs::open(dir, O_RDONLY | O_DIRECTORY, 0), "open {dir}");
    let (fd_reg, dir_reg) = (fd as usize, dir_fd as usize);
    for bad in BAD_POINTERS {
        efault(raw::fstat(fd_reg, bad), &format!("fstat into {bad:#x}"));
        efault(
            raw::newfstatat(CWD, file_c.as_ptr() as usize, bad, 0),
            &format!("newfstatat into {bad:#x}"),
        );
        efault(raw::getcwd(bad, PATH_MAX), &format!("getcwd into {bad:#x}"));
        efault(
            raw::getdents64(dir_reg, bad, 4096),
            &format!("getdents64 into {bad:#x}"),
        );
        check_ok!(fs::lseek(fd, 0, SEEK_SET), "rewind");
        efault(
            raw::read(fd_reg, bad, 16),
            &format!("read of a file into {bad:#x}"),
        );
        efault(
            raw::write(fd_reg, bad, 16),
            &format!("write to a file from {bad:#x}"),
        );
    }
    check_eq!(
        check_ok!(fs::read_file(&file), "read {file}"),
        b"0123456789abcdef",
        "the file after the failed writes"
    );
    check_ok!(fs::close(fd), "close");
    check_ok!(fs::close(dir_fd), "close");
}

/// A path of exactly `len` bytes whose first component does not exist and whose
/// components are at most 200 bytes.
fn long_path(len: usize) -> String {
    let mut path = String::from("/t_fs_efault_missing");
    while path.len() < len {
        path.push('/');
        let room = len - path.len();
        path.push_str(&"p".repeat(room.min(200)));
    }
    path
}

/// Runs every path-taking call this test knows on `path` (and `other`, an existing file,
/// for the two-path calls) and checks that each fails with `expected`.
fn check_path_calls(path: &str, other: &str, expected: Errno, what: &str) {
    let results = [
        ("open", fs::open(path, O_RDONLY, 0).map(|_| ())),
        (
            "open O_CREAT",
            fs::open(path, O_WRONLY | O_CREAT, 0o644).map(|_| ()),
        ),
        ("stat", fs::stat(path).map(|_| ())),
        ("mkdir", fs::mkdir(path, 0o755)),
        ("chdir", fs::chdir(path)),
        ("unlink", fs::unlink(path)),
        ("rmdir", fs::rmdir(path)),
        ("access", fs::access(path, F_OK)),
        ("link (old)", fs::link(path, &format!("{other}.link"))),
        ("link (new)", fs::link(other, path)),
        (
            "rename (old)",
            fs::rename(path, &format!("{other}.renamed")),
        ),
        ("rename (new)", fs::rename(other, path)),
        ("execve", Err(ulib::execve(path, &[path], &[]))),
    ];
    for (call, result) in results {
        check_eq!(result, Err(expected), "{call} with {what}");
    }
}

fn check_long_paths(dir: &str) {
    let other = format!("{dir}/other");
    check_ok!(fs::write_file(&other, b"", 0o644), "create {other}");
    let fits = long_path(PATH_MAX - 1);
    check_eq!(fits.len(), PATH_MAX - 1, "length of the long path");
    check_path_calls(&fits, &other, Errno::ENOENT, "a 4095-byte path");
    let too_long = long_path(PATH_MAX);
    check_path_calls(&too_long, &other, Errno::ENAMETOOLONG, "a 4096-byte path");
    let way_too_long = long_path(3 * PATH_MAX);
    check_path_calls(&way_too_long, &other, Errno::ENAMETOOLONG, "a 12 KiB path");
}

fn check_empty_paths(dir: &str) {
    let other = format!("{dir}/other");
    check_path_calls("", &other, Errno::ENOENT, "the empty path");
    check_eq!(
        fs::lstat("").map(|_| ()),
        Err(Errno::ENOENT),
        "lstat of the empty path"
    );
    check_eq!(
        fs::utimensat(AT_FDCWD, Some(""), None, 0),
        Err(Errno::ENOENT),
        "utimensat of the empty path"
    );
    let fd = check_ok!(fs::open(&other, O_RDONLY, 0), "open {other}");
    let direct: Stat = check_ok!(fs::fstat(fd), "fstat");
    let empty = check_ok!(
        fs::fstatat(fd, "", AT_EMPTY_PATH),
        "newfstatat(fd, \"\", AT_EMPTY_PATH)"
    );
    check_eq!(
        (empty.st_dev, empty.st_ino, empty.st_mode, empty.st_size),
        (direct.st_dev, direct.st_ino, direct.st_mode, direct.st_size),
        "newfstatat(fd, \"\", AT_EMPTY_PATH) is fstat(fd)"
    );
    check_eq!(
        fs::fstatat(fd, "", 0).map(|_| ()),
        Err(Errno::ENOENT),
        "newfstatat(fd, \"\", 0)"
    );
    check_ok!(fs::close(fd), "close");
}
