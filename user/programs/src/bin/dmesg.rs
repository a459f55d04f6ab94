//! `dmesg`: prints the kernel log (concept U4), read with the `syslog` system call
//! ([`ulib::log`]). A log that does not end with a newline gets one. Exit status 0, or 1 if
//! the log could not be read (`dmesg: read kernel buffer failed: Operation not permitted`)
//! or written.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use ulib::cli::{Args, Output, Tool};

ulib::entry!(main);

const TOOL: Tool = Tool::new("dmesg", "dmesg");

fn main() -> i32 {
    if let Some(arg) = Args::new().next() {
        return TOOL.unexpected(arg);
    }
    let log = match ulib::log::read_all() {
        Ok(log) => log,
        Err(error) => {
            TOOL.error("read kernel buffer failed", error);
            return 1;
        }
    };
    let mut out = Output::stdout();
    out.bytes(&log);
    if !log.is_empty() && !log.ends_with(b"\n") {
        out.bytes(b"\n");
    }
    TOOL.finish(&mut out, 0)
}
