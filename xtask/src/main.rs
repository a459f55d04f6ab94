//! `cargo xtask`: builds Lantern, boots it in QEMU and runs every test.
//!
//! ```text
//! cargo xtask build                          build kernel, user programs, initrd
//! cargo xtask run  [--smp N]                 boot with init=/bin/init (Ctrl-A X quits)
//! cargo xtask gdb  [--smp N]                 boot stopped, waiting for gdb on :1234
//! cargo xtask test [--smp N] [--timeout S] [--no-host]
//!                                            fmt, host tests, clippy, build, in-kernel tests
//! ```
//!
//! Errors are reported as one sentence on standard error, with exit status 1.
#![forbid(unsafe_code)]

mod build;
mod cmd;
mod env;
mod layout;
mod qemu;
mod report;
mod suite;

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

use crate::layout::Layout;

/// Builds, boots and tests Lantern.
#[derive(Debug, Parser)]
#[command(name = "xtask", bin_name = "cargo xtask", version)]
struct Cli {
    #[command(subcommand)]
    command: Task,
}

#[derive(Debug, Subcommand)]
enum Task {
    /// Build the kernel, the user programs and the initrd, and print where they are.
    Build,
    /// Boot Lantern in QEMU with init=/bin/init (Ctrl-A X quits QEMU).
    Run {
        /// Number of harts (CPUs) QEMU emulates.
        #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..))]
        smp: u32,
    },
    /// Check everything: fmt, host tests, clippy, build, then the in-kernel tests in QEMU.
    Test {
        /// Number of harts (CPUs) QEMU emulates.
        #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..))]
        smp: u32,
        /// Seconds the in-kernel tests may take [default: $LANTERN_TEST_TIMEOUT, else 300].
        #[arg(long, value_name = "SECS")]
        timeout: Option<u64>,
        /// Skip the host steps (cargo fmt, cargo test, cargo clippy).
        #[arg(long)]
        no_host: bool,
    },
    /// Boot Lantern in QEMU stopped at the first instruction, with a gdb server on :1234.
    Gdb {
        /// Number of harts (CPUs) QEMU emulates.
        #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..))]
        smp: u32,
    },
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // Help and version go to stdout with success; usage errors exit with 1 too.
            let _ = error.print();
            return if error.use_stderr() {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let layout = Layout::discover();
    let result = match cli.command {
        Task::Build => build(&layout),
        Task::Run { smp } => boot(&layout, smp, qemu::Mode::Run),
        Task::Gdb { smp } => boot(&layout, smp, qemu::Mode::Gdb),
        Task::Test {
            smp,
            timeout,
            no_host,
        } => test(&layout, smp, timeout, no_host),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            let _ = std::io::stdout().flush();
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn build(layout: &Layout) -> Result<(), String> {
    env::check_rust_target(layout)?;
    let artefacts = build::build_all(layout)?;
    build::print_artefacts(layout, &artefacts);
    Ok(())
}

fn boot(layout: &Layout, smp: u32, mode: qemu::Mode) -> Result<(), String> {
    env::check_rust_target(layout)?;
    env::check_qemu()?;
    if mode == qemu::Mode::Gdb {
        env::check_gdb()?;
    }
    let artefacts = build::build_all(layout)?;
    build::print_artefacts(layout, &artefacts);
    let command = qemu::command(&artefacts.kernel, &artefacts.initrd, smp, mode);
    if mode == qemu::Mode::Gdb {
        let kernel = artefacts.kernel.display().to_string();
        println!("QEMU waits for gdb; attach from another terminal with:");
        println!(
            "  gdb-multiarch {} -ex {}",
            cmd::shell_quote(&kernel),
            cmd::shell_quote("target remote :1234")
        );
    } else {
        println!("QEMU console: Ctrl-A X quits, Ctrl-A C switches to the monitor");
    }
    qemu::run_interactive(command)
}

fn test(layout: &Layout, smp: u32, timeout: Option<u64>, no_host: bool) -> Result<(), String> {
    let var = std::env::var(suite::TIMEOUT_VAR).ok();
    let secs = suite::resolve_timeout(timeout, var.as_deref())?;
    suite::run(
        layout,
        suite::Options {
            smp,
            timeout: Duration::from_secs(secs),
            no_host,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn test_options_parse() {
        let cli = Cli::try_parse_from([
            "xtask",
            "test",
            "--smp",
            "4",
            "--timeout",
            "60",
            "--no-host",
        ])
        .unwrap();
        match cli.command {
            Task::Test {
                smp,
                timeout,
                no_host,
            } => assert_eq!((smp, timeout, no_host), (4, Some(60), true)),
            other => panic!("parsed as {other:?}"),
        }
        assert!(Cli::try_parse_from(["xtask", "run", "--smp", "0"]).is_err());
    }
}
