//! `cargo xtask`: builds Lantern, boots it in QEMU and runs every test.
//!
//! ```text
//! cargo xtask build                          build kernel, user programs, initrd
//! cargo xtask run  [--smp N]                 boot with init=/bin/init (Ctrl-A X quits)
//! cargo xtask gdb  [--smp N]                 boot stopped, waiting for gdb on :1234
//! cargo xtask test [--smp N] [--timeout S] [--no-host]
//!                                            fmt, host tests, clippy, build, in-kernel tests
//! cargo xtask console [--smp N]              boot to the shell and type the console scenarios
//! cargo xtask bench [--only NAME] [--smp N] [--json FILE] [--timeout S]
//!                                            benchmarks in QEMU: a table and JSON
//! cargo xtask mkfs <image> [--size MiB] [--from DIR]
//!                                            make a disk image, optionally filled from DIR
//! cargo xtask fsck <image> [--repair]        check (and repair) a disk image
//! ```
//!
//! Errors are reported as one sentence on standard error, with exit status 1.
#![forbid(unsafe_code)]

mod bench;
mod build;
mod cmd;
mod console;
mod crash;
mod disk;
mod env;
mod layout;
mod qemu;
mod report;
mod suite;

use std::io::Write;
use std::path::{Path, PathBuf};
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
        /// Seconds the in-kernel tests may take [default: $LANTERN_TEST_TIMEOUT, else 900].
        #[arg(long, value_name = "SECS")]
        timeout: Option<u64>,
        /// Skip the host steps (cargo fmt, cargo test, cargo clippy).
        #[arg(long)]
        no_host: bool,
    },
    /// Boot Lantern to its shell and type the console scenarios, checking what appears.
    Console {
        /// Number of harts (CPUs) QEMU emulates.
        #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..))]
        smp: u32,
    },
    /// Run the benchmarks in QEMU, print a table and write JSON (docs/benchmarks.md).
    Bench {
        /// Run only this benchmark (or the one that prints a result of this name).
        #[arg(long, value_name = "NAME")]
        only: Option<String>,
        /// Number of harts (CPUs) QEMU emulates.
        #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..))]
        smp: u32,
        /// Where to write the results as JSON [default: target/lantern/bench.json].
        #[arg(long, value_name = "FILE")]
        json: Option<PathBuf>,
        /// Seconds the whole run may take.
        #[arg(long, value_name = "SECS", default_value_t = bench::DEFAULT_TIMEOUT_SECS,
              value_parser = clap::value_parser!(u64).range(1..))]
        timeout: u64,
    },
    /// Boot Lantern in QEMU stopped at the first instruction, with a gdb server on :1234.
    Gdb {
        /// Number of harts (CPUs) QEMU emulates.
        #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..))]
        smp: u32,
    },
    /// Make a disk image with a new Lantern file system, optionally filled from a directory.
    Mkfs {
        /// The image file to make (replaced if it exists).
        image: PathBuf,
        /// Size of the image in MiB.
        #[arg(long, value_name = "MiB", default_value_t = disk::DEFAULT_SIZE_MIB,
              value_parser = clap::value_parser!(u64).range(1..=(1 << 24)))]
        size: u64,
        /// Copy this host directory's tree (files, directories, symbolic links) into it.
        #[arg(long, value_name = "DIR")]
        from: Option<PathBuf>,
    },
    /// Check the file system in a disk image; exit status 1 unless it is clean.
    Fsck {
        /// The image file to check.
        image: PathBuf,
        /// Fix what is wrong (bitmaps, link counts, dangling entries, lost files).
        #[arg(long)]
        repair: bool,
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
        Task::Console { smp } => console_scenarios(&layout, smp),
        Task::Mkfs { image, size, from } => mkfs(&image, size, from.as_deref()),
        Task::Fsck { image, repair } => fsck(&image, repair),
        Task::Test {
            smp,
            timeout,
            no_host,
        } => test(&layout, smp, timeout, no_host),
        Task::Bench {
            only,
            smp,
            json,
            timeout,
        } => bench::run(
            &layout,
            &bench::Options {
                only,
                smp,
                json,
                timeout: Duration::from_secs(timeout),
            },
        ),
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
    let mut command = qemu::command(&artefacts.kernel, &artefacts.initrd, smp, mode);
    qemu::attach_disk(&mut command, &artefacts.disk);
    qemu::attach_swap(&mut command, &disk::swap_image(layout)?);
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

fn console_scenarios(layout: &Layout, smp: u32) -> Result<(), String> {
    env::check_rust_target(layout)?;
    env::check_qemu()?;
    let artefacts = build::build_all(layout)?;
    build::print_artefacts(layout, &artefacts);
    console::run(layout, &artefacts, smp)
}

fn mkfs(image: &Path, size_mib: u64, from: Option<&Path>) -> Result<(), String> {
    let entries = match from {
        Some(dir) => disk::entries_from_dir(dir)?,
        None => Vec::new(),
    };
    let summary = disk::build_image(image, size_mib, &entries, disk::now())?;
    println!(
        "{}: {size_mib} MiB, {} entries copied; {} of {} blocks and {} of {} inodes free",
        image.display(),
        summary.entries,
        summary.free_blocks,
        summary.blocks,
        summary.free_inodes,
        summary.inodes
    );
    Ok(())
}

fn fsck(image: &Path, repair: bool) -> Result<(), String> {
    let report = disk::check_image(image, repair)?;
    println!("{report}");
    if report.is_clean() {
        Ok(())
    } else {
        Err(format!(
            "the file system in {} is not clean",
            image.display()
        ))
    }
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

    #[test]
    fn console_options_parse() {
        let cli = Cli::try_parse_from(["xtask", "console", "--smp", "1"]).unwrap();
        assert!(matches!(cli.command, Task::Console { smp: 1 }));
        let cli = Cli::try_parse_from(["xtask", "console"]).unwrap();
        assert!(matches!(cli.command, Task::Console { smp: 2 }));
    }

    #[test]
    fn disk_image_options_parse() {
        let cli = Cli::try_parse_from([
            "xtask", "mkfs", "disk.img", "--size", "32", "--from", "root",
        ])
        .unwrap();
        match cli.command {
            Task::Mkfs { image, size, from } => {
                assert_eq!((image, size), (PathBuf::from("disk.img"), 32));
                assert_eq!(from, Some(PathBuf::from("root")));
            }
            other => panic!("parsed as {other:?}"),
        }
        let cli = Cli::try_parse_from(["xtask", "mkfs", "disk.img"]).unwrap();
        assert!(matches!(
            cli.command,
            Task::Mkfs {
                size: disk::DEFAULT_SIZE_MIB,
                from: None,
                ..
            }
        ));
        let cli = Cli::try_parse_from(["xtask", "fsck", "disk.img", "--repair"]).unwrap();
        assert!(matches!(cli.command, Task::Fsck { repair: true, .. }));
        assert!(Cli::try_parse_from(["xtask", "mkfs", "disk.img", "--size", "0"]).is_err());
        assert!(Cli::try_parse_from(["xtask", "fsck"]).is_err());
    }
}
