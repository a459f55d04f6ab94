//! Test `t_null_deref` (expects `signal=SIGSEGV`): loads from address 0, which is never
//! mapped; the kernel must kill the program with `SIGSEGV`.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

ulib::entry!(main);

fn main() -> i32 {
    let value = ulib::hazard::read_volatile_at(0);
    ulib::eprintln!("t_null_deref: survived reading address 0 (read {value:#x})");
    1
}
