//! `mv [-f] SOURCE DEST`, `mv [-f] SOURCE... DIRECTORY`: renames files (concept U4).
//!
//! With two operands where DEST is not a directory, SOURCE gets the name DEST, replacing
//! a file there; otherwise each SOURCE moves into DIRECTORY under its last component. It
//! is one `rename` per source, so moves between file systems fail (`Invalid cross-device
//! link`; nothing is copied). `-f` is accepted: `mv` never asks anyway. Exit status 0, or 1
//! if something could not be moved (`mv: nope: No such file or directory` for a missing
//! source, `mv: cannot move 'a' to 'b': ...` otherwise).

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::vec::Vec;

use ulib::cli::{Arg, Args, Tool};
use ulib::fs;

ulib::entry!(main);

const TOOL: Tool = Tool::new("mv", "mv [-f] SOURCE DEST  or  mv [-f] SOURCE... DIRECTORY");

fn main() -> i32 {
    let mut operands = Vec::new();
    for arg in Args::new() {
        match arg {
            Arg::Flag('f') => {}
            Arg::Operand(operand) => operands.push(operand),
            other => return TOOL.unexpected(other),
        }
    }
    let moves = match TOOL.placements(&operands) {
        Ok(moves) => moves,
        Err(status) => return status,
    };
    let mut status = 0;
    for (source, dest) in moves {
        if let Err(error) = fs::lstat(source) {
            TOOL.error(source, error);
            status = 1;
        } else if let Err(error) = fs::rename(source, &dest) {
            TOOL.complain(format_args!(
                "cannot move '{source}' to '{dest}': {}",
                error.description()
            ));
            status = 1;
        }
    }
    status
}
