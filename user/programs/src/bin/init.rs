//! `init`: the first program `cargo xtask run` boots until a shell exists. It greets, shows
//! the arguments, the environment and the monotonic clock it was started with, and exits 0.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use ulib::abi::time::CLOCK_MONOTONIC;
use ulib::{env, println};

ulib::entry!(main);

fn main() -> i32 {
    let pid = match ulib::getpid() {
        Ok(pid) => pid,
        Err(error) => {
            ulib::eprintln!("init: getpid failed: {error}");
            return 1;
        }
    };
    println!("Lantern: hello from user space (pid {pid})");
    for (index, arg) in env::args().enumerate() {
        println!("init: argv[{index}] = {arg:?}");
    }
    for (name, value) in env::vars() {
        println!("init: env {name}={value}");
    }
    match ulib::clock_gettime(CLOCK_MONOTONIC) {
        Ok(now) => println!("init: monotonic clock {}.{:09} s", now.tv_sec, now.tv_nsec),
        Err(error) => {
            ulib::eprintln!("init: clock_gettime(CLOCK_MONOTONIC) failed: {error}");
            return 1;
        }
    }
    0
}
