//! Booting Lantern in QEMU: interactively, under gdb, or for the in-kernel tests with a
//! time bound.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::cmd;
use crate::layout::Layout;

/// How QEMU is run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The console on the terminal, booting `/bin/init` (Ctrl-A X quits).
    Run,
    /// Like [`Mode::Run`], stopped at the first instruction with a gdb server on :1234.
    Gdb,
    /// The in-kernel tests, with no terminal and no monitor.
    Test,
}

/// The QEMU command line for `mode` on `smp` harts.
pub fn command(kernel: &Path, initrd: &Path, smp: u32, mode: Mode) -> Command {
    match mode {
        Mode::Run => {
            let mut command = base(kernel, initrd, smp);
            command.args(["-append", "init=/bin/init"]);
            command
        }
        Mode::Gdb => {
            let mut command = base(kernel, initrd, smp);
            command.args(["-append", "init=/bin/init", "-s", "-S"]);
            command
        }
        Mode::Test => headless(kernel, initrd, smp, "test"),
    }
}

/// QEMU with the console on standard input and output and no monitor (no terminal needed),
/// booting with the kernel command line `bootargs`.
pub fn headless(kernel: &Path, initrd: &Path, smp: u32, bootargs: &str) -> Command {
    let mut command = base(kernel, initrd, smp);
    command.args(["-append", bootargs, "-serial", "stdio", "-monitor", "none"]);
    command
}

/// The machine's RAM: small enough that the swap test's 512 MiB workload must swap.
pub const MEMORY: &str = "128M";

/// The machine: QEMU `virt` with `smp` harts and [`MEMORY`], OpenSBI, the kernel and initrd.
fn base(kernel: &Path, initrd: &Path, smp: u32) -> Command {
    let mut command = Command::new("qemu-system-riscv64");
    command
        .args(["-machine", "virt", "-smp", &smp.to_string(), "-m", MEMORY])
        .args(["-bios", "default", "-nographic"])
        .arg("-kernel")
        .arg(kernel)
        .arg("-initrd")
        .arg(initrd);
    command
}

/// Attaches `image` as a virtio block device (the kernel mounts it as `/`).
///
/// `event_idx=off`: the `virtio-drivers` crate compares event indices without allowing for
/// their 16-bit wrap-around, so after 65536 requests it would stop notifying the device and
/// every later request would hang. Without the feature it uses the plain notification flag.
pub fn attach_disk(command: &mut Command, image: &Path) {
    let drive = format!("file={},if=none,format=raw,id=disk0", image.display());
    command.args([
        "-drive",
        &drive,
        "-device",
        "virtio-blk-device,drive=disk0,event_idx=off",
    ]);
}

/// Attaches `image` as a second virtio block device: the kernel finds it as disk 1 and
/// uses it, raw, as its swap area (see [`crate::disk::swap_image`]). Must come after
/// [`attach_disk`], so that the root file system stays disk 0.
pub fn attach_swap(command: &mut Command, image: &Path) {
    let drive = format!("file={},if=none,format=raw,id=swap0", image.display());
    command.args([
        "-drive",
        &drive,
        "-device",
        "virtio-blk-device,drive=swap0,event_idx=off",
    ]);
}

/// Runs QEMU on the terminal until it exits.
pub fn run_interactive(mut command: Command) -> Result<(), String> {
    cmd::run(&mut command)
}

/// How an in-kernel test run ended.
#[derive(Debug)]
pub struct TestRun {
    /// Everything QEMU printed on the serial console.
    pub log: String,
    /// QEMU's exit code, or `None` if a signal ended it.
    pub exit_code: Option<i32>,
}

/// Runs QEMU in test mode: streams its serial output to our standard output line by line
/// and into the test log, and kills it if it runs longer than `timeout`.
pub fn run_tests(
    mut command: Command,
    layout: &Layout,
    timeout: Duration,
) -> Result<TestRun, String> {
    let log_path = layout.test_log();
    let log_name = layout.show(&log_path);
    if let Some(dir) = log_path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|error| format!("could not create {}: {error}", dir.display()))?;
    }
    let log_file =
        File::create(&log_path).map_err(|error| format!("could not create {log_name}: {error}"))?;

    let line = cmd::render(&command);
    println!("$ {line}");
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
    let echo = thread::spawn(move || echo_lines(stdout, log_file));

    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                let _ = echo.join();
                return Err(format!(
                    "Lantern did not finish the in-kernel tests within {} s (kernel hung?); see {log_name}",
                    timeout.as_secs()
                ));
            }
            Ok(None) => thread::sleep(Duration::from_millis(50)),
            Err(error) => {
                let _ = child.kill();
                return Err(format!("could not wait for QEMU: {error}"));
            }
        }
    };
    let log = echo
        .join()
        .map_err(|_| "the thread copying QEMU's output failed".to_string())?;
    Ok(TestRun {
        log,
        exit_code: status.code(),
    })
}

/// Copies QEMU's output line by line to our standard output and to the log file, as it
/// arrives, and returns all of it. Carriage returns of the serial console are dropped.
fn echo_lines(output: impl std::io::Read, mut log_file: File) -> String {
    let mut reader = BufReader::new(output);
    let mut log = String::new();
    let mut bytes = Vec::new();
    loop {
        bytes.clear();
        match reader.read_until(b'\n', &mut bytes) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        let text = String::from_utf8_lossy(&bytes);
        let line = text.trim_end_matches(['\n', '\r']);
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "{line}");
        let _ = stdout.flush();
        let _ = writeln!(log_file, "{line}");
        log.push_str(line);
        log.push('\n');
    }
    let _ = log_file.flush();
    log
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(command: &Command) -> Vec<String> {
        command
            .get_args()
            .map(|arg| arg.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn echo_lines_keeps_every_line_without_carriage_returns() {
        let path = std::env::temp_dir().join(format!("xtask-echo-{}.log", std::process::id()));
        let file = File::create(&path).unwrap();
        let log = echo_lines(&b"OpenSBI\r\n\ntest a ... ok\r\n\xff\nno newline"[..], file);
        let saved = std::fs::read_to_string(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(log, "OpenSBI\n\ntest a ... ok\n\u{fffd}\nno newline\n");
        assert_eq!(saved, log);
    }

    #[test]
    fn run_command_line() {
        let command = command(Path::new("k"), Path::new("i.cpio"), 2, Mode::Run);
        assert_eq!(
            cmd::render(&command),
            "qemu-system-riscv64 -machine virt -smp 2 -m 128M -bios default -nographic \
             -kernel k -initrd i.cpio -append init=/bin/init"
        );
    }

    #[test]
    fn gdb_command_waits_for_the_debugger() {
        let args = args(&command(Path::new("k"), Path::new("i"), 1, Mode::Gdb));
        assert!(args.ends_with(&["-s".to_string(), "-S".to_string()]));
        assert!(args.contains(&"init=/bin/init".to_string()));
    }

    #[test]
    fn test_command_needs_no_terminal() {
        let command = command(Path::new("k"), Path::new("i"), 4, Mode::Test);
        let line = cmd::render(&command);
        assert!(line.contains("-smp 4 "), "{line}");
        assert!(
            line.ends_with("-append test -serial stdio -monitor none"),
            "{line}"
        );
    }
}
