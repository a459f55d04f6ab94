//! The crash-consistency test (concept F3, "nothing committed is lost"): QEMU is killed —
//! a power cut — while `crash_writer` writes and fsyncs files on a copy of the disk, at a
//! different moment each round. After each cut the image must be fsck-clean, and a fresh
//! boot running `crash_check` must find every file `crash_writer` had reported durable,
//! byte for byte. The file system then has to be clean again after that boot's recovery.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::build::Artefacts;
use crate::disk;
use crate::layout::Layout;
use crate::qemu;

/// Power cuts per run (the issue asks for at least 20 random moments).
const ROUNDS: u64 = 20;
/// How long one boot may take before the test calls it hung.
const BOOT_LIMIT: Duration = Duration::from_secs(120);

/// Runs the rounds; `Err` says what was lost or broken.
pub fn run(layout: &Layout, artefacts: &Artefacts, smp: u32) -> Result<(), String> {
    let image = layout.lantern_dir().join("crash.img");
    std::fs::copy(&artefacts.disk, &image)
        .map_err(|error| format!("could not copy the disk image for the crash test: {error}"))?;
    // A different sequence of cut points on every run (xorshift64, seeded from the clock).
    let mut state = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos() as u64
        | 1;
    for round in 0..ROUNDS {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        // Cut power after 3 to 34 durable files.
        let cut_after = 3 + state % 32;
        let durable = cut_power(artefacts, &image, smp, cut_after)?;
        let report = disk::check_image(&image, false)?;
        if !report.is_clean() {
            return Err(format!(
                "after a power cut at durable file {durable}, fsck found:\n{report}"
            ));
        }
        verify(artefacts, &image, smp, durable)?;
        let report = disk::check_image(&image, false)?;
        if !report.is_clean() {
            return Err(format!(
                "after recovering from the cut at {durable}, fsck found:\n{report}"
            ));
        }
        println!(
            "crash round {round}: power cut after durable file {durable}; fsck clean; all durable files intact"
        );
    }
    Ok(())
}

fn boot(artefacts: &Artefacts, image: &Path, smp: u32, bootargs: &str) -> Command {
    let mut command = qemu::headless(&artefacts.kernel, &artefacts.initrd, smp, bootargs);
    qemu::attach_disk(&mut command, image);
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    command
}

/// Boots `crash_writer` and kills QEMU as soon as `cut_after` files are durable (plus
/// whatever it manages before the kill lands). Returns the last file reported durable.
fn cut_power(artefacts: &Artefacts, image: &Path, smp: u32, cut_after: u64) -> Result<u64, String> {
    let mut child = boot(artefacts, image, smp, "init=/bin/crash_writer")
        .spawn()
        .map_err(|error| format!("could not start QEMU: {error}"))?;
    let stdout = child
        .stdout
        .take()
        .expect("QEMU's standard output is piped");
    let (lines, received) = mpsc::channel();
    let reader = thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + BOOT_LIMIT;
    let mut durable = None;
    let outcome = loop {
        match received.recv_timeout(Duration::from_millis(100)) {
            Ok(line) => {
                if line.contains("KERNEL PANIC") || line.contains("check failed") {
                    break Err(format!("crash_writer failed before the cut: {line}"));
                }
                if let Some(n) = line
                    .trim()
                    .strip_prefix("crash: durable ")
                    .and_then(|n| n.parse::<u64>().ok())
                {
                    durable = Some(n);
                    if n >= cut_after {
                        break Ok(());
                    }
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) if Instant::now() < deadline => {}
            Err(_) => break Err("crash_writer stopped or hung before the power cut".to_string()),
        }
    };
    // The power cut: no shutdown, no sync, whatever is in flight is lost.
    let _ = child.kill();
    let _ = child.wait();
    // Lines already in the pipe were printed after their fsync returned: they count.
    while let Ok(line) = received.try_recv() {
        if let Some(n) = line
            .trim()
            .strip_prefix("crash: durable ")
            .and_then(|n| n.parse::<u64>().ok())
        {
            durable = Some(n);
        }
    }
    let _ = reader.join();
    outcome?;
    durable.ok_or_else(|| "crash_writer reported nothing durable".to_string())
}

/// Boots `crash_check` (as init, in test mode: its exit status becomes QEMU's).
fn verify(artefacts: &Artefacts, image: &Path, smp: u32, durable: u64) -> Result<(), String> {
    boot_check(
        artefacts,
        image,
        smp,
        &format!("test init=/bin/crash_check durable={durable}"),
        "crash_check: ok",
    )
    .map_err(|(panicked, lines)| {
        let what = if panicked {
            "the kernel panicked while checking the disk after the power cut"
        } else {
            "data reported durable was lost after the power cut"
        };
        format!("{what}:\n{lines}")
    })
}

/// Boots `image` with `bootargs` (in test mode: init's exit status becomes QEMU's) and
/// succeeds if init exits 0 having printed `ok_line`. Otherwise: whether the kernel
/// panicked, and the lines that tell what went wrong (a panic's message and location,
/// which come before its backtrace, and the last lines).
pub fn boot_check(
    artefacts: &Artefacts,
    image: &Path,
    smp: u32,
    bootargs: &str,
    ok_line: &str,
) -> Result<(), (bool, String)> {
    let mut child = boot(artefacts, image, smp, bootargs)
        .spawn()
        .map_err(|error| (false, format!("could not start QEMU: {error}")))?;
    let stdout = child
        .stdout
        .take()
        .expect("QEMU's standard output is piped");
    let reader = thread::spawn(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .collect::<Vec<_>>()
    });
    let deadline = Instant::now() + BOOT_LIMIT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(50)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Err((false, format!("`{bootargs}` did not finish (kernel hung?)")));
            }
        }
    };
    let lines = reader.join().unwrap_or_default();
    if status.success() && lines.iter().any(|l| l.contains(ok_line)) {
        return Ok(());
    }
    let panic: Vec<&str> = lines
        .iter()
        .skip_while(|l| !l.contains("KERNEL PANIC"))
        .take(2)
        .map(String::as_str)
        .collect();
    let tail: Vec<&str> = lines
        .iter()
        .rev()
        .take(8)
        .rev()
        .map(String::as_str)
        .collect();
    Err((
        !panic.is_empty(),
        format!("{}\n{}", panic.join("\n"), tail.join("\n")),
    ))
}
