//! Building an image in memory, as `cargo xtask` does on the host.

use alloc::vec::Vec;

use crate::newc::{
    F_FILESIZE, F_INO, F_MODE, F_NAMESIZE, F_NLINK, FIELDS, MAGIC, S_IFDIR, S_IFMT, S_IFREG,
    TRAILER, align4, normalize,
};

/// Builds an image entry by entry; [`Writer::finish`] adds the trailer and returns it.
///
/// Entries are written in the order they are added, owned by uid 0 and gid 0, with
/// modification time 0, so the same inputs always give the same bytes. Add a directory
/// before the files in it, as the Linux kernel's unpacker needs it.
#[derive(Debug)]
pub struct Writer {
    image: Vec<u8>,
    next_ino: u32,
}

impl Default for Writer {
    fn default() -> Self {
        Writer::new()
    }
}

impl Writer {
    /// Starts an empty image.
    pub fn new() -> Self {
        Writer {
            image: Vec::new(),
            next_ino: 1,
        }
    }

    /// Adds a regular file. A leading `/` of `name` is dropped; if `mode` has no file type
    /// bits, the regular file type is added (`0o755` becomes `0o100755`).
    ///
    /// # Panics
    ///
    /// If `name` is empty (after dropping a leading `/`), contains a NUL byte or is
    /// `TRAILER!!!`, if `mode` has a file type other than a regular file, or if `data` is
    /// 4 GiB or more.
    pub fn add_file(&mut self, name: &str, mode: u32, data: &[u8]) {
        let mode = with_type(mode, S_IFREG);
        self.add_entry(name, mode, 1, data);
    }

    /// Adds a directory. A leading `/` of `name` is dropped; if `mode` has no file type
    /// bits, the directory type is added (`0o755` becomes `0o40755`).
    ///
    /// # Panics
    ///
    /// If `name` is empty (after dropping a leading `/`), contains a NUL byte or is
    /// `TRAILER!!!`, or if `mode` has a file type other than a directory.
    pub fn add_dir(&mut self, name: &str, mode: u32) {
        let mode = with_type(mode, S_IFDIR);
        self.add_entry(name, mode, 2, &[]);
    }

    /// Ends the archive with its trailer and returns the image.
    pub fn finish(mut self) -> Vec<u8> {
        self.push_entry(TRAILER, 0, 0, 1, &[]);
        self.image
    }

    fn add_entry(&mut self, name: &str, mode: u32, nlink: u32, data: &[u8]) {
        let name = normalize(name);
        assert!(!name.is_empty(), "initrd: empty entry name");
        assert!(!name.contains('\0'), "initrd: NUL in entry name {name:?}");
        assert!(name != TRAILER, "initrd: entry name {TRAILER} is reserved");
        let ino = self.next_ino;
        self.next_ino += 1;
        self.push_entry(name, ino, mode, nlink, data);
    }

    fn push_entry(&mut self, name: &str, ino: u32, mode: u32, nlink: u32, data: &[u8]) {
        let file_size = u32::try_from(data.len()).expect("initrd: file of 4 GiB or more");
        let name_size = u32::try_from(name.len() + 1).expect("initrd: entry name too long");
        let mut fields = [0u32; FIELDS];
        fields[F_INO] = ino;
        fields[F_MODE] = mode;
        fields[F_NLINK] = nlink;
        fields[F_FILESIZE] = file_size;
        fields[F_NAMESIZE] = name_size;

        self.image.extend_from_slice(MAGIC);
        for value in fields {
            push_hex(&mut self.image, value);
        }
        self.image.extend_from_slice(name.as_bytes());
        self.image.push(0);
        self.pad();
        self.image.extend_from_slice(data);
        self.pad();
    }

    /// Pads the image with zeros to a multiple of 4 bytes.
    fn pad(&mut self) {
        let end = align4(self.image.len()).expect("initrd: image too large");
        self.image.resize(end, 0);
    }
}

/// Gives `mode` the file type `kind` if it has none; panics if it has another one.
fn with_type(mode: u32, kind: u32) -> u32 {
    match mode & S_IFMT {
        0 => mode | kind,
        t if t == kind => mode,
        _ => panic!("initrd: mode {mode:#o} has the wrong file type for this entry"),
    }
}

/// Appends `value` as 8 upper-case hexadecimal digits, as GNU cpio writes them.
fn push_hex(out: &mut Vec<u8>, value: u32) {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    for shift in (0..8).rev() {
        let nibble = (value >> (shift * 4)) & 0xF;
        out.push(DIGITS[nibble as usize]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_hex_writes_eight_upper_case_digits() {
        let mut out = Vec::new();
        push_hex(&mut out, 0o100_755);
        push_hex(&mut out, 0);
        push_hex(&mut out, u32::MAX);
        assert_eq!(out, b"000081ED00000000FFFFFFFF");
    }

    #[test]
    fn with_type_adds_missing_type_bits() {
        assert_eq!(with_type(0o755, S_IFREG), 0o100_755);
        assert_eq!(with_type(0o100_644, S_IFREG), 0o100_644);
        assert_eq!(with_type(0o755, S_IFDIR), 0o040_755);
    }

    #[test]
    #[should_panic(expected = "wrong file type")]
    fn with_type_rejects_a_directory_mode_for_a_file() {
        with_type(0o040_755, S_IFREG);
    }

    #[test]
    fn empty_archive_is_just_the_trailer() {
        let image = Writer::new().finish();
        assert_eq!(image.len(), 124); // 110 + "TRAILER!!!\0" = 121, padded to 124
        assert!(image.starts_with(MAGIC));
        assert_eq!(&image[110..121], b"TRAILER!!!\0");
    }
}
