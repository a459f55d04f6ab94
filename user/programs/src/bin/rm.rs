//! `rm [-rRfd] FILE...`: removes files (concept U4).
//!
//! `-r` or `-R`: remove directories and everything in them (symbolic links are removed,
//! not followed); `-d`: remove empty directories; `-f`: say nothing about files that do
//! not exist, and succeed without operands. Without `-r` or `-d` a directory is
//! `Is a directory`. `.`, `..` and `/` are refused. Exit status 0, or 1 if something could
//! not be removed (`rm: nope: No such file or directory`); every error is reported and the
//! rest is still removed.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::vec::Vec;

use ulib::abi::Errno;
use ulib::abi::fs::{S_IFDIR, S_IFMT};
use ulib::cli::{self, Arg, Args, Tool};
use ulib::fs;

ulib::entry!(main);

const TOOL: Tool = Tool::new("rm", "rm [-rRfd] FILE...");

/// What the options allow.
struct Options {
    recursive: bool,
    force: bool,
    empty_dirs: bool,
}

fn main() -> i32 {
    let mut options = Options {
        recursive: false,
        force: false,
        empty_dirs: false,
    };
    let mut operands = Vec::new();
    for arg in Args::new() {
        match arg {
            Arg::Flag('r' | 'R') => options.recursive = true,
            Arg::Flag('f') => options.force = true,
            Arg::Flag('d') => options.empty_dirs = true,
            Arg::Operand(operand) => operands.push(operand),
            other => return TOOL.unexpected(other),
        }
    }
    if operands.is_empty() && !options.force {
        return TOOL.usage_error(format_args!("missing operand"));
    }
    let mut status = 0;
    for operand in operands {
        if matches!(cli::base_name(operand), "." | "..") {
            TOOL.complain(format_args!(
                "refusing to remove '.' or '..' directory: skipping '{operand}'"
            ));
            status = 1;
        } else if cli::base_name(operand) == "/" {
            TOOL.complain(format_args!("it is dangerous to operate on '/'"));
            status = 1;
        } else if !remove(operand, &options) {
            status = 1;
        }
    }
    status
}

/// Removes `path` as the options allow; reports each error and returns whether everything
/// went.
fn remove(path: &str, options: &Options) -> bool {
    let stat = match fs::lstat(path) {
        Ok(stat) => stat,
        Err(Errno::ENOENT) if options.force => return true,
        Err(error) => {
            TOOL.error(path, error);
            return false;
        }
    };
    if stat.st_mode & S_IFMT != S_IFDIR {
        return report(path, fs::unlink(path));
    }
    if !options.recursive {
        if options.empty_dirs {
            return report(path, fs::rmdir(path));
        }
        TOOL.error(path, Errno::EISDIR);
        return false;
    }
    let entries = match fs::read_dir(path) {
        Ok(entries) => entries,
        Err(error) => {
            TOOL.error(path, error);
            return false;
        }
    };
    let mut all_gone = true;
    for entry in entries {
        if entry.name != "." && entry.name != ".." {
            all_gone &= remove(&cli::join(path, &entry.name), options);
        }
    }
    // A directory that kept some of its files cannot go; that was already reported.
    all_gone && report(path, fs::rmdir(path))
}

/// Reports `result`'s error for `path`; whether it succeeded.
fn report(path: &str, result: Result<(), Errno>) -> bool {
    match result {
        Ok(()) => true,
        Err(error) => {
            TOOL.error(path, error);
            false
        }
    }
}
