//! `ls [-1AadilL] [FILE]...`: lists directories and files (concept U4).
//!
//! A directory operand lists its entries, sorted by name (byte order); any other operand
//! lists itself, under the name given. Files come first, then each directory, headed by
//! `DIR:` when there are several operands. With no operand it lists `.`. One name per line.
//!
//! - `-a`: include names starting with `.` (`.` and `..` too); `-A`: the same without `.`
//!   and `..`;
//! - `-d`: list directories themselves, not their contents;
//! - `-i`: put the inode number first;
//! - `-l`: long form, `drwxr-xr-x 2 root root 4096 2024-05-01 12:34 name`: the mode
//!   string, the link count, the owner and group (names from `/etc/passwd` and
//!   `/etc/group` if those exist, else the numbers), the size (`major, minor` for device
//!   files), the modification time (UTC) and the name, then `-> target` for a symbolic
//!   link; a directory's listing starts with `total N`, its entries' blocks in KiB;
//! - `-L`: follow symbolic links (otherwise `-l` and `-d` show the links themselves,
//!   while a link operand to a directory is listed as the directory without them);
//! - `-1` is accepted (one per line is all `ls` does).
//!
//! Exit status 0, or 1 if an operand does not exist (`ls: /nope: No such file or
//! directory`) or a directory could not be read.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt::Write;

use ulib::abi::Errno;
use ulib::abi::fs::{S_IFBLK, S_IFCHR, S_IFDIR, S_IFLNK, S_IFMT, Stat};
use ulib::cli::{self, Accounts, Arg, Args, DateTime, Output, Tool};
use ulib::fs;

ulib::entry!(main);

const TOOL: Tool = Tool::new("ls", "ls [-1AadilL] [FILE]...");

/// Which names to show of a directory.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Hidden {
    /// Not those starting with `.` (the default).
    Skip,
    /// All but `.` and `..` (`-A`).
    AlmostAll,
    /// All (`-a`).
    All,
}

/// The options.
struct Options {
    hidden: Hidden,
    long: bool,
    directory: bool,
    inode: bool,
    follow: bool,
}

/// One line of a listing.
struct Entry {
    /// The name shown.
    name: String,
    /// The path to reach it.
    path: String,
    stat: Stat,
}

fn main() -> i32 {
    let mut options = Options {
        hidden: Hidden::Skip,
        long: false,
        directory: false,
        inode: false,
        follow: false,
    };
    let mut operands = Vec::new();
    for arg in Args::new() {
        match arg {
            Arg::Flag('a') => options.hidden = Hidden::All,
            Arg::Flag('A') => options.hidden = Hidden::AlmostAll,
            Arg::Flag('l') => options.long = true,
            Arg::Flag('d') => options.directory = true,
            Arg::Flag('i') => options.inode = true,
            Arg::Flag('L') => options.follow = true,
            Arg::Flag('1') => {}
            Arg::Operand(operand) => operands.push(operand),
            other => return TOOL.unexpected(other),
        }
    }
    let several = operands.len() > 1;
    if operands.is_empty() {
        operands.push(".");
    }
    operands.sort_unstable();

    let mut status = 0;
    let mut files = Vec::new();
    let mut dirs = Vec::new();
    for operand in operands {
        match stat_operand(operand, &options) {
            Ok(stat) if stat.st_mode & S_IFMT == S_IFDIR && !options.directory => {
                dirs.push(operand)
            }
            Ok(stat) => files.push(Entry {
                name: operand.to_string(),
                path: operand.to_string(),
                stat,
            }),
            Err(error) => {
                TOOL.error(operand, error);
                status = 1;
            }
        }
    }

    let accounts = options.long.then(Accounts::load);
    let mut out = Output::stdout();
    let mut first = files.is_empty();
    if !files.is_empty() {
        write_entries(&mut out, &files, &options, accounts.as_ref());
    }
    for dir in dirs {
        if !first {
            out.bytes(b"\n");
        }
        first = false;
        if several {
            let _ = writeln!(out, "{dir}:");
        }
        match read_entries(dir, &options) {
            Ok(entries) => {
                if options.long {
                    let blocks: i64 = entries.iter().map(|entry| entry.stat.st_blocks).sum();
                    let _ = writeln!(out, "total {}", blocks / 2);
                }
                write_entries(&mut out, &entries, &options, accounts.as_ref());
            }
            Err(error) => {
                TOOL.error(dir, error);
                status = 1;
            }
        }
    }
    TOOL.finish(&mut out, status)
}

/// The status of an operand: of a symbolic link itself for `-l` and `-d` (unless `-L`),
/// otherwise of what it leads to (or of the link, if it leads nowhere).
fn stat_operand(operand: &str, options: &Options) -> Result<Stat, Errno> {
    if (options.long || options.directory) && !options.follow {
        return fs::lstat(operand);
    }
    fs::stat(operand).or_else(|error| fs::lstat(operand).map_err(|_| error))
}

/// The entries of directory `dir` that the options show, sorted by name.
fn read_entries(dir: &str, options: &Options) -> Result<Vec<Entry>, Errno> {
    let mut entries = Vec::new();
    for entry in fs::Dir::open(dir)? {
        let name = entry?.name;
        let shown = match options.hidden {
            Hidden::All => true,
            Hidden::AlmostAll => name != "." && name != "..",
            Hidden::Skip => !name.starts_with('.'),
        };
        if !shown {
            continue;
        }
        let path = cli::join(dir, &name);
        let stat = if options.follow {
            fs::stat(&path).or_else(|_| fs::lstat(&path))
        } else {
            fs::lstat(&path)
        };
        match stat {
            Ok(stat) => entries.push(Entry { name, path, stat }),
            // Removed since the directory was read.
            Err(Errno::ENOENT) => {}
            Err(error) => TOOL.error(&path, error),
        }
    }
    entries.sort_unstable_by(|a, b| a.name.cmp(&b.name));
    Ok(entries)
}

/// Writes one line per entry, the columns of `-i` and `-l` aligned; `accounts` is there for
/// `-l`.
fn write_entries(
    out: &mut Output,
    entries: &[Entry],
    options: &Options,
    accounts: Option<&Accounts>,
) {
    let columns: Vec<[String; 5]> = match accounts {
        Some(accounts) => entries
            .iter()
            .map(|entry| long_columns(&entry.stat, accounts))
            .collect(),
        None => Vec::new(),
    };
    let width = |column: usize| {
        columns
            .iter()
            .map(|row| row[column].len())
            .max()
            .unwrap_or(0)
    };
    let widths = [width(0), width(1), width(2), width(3), width(4)];
    let inode_width = entries
        .iter()
        .map(|entry| digits(entry.stat.st_ino))
        .max()
        .unwrap_or(0);
    for (index, entry) in entries.iter().enumerate() {
        if options.inode {
            let _ = write!(out, "{:>inode_width$} ", entry.stat.st_ino);
        }
        if let Some([mode, links, user, group, size]) = columns.get(index) {
            let time = DateTime::from_unix(entry.stat.st_mtime);
            let _ = write!(
                out,
                "{mode:<w0$} {links:>w1$} {user:<w2$} {group:<w3$} {size:>w4$} \
                 {:04}-{:02}-{:02} {:02}:{:02} ",
                time.year,
                time.month,
                time.day,
                time.hour,
                time.minute,
                w0 = widths[0],
                w1 = widths[1],
                w2 = widths[2],
                w3 = widths[3],
                w4 = widths[4],
            );
        }
        out.bytes(entry.name.as_bytes());
        if options.long && entry.stat.st_mode & S_IFMT == S_IFLNK {
            match fs::readlink(&entry.path) {
                Ok(target) => {
                    let _ = write!(out, " -> {target}");
                }
                Err(error) => TOOL.error(&entry.path, error),
            }
        }
        out.bytes(b"\n");
    }
}

/// The mode, links, owner, group and size columns of `-l`.
fn long_columns(stat: &Stat, accounts: &Accounts) -> [String; 5] {
    let size = match stat.st_mode & S_IFMT {
        S_IFCHR | S_IFBLK => {
            let (major, minor) = cli::device_numbers(stat.st_rdev);
            alloc::format!("{major}, {minor}")
        }
        _ => stat.st_size.to_string(),
    };
    [
        cli::mode_string(stat.st_mode),
        stat.st_nlink.to_string(),
        accounts.user_or_id(stat.st_uid),
        accounts.group_or_id(stat.st_gid),
        size,
    ]
}

/// The number of decimal digits of `value`.
fn digits(value: u64) -> usize {
    value.checked_ilog10().map_or(1, |log| log as usize + 1)
}
