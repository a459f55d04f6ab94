//! Test `t_exec` (expects `exit=0`): `execve` replaces the image and keeps the process.
//!
//! - A child execs `/bin/t_exec_helper` with `argv = ["t_exec_helper", "alpha",
//!   "beta gamma", <its pid>, <its parent's pid>]` and `envp = ["LANTERN_X=1"]`; the helper
//!   checks all of it, including that its pid and parent survived the exec, and exits 0.
//! - Failures return to the caller, which carries on with its image intact:
//!   a path that does not exist and the empty path are `ENOENT`; `/bin/not_elf` (an
//!   executable text file) is `ENOEXEC`; the directory `/bin` is `EACCES`.
//! - Bad pointers are `EFAULT`: the path (NULL, kernel half, unmapped); `argv` or `envp`
//!   itself (kernel half, unmapped: NULL is allowed by Linux and means an empty list); one
//!   bad element inside `argv` or `envp`.
//! - Arguments that are too large are `E2BIG`: one 256 KiB argument (above Linux's 128 KiB
//!   `MAX_ARG_STRLEN` and Lantern's 64 KiB total); and, on Lantern only, 200 arguments of
//!   4 KiB (800 KiB: above Lantern's 64 KiB limit, but below Linux's, which is a quarter of
//!   the stack limit, 2 MiB by default, so Linux would run the helper).

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, Ordering};

use ulib::abi::Errno;
use ulib::abi::wait;
use ulib::hazard::{BAD_POINTERS, KERNEL_ADDR, UNMAPPED_ADDR};
use ulib::syscall::decode;
use ulib::{Fork, check, check_eq, raw};

ulib::entry!(main);

/// The program the child executes.
const HELPER: &str = "/bin/t_exec_helper";
/// The same path as a C string, for the raw calls.
const HELPER_C: &[u8] = b"/bin/t_exec_helper\0";

/// A static that a replaced image would no longer have.
static MARKER: AtomicU32 = AtomicU32::new(0x1ec);

fn main() -> i32 {
    let pid = ulib::getpid();
    check!(pid.is_ok(), "getpid: {pid:?}");
    MARKER.store(0x5eed, Ordering::Relaxed);
    check_exec_in_child();
    check_missing_and_bad_files();
    check_bad_pointers();
    check_too_large();
    check_eq!(ulib::getpid(), pid, "the pid after the failed execs");
    check_eq!(
        MARKER.load(Ordering::Relaxed),
        0x5eed,
        "the image survived the failed execs"
    );
    ulib::println!("t_exec: ok");
    0
}

fn check_exec_in_child() {
    let parent = ulib::getpid().unwrap_or(0);
    let child = match ulib::fork() {
        Ok(Fork::Child) => {
            let pid = format!("{}", ulib::getpid().unwrap_or(0));
            let ppid = format!("{parent}");
            let error = ulib::execve(
                HELPER,
                &["t_exec_helper", "alpha", "beta gamma", &pid, &ppid],
                &["LANTERN_X=1"],
            );
            ulib::eprintln!("t_exec: execve({HELPER}) in the child failed: {error}");
            ulib::exit(100)
        }
        Ok(Fork::Parent(child)) => child,
        Err(error) => ulib::fail!("fork: {error}"),
    };
    check_eq!(
        ulib::wait4(child, 0),
        Ok((child, wait::exited(0))),
        "the child that exec'd {HELPER} exited 0 (status 0x6400: execve failed)"
    );
}

fn check_missing_and_bad_files() {
    for (path, expected) in [
        ("/bin/no_such_program", Errno::ENOENT),
        ("/no/such/dir/program", Errno::ENOENT),
        ("", Errno::ENOENT),
        ("/bin/not_elf", Errno::ENOEXEC),
        ("/bin", Errno::EACCES),
    ] {
        check_eq!(
            ulib::execve(path, &[path], &[]),
            expected,
            "execve({path:?})"
        );
    }
    check_eq!(
        ulib::execve("/bin/t_exec\0x", &[], &[]),
        Errno::EINVAL,
        "ulib's execve refuses a path with a NUL byte"
    );
}

fn check_bad_pointers() {
    let path = HELPER_C.as_ptr() as usize;
    let good_argv = [path, 0];
    let good_envp = [0usize];
    let argv = good_argv.as_ptr() as usize;
    let envp = good_envp.as_ptr() as usize;
    let efault = |path: usize, argv: usize, envp: usize, what: &str| {
        check_eq!(
            decode(raw::execve(path, argv, envp)),
            Err(Errno::EFAULT),
            "execve with {what}"
        );
    };
    for bad in BAD_POINTERS {
        efault(bad, argv, envp, &format!("path at {bad:#x}"));
    }
    for bad in [KERNEL_ADDR, UNMAPPED_ADDR] {
        efault(path, bad, envp, &format!("argv at {bad:#x}"));
        efault(path, argv, bad, &format!("envp at {bad:#x}"));
    }
    for bad in BAD_POINTERS.into_iter().filter(|&bad| bad != 0) {
        let bad_argv = [path, bad, 0];
        let bad_envp = [bad, 0];
        efault(
            path,
            bad_argv.as_ptr() as usize,
            envp,
            &format!("argv[1] at {bad:#x}"),
        );
        efault(
            path,
            argv,
            bad_envp.as_ptr() as usize,
            &format!("envp[0] at {bad:#x}"),
        );
    }
}

fn check_too_large() {
    let huge = "x".repeat(256 * 1024);
    check_eq!(
        ulib::execve(HELPER, &[HELPER, &huge], &[]),
        Errno::E2BIG,
        "execve with one 256 KiB argument"
    );
    // Lantern's argument limit is lower than Linux's.
    if !ulib::on_lantern() {
        ulib::println!("t_exec: not on Lantern, skipping 200 arguments of 4 KiB");
        return;
    }
    let page = "y".repeat(4096);
    let many: Vec<&str> = core::iter::repeat_n(page.as_str(), 200).collect();
    check_eq!(
        ulib::execve(HELPER, &many, &[]),
        Errno::E2BIG,
        "execve with 200 arguments of 4 KiB"
    );
    let env_entry: String = format!("BIG={}", "z".repeat(70 * 1024));
    check_eq!(
        ulib::execve(HELPER, &[HELPER], &[&env_entry]),
        Errno::E2BIG,
        "execve with a 70 KiB environment string"
    );
}
