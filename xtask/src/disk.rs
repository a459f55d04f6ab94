//! Disk images holding Lantern's file system (concepts F2 and F3; the format and its code are
//! in `crates/fs`): `cargo xtask mkfs`, `cargo xtask fsck`, and [`build_image`], which the
//! build can call to make the root file system from a list of files.
//!
//! An image is a plain file of 4 KiB blocks that QEMU attaches as a virtio-blk disk. Here
//! the host's page cache plays the disk's volatile cache: a flush hands the writes to the
//! host, and the image is synced to stable storage once, when the command is done.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use ::fs::{
    BLOCK_SIZE, Block, BlockDevice, FileKind, FileSystem, FsError, FsckReport, Ino, IoError,
    MkfsOptions, Owner, SetAttr, Timestamp,
};

/// Size of an image made without `--size`, in MiB.
pub const DEFAULT_SIZE_MIB: u64 = 64;

/// Size of the swap area's image, in MiB: with 128 MiB of RAM, room for the swap test's
/// 512 MiB workload.
pub const SWAP_MIB: u64 = 512;

/// The swap image (`target/lantern/swap.img`): a sparse file of [`SWAP_MIB`] that the
/// kernel uses raw as its swap area. Its contents mean nothing across boots, so it is only
/// made (or resized) when it is missing or of another size, never cleared.
pub fn swap_image(layout: &crate::layout::Layout) -> Result<std::path::PathBuf, String> {
    let path = layout.lantern_dir().join("swap.img");
    let bytes = SWAP_MIB << 20;
    if std::fs::metadata(&path).is_ok_and(|m| m.len() == bytes) {
        return Ok(path);
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|error| format!("could not create {}: {error}", dir.display()))?;
    }
    let file = File::create(&path)
        .map_err(|error| format!("could not create {}: {error}", layout.show(&path)))?;
    file.set_len(bytes)
        .map_err(|error| format!("could not size {}: {error}", layout.show(&path)))?;
    Ok(path)
}

/// An image file used as a block device.
pub struct ImageFile {
    file: File,
    blocks: u64,
}

impl ImageFile {
    /// Creates (or empties) `path` as an image of `bytes` bytes, all zero and sparse.
    pub fn create(path: &Path, bytes: u64) -> Result<ImageFile, String> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
            .and_then(|file| file.set_len(bytes).map(|()| file))
            .map_err(|error| format!("could not create {}: {error}", path.display()))?;
        Ok(ImageFile {
            file,
            blocks: bytes / BLOCK_SIZE as u64,
        })
    }

    /// Opens the image `path`, for writing too if `writable`.
    pub fn open(path: &Path, writable: bool) -> Result<ImageFile, String> {
        let file = OpenOptions::new()
            .read(true)
            .write(writable)
            .open(path)
            .map_err(|error| format!("could not open {}: {error}", path.display()))?;
        let bytes = file
            .metadata()
            .map_err(|error| format!("could not read the size of {}: {error}", path.display()))?
            .len();
        Ok(ImageFile {
            file,
            blocks: bytes / BLOCK_SIZE as u64,
        })
    }

    /// Makes every write so far durable on the host.
    pub fn sync(&self) -> Result<(), String> {
        self.file
            .sync_all()
            .map_err(|error| format!("could not sync the image: {error}"))
    }

    fn seek_to(&mut self, block: u64) -> Result<(), IoError> {
        if block >= self.blocks {
            return Err(IoError);
        }
        self.file
            .seek(SeekFrom::Start(block * BLOCK_SIZE as u64))
            .map(|_| ())
            .map_err(|_| IoError)
    }
}

impl BlockDevice for ImageFile {
    fn block_count(&self) -> u64 {
        self.blocks
    }

    fn read_block(&mut self, block: u64, buf: &mut Block) -> Result<(), IoError> {
        self.seek_to(block)?;
        self.file.read_exact(buf).map_err(|_| IoError)
    }

    fn write_block(&mut self, block: u64, buf: &Block) -> Result<(), IoError> {
        self.seek_to(block)?;
        self.file.write_all(buf).map_err(|_| IoError)
    }

    fn flush(&mut self) -> Result<(), IoError> {
        self.file.flush().map_err(|_| IoError)
    }
}

/// One file to put in an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageEntry {
    /// Path in the image, `/`-separated (`bin/sh`; a leading `/` is allowed).
    pub path: String,
    /// File type and permission bits as in `st_mode`: `0o100755` for an executable,
    /// `0o040755` for a directory, `0o120777` for a symbolic link, `0o010644` for a FIFO.
    pub mode: u32,
    /// A regular file's contents or a symbolic link's target; empty for anything else.
    pub data: Vec<u8>,
}

/// Sizes and usage of a file system, for printing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageSummary {
    /// Entries added.
    pub entries: usize,
    /// Data blocks.
    pub blocks: u64,
    /// Data blocks still free.
    pub free_blocks: u64,
    /// Inodes.
    pub inodes: u64,
    /// Inodes still free.
    pub free_inodes: u64,
}

/// The time now, for the files of a new image.
pub fn now() -> Timestamp {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Timestamp::new(since_epoch.as_secs() as i64, since_epoch.subsec_nanos())
}

/// Makes the image `path` of `size_mib` MiB with a new file system holding `entries`, all
/// owned by root and stamped `now`. Missing parent directories are made with mode 0755; a
/// directory entry after its children only sets its mode.
pub fn build_image(
    path: &Path,
    size_mib: u64,
    entries: &[ImageEntry],
    now: Timestamp,
) -> Result<ImageSummary, String> {
    let bytes = size_mib
        .checked_mul(1 << 20)
        .ok_or_else(|| format!("an image of {size_mib} MiB is too large"))?;
    let mut device = ImageFile::create(path, bytes)?;
    let options = MkfsOptions::for_blocks(device.block_count(), now);
    ::fs::mkfs(&mut device, &options).map_err(|error| {
        format!(
            "could not make a file system of {size_mib} MiB in {}: {error}",
            path.display()
        )
    })?;
    let mut filesystem = FileSystem::mount(&mut device)
        .map_err(|error| format!("could not mount the new file system: {error}"))?;
    for entry in entries {
        add_entry(&mut filesystem, entry, now)
            .map_err(|why| format!("could not add {} to the image: {why}", entry.path))?;
    }
    let stat = filesystem.statfs();
    filesystem
        .unmount()
        .map_err(|error| format!("could not finish the image: {error}"))?;
    device.sync()?;
    Ok(ImageSummary {
        entries: entries.len(),
        blocks: stat.blocks,
        free_blocks: stat.free_blocks,
        inodes: stat.inodes,
        free_inodes: stat.free_inodes,
    })
}

const ROOT_OWNER: Owner = Owner { uid: 0, gid: 0 };

/// The directory of `name` under `dir`, made (mode 0755) if it is missing.
fn directory<D: BlockDevice>(
    fs: &mut FileSystem<D>,
    dir: Ino,
    name: &str,
    now: Timestamp,
) -> Result<Ino, String> {
    match fs.lookup(dir, name.as_bytes()) {
        Ok(ino) if fs.stat(ino).map_err(|e| e.to_string())?.kind == FileKind::Directory => Ok(ino),
        Ok(_) => Err(format!("{name} is already there and is not a directory")),
        Err(FsError::NotFound) => fs
            .mkdir(dir, name.as_bytes(), 0o755, ROOT_OWNER, now)
            .map_err(|error| error.to_string()),
        Err(error) => Err(error.to_string()),
    }
}

fn add_entry<D: BlockDevice>(
    fs: &mut FileSystem<D>,
    entry: &ImageEntry,
    now: Timestamp,
) -> Result<(), String> {
    let parts: Vec<&str> = entry
        .path
        .split('/')
        .filter(|part| !part.is_empty() && *part != ".")
        .collect();
    if parts.contains(&"..") {
        return Err("a path may not contain \"..\"".to_string());
    }
    let Some((last, parents)) = parts.split_last() else {
        return Err("the path names no file".to_string());
    };
    let mut dir = fs.root();
    for part in parents {
        dir = directory(fs, dir, part, now)?;
    }
    let name = last.as_bytes();
    let kind = FileKind::from_mode(entry.mode)
        .ok_or_else(|| format!("mode {:#o} names no file type", entry.mode))?;
    let permissions = entry.mode & ::fs::PERMISSION_BITS;
    let failed = |error: FsError| error.to_string();
    match kind {
        FileKind::Directory => {
            let ino = directory(fs, dir, last, now)?;
            let mode = SetAttr {
                mode: Some(permissions),
                ..SetAttr::default()
            };
            fs.set_attr(ino, &mode, now).map_err(failed)
        }
        FileKind::Regular => {
            let ino = fs
                .create(dir, name, permissions, ROOT_OWNER, now)
                .map_err(failed)?;
            let written = fs.write_at(ino, 0, &entry.data, now).map_err(failed)?;
            if written == entry.data.len() {
                Ok(())
            } else {
                Err(failed(FsError::NoSpace))
            }
        }
        FileKind::Symlink => fs
            .symlink(dir, name, &entry.data, ROOT_OWNER, now)
            .map(|_| ())
            .map_err(failed),
        FileKind::Fifo => fs
            .mknod(dir, name, entry.mode, 0, ROOT_OWNER, now)
            .map(|_| ())
            .map_err(failed),
        FileKind::CharDevice | FileKind::BlockDevice | FileKind::Socket => {
            Err("device nodes and sockets are not made by image builds".to_string())
        }
    }
}

/// The tree under the host directory `dir` as image entries, parents before children and
/// each directory's entries sorted by name: directories, regular files and symbolic links
/// with their permission bits.
pub fn entries_from_dir(dir: &Path) -> Result<Vec<ImageEntry>, String> {
    let mut entries = Vec::new();
    collect(dir, "", &mut entries)?;
    Ok(entries)
}

fn collect(dir: &Path, prefix: &str, entries: &mut Vec<ImageEntry>) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;

    let listing = std::fs::read_dir(dir)
        .map_err(|error| format!("could not list {}: {error}", dir.display()))?;
    let mut children = listing
        .map(|child| child.map(|child| child.path()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| format!("could not list {}: {error}", dir.display()))?;
    children.sort();
    for path in children {
        let name = path
            .file_name()
            .and_then(|name| name.to_str())
            .ok_or_else(|| format!("{} has a name that is not UTF-8", path.display()))?;
        let image_path = format!("{prefix}{name}");
        let metadata = std::fs::symlink_metadata(&path)
            .map_err(|error| format!("could not read {}: {error}", path.display()))?;
        let mode = metadata.permissions().mode();
        let read_error =
            |error: std::io::Error| format!("could not read {}: {error}", path.display());
        let file_type = metadata.file_type();
        let data = if file_type.is_file() {
            std::fs::read(&path).map_err(read_error)?
        } else if file_type.is_symlink() {
            std::fs::read_link(&path)
                .map_err(read_error)?
                .into_os_string()
                .into_encoded_bytes()
        } else if file_type.is_dir() {
            Vec::new()
        } else {
            return Err(format!(
                "{} is not a file, directory or symbolic link",
                path.display()
            ));
        };
        entries.push(ImageEntry {
            path: image_path.clone(),
            mode,
            data,
        });
        if file_type.is_dir() {
            collect(&path, &format!("{image_path}/"), entries)?;
        }
    }
    Ok(())
}

/// Runs fsck on the image `path`; it is only written with `repair`.
pub fn check_image(path: &Path, repair: bool) -> Result<FsckReport, String> {
    let mut device = ImageFile::open(path, repair)?;
    let report = ::fs::fsck(&mut device, repair)
        .map_err(|error| format!("could not read {}: {error}", path.display()))?;
    if report.repaired {
        device.sync()?;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("xtask-disk-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn entry(path: &str, mode: u32, data: &[u8]) -> ImageEntry {
        ImageEntry {
            path: path.to_string(),
            mode,
            data: data.to_vec(),
        }
    }

    fn read_file(image: &Path, path: &[&str]) -> Vec<u8> {
        let mut device = ImageFile::open(image, true).unwrap();
        let mut fs = FileSystem::mount(&mut device).unwrap();
        let mut ino = fs.root();
        for part in path {
            ino = fs.lookup(ino, part.as_bytes()).unwrap();
        }
        let mut data = vec![0; fs.stat(ino).unwrap().size as usize];
        fs.read_at(ino, 0, &mut data).unwrap();
        data
    }

    #[test]
    fn an_image_built_from_entries_holds_them_and_is_clean() {
        let dir = scratch("entries");
        let image = dir.join("disk.img");
        let entries = [
            entry("/bin/sh", 0o100_755, b"\x7fELF shell"),
            entry("etc/motd", 0o100_644, b"welcome\n"),
            entry("tmp", 0o041_777, b""),
            entry("home", 0o040_755, b""),
            entry("bin/sh-link", 0o120_777, b"/bin/sh"),
            entry("etc", 0o040_700, b""),
        ];
        let summary = build_image(&image, 4, &entries, Timestamp::new(1_700_000_000, 0)).unwrap();
        assert_eq!(summary.entries, 6);
        assert_eq!(summary.inodes - summary.free_inodes, 2 + 7);
        assert_eq!(std::fs::metadata(&image).unwrap().len(), 4 << 20);
        let report = check_image(&image, false).unwrap();
        assert!(report.is_clean() && report.problems.is_empty(), "{report}");
        assert_eq!(read_file(&image, &["bin", "sh"]), b"\x7fELF shell");
        assert_eq!(read_file(&image, &["etc", "motd"]), b"welcome\n");
        let mut device = ImageFile::open(&image, true).unwrap();
        let mut fs = FileSystem::mount(&mut device).unwrap();
        let tmp = fs.lookup(fs.root(), b"tmp").unwrap();
        assert_eq!(fs.stat(tmp).unwrap().mode, 0o1777);
        let etc = fs.lookup(fs.root(), b"etc").unwrap();
        assert_eq!(fs.stat(etc).unwrap().mode, 0o700);
        let bin = fs.lookup(fs.root(), b"bin").unwrap();
        let link = fs.lookup(bin, b"sh-link").unwrap();
        assert_eq!(fs.readlink(link).unwrap(), b"/bin/sh");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn bad_entries_are_refused_with_a_reason() {
        let dir = scratch("bad");
        let image = dir.join("disk.img");
        let now = Timestamp::default();
        let twice = [entry("a", 0o100_644, b"1"), entry("a", 0o100_644, b"2")];
        let error = build_image(&image, 1, &twice, now).unwrap_err();
        assert!(
            error.contains("could not add a") && error.contains("EEXIST"),
            "{error}"
        );
        let under_file = [entry("a", 0o100_644, b""), entry("a/b", 0o100_644, b"")];
        let error = build_image(&image, 1, &under_file, now).unwrap_err();
        assert!(error.contains("not a directory"), "{error}");
        let dotdot = [entry("../escape", 0o100_644, b"")];
        assert!(build_image(&image, 1, &dotdot, now).is_err());
        let device = [entry("dev/null", 0o020_666, b"")];
        assert!(build_image(&image, 1, &device, now).is_err());
        let too_big = [entry("big", 0o100_644, &vec![1; 2 << 20])];
        let error = build_image(&image, 1, &too_big, now).unwrap_err();
        assert!(error.contains("ENOSPC"), "{error}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_host_tree_is_copied_in_sorted_order() {
        let dir = scratch("tree");
        let tree = dir.join("root");
        std::fs::create_dir_all(tree.join("bin")).unwrap();
        std::fs::create_dir_all(tree.join("etc/empty")).unwrap();
        std::fs::write(tree.join("bin/init"), b"init").unwrap();
        std::fs::write(tree.join("etc/passwd"), b"root:x:0:0\n").unwrap();
        std::os::unix::fs::symlink("init", tree.join("bin/sh")).unwrap();
        let entries = entries_from_dir(&tree).unwrap();
        let paths: Vec<&str> = entries.iter().map(|entry| entry.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "bin",
                "bin/init",
                "bin/sh",
                "etc",
                "etc/empty",
                "etc/passwd"
            ]
        );
        assert_eq!(entries[2].mode & 0o170_000, 0o120_000);
        assert_eq!(entries[2].data, b"init");
        let image = dir.join("disk.img");
        build_image(&image, 2, &entries, Timestamp::default()).unwrap();
        assert_eq!(read_file(&image, &["etc", "passwd"]), b"root:x:0:0\n");
        assert!(check_image(&image, false).unwrap().is_clean());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn fsck_repairs_a_damaged_image_in_place() {
        let dir = scratch("repair");
        let image = dir.join("disk.img");
        build_image(
            &image,
            1,
            &[entry("f", 0o100_644, b"x")],
            Timestamp::default(),
        )
        .unwrap();
        // Clear the whole block bitmap: every used block is now marked free.
        let mut device = ImageFile::open(&image, true).unwrap();
        let mut superblock = [0; BLOCK_SIZE];
        device.read_block(0, &mut superblock).unwrap();
        let bitmap = u64::from_le_bytes(superblock[56..64].try_into().unwrap());
        device.write_block(bitmap, &[0; BLOCK_SIZE]).unwrap();
        drop(device);
        let report = check_image(&image, false).unwrap();
        assert!(!report.is_clean());
        let report = check_image(&image, true).unwrap();
        assert!(report.repaired && report.is_clean(), "{report}");
        assert!(check_image(&image, false).unwrap().problems.is_empty());
        assert!(
            check_image(&dir.join("missing.img"), false)
                .unwrap_err()
                .contains("could not open")
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
