//! Layout of the cpio "newc" format shared by the reader and the writer.

/// Magic of the "newc" format.
pub const MAGIC: &[u8; 6] = b"070701";
/// Magic of the "crc" format: the same layout plus a checksum, which the reader ignores.
pub const MAGIC_CRC: &[u8; 6] = b"070702";
/// Length of an entry header: the magic and 13 fields of 8 hexadecimal digits.
pub const HEADER_LEN: usize = 6 + FIELDS * FIELD_LEN;
/// Number of fields after the magic.
pub const FIELDS: usize = 13;
/// Length of one field in hexadecimal digits.
pub const FIELD_LEN: usize = 8;
/// Name of the entry that ends an archive.
pub const TRAILER: &str = "TRAILER!!!";

/// Index of the inode number field.
pub const F_INO: usize = 0;
/// Index of the mode field.
pub const F_MODE: usize = 1;
/// Index of the link count field.
pub const F_NLINK: usize = 4;
/// Index of the file size field.
pub const F_FILESIZE: usize = 6;
/// Index of the name size field (the name's length including its NUL).
pub const F_NAMESIZE: usize = 11;

/// Mask of the file type bits of a mode.
pub const S_IFMT: u32 = 0o170_000;
/// File type of a directory.
pub const S_IFDIR: u32 = 0o040_000;
/// File type of a regular file.
pub const S_IFREG: u32 = 0o100_000;

/// Rounds `offset` up to the next multiple of 4, or `None` on overflow.
pub fn align4(offset: usize) -> Option<usize> {
    Some(offset.checked_add(3)? & !3)
}

/// Parses 8 hexadecimal digits (either case).
pub fn parse_hex(digits: &[u8]) -> Option<u32> {
    if digits.len() != FIELD_LEN {
        return None;
    }
    digits.iter().try_fold(0u32, |value, &digit| {
        let nibble = char::from(digit).to_digit(16)?;
        Some((value << 4) | nibble)
    })
}

/// Drops leading `/` and `./` from a path: `/bin/init` and `./bin/init` become `bin/init`.
pub fn normalize(name: &str) -> &str {
    let mut name = name;
    loop {
        if let Some(rest) = name.strip_prefix('/') {
            name = rest;
        } else if let Some(rest) = name.strip_prefix("./") {
            name = rest;
        } else {
            return name;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_is_110_bytes() {
        assert_eq!(HEADER_LEN, 110);
    }

    #[test]
    fn align4_rounds_up() {
        assert_eq!(align4(0), Some(0));
        assert_eq!(align4(1), Some(4));
        assert_eq!(align4(4), Some(4));
        assert_eq!(align4(113), Some(116));
        assert_eq!(align4(usize::MAX), None);
    }

    #[test]
    fn parse_hex_accepts_both_cases_and_rejects_junk() {
        assert_eq!(parse_hex(b"000081ED"), Some(0o100_755));
        assert_eq!(parse_hex(b"000081ed"), Some(0o100_755));
        assert_eq!(parse_hex(b"FFFFFFFF"), Some(u32::MAX));
        assert_eq!(parse_hex(b"0000 1ED"), None);
        assert_eq!(parse_hex(b"+0000001"), None);
        assert_eq!(parse_hex(b"0000001"), None);
    }

    #[test]
    fn normalize_strips_leading_slashes_and_dots() {
        assert_eq!(normalize("/bin/init"), "bin/init");
        assert_eq!(normalize("bin/init"), "bin/init");
        assert_eq!(normalize("./bin/init"), "bin/init");
        assert_eq!(normalize("//.//bin"), "bin");
        assert_eq!(normalize("."), ".");
        assert_eq!(normalize("/"), "");
    }
}
