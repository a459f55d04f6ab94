//! Test `t_illegal` (expects `signal=SIGILL`): executes `unimp`; the kernel must kill the
//! program with `SIGILL`.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

ulib::entry!(main);

fn main() -> i32 {
    ulib::hazard::illegal_instruction();
    ulib::eprintln!("t_illegal: survived executing unimp");
    1
}
