//! `ln [-sf] TARGET [LINK]`, `ln [-sf] TARGET... DIRECTORY`: makes links (concept U4).
//!
//! Without `-s` it makes hard links: new names for the existing files. With `-s` it makes
//! symbolic links holding the text of TARGET (which need not exist, and is taken relative
//! to the link's directory when the link is followed). With one operand the link is made
//! in the working directory under TARGET's last component; with a directory as the last
//! of several operands, inside it. `-f` removes an existing LINK first. Exit status 0, or
//! 1 if a link could not be made (`ln: b: File exists`).

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::string::ToString;
use alloc::vec::Vec;

use ulib::abi::Errno;
use ulib::cli::{self, Arg, Args, Tool};
use ulib::fs;

ulib::entry!(main);

const TOOL: Tool = Tool::new(
    "ln",
    "ln [-sf] TARGET [LINK]  or  ln [-sf] TARGET... DIRECTORY",
);

fn main() -> i32 {
    let (mut symbolic, mut force) = (false, false);
    let mut operands = Vec::new();
    for arg in Args::new() {
        match arg {
            Arg::Flag('s') => symbolic = true,
            Arg::Flag('f') => force = true,
            Arg::Operand(operand) => operands.push(operand),
            other => return TOOL.unexpected(other),
        }
    }
    let links = match operands[..] {
        [target] => alloc::vec![(target, cli::base_name(target).to_string())],
        _ => match TOOL.placements(&operands) {
            Ok(links) => links,
            Err(status) => return status,
        },
    };
    let mut status = 0;
    for (target, link) in links {
        if let Err(error) = make_link(target, &link, symbolic, force) {
            TOOL.error(&link, error);
            status = 1;
        }
    }
    status
}

/// Makes `link` a link to `target`, first removing what `link` names if `force`.
fn make_link(target: &str, link: &str, symbolic: bool, force: bool) -> Result<(), Errno> {
    if force {
        match fs::unlink(link) {
            Ok(()) | Err(Errno::ENOENT) => {}
            Err(error) => return Err(error),
        }
    }
    if symbolic {
        fs::symlink(target, link)
    } else {
        fs::link(target, link)
    }
}
