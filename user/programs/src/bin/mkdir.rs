//! `mkdir [-p] DIRECTORY...`: creates directories (concept U4), with mode 0777 less the
//! umask.
//!
//! `-p`: also create missing parent directories, and do not complain about a directory
//! that already exists (an existing file is still `File exists`). Exit status 0, or 1 if a
//! directory could not be created (`mkdir: a/b: No such file or directory`).

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::string::String;
use alloc::vec::Vec;

use ulib::abi::Errno;
use ulib::cli::{self, Arg, Args, Tool};
use ulib::fs;

ulib::entry!(main);

const TOOL: Tool = Tool::new("mkdir", "mkdir [-p] DIRECTORY...");

/// The mode asked for; the kernel takes the umask off.
const MODE: u32 = 0o777;

fn main() -> i32 {
    let mut parents = false;
    let mut operands = Vec::new();
    for arg in Args::new() {
        match arg {
            Arg::Flag('p') => parents = true,
            Arg::Operand(operand) => operands.push(operand),
            other => return TOOL.unexpected(other),
        }
    }
    if operands.is_empty() {
        return TOOL.usage_error(format_args!("missing operand"));
    }
    let mut status = 0;
    for operand in operands {
        let made = if parents {
            make_with_parents(operand)
        } else {
            fs::mkdir(operand, MODE)
        };
        if let Err(error) = made {
            TOOL.error(operand, error);
            status = 1;
        }
    }
    status
}

/// Creates `path` and each missing directory above it; a directory already there is fine.
fn make_with_parents(path: &str) -> Result<(), Errno> {
    let mut prefix = String::new();
    if path.starts_with('/') {
        prefix.push('/');
    }
    for component in path.split('/').filter(|component| !component.is_empty()) {
        if !prefix.is_empty() && !prefix.ends_with('/') {
            prefix.push('/');
        }
        prefix.push_str(component);
        match fs::mkdir(&prefix, MODE) {
            // Something is there; if it is not a directory, the next mkdir (or the check
            // below) says so.
            Ok(()) | Err(Errno::EEXIST) => {}
            Err(error) => return Err(error),
        }
    }
    if cli::is_dir(path) {
        Ok(())
    } else {
        Err(Errno::EEXIST)
    }
}
