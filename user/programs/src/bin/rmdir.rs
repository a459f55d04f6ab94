//! `rmdir [-p] DIRECTORY...`: removes empty directories (concept U4).
//!
//! `-p`: then also each parent named in the operand (`a/b/c` removes `a/b/c`, `a/b`, `a`),
//! stopping at the first that cannot be removed. Exit status 0, or 1 if a directory could
//! not be removed (`rmdir: d: Directory not empty`).

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::vec::Vec;

use ulib::cli::{Arg, Args, Tool};
use ulib::fs;

ulib::entry!(main);

const TOOL: Tool = Tool::new("rmdir", "rmdir [-p] DIRECTORY...");

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
        let mut path = operand.trim_end_matches('/');
        if path.is_empty() {
            path = operand;
        }
        loop {
            if let Err(error) = fs::rmdir(path) {
                TOOL.error(path, error);
                status = 1;
                break;
            }
            match path.rsplit_once('/') {
                Some((parent, _)) if parents => {
                    path = parent.trim_end_matches('/');
                    if path.is_empty() {
                        break;
                    }
                }
                _ => break,
            }
        }
    }
    status
}
