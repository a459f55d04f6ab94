//! `cp [-rRf] SOURCE DEST`, `cp [-rRf] SOURCE... DIRECTORY`: copies files (concept U4).
//!
//! With two operands where DEST is not a directory, SOURCE's bytes go to DEST (created
//! with SOURCE's permission bits less the umask, or truncated if it exists); otherwise each
//! SOURCE is copied into DIRECTORY under its last component. Symbolic links are followed.
//! `-r` or `-R` copies directories with everything in them (links inside are copied as
//! links); without it a directory is skipped with a message. A copy onto the same file is
//! refused. `-f` is accepted: `cp` never asks anyway. Exit status 0, or 1 if something could
//! not be copied; every error is reported and the rest is still copied.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::vec::Vec;

use ulib::abi::Errno;
use ulib::abi::fs::{O_CLOEXEC, O_CREAT, O_TRUNC, O_WRONLY, S_IFDIR, S_IFLNK, S_IFMT, Stat};
use ulib::cli::{self, Arg, Args, Input, Tool};
use ulib::fs;

ulib::entry!(main);

const TOOL: Tool = Tool::new(
    "cp",
    "cp [-rRf] SOURCE DEST  or  cp [-rRf] SOURCE... DIRECTORY",
);

fn main() -> i32 {
    let mut recursive = false;
    let mut operands = Vec::new();
    for arg in Args::new() {
        match arg {
            Arg::Flag('r' | 'R') => recursive = true,
            Arg::Flag('f') => {}
            Arg::Operand(operand) => operands.push(operand),
            other => return TOOL.unexpected(other),
        }
    }
    let copies = match TOOL.placements(&operands) {
        Ok(copies) => copies,
        Err(status) => return status,
    };
    let mut status = 0;
    for (source, dest) in copies {
        let stat = match fs::stat(source) {
            Ok(stat) => stat,
            Err(error) => {
                TOOL.error(source, error);
                status = 1;
                continue;
            }
        };
        let copied = if stat.st_mode & S_IFMT != S_IFDIR {
            copy_file(source, &stat, &dest)
        } else if recursive {
            copy_tree(source, &stat, &dest)
        } else {
            TOOL.complain(format_args!(
                "-r not specified; omitting directory '{source}'"
            ));
            false
        };
        if !copied {
            status = 1;
        }
    }
    status
}

/// Copies the file `source` (whose status is `stat`) to `dest`; reports an error and
/// returns whether it worked.
fn copy_file(source: &str, stat: &Stat, dest: &str) -> bool {
    if fs::stat(dest).is_ok_and(|there| (there.st_dev, there.st_ino) == (stat.st_dev, stat.st_ino))
    {
        TOOL.complain(format_args!("'{source}' and '{dest}' are the same file"));
        return false;
    }
    let mut input = match Input::open(source) {
        Ok(input) => input,
        Err(error) => {
            TOOL.error(source, error);
            return false;
        }
    };
    let out = match fs::open(
        dest,
        O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
        stat.st_mode & 0o7777,
    ) {
        Ok(fd) => fd,
        Err(error) => {
            TOOL.error(dest, error);
            return false;
        }
    };
    let mut write_error = None;
    let read = input.for_each_chunk(|chunk| match fs::write_all(out, chunk) {
        Ok(()) => true,
        Err(error) => {
            write_error = Some(error);
            false
        }
    });
    let closed = fs::close(out);
    match (read, write_error.map_or(closed, Err)) {
        (Err(error), _) => TOOL.error(source, error),
        (_, Err(error)) => TOOL.error(dest, error),
        (Ok(()), Ok(())) => return true,
    }
    false
}

/// Copies the directory `source` (whose status is `stat`) and everything in it to `dest`,
/// which may exist already; reports each error and returns whether everything was copied.
fn copy_tree(source: &str, stat: &Stat, dest: &str) -> bool {
    match fs::mkdir(dest, stat.st_mode & 0o7777 | 0o700) {
        Ok(()) => {}
        Err(Errno::EEXIST) if cli::is_dir(dest) => {}
        Err(error) => {
            TOOL.error(dest, error);
            return false;
        }
    }
    let Ok(made) = fs::stat(dest) else {
        TOOL.error(dest, Errno::ENOENT);
        return false;
    };
    let entries = match fs::read_dir(source) {
        Ok(entries) => entries,
        Err(error) => {
            TOOL.error(source, error);
            return false;
        }
    };
    let mut all_copied = true;
    for entry in entries {
        if entry.name == "." || entry.name == ".." {
            continue;
        }
        let from = cli::join(source, &entry.name);
        let to = cli::join(dest, &entry.name);
        let inner = match fs::lstat(&from) {
            Ok(inner) => inner,
            Err(error) => {
                TOOL.error(&from, error);
                all_copied = false;
                continue;
            }
        };
        // A copy into the source's own subtree would copy itself for ever.
        if (inner.st_dev, inner.st_ino) == (made.st_dev, made.st_ino) {
            TOOL.complain(format_args!(
                "cannot copy a directory, '{source}', into itself, '{dest}'"
            ));
            all_copied = false;
            continue;
        }
        all_copied &= match inner.st_mode & S_IFMT {
            S_IFDIR => copy_tree(&from, &inner, &to),
            S_IFLNK => copy_link(&from, &to),
            _ => copy_file(&from, &inner, &to),
        };
    }
    all_copied
}

/// Makes `dest` a symbolic link with the target of the link `source`.
fn copy_link(source: &str, dest: &str) -> bool {
    match fs::readlink(source).and_then(|target| fs::symlink(&target, dest)) {
        Ok(()) => true,
        Err(error) => {
            TOOL.error(dest, error);
            false
        }
    }
}
