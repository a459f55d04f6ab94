//! Test `t_panic` (expects `exit=101`): panics on purpose; ulib's panic handler must print
//! the message and location and turn the panic into exit status 101.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

ulib::entry!(main);

fn main() -> i32 {
    ulib::println!("t_panic: panicking on purpose; expect exit status 101");
    panic!("deliberate panic from t_panic (answer {})", 6 * 7);
}
