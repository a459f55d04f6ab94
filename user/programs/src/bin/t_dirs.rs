//! Test `t_dirs` (expects `exit=0`): directories and names.
//!
//! Works in a fresh directory `/tmp/t_dirs.<pid>` ([`fs::scratch_dir`]), removed at the
//! end.
//! - `mkdir`/`rmdir`: a new directory has 2 links and adds one to its parent (taken back
//!   by `rmdir`); `EEXIST` for an existing name; `ENOTEMPTY` for a directory with a file or a
//!   subdirectory; `EINVAL` for a path ending in `.`; `ENOTEMPTY` for one ending in `..`;
//!   `EBUSY` for `/`; `ENOENT` once removed; `ENOTDIR` for `rmdir` of a file and `EISDIR`
//!   for `unlink` of a directory; a trailing slash is fine for directories.
//! - Path resolution: a missing component is `ENOENT`, a file used as a directory (also with
//!   a trailing slash) is `ENOTDIR`; `//`, `/./` and `dir/..` resolve as expected; `/..` is
//!   `/`.
//! - `getdents64` lists `.`, `..` and every entry exactly once with the right `d_type` and
//!   inode number (`..` is the parent's), `d_reclen` a multiple of 8 that holds the name;
//!   reading with a buffer that holds one record at a time, or a few, gives the same list; a
//!   buffer too small for one record is `EINVAL`; at the end it returns 0; `lseek(fd, 0,
//!   SEEK_SET)` starts over; a removed entry is no longer listed; a file descriptor is
//!   `ENOTDIR`.
//! - `chdir`/`getcwd`/`fchdir`: absolute and relative paths, `.` and `..` (which stays at
//!   `/` in the root); relative names resolve against the working directory; `getcwd`
//!   returns the length with the NUL and `ERANGE` for a buffer that is too small; `fchdir`
//!   and `chdir` of a file are `ENOTDIR`. `openat`/`mkdirat`/`unlinkat` resolve relative
//!   paths against `dirfd` (`ENOTDIR` for a file, `EBADF` for a bad descriptor) and ignore it
//!   for absolute ones.
//! - `unlinkat`: `AT_REMOVEDIR` removes a directory and is `ENOTDIR` for a file; without it
//!   a directory is `EISDIR`; unknown flags are `EINVAL`.
//! - `link`: links of a file go up and down (seen by `stat` and by `fstat` of an open
//!   descriptor), names share the inode and the data; `EEXIST`, `ENOENT`, `ENOTDIR`, `EPERM`
//!   for a directory; unknown flags `EINVAL`. Moving a subdirectory moves a link from the
//!   old parent to the new.
//! - `rename`/`renameat2`: file over file (the target name then has the source's inode),
//!   into another directory, onto itself or onto another link to the same file (no-ops),
//!   directory over an empty directory; `ENOTEMPTY` (or POSIX's `EEXIST`) over a non-empty
//!   one; `EINVAL` into its own subtree; `EISDIR` file over directory, `ENOTDIR` directory
//!   over file; `ENOENT` for a missing source; `RENAME_NOREPLACE` is `EEXIST` for an existing
//!   target; `RENAME_EXCHANGE` swaps two files (and a file with a directory), is `ENOENT`
//!   without a target, and `EINVAL` combined with `RENAME_NOREPLACE`; unknown flags are
//!   `EINVAL`. An open descriptor follows the file through renames.
//! - Names of 255 bytes work (create, list, stat, remove); 256 bytes are `ENAMETOOLONG`,
//!   also as a middle component.
//! - 300 files in one directory are created, listed exactly, read and removed.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;

use ulib::abi::Errno;
use ulib::abi::fs::{
    AT_FDCWD, AT_REMOVEDIR, DT_DIR, DT_REG, Dirent64Header, O_CREAT, O_DIRECTORY, O_RDONLY, O_RDWR,
    O_WRONLY, RENAME_EXCHANGE, RENAME_NOREPLACE, S_IFDIR, S_IFMT, S_IFREG, SEEK_SET, Stat,
};
use ulib::fs::{self, Dir, DirEntry, NAME_MAX};
use ulib::{check, check_eq, check_ok};

ulib::entry!(main);

fn main() -> i32 {
    let dir = check_ok!(fs::scratch_dir("t_dirs"), "make the scratch directory");
    check_mkdir_rmdir(&dir);
    check_path_resolution(&dir);
    check_getdents(&dir);
    check_small_buffers(&dir);
    check_cwd(&dir);
    check_at_calls(&dir);
    check_links(&dir);
    check_rename(&dir);
    check_exchange(&dir);
    check_name_lengths(&dir);
    check_many_files(&dir);
    check_ok!(fs::remove_tree(&dir), "remove {dir}");
    ulib::println!("t_dirs: ok");
    0
}

fn stat(path: &str) -> Stat {
    check_ok!(fs::stat(path), "stat {path}")
}

fn nlink(path: &str) -> u32 {
    stat(path).st_nlink
}

fn ino(path: &str) -> u64 {
    stat(path).st_ino
}

fn mkdir(path: &str) {
    check_ok!(fs::mkdir(path, 0o755), "mkdir {path}");
}

fn create(path: &str, data: &[u8]) {
    check_ok!(fs::write_file(path, data, 0o644), "create {path}");
}

fn contents(path: &str) -> Vec<u8> {
    check_ok!(fs::read_file(path), "read {path}")
}

fn open_dir(path: &str) -> i32 {
    check_ok!(
        fs::open(path, O_RDONLY | O_DIRECTORY, 0),
        "open directory {path}"
    )
}

fn close(fd: i32) {
    check_ok!(fs::close(fd), "close({fd})");
}

/// The entries of the directory at `path`, sorted by name.
fn listing(path: &str) -> Vec<DirEntry> {
    let mut entries = check_ok!(fs::read_dir(path), "list {path}");
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    entries
}

/// The sorted names in the directory at `path`, `.` and `..` included.
fn names(path: &str) -> Vec<String> {
    listing(path).into_iter().map(|entry| entry.name).collect()
}

/// `expected` plus `.` and `..`, sorted.
fn with_dots(expected: &[&str]) -> Vec<String> {
    let mut all: Vec<String> = [".", ".."]
        .iter()
        .chain(expected)
        .map(|name| name.to_string())
        .collect();
    all.sort();
    all
}

fn check_mkdir_rmdir(dir: &str) {
    let parent_links = nlink(dir);
    let d = format!("{dir}/d");
    mkdir(&d);
    let new = stat(&d);
    check_eq!(new.st_mode & S_IFMT, S_IFDIR, "type of a new directory");
    check_eq!(new.st_nlink, 2, "links of a new directory");
    check_eq!(
        nlink(dir),
        parent_links + 1,
        "the parent's links after mkdir"
    );
    check_eq!(
        fs::mkdir(&d, 0o755),
        Err(Errno::EEXIST),
        "mkdir of an existing dir"
    );
    let file = format!("{dir}/file");
    create(&file, b"f");
    check_eq!(
        fs::mkdir(&file, 0o755),
        Err(Errno::EEXIST),
        "mkdir over a file"
    );

    let inner = format!("{d}/inner");
    create(&inner, b"x");
    check_eq!(
        fs::rmdir(&d),
        Err(Errno::ENOTEMPTY),
        "rmdir with a file inside"
    );
    check_ok!(fs::unlink(&inner), "unlink {inner}");
    let sub = format!("{d}/sub");
    mkdir(&sub);
    check_eq!(nlink(&d), 3, "links after adding a subdirectory");
    check_eq!(
        fs::rmdir(&d),
        Err(Errno::ENOTEMPTY),
        "rmdir with a directory inside"
    );
    for path in [format!("{d}/."), format!("{sub}/."), String::from(".")] {
        check_eq!(fs::rmdir(&path), Err(Errno::EINVAL), "rmdir({path:?})");
    }
    check_eq!(
        fs::rmdir(&format!("{sub}/..")),
        Err(Errno::ENOTEMPTY),
        "rmdir of a path ending in .."
    );
    check_eq!(fs::rmdir("/"), Err(Errno::EBUSY), "rmdir(\"/\")");
    check_ok!(fs::rmdir(&sub), "rmdir {sub}");
    check_eq!(nlink(&d), 2, "links after removing the subdirectory");
    check_eq!(fs::rmdir(&file), Err(Errno::ENOTDIR), "rmdir of a file");
    check_eq!(fs::unlink(&d), Err(Errno::EISDIR), "unlink of a directory");
    check_ok!(fs::rmdir(&d), "rmdir {d}");
    check_eq!(fs::rmdir(&d), Err(Errno::ENOENT), "rmdir again");
    check_eq!(
        fs::stat(&d).map(|s| s.st_ino),
        Err(Errno::ENOENT),
        "stat after rmdir"
    );
    check_eq!(nlink(dir), parent_links, "the parent's links after rmdir");

    let slash = format!("{dir}/slash/");
    check_ok!(fs::mkdir(&slash, 0o755), "mkdir with a trailing slash");
    check_ok!(fs::rmdir(&slash), "rmdir with a trailing slash");
    check_ok!(fs::unlink(&file), "unlink {file}");
}

fn check_path_resolution(dir: &str) {
    let file = format!("{dir}/pfile");
    create(&file, b"p");
    let missing = format!("{dir}/missing/x");
    check_eq!(
        fs::open(&missing, O_WRONLY | O_CREAT, 0o644),
        Err(Errno::ENOENT),
        "create under a missing directory"
    );
    check_eq!(
        fs::mkdir(&missing, 0o755),
        Err(Errno::ENOENT),
        "mkdir under a missing directory"
    );
    check_eq!(
        fs::stat(&missing).map(|s| s.st_ino),
        Err(Errno::ENOENT),
        "stat under a missing directory"
    );
    let under_file = format!("{file}/x");
    check_eq!(
        fs::open(&under_file, O_RDONLY, 0),
        Err(Errno::ENOTDIR),
        "open under a file"
    );
    check_eq!(
        fs::open(&under_file, O_WRONLY | O_CREAT, 0o644),
        Err(Errno::ENOTDIR),
        "create under a file"
    );
    check_eq!(
        fs::mkdir(&under_file, 0o755),
        Err(Errno::ENOTDIR),
        "mkdir under a file"
    );
    check_eq!(
        fs::stat(&under_file).map(|s| s.st_ino),
        Err(Errno::ENOTDIR),
        "stat under a file"
    );
    check_eq!(
        fs::unlink(&under_file),
        Err(Errno::ENOTDIR),
        "unlink under a file"
    );
    let slashed = format!("{file}/");
    check_eq!(
        fs::stat(&slashed).map(|s| s.st_ino),
        Err(Errno::ENOTDIR),
        "stat of a file with a trailing slash"
    );
    check_eq!(
        fs::open(&slashed, O_RDONLY, 0),
        Err(Errno::ENOTDIR),
        "open of a file with a trailing slash"
    );
    check_eq!(fs::chdir(&file), Err(Errno::ENOTDIR), "chdir to a file");

    let file_ino = ino(&file);
    let base = dir.rsplit('/').next().unwrap_or(dir);
    for path in [
        format!("{dir}//pfile"),
        format!("{dir}/./pfile"),
        format!("{dir}/../{base}/pfile"),
        format!("/{dir}/pfile"),
    ] {
        check_eq!(ino(&path), file_ino, "{path:?} names the file");
    }
    check_eq!(ino("/.."), ino("/"), "/.. is /");
    check_eq!(ino("/tmp/.."), ino("/"), "/tmp/.. is /");
    check_ok!(fs::unlink(&file), "unlink {file}");
}

fn check_entries(path: &str, expected: &[(&str, u8, u64)]) {
    let entries = listing(path);
    let mut expected: Vec<(String, u8, u64)> = expected
        .iter()
        .map(|&(name, kind, ino)| (name.to_string(), kind, ino))
        .collect();
    expected.sort();
    let found: Vec<(String, u8, u64)> = entries
        .iter()
        .map(|entry| (entry.name.clone(), entry.kind, entry.ino))
        .collect();
    check_eq!(
        found,
        expected,
        "(name, d_type, d_ino) of every entry of {path}"
    );
    for entry in &entries {
        let reclen = usize::from(entry.reclen);
        check!(
            reclen.is_multiple_of(8) && reclen >= Dirent64Header::record_len(entry.name.len()),
            "d_reclen {reclen} of {:?} is a multiple of 8 that holds the name",
            entry.name
        );
    }
}

fn check_getdents(dir: &str) {
    let list = format!("{dir}/list");
    mkdir(&list);
    let long: &'static str = "longer_name_for_the_padding";
    for name in ["a", "bb", long] {
        create(&format!("{list}/{name}"), name.as_bytes());
    }
    mkdir(&format!("{list}/c"));
    let entry = |name: &'static str, kind| (name, kind, ino(&format!("{list}/{name}")));
    let expected = [
        (".", DT_DIR, ino(&list)),
        ("..", DT_DIR, ino(dir)),
        entry("a", DT_REG),
        entry("bb", DT_REG),
        entry("c", DT_DIR),
        entry(long, DT_REG),
    ];
    check_entries(&list, &expected);

    let fd = open_dir(&list);
    let mut buf = vec![0u8; 4096];
    let mut first = Vec::new();
    loop {
        let len = check_ok!(fs::getdents64(fd, &mut buf), "getdents64");
        if len == 0 {
            break;
        }
        for entry in fs::DirentRecords::new(&buf[..len]) {
            first.push(check_ok!(entry, "a record of getdents64").name);
        }
    }
    check_eq!(first.len(), 6, "entries read: {first:?}");
    check_eq!(
        fs::getdents64(fd, &mut buf),
        Ok(0),
        "getdents64 after the end"
    );
    check_eq!(fs::lseek(fd, 0, SEEK_SET), Ok(0), "rewind the directory");
    let again: Vec<String> = Dir::from_fd(fd, 4096)
        .map(|entry| check_ok!(entry, "a record after rewinding").name)
        .collect();
    check_eq!(again, first, "the listing after rewinding");

    check_ok!(fs::unlink(&format!("{list}/a")), "unlink a");
    check_entries(&list, &[&expected[..2], &expected[3..]].concat());
    let file_fd = check_ok!(fs::open(&format!("{list}/bb"), O_RDONLY, 0), "open bb");
    check_eq!(
        fs::getdents64(file_fd, &mut buf),
        Err(Errno::ENOTDIR),
        "getdents64 of a file"
    );
    close(file_fd);
}

fn check_small_buffers(dir: &str) {
    let small = format!("{dir}/small");
    mkdir(&small);
    let mut expected = vec![String::from("."), String::from("..")];
    for index in 0..10 {
        // Names of 1..=10 bytes: every record fits in 32 bytes.
        let name = "abcdefghij"[..index + 1].to_string();
        create(&format!("{small}/{name}"), b"");
        expected.push(name);
    }
    expected.sort();
    for size in [32, 40, 100, 4096] {
        let fd = open_dir(&small);
        let mut found: Vec<String> = Dir::from_fd(fd, size)
            .map(|entry| check_ok!(entry, "a record with a {size}-byte buffer").name)
            .collect();
        found.sort();
        check_eq!(found, expected, "the listing with a {size}-byte buffer");
    }
    let fd = open_dir(&small);
    let mut one = [0u8; 32];
    for call in 0..expected.len() {
        let len = check_ok!(fs::getdents64(fd, &mut one), "getdents64 call {call}");
        let records = fs::DirentRecords::new(&one[..len]).count();
        check_eq!(records, 1, "records from a 32-byte buffer (call {call})");
    }
    check_eq!(
        fs::getdents64(fd, &mut one),
        Ok(0),
        "the end after every record"
    );
    check_eq!(fs::lseek(fd, 0, SEEK_SET), Ok(0), "rewind");
    let mut tiny = [0u8; 8];
    check_eq!(
        fs::getdents64(fd, &mut tiny),
        Err(Errno::EINVAL),
        "getdents64 with a buffer smaller than a record"
    );
    close(fd);
}

fn cwd() -> String {
    check_ok!(fs::getcwd(), "getcwd")
}

fn chdir(path: &str) {
    check_ok!(fs::chdir(path), "chdir({path:?})");
}

fn check_cwd(dir: &str) {
    let start = cwd();
    chdir(dir);
    check_eq!(cwd(), dir, "getcwd after chdir({dir:?})");
    check_ok!(fs::mkdir("sub", 0o755), "mkdir with a relative path");
    chdir("sub");
    let sub = format!("{dir}/sub");
    check_eq!(cwd(), sub, "getcwd after chdir(\"sub\")");
    create("rel", b"relative");
    check_eq!(
        contents(&format!("{sub}/rel")),
        b"relative",
        "a file created by a relative path"
    );
    chdir("..");
    check_eq!(cwd(), dir, "getcwd after chdir(\"..\")");
    chdir("./sub/../sub/.");
    check_eq!(cwd(), sub, "getcwd after chdir(\"./sub/../sub/.\")");
    check_eq!(contents("rel"), b"relative", "a relative read");

    let mut buf = vec![0u8; sub.len() + 1];
    check_eq!(
        fs::getcwd_into(&mut buf),
        Ok(sub.len() + 1),
        "getcwd returns the length with the NUL"
    );
    check_eq!(&buf[..sub.len()], sub.as_bytes(), "the path getcwd stored");
    check_eq!(buf[sub.len()], 0, "getcwd's NUL");
    for size in [0, 1, 2, sub.len()] {
        check_eq!(
            fs::getcwd_into(&mut buf[..size]),
            Err(Errno::ERANGE),
            "getcwd with a {size}-byte buffer"
        );
    }

    chdir("/");
    check_eq!(cwd(), "/", "getcwd after chdir(\"/\")");
    chdir("..");
    check_eq!(cwd(), "/", "chdir(\"..\") at the root stays there");
    chdir("/../..");
    check_eq!(cwd(), "/", "chdir(\"/../..\")");

    let dir_fd = open_dir(dir);
    check_ok!(fs::fchdir(dir_fd), "fchdir to {dir}");
    check_eq!(cwd(), dir, "getcwd after fchdir");
    check_eq!(
        contents("sub/rel"),
        b"relative",
        "a relative read after fchdir"
    );
    close(dir_fd);
    let file_fd = check_ok!(fs::open("sub/rel", O_RDONLY, 0), "open sub/rel");
    check_eq!(fs::fchdir(file_fd), Err(Errno::ENOTDIR), "fchdir to a file");
    close(file_fd);
    check_eq!(
        fs::chdir("no_such_dir"),
        Err(Errno::ENOENT),
        "chdir to nothing"
    );
    check_eq!(fs::chdir("sub/rel"), Err(Errno::ENOTDIR), "chdir to a file");
    check_eq!(cwd(), dir, "the failed calls kept the directory");
    check_ok!(fs::unlink("sub/rel"), "unlink sub/rel");
    check_ok!(fs::rmdir("sub"), "rmdir sub");
    chdir(&start);
}

fn check_at_calls(dir: &str) {
    let dirfd = open_dir(dir);
    check_ok!(fs::mkdirat(dirfd, "u", 0o755), "mkdirat(dirfd, \"u\")");
    check_eq!(
        stat(&format!("{dir}/u")).st_mode & S_IFMT,
        S_IFDIR,
        "mkdirat made it"
    );
    check_eq!(
        fs::unlinkat(dirfd, "u", 0),
        Err(Errno::EISDIR),
        "unlinkat of a directory without AT_REMOVEDIR"
    );
    check_ok!(
        fs::unlinkat(dirfd, "u", AT_REMOVEDIR),
        "unlinkat AT_REMOVEDIR"
    );
    let fd = check_ok!(
        fs::openat(dirfd, "uf", O_RDWR | O_CREAT, 0o644),
        "openat(dirfd, \"uf\", O_CREAT)"
    );
    close(fd);
    check_eq!(
        stat(&format!("{dir}/uf")).st_mode & S_IFMT,
        S_IFREG,
        "openat made it"
    );
    check_eq!(
        fs::unlinkat(dirfd, "uf", AT_REMOVEDIR),
        Err(Errno::ENOTDIR),
        "unlinkat AT_REMOVEDIR of a file"
    );
    check_eq!(
        fs::unlinkat(dirfd, "uf", 0x1),
        Err(Errno::EINVAL),
        "unlinkat with unknown flag 1"
    );
    let file_fd = check_ok!(fs::openat(dirfd, "uf", O_RDONLY, 0), "openat uf");
    check_eq!(
        fs::openat(file_fd, "x", O_RDONLY, 0),
        Err(Errno::ENOTDIR),
        "openat relative to a file"
    );
    check_eq!(
        fs::openat(1000, "uf", O_RDONLY, 0),
        Err(Errno::EBADF),
        "openat relative to a closed fd"
    );
    let absolute = check_ok!(
        fs::openat(1000, &format!("{dir}/uf"), O_RDONLY, 0),
        "openat of an absolute path ignores dirfd"
    );
    close(absolute);
    close(file_fd);
    check_ok!(fs::unlinkat(dirfd, "uf", 0), "unlinkat(dirfd, \"uf\")");
    check_eq!(
        fs::unlinkat(dirfd, "uf", 0),
        Err(Errno::ENOENT),
        "unlinkat again"
    );
    check_eq!(
        fs::unlinkat(AT_FDCWD, &format!("{dir}/uf"), 0),
        Err(Errno::ENOENT),
        "unlinkat(AT_FDCWD) of the removed file"
    );
    close(dirfd);
}

fn check_links(dir: &str) {
    let f = format!("{dir}/lf");
    let g = format!("{dir}/lg");
    let h = format!("{dir}/lh");
    create(&f, b"linked data");
    let fd = check_ok!(fs::open(&f, O_RDONLY, 0), "open {f}");
    check_eq!(nlink(&f), 1, "links of a new file");
    check_ok!(fs::link(&f, &g), "link {f} {g}");
    check_eq!((nlink(&f), nlink(&g)), (2, 2), "links after link");
    check_eq!(ino(&f), ino(&g), "both names have one inode");
    check_eq!(
        check_ok!(fs::fstat(fd), "fstat").st_nlink,
        2,
        "fstat sees the new link"
    );
    check_ok!(fs::link(&g, &h), "link {g} {h}");
    check_eq!(nlink(&f), 3, "links after a second link");
    check_ok!(fs::unlink(&f), "unlink {f}");
    check_eq!(
        (nlink(&g), nlink(&h)),
        (2, 2),
        "links after unlinking one name"
    );
    check_eq!(
        contents(&h),
        b"linked data",
        "the data through the last link"
    );
    check_eq!(
        fs::link(&g, &h),
        Err(Errno::EEXIST),
        "link onto an existing name"
    );
    check_eq!(
        fs::link(&f, &format!("{dir}/x")),
        Err(Errno::ENOENT),
        "link of a missing file"
    );
    check_eq!(
        fs::link(&g, &format!("{dir}/missing/x")),
        Err(Errno::ENOENT),
        "link into a missing directory"
    );
    check_eq!(
        fs::link(&g, &format!("{h}/x")),
        Err(Errno::ENOTDIR),
        "link under a file"
    );
    check_eq!(
        fs::linkat(AT_FDCWD, &g, AT_FDCWD, &f, 0x1),
        Err(Errno::EINVAL),
        "linkat with unknown flag 1"
    );
    let d = format!("{dir}/ld");
    mkdir(&d);
    check_eq!(
        fs::link(&d, &format!("{dir}/ld2")),
        Err(Errno::EPERM),
        "link of a directory"
    );
    check_ok!(fs::unlink(&g), "unlink {g}");
    check_ok!(fs::unlink(&h), "unlink {h}");
    check_eq!(
        check_ok!(fs::fstat(fd), "fstat").st_nlink,
        0,
        "fstat of the open file after every name is gone"
    );
    close(fd);

    let (p, q) = (format!("{d}/p"), format!("{dir}/lq"));
    mkdir(&p);
    let before = (nlink(&d), nlink(dir));
    check_ok!(fs::rename(&p, &q), "move a subdirectory up");
    check_eq!(
        (nlink(&d), nlink(dir)),
        (before.0 - 1, before.1 + 1),
        "the subdirectory's '..' link moved from the old parent to the new"
    );
    check_eq!(
        ino(&format!("{q}/..")),
        ino(dir),
        "the moved directory's '..'"
    );
    check_ok!(fs::rmdir(&q), "rmdir {q}");
    check_ok!(fs::rmdir(&d), "rmdir {d}");
}

fn check_rename(dir: &str) {
    let a = format!("{dir}/ra");
    let b = format!("{dir}/rb");
    create(&a, b"A");
    create(&b, b"B");
    let a_ino = ino(&a);
    let fd = check_ok!(fs::open(&a, O_RDONLY, 0), "open {a}");
    check_ok!(fs::rename(&a, &b), "rename file over file");
    check_eq!(contents(&b), b"A", "the target has the source's data");
    check_eq!(ino(&b), a_ino, "the target has the source's inode");
    check_eq!(
        fs::stat(&a).map(|s| s.st_ino),
        Err(Errno::ENOENT),
        "the source is gone"
    );
    check_eq!(nlink(&b), 1, "links after replacing");

    let other = format!("{dir}/rd");
    mkdir(&other);
    let moved = format!("{other}/moved");
    check_ok!(fs::rename(&b, &moved), "rename into another directory");
    check_eq!(contents(&moved), b"A", "the moved file");
    check_eq!(
        names(&other),
        with_dots(&["moved"]),
        "the new directory's listing"
    );
    check_ok!(fs::rename(&moved, &moved), "rename onto itself");
    check_eq!(contents(&moved), b"A", "rename onto itself kept the file");
    let alias = format!("{other}/alias");
    check_ok!(fs::link(&moved, &alias), "link {alias}");
    check_ok!(
        fs::rename(&moved, &alias),
        "rename onto another link to the same file"
    );
    check_eq!(
        names(&other),
        with_dots(&["alias", "moved"]),
        "renaming onto a link to the same file changes nothing"
    );
    check_ok!(fs::unlink(&alias), "unlink {alias}");
    let mut buf = [0u8; 4];
    check_eq!(
        fs::pread(fd, &mut buf, 0),
        Ok(1),
        "the open fd follows the renames"
    );
    check_eq!(buf[0], b'A', "the data through the open fd");
    close(fd);
    check_eq!(
        fs::rename(&a, &b),
        Err(Errno::ENOENT),
        "rename of a missing file"
    );

    let d1 = format!("{dir}/d1");
    let d2 = format!("{dir}/d2");
    let d3 = format!("{dir}/d3");
    for path in [&d1, &d2, &d3] {
        mkdir(path);
    }
    create(&format!("{d1}/x"), b"x");
    create(&format!("{d3}/y"), b"y");
    check_ok!(fs::rename(&d1, &d2), "rename a directory over an empty one");
    check_eq!(
        contents(&format!("{d2}/x")),
        b"x",
        "the moved directory's file"
    );
    check_eq!(
        fs::stat(&d1).map(|s| s.st_ino),
        Err(Errno::ENOENT),
        "d1 is gone"
    );
    let result = fs::rename(&d2, &d3);
    check!(
        result == Err(Errno::ENOTEMPTY) || result == Err(Errno::EEXIST),
        "rename a directory over a non-empty one: want ENOTEMPTY or EEXIST, got {result:?}"
    );
    check_eq!(
        fs::rename(&d2, &format!("{d2}/inside")),
        Err(Errno::EINVAL),
        "rename a directory into itself"
    );
    mkdir(&format!("{d2}/deeper"));
    check_eq!(
        fs::rename(&d2, &format!("{d2}/deeper/inside")),
        Err(Errno::EINVAL),
        "rename a directory into its subtree"
    );
    let file = format!("{dir}/rfile");
    create(&file, b"f");
    check_eq!(
        fs::rename(&file, &d3),
        Err(Errno::EISDIR),
        "rename a file over a directory"
    );
    check_eq!(
        fs::rename(&d2, &file),
        Err(Errno::ENOTDIR),
        "rename a directory over a file"
    );

    let fresh = format!("{dir}/rfresh");
    check_eq!(
        fs::renameat2(
            AT_FDCWD,
            &file,
            AT_FDCWD,
            &format!("{d3}/y"),
            RENAME_NOREPLACE
        ),
        Err(Errno::EEXIST),
        "RENAME_NOREPLACE onto an existing file"
    );
    check_ok!(
        fs::renameat2(AT_FDCWD, &file, AT_FDCWD, &fresh, RENAME_NOREPLACE),
        "RENAME_NOREPLACE onto a new name"
    );
    check_eq!(
        contents(&fresh),
        b"f",
        "the file renamed with RENAME_NOREPLACE"
    );
    check_eq!(
        fs::renameat2(AT_FDCWD, &fresh, AT_FDCWD, &file, 0x10),
        Err(Errno::EINVAL),
        "renameat2 with unknown flag 0x10"
    );
    for path in [fresh, moved, format!("{d3}/y"), format!("{d2}/x")] {
        check_ok!(fs::unlink(&path), "unlink {path}");
    }
    for path in [format!("{d2}/deeper"), d2, d3, other] {
        check_ok!(fs::rmdir(&path), "rmdir {path}");
    }
}

fn check_exchange(dir: &str) {
    let p = format!("{dir}/xp");
    let q = format!("{dir}/xq");
    let d = format!("{dir}/xd");
    create(&p, b"P");
    create(&q, b"Q");
    mkdir(&d);
    let exchange = |a: &str, b: &str| fs::renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE);
    check_eq!(exchange(&p, &q), Ok(()), "RENAME_EXCHANGE of two files");
    check_eq!(
        (contents(&p), contents(&q)),
        (b"Q".to_vec(), b"P".to_vec()),
        "the exchanged files"
    );
    check_eq!(
        exchange(&p, &d),
        Ok(()),
        "RENAME_EXCHANGE of a file and a directory"
    );
    check_eq!(stat(&p).st_mode & S_IFMT, S_IFDIR, "p is now the directory");
    check_eq!(contents(&d), b"Q", "d is now the file");
    check_eq!(
        exchange(&q, &format!("{dir}/nothing")),
        Err(Errno::ENOENT),
        "RENAME_EXCHANGE without a target"
    );
    check_eq!(
        fs::renameat2(
            AT_FDCWD,
            &q,
            AT_FDCWD,
            &d,
            RENAME_EXCHANGE | RENAME_NOREPLACE
        ),
        Err(Errno::EINVAL),
        "RENAME_EXCHANGE | RENAME_NOREPLACE"
    );
    check_ok!(fs::rmdir(&p), "rmdir {p}");
    check_ok!(fs::unlink(&q), "unlink {q}");
    check_ok!(fs::unlink(&d), "unlink {d}");
}

fn check_name_lengths(dir: &str) {
    let longest = "n".repeat(NAME_MAX);
    let too_long = "m".repeat(NAME_MAX + 1);
    let path = format!("{dir}/{longest}");
    create(&path, b"255");
    check_eq!(contents(&path), b"255", "a file with a 255-byte name");
    check!(
        names(dir).contains(&longest),
        "the 255-byte name is listed whole"
    );
    check_ok!(fs::unlink(&path), "unlink the 255-byte name");
    mkdir(&path);
    check_ok!(fs::rmdir(&path), "rmdir the 255-byte name");

    let path = format!("{dir}/{too_long}");
    check_eq!(
        fs::open(&path, O_WRONLY | O_CREAT, 0o644),
        Err(Errno::ENAMETOOLONG),
        "create a 256-byte name"
    );
    check_eq!(
        fs::mkdir(&path, 0o755),
        Err(Errno::ENAMETOOLONG),
        "mkdir a 256-byte name"
    );
    check_eq!(
        fs::stat(&path).map(|s| s.st_ino),
        Err(Errno::ENAMETOOLONG),
        "stat a 256-byte name"
    );
    check_eq!(
        fs::stat(&format!("{path}/x")).map(|s| s.st_ino),
        Err(Errno::ENAMETOOLONG),
        "a 256-byte middle component"
    );
}

fn check_many_files(dir: &str) {
    const COUNT: usize = 300;
    let many = format!("{dir}/many");
    mkdir(&many);
    let file_names: Vec<String> = (0..COUNT).map(|index| format!("file{index:03}")).collect();
    for name in &file_names {
        create(&format!("{many}/{name}"), name.as_bytes());
    }
    let entries = listing(&many);
    let mut expected: Vec<String> = file_names.clone();
    expected.push(String::from("."));
    expected.push(String::from(".."));
    expected.sort();
    let found: Vec<&str> = entries.iter().map(|entry| entry.name.as_str()).collect();
    check_eq!(found, expected, "the {COUNT} files are listed once each");
    check!(
        entries.iter().all(|entry| entry.kind
            == if entry.name.starts_with('.') {
                DT_DIR
            } else {
                DT_REG
            }),
        "d_type of the {COUNT} entries"
    );
    for name in file_names.iter().step_by(37) {
        check_eq!(
            contents(&format!("{many}/{name}")),
            name.as_bytes(),
            "the contents of {name}"
        );
    }
    for name in &file_names {
        check_ok!(fs::unlink(&format!("{many}/{name}")), "unlink {name}");
    }
    check_eq!(names(&many), with_dots(&[]), "the emptied directory");
    check_ok!(fs::rmdir(&many), "rmdir {many}");
}
