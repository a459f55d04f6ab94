//! `stat [-L] FILE...`: the status of files (concept U4), laid out like GNU `stat`:
//!
//! ```text
//!   File: notes -> target
//!   Size: 20            Blocks: 8          IO Block: 4096   regular file
//! Device: 0,1    Inode: 12          Links: 1
//! Access: (0644/-rw-r--r--)  Uid: (    0/    root)   Gid: (    0/    root)
//! Access: 2024-05-01 12:34:56.000000000 +0000
//! Modify: 2024-05-01 12:34:56.000000000 +0000
//! Change: 2024-05-01 12:34:56.000000000 +0000
//! ```
//!
//! (with a tab before `Blocks:` and `Inode:`): the type, size, blocks, mode, inode, link
//! count, owner and group (names from `/etc/passwd` and `/etc/group` if those exist), and
//! the access, modification and status change times in UTC; device files add
//! `Device type: major,minor`. A symbolic link is described itself (with its target)
//! unless `-L` follows it. Exit status 0, or 1 if a file
//! could not be examined (`stat: nope: No such file or directory`).

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::vec::Vec;
use core::fmt::Write;

use ulib::abi::fs::{S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK, Stat};
use ulib::cli::{self, Accounts, Arg, Args, DateTime, Output, Tool};
use ulib::fs;

ulib::entry!(main);

const TOOL: Tool = Tool::new("stat", "stat [-L] FILE...");

fn main() -> i32 {
    let mut follow = false;
    let mut operands = Vec::new();
    for arg in Args::new() {
        match arg {
            Arg::Flag('L') => follow = true,
            Arg::Operand(operand) => operands.push(operand),
            other => return TOOL.unexpected(other),
        }
    }
    if operands.is_empty() {
        return TOOL.usage_error(format_args!("missing operand"));
    }
    let accounts = Accounts::load();
    let mut out = Output::stdout();
    let mut status = 0;
    for operand in operands {
        let stat = if follow {
            fs::stat(operand)
        } else {
            fs::lstat(operand)
        };
        match stat {
            Ok(stat) => describe(&mut out, operand, &stat, &accounts),
            Err(error) => {
                TOOL.error(operand, error);
                status = 1;
            }
        }
    }
    TOOL.finish(&mut out, status)
}

/// Writes the description of `name`, whose status is `stat`.
fn describe(out: &mut Output, name: &str, stat: &Stat, accounts: &Accounts) {
    let kind = stat.st_mode & S_IFMT;
    let _ = write!(out, "  File: {name}");
    if kind == S_IFLNK
        && let Ok(target) = fs::readlink(name)
    {
        let _ = write!(out, " -> {target}");
    }
    let _ = writeln!(
        out,
        "\n  Size: {:<10}\tBlocks: {:<10} IO Block: {:<6} {}",
        stat.st_size,
        stat.st_blocks,
        stat.st_blksize,
        type_name(kind, stat.st_size)
    );
    let (major, minor) = cli::device_numbers(stat.st_dev);
    let _ = write!(
        out,
        "Device: {major},{minor}\tInode: {:<11} Links: {}",
        stat.st_ino, stat.st_nlink
    );
    if kind == S_IFCHR || kind == S_IFBLK {
        let (major, minor) = cli::device_numbers(stat.st_rdev);
        let _ = write!(out, "\tDevice type: {major},{minor}");
    }
    let _ = writeln!(
        out,
        "\nAccess: ({:04o}/{})  Uid: ({:>5}/{:>8})   Gid: ({:>5}/{:>8})",
        stat.st_mode & 0o7777,
        cli::mode_string(stat.st_mode),
        stat.st_uid,
        accounts.user_or_id(stat.st_uid),
        stat.st_gid,
        accounts.group_or_id(stat.st_gid)
    );
    for (label, secs, nanos) in [
        ("Access", stat.st_atime, stat.st_atime_nsec),
        ("Modify", stat.st_mtime, stat.st_mtime_nsec),
        ("Change", stat.st_ctime, stat.st_ctime_nsec),
    ] {
        let _ = writeln!(
            out,
            "{label}: {}.{nanos:09} +0000",
            DateTime::from_unix(secs)
        );
    }
}

/// GNU `stat`'s words for a file type.
fn type_name(kind: u32, size: i64) -> &'static str {
    match kind {
        S_IFREG if size == 0 => "regular empty file",
        S_IFREG => "regular file",
        S_IFDIR => "directory",
        S_IFLNK => "symbolic link",
        S_IFCHR => "character special file",
        S_IFBLK => "block special file",
        S_IFIFO => "fifo",
        S_IFSOCK => "socket",
        _ => "weird file",
    }
}
