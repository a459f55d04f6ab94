//! The in-kernel test runner (booted with `-append test`).
//!
//! It reads the manifest `/etc/tests` from the initrd (one line per test:
//! `<program> exit=N` or `<program> signal=NAME`), runs each `/bin/<program>` with
//! `argv = [path]` and the default environment, and compares how it ended with the
//! expectation. Then it checks what only the kernel can see (timer interrupts on every
//! hart). It prints one line per test and finally `N passed, M failed`, and powers off with
//! a success or failure status that QEMU passes on as its exit code.

use crate::devicetree::BootInfo;
use crate::process::{self, DEFAULT_ENV};
use crate::{console, time};
use abi::signal::signal_from_name;
use abi::wait::WaitStatus;
use alloc::format;
use alloc::string::String;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Expect {
    Exit(u8),
    Signal(u32),
}

fn parse_expectation(text: &str) -> Option<Expect> {
    if let Some(code) = text.strip_prefix("exit=") {
        return code.parse().ok().map(Expect::Exit);
    }
    text.strip_prefix("signal=")
        .and_then(signal_from_name)
        .map(Expect::Signal)
}

fn check_program(initrd: &[u8], name: &str, expect: Expect) -> Result<(), String> {
    let path = format!("/bin/{name}");
    let status = process::run_program(initrd, &path, &[&path], DEFAULT_ENV)
        .map_err(|e| format!("could not run {path}: {}", e.description()))?;
    let outcome = match WaitStatus::decode(status) {
        Some(WaitStatus::Exited(code)) => Expect::Exit(code),
        Some(WaitStatus::Signaled { sig, .. }) => Expect::Signal(sig),
        _ => return Err(format!("odd wait status {status:#x}")),
    };
    if outcome == expect {
        Ok(())
    } else {
        Err(format!(
            "expected {expect:?}, got {}",
            process::describe_status(status)
        ))
    }
}

/// Every hart started must have taken timer interrupts (within a second).
fn check_timer_on_all_harts(info: &BootInfo) -> Result<(), String> {
    let deadline = time::monotonic_ns() + 1_000_000_000;
    loop {
        let silent: alloc::vec::Vec<usize> = info
            .harts
            .iter()
            .copied()
            .filter(|&h| time::timer_interrupts(h) == 0)
            .collect();
        if silent.is_empty() {
            return Ok(());
        }
        if time::monotonic_ns() > deadline {
            return Err(format!("no timer interrupts on harts {silent:?}"));
        }
        time::sleep_until(time::monotonic_ns() + 10_000_000);
    }
}

/// Runs every test, prints the summary and powers off.
pub fn run_suite(initrd: &[u8], info: &BootInfo) -> ! {
    let manifest = initrd::Reader::new(initrd)
        .find("etc/tests")
        .and_then(|entry| core::str::from_utf8(entry.data).ok())
        .unwrap_or("");
    let (mut passed, mut failed) = (0, 0);
    let mut report = |name: &str, result: Result<(), String>| match result {
        Ok(()) => {
            passed += 1;
            console::println!("test {name} ... ok");
        }
        Err(why) => {
            failed += 1;
            console::println!("test {name} ... FAILED ({why})");
        }
    };
    console::println!("running the in-kernel tests from /etc/tests");
    for line in manifest
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let mut words = line.split_whitespace();
        let name = words.next().unwrap_or("");
        match words.next().and_then(parse_expectation) {
            Some(expect) => report(name, check_program(initrd, name, expect)),
            None => report(name, Err(format!("bad manifest line '{line}'"))),
        }
    }
    report(
        "kernel::timer_interrupts_on_every_hart",
        check_timer_on_all_harts(info),
    );
    console::println!("{passed} passed, {failed} failed");
    crate::power::power_off(failed == 0)
}
