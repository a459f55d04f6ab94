//! `true`: does nothing, successfully (concept U4). Exit status 0; arguments are ignored.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

ulib::entry!(main);

fn main() -> i32 {
    0
}
