//! Lantern's initial RAM file system image: a cpio archive in the "newc" format.
//!
//! Until Lantern has a disk file system, the kernel finds its programs in an image that
//! QEMU loads next to it (`-initrd`). The host side (`cargo xtask`) builds the image with
//! [`Writer`]; the kernel reads it in place with [`Reader`], which never allocates.
//!
//! # Format
//!
//! Every entry is a 110-byte header of ASCII text, the entry's name, and its data:
//!
//! ```text
//! magic "070701"  then 13 fields of 8 hexadecimal digits each:
//! ino mode uid gid nlink mtime filesize devmajor devminor rdevmajor rdevminor namesize check
//! name (namesize bytes, the last one NUL), zero padding to a multiple of 4
//! data (filesize bytes),                   zero padding to a multiple of 4
//! ```
//!
//! The archive ends with an entry named `TRAILER!!!`; anything after it (GNU cpio pads
//! to 512-byte blocks) is ignored. The reader also accepts the magic `070702` ("crc"
//! format, same layout) without checking its checksum.
//!
//! Names are stored without a leading `/` (`bin/init`); [`Reader::find`] accepts both
//! `/bin/init` and `bin/init`, and the reader drops a leading `./` as written by
//! `find . | cpio -o`.
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

extern crate alloc;

mod newc;
mod reader;
mod writer;

pub use reader::Reader;
pub use writer::Writer;

/// One file or directory of an image, borrowed from the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry<'a> {
    /// Path inside the image, without a leading `/` (for example `bin/init`).
    pub name: &'a str,
    /// File type and permission bits, as in `st_mode` (for example `0o100755`).
    pub mode: u32,
    /// The file's contents (empty for a directory).
    pub data: &'a [u8],
}

impl Entry<'_> {
    /// Whether the entry is a directory.
    pub fn is_dir(&self) -> bool {
        self.mode & newc::S_IFMT == newc::S_IFDIR
    }

    /// Whether the entry is a regular file.
    pub fn is_file(&self) -> bool {
        self.mode & newc::S_IFMT == newc::S_IFREG
    }
}

/// Why an image could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InitrdError {
    /// An entry does not start with the newc magic `070701`: not a newc cpio archive.
    BadMagic,
    /// The image ends inside an entry, or before its `TRAILER!!!` entry.
    Truncated,
    /// A header holds something other than hexadecimal digits, or a malformed name.
    BadHeader,
}

impl core::fmt::Display for InitrdError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            InitrdError::BadMagic => "initrd: not a cpio newc archive (bad magic)",
            InitrdError::Truncated => "initrd: image truncated",
            InitrdError::BadHeader => "initrd: malformed entry header",
        })
    }
}

impl core::error::Error for InitrdError {}
