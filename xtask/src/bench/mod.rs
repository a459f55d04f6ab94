//! `cargo xtask bench`: builds Lantern, boots it in QEMU with `init=/bin/bench_suite`,
//! reads the suite's result lines from the serial console, and prints a table and writes
//! JSON (docs/benchmarks.md explains every number).
//!
//! 1. Build the kernel, the user programs and the initrd (as `cargo xtask build`), then a
//!    copy of the initrd with `/etc/bench_args` added, holding the suite's arguments
//!    (`--only NAME`): the kernel starts init without arguments.
//! 2. Boot QEMU with fixed flags (printed), the console on a pipe. Every line is echoed,
//!    saved in `target/lantern/bench.log` and stamped with the time since QEMU was spawned:
//!    the stamp of the suite's first line (`bench start`) is the boot time to user space.
//! 3. At `bench done` QEMU is killed (pid 1 must not exit outside test mode, so the suite
//!    sleeps instead). A kernel panic, QEMU exiting first, or no `bench done` within the
//!    time bound (`--timeout`, default [`DEFAULT_TIMEOUT_SECS`]) is an error.
//! 4. With more than one hart, when the scaling benchmark ran, boot once more on a one-hart
//!    machine with `--only scale` (log `target/lantern/bench-smp1.log`): its time is the
//!    `scale_smp1` baseline.
//! 5. Print the table ([`report`]), write the JSON (default `target/lantern/bench.json`),
//!    and fail if a benchmark reported an error. Times are reported against the targets of
//!    the issue, never asserted.
//!
//! QEMU's TCG emulation shares the host's CPUs, so other work on the host slows the guest:
//! the host's load average before and after the run is printed and saved with the results.

mod report;

use std::fs::{self, File};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::build::{self, Artefacts};
use crate::layout::Layout;
use crate::{cmd, env};

use report::{Boot, Host, ImageSize, Results};

/// How long the whole suite may run when `--timeout` does not say.
pub const DEFAULT_TIMEOUT_SECS: u64 = 600;
/// The program the kernel boots as pid 1.
const SUITE: &str = "/bin/bench_suite";
/// Where the suite reads its arguments from, in the initrd.
const ARGS_FILE: &str = "etc/bench_args";
/// QEMU's memory size, as `cargo xtask run` and `test` use.
const MEMORY: &str = "256M";

/// Options of `cargo xtask bench`.
#[derive(Debug, Clone)]
pub struct Options {
    /// Run only the benchmark of this name (or the one that prints a line of this name).
    pub only: Option<String>,
    /// Harts QEMU emulates.
    pub smp: u32,
    /// Where the JSON goes; default `target/lantern/bench.json`.
    pub json: Option<PathBuf>,
    /// Time bound for the whole boot.
    pub timeout: Duration,
}

/// Runs the benchmarks; on success the table is printed and the JSON written.
pub fn run(layout: &Layout, options: &Options) -> Result<(), String> {
    env::check_rust_target(layout)?;
    env::check_qemu()?;
    let artefacts = build::build_all(layout)?;
    build::print_artefacts(layout, &artefacts);
    let kernel_elf = fs::read(&artefacts.kernel)
        .map_err(|error| format!("could not read {}: {error}", layout.show(&artefacts.kernel)))?;
    let image = ImageSize::from_elf(&kernel_elf)?;
    let initrd = write_bench_initrd(
        layout,
        &artefacts,
        options.only.as_deref(),
        "bench-initrd.cpio",
    )?;

    let command = qemu_command(&artefacts.kernel, &initrd, options.smp);
    let rendered = cmd::render(&command);
    println!();
    println!(
        "QEMU flags (fixed): {}",
        rendered.replacen("qemu-system-riscv64 ", "", 1)
    );
    let load_before = Host::load_average();
    let lines = boot(command, layout, &bench_log(layout), options.timeout)?;
    let mut results = Results::parse(lines.iter().map(|(_, line)| line.as_str()));
    if let Some(only) = &options.only {
        results.check_only(only)?;
    }
    let boot_times = Boot::from_lines(&lines, &results);
    if options.smp > 1
        && options
            .only
            .as_deref()
            .is_none_or(|name| report::SCALE_NAMES.contains(&name))
    {
        println!();
        println!("==> the scaling benchmark again, on a one-hart machine (--smp 1)");
        let initrd =
            write_bench_initrd(layout, &artefacts, Some("scale"), "bench-initrd-scale.cpio")?;
        let command = qemu_command(&artefacts.kernel, &initrd, 1);
        let log = layout.lantern_dir().join("bench-smp1.log");
        let lines = boot(command, layout, &log, options.timeout)?;
        results.add_smp1_baseline(&Results::parse(lines.iter().map(|(_, line)| line.as_str())));
    }
    let host = Host {
        cpus: thread::available_parallelism().map_or(0, usize::from),
        load_before,
        load_after: Host::load_average(),
    };

    println!();
    print!(
        "{}",
        report::table(&results, &boot_times, &image, options.smp, &host)
    );
    let json_path = options
        .json
        .clone()
        .unwrap_or_else(|| layout.lantern_dir().join("bench.json"));
    let json = report::json(
        &results,
        &boot_times,
        &image,
        &host,
        &report::RunInfo {
            command: rendered,
            smp: options.smp,
            only: options.only.clone(),
            kernel: layout.show(&artefacts.kernel),
        },
    );
    if let Some(dir) = json_path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        fs::create_dir_all(dir)
            .map_err(|error| format!("could not create {}: {error}", dir.display()))?;
    }
    fs::write(&json_path, json)
        .map_err(|error| format!("could not write {}: {error}", layout.show(&json_path)))?;
    println!("results: {}", layout.show(&json_path));
    println!("console log: {}", layout.show(&bench_log(layout)));
    results
        .check()
        .map_err(|why| format!("{why}; see {}", layout.show(&bench_log(layout))))
}

/// The serial output of the last benchmark run.
fn bench_log(layout: &Layout) -> PathBuf {
    layout.lantern_dir().join("bench.log")
}

/// The initrd `image` with the file `etc/bench_args` (the suite's arguments, `args`) added.
/// Fails on an entry that is neither a directory nor a regular file, which the copy cannot
/// carry.
pub fn initrd_with_args(image: &[u8], args: &str) -> Result<Vec<u8>, String> {
    let mut writer = initrd::Writer::new();
    let mut has_etc = false;
    for entry in initrd::Reader::new(image) {
        let entry = entry.map_err(|error| format!("the built initrd is unreadable: {error}"))?;
        if entry.name == ARGS_FILE {
            continue;
        }
        if entry.is_dir() {
            has_etc |= entry.name == "etc";
            writer.add_dir(entry.name, entry.mode);
        } else if entry.is_file() {
            writer.add_file(entry.name, entry.mode, entry.data);
        } else {
            return Err(format!(
                "the initrd entry {} (mode {:o}) is neither a directory nor a file",
                entry.name, entry.mode
            ));
        }
    }
    if !has_etc {
        writer.add_dir("etc", 0o040_755);
    }
    writer.add_file(ARGS_FILE, 0o100_644, format!("{args}\n").as_bytes());
    Ok(writer.finish())
}

/// Writes `target/lantern/<name>`: the built initrd plus the suite's arguments.
fn write_bench_initrd(
    layout: &Layout,
    artefacts: &Artefacts,
    only: Option<&str>,
    name: &str,
) -> Result<PathBuf, String> {
    let image = fs::read(&artefacts.initrd)
        .map_err(|error| format!("could not read {}: {error}", layout.show(&artefacts.initrd)))?;
    let args = only.map_or(String::new(), |name| format!("--only {name}"));
    let image = initrd_with_args(&image, &args)?;
    let path = layout.lantern_dir().join(name);
    fs::write(&path, image)
        .map_err(|error| format!("could not write {}: {error}", layout.show(&path)))?;
    Ok(path)
}

/// The QEMU command line of a benchmark run on `smp` harts: as `cargo xtask test` boots,
/// with multi-threaded TCG stated explicitly and the suite as init.
pub fn qemu_command(kernel: &Path, initrd: &Path, smp: u32) -> Command {
    let mut command = Command::new("qemu-system-riscv64");
    command
        .args(["-machine", "virt", "-accel", "tcg,thread=multi"])
        .args(["-smp", &smp.to_string(), "-m", MEMORY])
        .args(["-bios", "default", "-nographic", "-serial", "stdio"])
        .args(["-monitor", "none"])
        .arg("-kernel")
        .arg(kernel)
        .arg("-initrd")
        .arg(initrd)
        .args(["-append", &format!("init={SUITE}")]);
    command
}

/// A console line and when it arrived, measured from QEMU's spawn.
pub type Stamped = (Duration, String);

/// Boots QEMU and collects its console lines until the suite's `bench done` line (then
/// kills QEMU), echoing them and saving them in the log at `log_path`.
fn boot(
    mut command: Command,
    layout: &Layout,
    log_path: &Path,
    timeout: Duration,
) -> Result<Vec<Stamped>, String> {
    let log_name = layout.show(log_path);
    fs::create_dir_all(layout.lantern_dir()).map_err(|error| {
        format!(
            "could not create {}: {error}",
            layout.show(&layout.lantern_dir())
        )
    })?;
    let mut log =
        File::create(log_path).map_err(|error| format!("could not create {log_name}: {error}"))?;

    let line = cmd::render(&command);
    println!("$ {line}");
    let spawned = Instant::now();
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|error| format!("could not start `{line}`: {error}"))?;
    let stdout = child
        .stdout
        .take()
        .expect("QEMU's standard output is piped");
    let (sender, receiver) = mpsc::channel();
    thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut bytes = Vec::new();
        loop {
            bytes.clear();
            match reader.read_until(b'\n', &mut bytes) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            let text = String::from_utf8_lossy(&bytes);
            let line = text.trim_end_matches(['\n', '\r']).to_string();
            if sender.send((spawned.elapsed(), line)).is_err() {
                break;
            }
        }
    });

    let deadline = spawned + timeout;
    let mut lines = Vec::new();
    let outcome = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match receiver.recv_timeout(left) {
            Ok((at, line)) => {
                println!("{line}");
                let _ = writeln!(log, "{line}");
                let done = report::is_done_line(&line);
                lines.push((at, line));
                if done {
                    break Ok(());
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                break Err(format!(
                    "the benchmarks did not finish within {} s (kernel hung?); raise --timeout or see {log_name}",
                    timeout.as_secs()
                ));
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                let panic = lines
                    .iter()
                    .find(|(_, line)| line.contains("KERNEL PANIC"))
                    .map(|(_, line)| format!(": {}", line.trim()));
                break Err(format!(
                    "QEMU stopped before the suite's `bench done` line{}; see {log_name}",
                    panic.unwrap_or_default()
                ));
            }
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    let _ = log.flush();
    outcome.map(|()| lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn args_file_is_added_to_the_initrd() {
        let mut writer = initrd::Writer::new();
        writer.add_dir("bin", 0o040_755);
        writer.add_file("bin/bench_suite", 0o100_755, b"\x7fELF");
        let image = initrd_with_args(&writer.finish(), "--only pipe_rtt").unwrap();
        let reader = initrd::Reader::new(&image);
        assert_eq!(reader.find("/bin/bench_suite").unwrap().data, b"\x7fELF");
        assert!(reader.find("/etc").unwrap().is_dir());
        assert_eq!(
            reader.find("/etc/bench_args").unwrap().data,
            b"--only pipe_rtt\n"
        );
    }

    #[test]
    fn args_file_replaces_an_old_one() {
        let mut writer = initrd::Writer::new();
        writer.add_dir("etc", 0o040_755);
        writer.add_file("etc/bench_args", 0o100_644, b"--only old\n");
        let image = initrd_with_args(&writer.finish(), "").unwrap();
        let names: Vec<String> = initrd::Reader::new(&image)
            .map(|entry| entry.unwrap().name.to_string())
            .collect();
        assert_eq!(names, ["etc", "etc/bench_args"]);
        let reader = initrd::Reader::new(&image);
        assert_eq!(reader.find("/etc/bench_args").unwrap().data, b"\n");
    }

    #[test]
    fn qemu_flags_are_fixed() {
        let command = qemu_command(Path::new("k"), Path::new("i.cpio"), 2);
        assert_eq!(
            cmd::render(&command),
            "qemu-system-riscv64 -machine virt -accel tcg,thread=multi -smp 2 -m 256M \
             -bios default -nographic -serial stdio -monitor none -kernel k -initrd i.cpio \
             -append init=/bin/bench_suite"
        );
    }
}
