//! `clear`: clears the terminal (concept U4) by writing the ANSI sequences "cursor home"
//! (`ESC [ H`) and "erase the whole display" (`ESC [ 2 J`). Exit status 0, or 1 if the
//! write failed.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use ulib::cli::{Args, Output, Tool};

ulib::entry!(main);

const TOOL: Tool = Tool::new("clear", "clear");

/// Cursor to the top left, then erase the display.
const CLEAR_SCREEN: &[u8] = b"\x1b[H\x1b[2J";

fn main() -> i32 {
    if let Some(arg) = Args::new().next() {
        return TOOL.unexpected(arg);
    }
    let mut out = Output::stdout();
    out.bytes(CLEAR_SCREEN);
    TOOL.finish(&mut out, 0)
}
