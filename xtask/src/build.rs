//! Building what QEMU boots: the kernel, the user programs and the initrd that holds them.

use std::fs;
use std::path::{Path, PathBuf};

use crate::cmd;
use crate::layout::{Layout, TARGET};

/// What the test manifest holds when nobody has written it yet.
const EMPTY_TEST_MANIFEST: &str = "# in-kernel tests: <program> exit=N | signal=NAME\n";

/// The files a build makes.
#[derive(Debug)]
pub struct Artefacts {
    /// The kernel ELF file.
    pub kernel: PathBuf,
    /// The user programs, by name, in the order they are in the initrd.
    pub programs: Vec<(String, PathBuf)>,
    /// The initrd image.
    pub initrd: PathBuf,
    /// The initrd's size in bytes.
    pub initrd_len: usize,
    /// The disk image with the root file system (the initrd's files plus empty `/tmp`,
    /// `/home`, `/dev` and `/proc`).
    pub disk: PathBuf,
}

/// Size of the disk image.
const DISK_MIB: u64 = 128;

/// Builds the kernel, the user programs and the initrd.
pub fn build_all(layout: &Layout) -> Result<Artefacts, String> {
    let kernel = build_kernel(layout)?;
    let programs = build_programs(layout)?;
    let (initrd, initrd_len) = build_initrd(layout, &programs)?;
    let disk = build_disk(layout, &initrd)?;
    Ok(Artefacts {
        kernel,
        programs,
        initrd,
        initrd_len,
        disk,
    })
}

/// The disk image: every file and directory of the initrd, with its mode, plus the
/// directories the system mounts or writes to. Made fresh on each build.
fn build_disk(layout: &Layout, initrd_path: &Path) -> Result<PathBuf, String> {
    let initrd = fs::read(initrd_path)
        .map_err(|error| format!("could not read {}: {error}", layout.show(initrd_path)))?;
    let mut entries = Vec::new();
    for entry in initrd::Reader::new(&initrd) {
        let entry = entry.map_err(|error| format!("the initrd is malformed: {error:?}"))?;
        entries.push(crate::disk::ImageEntry {
            path: format!("/{}", entry.name),
            mode: entry.mode,
            data: entry.data.to_vec(),
        });
    }
    for (dir, mode) in [
        ("/tmp", 0o041_777),
        ("/home", 0o040_755),
        ("/dev", 0o040_755),
        ("/proc", 0o040_555),
    ] {
        entries.push(crate::disk::ImageEntry {
            path: dir.to_string(),
            mode,
            data: Vec::new(),
        });
    }
    let path = layout.disk_image();
    crate::disk::build_image(&path, DISK_MIB, &entries, crate::disk::now())?;
    Ok(path)
}

/// Prints where the artefacts are.
pub fn print_artefacts(layout: &Layout, artefacts: &Artefacts) {
    println!("kernel: {}", layout.show(&artefacts.kernel));
    for (name, path) in &artefacts.programs {
        println!("program {name}: {}", layout.show(path));
    }
    println!(
        "initrd: {} ({} programs, {} bytes)",
        layout.show(&artefacts.initrd),
        artefacts.programs.len(),
        artefacts.initrd_len
    );
    println!(
        "disk: {} ({DISK_MIB} MiB, the root file system)",
        layout.show(&artefacts.disk)
    );
}

/// `cargo build --release -p <package> --target riscv64gc-unknown-none-elf`.
fn cargo_build(layout: &Layout, package: &str) -> Result<(), String> {
    cmd::run(
        cmd::cargo()
            .args(["build", "--release", "-p", package, "--target", TARGET])
            .current_dir(&layout.root),
    )
}

fn build_kernel(layout: &Layout) -> Result<PathBuf, String> {
    cargo_build(layout, "kernel")?;
    let kernel = layout.kernel();
    if kernel.is_file() {
        Ok(kernel)
    } else {
        Err(format!("the kernel build made no {}", layout.show(&kernel)))
    }
}

fn build_programs(layout: &Layout) -> Result<Vec<(String, PathBuf)>, String> {
    let sources = layout.program_sources();
    let names = program_names(&sources)?;
    if names.is_empty() {
        println!(
            "note: no user programs in {}, the initrd gets none",
            layout.show(&sources)
        );
        return Ok(Vec::new());
    }
    cargo_build(layout, "programs")?;
    names
        .into_iter()
        .map(|name| {
            let path = layout.program(&name);
            if path.is_file() {
                Ok((name, path))
            } else {
                Err(format!(
                    "the build of the user programs made no {}",
                    layout.show(&path)
                ))
            }
        })
        .collect()
}

/// The user programs in `dir` (`user/programs/src/bin`), sorted: one per `<name>.rs` file
/// or `<name>/main.rs` directory, as cargo finds binaries. None if `dir` does not exist.
pub fn program_names(dir: &Path) -> Result<Vec<String>, String> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(format!("could not list {}: {error}", dir.display())),
    };
    let mut names = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|error| format!("could not list {}: {error}", dir.display()))?
            .path();
        let is_program = if path.is_dir() {
            path.join("main.rs").is_file()
        } else {
            path.extension().is_some_and(|ext| ext == "rs")
        };
        let stem = if path.is_dir() {
            path.file_name()
        } else {
            path.file_stem()
        };
        if let (true, Some(name)) = (is_program, stem.and_then(|s| s.to_str())) {
            names.push(name.to_string());
        }
    }
    names.sort();
    Ok(names)
}

/// A file with execute permission that is not a program: `execve` of it must fail with
/// ENOEXEC (tested by `t_exec`).
const NOT_A_PROGRAM: &[u8] = b"This file is executable but not an ELF program.\n";

/// The initrd: directories `bin` and `etc`, every program as `bin/<name>`, the test
/// manifest as `etc/tests` and `bin/not_elf`, an executable non-program.
pub fn initrd_image(programs: &[(String, Vec<u8>)], test_manifest: &[u8]) -> Vec<u8> {
    let mut writer = initrd::Writer::new();
    writer.add_dir("bin", 0o040_755);
    writer.add_dir("etc", 0o040_755);
    for (name, elf) in programs {
        writer.add_file(&format!("bin/{name}"), 0o100_755, elf);
    }
    writer.add_file("bin/not_elf", 0o100_755, NOT_A_PROGRAM);
    writer.add_file("etc/tests", 0o100_644, test_manifest);
    writer.finish()
}

fn build_initrd(
    layout: &Layout,
    programs: &[(String, PathBuf)],
) -> Result<(PathBuf, usize), String> {
    let read = |path: &Path| {
        fs::read(path).map_err(|error| format!("could not read {}: {error}", layout.show(path)))
    };
    let manifest_path = layout.test_manifest();
    if !manifest_path.exists() {
        println!(
            "note: {} does not exist yet, creating it with no tests",
            layout.show(&manifest_path)
        );
        fs::write(&manifest_path, EMPTY_TEST_MANIFEST).map_err(|error| {
            format!("could not create {}: {error}", layout.show(&manifest_path))
        })?;
    }
    let manifest = read(&manifest_path)?;
    let elves = programs
        .iter()
        .map(|(name, path)| Ok((name.clone(), read(path)?)))
        .collect::<Result<Vec<_>, String>>()?;
    let image = initrd_image(&elves, &manifest);

    let path = layout.initrd();
    let dir = layout.lantern_dir();
    fs::create_dir_all(&dir)
        .map_err(|error| format!("could not create {}: {error}", layout.show(&dir)))?;
    fs::write(&path, &image)
        .map_err(|error| format!("could not write {}: {error}", layout.show(&path)))?;
    Ok((path, image.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initrd_holds_programs_and_manifest() {
        let programs = vec![
            ("init".to_string(), b"\x7fELF init".to_vec()),
            ("sh".to_string(), b"\x7fELF sh".to_vec()),
        ];
        let image = initrd_image(&programs, b"hello exit=0\n");
        let entries: Vec<_> = initrd::Reader::new(&image)
            .map(|entry| {
                let entry = entry.unwrap();
                (entry.name, entry.mode)
            })
            .collect();
        assert_eq!(
            entries,
            [
                ("bin", 0o040_755),
                ("etc", 0o040_755),
                ("bin/init", 0o100_755),
                ("bin/sh", 0o100_755),
                ("bin/not_elf", 0o100_755),
                ("etc/tests", 0o100_644),
            ]
        );
        let reader = initrd::Reader::new(&image);
        assert_eq!(reader.find("/bin/init").unwrap().data, b"\x7fELF init");
        assert_eq!(reader.find("/etc/tests").unwrap().data, b"hello exit=0\n");
    }

    #[test]
    fn program_names_follow_cargo_binaries() {
        let dir = std::env::temp_dir().join(format!("xtask-programs-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("big")).unwrap();
        fs::create_dir_all(dir.join("not_a_program")).unwrap();
        fs::write(dir.join("big/main.rs"), "").unwrap();
        fs::write(dir.join("init.rs"), "").unwrap();
        fs::write(dir.join("hello.rs"), "").unwrap();
        fs::write(dir.join("README.md"), "").unwrap();
        let names = program_names(&dir);
        fs::remove_dir_all(&dir).unwrap();
        assert_eq!(names.unwrap(), ["big", "hello", "init"]);
    }

    #[test]
    fn missing_program_directory_means_no_programs() {
        let dir = std::env::temp_dir().join("xtask-no-such-directory/src/bin");
        assert_eq!(program_names(&dir).unwrap(), Vec::<String>::new());
    }
}
