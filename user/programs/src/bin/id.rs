//! `id [-u | -g] [-n]`: the user and group ids of the caller (concept U1, U4), as
//! `uid=0(root) gid=0(root) groups=0(root)`.
//!
//! Names come from `/etc/passwd` and `/etc/group`; without them (or for an id they do not
//! list) only the number is shown. Effective ids that differ from the real ones are added
//! as `euid=` and `egid=`. `groups=` shows the group id alone: supplementary groups are not
//! read. `-u` or `-g` prints only the effective user or group id, `-n` its name instead.
//! Exit status 0, or 1 if an id could not be read or `-n` finds no name.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::string::String;
use core::fmt::Write;

use ulib::abi::Errno;
use ulib::cli::{Accounts, Arg, Args, Output, Tool};
use ulib::process::{getegid, geteuid, getgid, getuid};

ulib::entry!(main);

const TOOL: Tool = Tool::new("id", "id [-u | -g] [-n]");

/// What to print.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Show {
    Everything,
    User,
    Group,
}

fn main() -> i32 {
    let mut show = Show::Everything;
    let mut names = false;
    for arg in Args::new() {
        match arg {
            Arg::Flag('u') => show = Show::User,
            Arg::Flag('g') => show = Show::Group,
            Arg::Flag('n') => names = true,
            other => return TOOL.unexpected(other),
        }
    }
    if names && show == Show::Everything {
        return TOOL.usage_error(format_args!("cannot print only names in default format"));
    }
    let ids = (|| Ok::<_, Errno>((getuid()?, geteuid()?, getgid()?, getegid()?)))();
    let (uid, euid, gid, egid) = match ids {
        Ok(ids) => ids,
        Err(error) => {
            TOOL.error("getuid", error);
            return 1;
        }
    };
    let accounts = Accounts::load();
    let mut out = Output::stdout();
    let line = match show {
        Show::User => only(euid, accounts.user(euid), names),
        Show::Group => only(egid, accounts.group(egid), names),
        Show::Everything => {
            let user = |id| labelled(id, accounts.user(id));
            let group = |id| labelled(id, accounts.group(id));
            let mut line = alloc::format!("uid={} gid={}", user(uid), group(gid));
            if euid != uid {
                let _ = write!(line, " euid={}", user(euid));
            }
            if egid != gid {
                let _ = write!(line, " egid={}", group(egid));
            }
            let _ = write!(line, " groups={}", group(gid));
            Some(line)
        }
    };
    let status = match line {
        Some(line) => {
            let _ = writeln!(out, "{line}");
            0
        }
        None => {
            TOOL.complain(format_args!("cannot find a name for the id"));
            1
        }
    };
    TOOL.finish(&mut out, status)
}

/// `id(name)`, or `id` alone.
fn labelled(id: u32, name: Option<&str>) -> String {
    match name {
        Some(name) => alloc::format!("{id}({name})"),
        None => alloc::format!("{id}"),
    }
}

/// The id, or with `names` its name (`None` if it has none).
fn only(id: u32, name: Option<&str>, names: bool) -> Option<String> {
    if names {
        name.map(String::from)
    } else {
        Some(alloc::format!("{id}"))
    }
}
