//! Test `t_uname_ids` (expects `exit=0`): who the system and the process are (P1, U).
//!
//! - `uname` reports `sysname` "Lantern" and `machine` "riscv64"; `release` and `version`
//!   are not empty; every field is NUL-terminated within its 65 bytes.
//! - A process started by init runs as root: `getuid`, `geteuid`, `getgid`, `getegid` are 0.
//! - In a single-threaded process `gettid` equals `getpid`, and `set_tid_address` returns
//!   that tid.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use core::sync::atomic::AtomicI32;

use ulib::abi::process::UTSNAME_LENGTH;
use ulib::process::{getegid, geteuid, getgid, gettid, getuid, set_tid_address, uname};
use ulib::{check, check_eq};

ulib::entry!(main);

/// The word `set_tid_address` registers (cleared by the kernel when the process exits).
static CLEAR_ON_EXIT: AtomicI32 = AtomicI32::new(-1);

fn main() -> i32 {
    check_uname();
    check_ids();
    ulib::println!("t_uname_ids: ok");
    0
}

/// The text of a `utsname` field, up to its NUL; `None` if there is no NUL or it is not
/// UTF-8.
fn field(bytes: &[u8; UTSNAME_LENGTH]) -> Option<&str> {
    let end = bytes.iter().position(|&b| b == 0)?;
    core::str::from_utf8(&bytes[..end]).ok()
}

fn check_uname() {
    let names = uname();
    check!(names.is_ok(), "uname: {names:?}");
    let names = names.unwrap_or_default();
    let fields = [
        ("sysname", &names.sysname),
        ("nodename", &names.nodename),
        ("release", &names.release),
        ("version", &names.version),
        ("machine", &names.machine),
        ("domainname", &names.domainname),
    ];
    for (name, bytes) in fields {
        check!(
            field(bytes).is_some(),
            "uname's {name} is NUL-terminated UTF-8: {bytes:?}"
        );
    }
    check_eq!(field(&names.sysname), Some("Lantern"), "uname's sysname");
    check_eq!(field(&names.machine), Some("riscv64"), "uname's machine");
    check!(
        field(&names.release).is_some_and(|text| !text.is_empty()),
        "uname's release is not empty"
    );
    check!(
        field(&names.version).is_some_and(|text| !text.is_empty()),
        "uname's version is not empty"
    );
    ulib::println!(
        "t_uname_ids: {} {} {} {}",
        field(&names.sysname).unwrap_or("?"),
        field(&names.release).unwrap_or("?"),
        field(&names.version).unwrap_or("?"),
        field(&names.machine).unwrap_or("?")
    );
}

fn check_ids() {
    check_eq!(getuid(), Ok(0), "getuid");
    check_eq!(geteuid(), Ok(0), "geteuid");
    check_eq!(getgid(), Ok(0), "getgid");
    check_eq!(getegid(), Ok(0), "getegid");
    let pid = ulib::getpid();
    check!(matches!(pid, Ok(p) if p > 0), "getpid: {pid:?}");
    check_eq!(gettid(), pid, "gettid of a single-threaded process");
    check_eq!(
        set_tid_address(&CLEAR_ON_EXIT),
        pid,
        "set_tid_address returns the tid"
    );
}
