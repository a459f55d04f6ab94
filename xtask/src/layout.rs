//! Where things are: the repository, the build outputs and the files xtask makes.

use std::path::{Path, PathBuf};

/// The Rust target the kernel and the user programs are built for.
pub const TARGET: &str = "riscv64gc-unknown-none-elf";

/// Paths of the repository and its build outputs.
#[derive(Debug, Clone)]
pub struct Layout {
    /// The repository (the workspace root).
    pub root: PathBuf,
    /// Cargo's target directory: `$CARGO_TARGET_DIR`, or `target` in the repository.
    pub target_dir: PathBuf,
}

impl Layout {
    /// Finds the repository from where xtask's own sources are, so xtask works from any
    /// directory.
    pub fn discover() -> Layout {
        let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        let root = manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf();
        let target_dir = match std::env::var_os("CARGO_TARGET_DIR") {
            Some(dir) if !dir.is_empty() => root.join(dir),
            _ => root.join("target"),
        };
        Layout { root, target_dir }
    }

    /// Where release builds for [`TARGET`] land.
    fn release_dir(&self) -> PathBuf {
        self.target_dir.join(TARGET).join("release")
    }

    /// The kernel ELF file.
    pub fn kernel(&self) -> PathBuf {
        self.release_dir().join("kernel")
    }

    /// The ELF file of the user program `name`.
    pub fn program(&self, name: &str) -> PathBuf {
        self.release_dir().join(name)
    }

    /// The sources of the user programs, one program per `*.rs` file.
    pub fn program_sources(&self) -> PathBuf {
        self.root.join("user/programs/src/bin")
    }

    /// The in-kernel test manifest, copied into the initrd as `/etc/tests`.
    pub fn test_manifest(&self) -> PathBuf {
        self.root.join("user/tests.txt")
    }

    /// The directory for the files xtask makes.
    pub fn lantern_dir(&self) -> PathBuf {
        self.target_dir.join("lantern")
    }

    /// The disk image holding the root file system.
    pub fn disk_image(&self) -> PathBuf {
        self.lantern_dir().join("disk.img")
    }

    /// The initrd image.
    pub fn initrd(&self) -> PathBuf {
        self.lantern_dir().join("initrd.cpio")
    }

    /// The serial output of the last in-kernel test run.
    pub fn test_log(&self) -> PathBuf {
        self.lantern_dir().join("test.log")
    }

    /// `path` relative to the repository when it is inside it, for messages.
    pub fn show(&self, path: &Path) -> String {
        path.strip_prefix(&self.root)
            .unwrap_or(path)
            .display()
            .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout() -> Layout {
        Layout {
            root: PathBuf::from("/repo"),
            target_dir: PathBuf::from("/repo/target"),
        }
    }

    #[test]
    fn artefact_paths() {
        let layout = layout();
        assert_eq!(
            layout.kernel(),
            Path::new("/repo/target/riscv64gc-unknown-none-elf/release/kernel")
        );
        assert_eq!(
            layout.program("init"),
            Path::new("/repo/target/riscv64gc-unknown-none-elf/release/init")
        );
        assert_eq!(
            layout.initrd(),
            Path::new("/repo/target/lantern/initrd.cpio")
        );
        assert_eq!(
            layout.test_log(),
            Path::new("/repo/target/lantern/test.log")
        );
    }

    #[test]
    fn show_is_relative_inside_the_repository() {
        let layout = layout();
        assert_eq!(layout.show(&layout.test_log()), "target/lantern/test.log");
        assert_eq!(layout.show(Path::new("/elsewhere/x")), "/elsewhere/x");
    }

    #[test]
    fn discover_finds_the_workspace_root() {
        let layout = Layout::discover();
        assert!(layout.root.join("xtask/Cargo.toml").is_file());
    }
}
