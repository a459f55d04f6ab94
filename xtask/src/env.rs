//! Checks that the tools Lantern needs are there, installing what can be installed.
//!
//! The Rust target comes from rustup; QEMU and gdb-multiarch come from Debian's packages,
//! installed with apt-get when xtask runs as root (as on CI machines). Anything that is
//! present is left alone.

use std::fmt;
use std::process::{Command, Stdio};

use crate::layout::{Layout, TARGET};

/// The oldest QEMU that Lantern supports (Debian 12's).
pub const QEMU_MIN: Version = Version {
    major: 7,
    minor: 2,
    patch: 0,
};

const QEMU: &str = "qemu-system-riscv64";
const QEMU_MISSING: &str = "Lantern needs qemu-system-riscv64 >= 7.2: install Debian's qemu-system-misc (apt-get install qemu-system-misc)";
const GDB: &str = "gdb-multiarch";
const GDB_MISSING: &str = "Lantern's gdb command needs gdb-multiarch: install Debian's gdb-multiarch (apt-get install gdb-multiarch)";

/// A version number `major.minor.patch`, ordered numerically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version {
    /// The major version.
    pub major: u32,
    /// The minor version.
    pub minor: u32,
    /// The patch level (0 when the version has only two parts).
    pub patch: u32,
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// Reads the version from what `qemu-system-* --version` prints, such as
/// `QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)`.
pub fn parse_qemu_version(text: &str) -> Option<Version> {
    let (_, rest) = text.split_once("version ")?;
    let number = rest
        .split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .next()?;
    let mut parts = number.split('.');
    let mut part = || -> Option<u32> { parts.next()?.parse().ok() };
    let major = part()?;
    let minor = part()?;
    let patch = part().unwrap_or(0);
    Some(Version {
        major,
        minor,
        patch,
    })
}

/// Reads the real user id from the text of `/proc/self/status` (its `Uid:` line).
pub fn uid_from_status(status: &str) -> Option<u32> {
    status
        .lines()
        .find_map(|line| line.strip_prefix("Uid:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Whether xtask runs as root, and so may install packages.
fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| uid_from_status(&status))
        == Some(0)
}

/// Makes sure the Rust target for the kernel is installed, adding it with rustup if not.
pub fn check_rust_target(layout: &Layout) -> Result<(), String> {
    let missing = || {
        format!(
            "Lantern needs the Rust target {TARGET}: install it with `rustup target add {TARGET}`"
        )
    };
    let installed = || {
        Command::new("rustup")
            .args(["target", "list", "--installed"])
            .current_dir(&layout.root)
            .stdin(Stdio::null())
            .stderr(Stdio::inherit())
            .output()
            .ok()
            .filter(|output| output.status.success())
            .map(|output| {
                String::from_utf8_lossy(&output.stdout)
                    .lines()
                    .any(|line| line.trim() == TARGET)
            })
    };
    match installed() {
        Some(true) => {
            println!("Rust target {TARGET}: installed");
            Ok(())
        }
        Some(false) => {
            println!("Rust target {TARGET}: missing, adding it with rustup");
            let added = Command::new("rustup")
                .args(["target", "add", TARGET])
                .current_dir(&layout.root)
                .stdin(Stdio::null())
                .status()
                .is_ok_and(|status| status.success());
            if added && installed() == Some(true) {
                Ok(())
            } else {
                Err(missing())
            }
        }
        None => Err(missing()),
    }
}

/// The version of the installed `qemu-system-riscv64`, or `None` if it does not run.
fn qemu_version() -> Option<Version> {
    let output = Command::new(QEMU)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .ok()?;
    parse_qemu_version(&String::from_utf8_lossy(&output.stdout))
}

/// Makes sure `qemu-system-riscv64` >= 7.2 is installed, installing it when running as root.
pub fn check_qemu() -> Result<(), String> {
    match qemu_version() {
        Some(version) if version >= QEMU_MIN => {
            println!("{QEMU} {version}: ok");
            return Ok(());
        }
        Some(version) => println!("{QEMU} {version}: older than {QEMU_MIN}"),
        None => println!("{QEMU}: not found"),
    }
    if !is_root() || !apt_install("qemu-system-misc") {
        return Err(QEMU_MISSING.to_string());
    }
    match qemu_version() {
        Some(version) if version >= QEMU_MIN => {
            println!("{QEMU} {version}: ok");
            Ok(())
        }
        _ => Err(QEMU_MISSING.to_string()),
    }
}

/// Whether `gdb-multiarch` runs.
fn gdb_runs() -> bool {
    Command::new(GDB)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// Makes sure `gdb-multiarch` is installed, installing it when running as root.
pub fn check_gdb() -> Result<(), String> {
    if gdb_runs() {
        println!("{GDB}: ok");
        return Ok(());
    }
    println!("{GDB}: not found");
    if is_root() && apt_install(GDB) && gdb_runs() {
        println!("{GDB}: ok");
        Ok(())
    } else {
        Err(GDB_MISSING.to_string())
    }
}

/// Installs a Debian package without questions; on failure refreshes the package lists
/// and tries once more. Returns whether it got installed.
fn apt_install(package: &str) -> bool {
    println!("installing Debian's {package} with apt-get");
    let apt = |args: &[&str]| {
        let mut command = Command::new("apt-get");
        command
            .args(["-o", "DPkg::Lock::Timeout=300"])
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdin(Stdio::null());
        crate::cmd::run(&mut command).is_ok()
    };
    let install = ["install", "-y", "--no-install-recommends", package];
    apt(&install) || (apt(&["update"]) && apt(&install))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(major: u32, minor: u32, patch: u32) -> Version {
        Version {
            major,
            minor,
            patch,
        }
    }

    #[test]
    fn parses_debian_qemu_versions() {
        let debian12 = "QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)\n\
                        Copyright (c) 2003-2022 Fabrice Bellard and the QEMU Project developers\n";
        assert_eq!(parse_qemu_version(debian12), Some(version(7, 2, 22)));
        let backports = "QEMU emulator version 10.0.2 (Debian 1:10.0.2+ds-2+deb13u1~bpo12+1)";
        assert_eq!(parse_qemu_version(backports), Some(version(10, 0, 2)));
        let ubuntu = "QEMU emulator version 6.2.0 (Debian 1:6.2+dfsg-2ubuntu6.15)";
        assert_eq!(parse_qemu_version(ubuntu), Some(version(6, 2, 0)));
    }

    #[test]
    fn parses_two_part_and_development_versions() {
        assert_eq!(
            parse_qemu_version("QEMU emulator version 8.1"),
            Some(version(8, 1, 0))
        );
        assert_eq!(
            parse_qemu_version("QEMU emulator version 9.0.50 (v9.0.0-1388-g80e8f06021-dirty)"),
            Some(version(9, 0, 50))
        );
    }

    #[test]
    fn rejects_text_without_a_version() {
        assert_eq!(parse_qemu_version(""), None);
        assert_eq!(
            parse_qemu_version("bash: qemu-system-riscv64: command not found"),
            None
        );
        assert_eq!(parse_qemu_version("QEMU emulator version (unknown)"), None);
        assert_eq!(parse_qemu_version("QEMU emulator version 7"), None);
    }

    #[test]
    fn versions_compare_numerically() {
        assert!(version(7, 2, 0) >= QEMU_MIN);
        assert!(version(7, 2, 22) >= QEMU_MIN);
        assert!(version(10, 0, 0) >= QEMU_MIN);
        assert!(version(7, 1, 99) < QEMU_MIN);
        assert!(version(6, 2, 0) < QEMU_MIN);
        assert_eq!(version(7, 2, 22).to_string(), "7.2.22");
    }

    #[test]
    fn reads_the_real_uid() {
        let root = "Name:\tcat\nUmask:\t0022\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n";
        assert_eq!(uid_from_status(root), Some(0));
        let user = "Name:\tcat\nUid:\t1000\t1000\t1000\t1000\n";
        assert_eq!(uid_from_status(user), Some(1000));
        assert_eq!(uid_from_status("Name:\tcat\n"), None);
    }
}
