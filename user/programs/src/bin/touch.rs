//! `touch [-c] FILE...`: sets the access and modification times of files to now, creating
//! the files that do not exist (concept U4).
//!
//! The times are set with `utimensat(AT_FDCWD, FILE, NULL, 0)`; a missing file is created
//! empty (mode 0666 less the umask), which gives it the current times. `-c`: do not create
//! files. Exit status 0, or 1 if a file could not be touched (`touch: a/b: No such file or
//! directory`).

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::vec::Vec;

use ulib::abi::Errno;
use ulib::abi::fs::{AT_FDCWD, O_CLOEXEC, O_CREAT, O_WRONLY};
use ulib::cli::{Arg, Args, Tool};
use ulib::fs;

ulib::entry!(main);

const TOOL: Tool = Tool::new("touch", "touch [-c] FILE...");

fn main() -> i32 {
    let mut create = true;
    let mut operands = Vec::new();
    for arg in Args::new() {
        match arg {
            Arg::Flag('c') => create = false,
            Arg::Operand(operand) => operands.push(operand),
            other => return TOOL.unexpected(other),
        }
    }
    if operands.is_empty() {
        return TOOL.usage_error(format_args!("missing file operand"));
    }
    let mut status = 0;
    for operand in operands {
        if let Err(error) = touch(operand, create) {
            TOOL.error(operand, error);
            status = 1;
        }
    }
    status
}

/// Sets the times of `path` to now, or creates it (if `create`).
fn touch(path: &str, create: bool) -> Result<(), Errno> {
    match fs::utimensat(AT_FDCWD, Some(path), None, 0) {
        Err(Errno::ENOENT) if create => {
            let fd = fs::open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o666)?;
            fs::close(fd)
        }
        Err(Errno::ENOENT) => Ok(()),
        other => other,
    }
}
