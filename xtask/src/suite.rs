//! `cargo xtask test`: every check, in order, stopping at the first that fails.
//!
//! 1. environment (Rust target, QEMU);
//! 2. `cargo fmt --check`;
//! 3. host tests;
//! 4. clippy on the host crates and on the kernel and user crates;
//! 5. build the kernel, the user programs and the initrd;
//! 6. boot QEMU in test mode and judge its output;
//! 7. crash consistency;
//! 8. the console scenarios (when enabled: [`console::ENABLE_VAR`]).
//!
//! The last line printed on success is the kernel's `<N> passed, <M> failed`.

use std::time::Duration;

use crate::build::{self, Artefacts};
use crate::layout::{Layout, TARGET};
use crate::report::{self, Summary};
use crate::{cmd, console, env, qemu};

/// How long the in-kernel tests may run when nothing says otherwise (the swap test alone
/// pages gigabytes through a virtual disk: a few minutes under emulation).
pub const DEFAULT_TIMEOUT_SECS: u64 = 900;
/// The environment variable that overrides the default time bound, in seconds.
pub const TIMEOUT_VAR: &str = "LANTERN_TEST_TIMEOUT";

const STEPS: usize = 8;

/// Options of `cargo xtask test`.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Harts QEMU emulates.
    pub smp: u32,
    /// Time bound for the in-kernel tests.
    pub timeout: Duration,
    /// Skip the host steps (fmt, host tests, clippy).
    pub no_host: bool,
}

/// The time bound in seconds: the `--timeout` flag, else `$LANTERN_TEST_TIMEOUT`, else
/// [`DEFAULT_TIMEOUT_SECS`].
pub fn resolve_timeout(flag: Option<u64>, var: Option<&str>) -> Result<u64, String> {
    let secs = match (flag, var) {
        (Some(secs), _) => secs,
        (None, Some(text)) => text.trim().parse().map_err(|_| {
            format!("{TIMEOUT_VAR} must be a whole number of seconds, not {text:?}")
        })?,
        (None, None) => DEFAULT_TIMEOUT_SECS,
    };
    if secs == 0 {
        return Err("the in-kernel test time bound must be at least 1 s".to_string());
    }
    Ok(secs)
}

fn header(step: usize, title: &str) {
    println!();
    println!("==> [{step}/{STEPS}] {title}");
}

/// Runs every step; on success prints a summary ending with the kernel's summary line.
pub fn run(layout: &Layout, options: Options) -> Result<(), String> {
    header(1, "environment: Rust target and QEMU");
    env::check_rust_target(layout)?;
    env::check_qemu()?;

    if options.no_host {
        for (step, title) in [(2, "cargo fmt"), (3, "host tests"), (4, "clippy")] {
            header(step, &format!("{title}: skipped (--no-host)"));
        }
    } else {
        host_checks(layout)?;
    }

    header(5, "build: kernel, user programs, initrd");
    let artefacts = build::build_all(layout)?;
    build::print_artefacts(layout, &artefacts);

    header(
        6,
        &format!(
            "in-kernel tests in QEMU ({} harts, at most {} s)",
            options.smp,
            options.timeout.as_secs()
        ),
    );
    let summary = kernel_tests(layout, &artefacts, options)?;

    header(
        7,
        "crash consistency: power cuts during fsync-heavy writes, fsck, recovery",
    );
    crate::crash::run(layout, &artefacts, options.smp)?;

    if console::enabled() {
        header(8, "console scenarios: the shell on the serial console");
        console::run(layout, &artefacts, options.smp)?;
    } else {
        header(
            8,
            &format!(
                "console scenarios: skipped (set {}=1 to run them)",
                console::ENABLE_VAR
            ),
        );
    }

    println!();
    println!("==> summary");
    if options.no_host {
        println!("host checks: skipped (--no-host)");
    } else {
        println!("host checks: cargo fmt, cargo test and cargo clippy passed");
    }
    build::print_artefacts(layout, &artefacts);
    println!("in-kernel test log: {}", layout.show(&layout.test_log()));
    println!("{summary}");
    Ok(())
}

/// Steps 2 to 4: formatting, host tests, clippy.
fn host_checks(layout: &Layout) -> Result<(), String> {
    header(2, "cargo fmt --all -- --check");
    cmd::run(
        cmd::cargo()
            .args(["fmt", "--all", "--", "--check"])
            .current_dir(&layout.root),
    )?;

    header(3, "cargo test (host crates)");
    cmd::run(cmd::cargo().arg("test").current_dir(&layout.root))?;

    header(4, "cargo clippy (host crates, then kernel and user crates)");
    cmd::run(
        cmd::cargo()
            .args(["clippy", "--all-targets", "--", "-D", "warnings"])
            .current_dir(&layout.root),
    )?;
    cmd::run(
        cmd::cargo()
            .args(["clippy", "--release"])
            .args(["-p", "hal", "-p", "kernel", "-p", "ulib", "-p", "programs"])
            .args(["--target", TARGET, "--", "-D", "warnings"])
            .current_dir(&layout.root),
    )
}

/// Step 6: boots the kernel in test mode and judges what it printed.
fn kernel_tests(
    layout: &Layout,
    artefacts: &Artefacts,
    options: Options,
) -> Result<Summary, String> {
    let mut command = qemu::command(
        &artefacts.kernel,
        &artefacts.initrd,
        options.smp,
        qemu::Mode::Test,
    );
    qemu::attach_disk(&mut command, &artefacts.disk);
    qemu::attach_swap(&mut command, &crate::disk::swap_image(layout)?);
    let run = qemu::run_tests(command, layout, options.timeout)?;
    let report = report::parse_log(&run.log);
    // CI shows the end of what we print: put each failed test's own output there.
    for failure in &report.failed {
        eprintln!("\n--- what {} printed before it failed:", failure.name());
        for line in &failure.output {
            eprintln!("    {line}");
        }
        eprintln!("--- {}", failure.line);
    }
    if report.summary.is_none() || report.panic.is_some() {
        let lines: Vec<&str> = run.log.lines().collect();
        let tail = &lines[lines.len().saturating_sub(report::OUTPUT_LINES)..];
        eprintln!("\n--- the last {} lines of the in-kernel run:", tail.len());
        for line in tail {
            eprintln!("    {}", line.trim_end());
        }
        eprintln!("---");
    }
    let summary = report::judge(&report, run.exit_code)
        .map_err(|why| format!("{why}; see {}", layout.show(&layout.test_log())))?;
    // Everything the tests did to the disk must leave a consistent file system.
    let fsck = crate::disk::check_image(&artefacts.disk, false)?;
    if !fsck.is_clean() {
        return Err(format!(
            "the disk is not clean after the tests (fsck of {}):\n{fsck}",
            layout.show(&artefacts.disk)
        ));
    }
    println!("fsck {}: clean", layout.show(&artefacts.disk));
    // A file t_mmap_file wrote only through a shared mapping and msync must come back
    // from the disk after a reboot.
    crate::crash::boot_check(
        artefacts,
        &artefacts.disk,
        options.smp,
        "test init=/bin/t_mmap_file mmap_verify",
        "came back from the disk intact",
    )
    .map_err(|(_, lines)| {
        format!("after a reboot, the file t_mmap_file wrote through msync is wrong:\n{lines}")
    })?;
    println!("reboot: the file written through a shared mapping and msync is intact");
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeout_flag_beats_variable_beats_default() {
        assert_eq!(resolve_timeout(None, None), Ok(DEFAULT_TIMEOUT_SECS));
        assert_eq!(resolve_timeout(None, Some("60")), Ok(60));
        assert_eq!(resolve_timeout(None, Some(" 60\n")), Ok(60));
        assert_eq!(resolve_timeout(Some(5), Some("60")), Ok(5));
    }

    #[test]
    fn bad_timeouts_are_refused() {
        assert!(
            resolve_timeout(None, Some("5m"))
                .unwrap_err()
                .contains(TIMEOUT_VAR)
        );
        assert!(resolve_timeout(None, Some("-1")).is_err());
        assert!(resolve_timeout(Some(0), None).is_err());
        assert!(resolve_timeout(None, Some("0")).is_err());
    }
}
