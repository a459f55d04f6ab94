//! Test `t_csr_read` (expects `signal=SIGILL`): reads the supervisor CSR `sstatus` from user
//! mode, an illegal instruction there; the kernel must kill the program with `SIGILL`.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

ulib::entry!(main);

fn main() -> i32 {
    let sstatus = ulib::hazard::read_sstatus();
    ulib::eprintln!("t_csr_read: survived reading sstatus from user mode (read {sstatus:#x})");
    1
}
