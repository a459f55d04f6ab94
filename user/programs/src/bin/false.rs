//! `false`: does nothing, unsuccessfully (concept U4). Exit status 1; arguments are ignored.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

ulib::entry!(main);

fn main() -> i32 {
    1
}
