//! Tests of the public API: round trips, damaged images, and compatibility with GNU cpio.
#![forbid(unsafe_code)]

use initrd::{Entry, InitrdError, Reader, Writer};

/// An image with a directory tree, an empty file and files of every length modulo 4.
fn sample() -> Vec<u8> {
    let mut writer = Writer::new();
    writer.add_dir("bin", 0o040_755);
    writer.add_dir("/etc", 0o755);
    writer.add_file("bin/init", 0o100_755, b"\x7fELF init");
    writer.add_file("/bin/sh", 0o755, b"ab");
    writer.add_file("etc/empty", 0o100_644, b"");
    writer.add_file("etc/one", 0o644, b"1");
    writer.add_file("etc/three", 0o644, b"333");
    writer.add_file("etc/four", 0o644, b"4444");
    writer.add_file("etc/tests", 0o644, b"hello exit=0\n");
    writer.finish()
}

fn entries(image: &[u8]) -> Vec<Entry<'_>> {
    Reader::new(image)
        .collect::<Result<_, _>>()
        .expect("valid image")
}

#[test]
fn round_trip_keeps_names_modes_and_data() {
    let image = sample();
    assert_eq!(image.len() % 4, 0);
    let got: Vec<(&str, u32, &[u8])> = entries(&image)
        .iter()
        .map(|e| (e.name, e.mode, e.data))
        .collect();
    let want: Vec<(&str, u32, &[u8])> = vec![
        ("bin", 0o040_755, b""),
        ("etc", 0o040_755, b""),
        ("bin/init", 0o100_755, b"\x7fELF init"),
        ("bin/sh", 0o100_755, b"ab"),
        ("etc/empty", 0o100_644, b""),
        ("etc/one", 0o100_644, b"1"),
        ("etc/three", 0o100_644, b"333"),
        ("etc/four", 0o100_644, b"4444"),
        ("etc/tests", 0o100_644, b"hello exit=0\n"),
    ];
    assert_eq!(got, want);
}

#[test]
fn entry_kinds() {
    let image = sample();
    let reader = Reader::new(&image);
    let bin = reader.find("bin").unwrap();
    assert!(bin.is_dir() && !bin.is_file());
    let init = reader.find("bin/init").unwrap();
    assert!(init.is_file() && !init.is_dir());
}

#[test]
fn find_accepts_absolute_and_relative_names() {
    let image = sample();
    let reader = Reader::new(&image);
    assert_eq!(reader.find("/bin/init").unwrap().data, b"\x7fELF init");
    assert_eq!(reader.find("bin/init").unwrap().data, b"\x7fELF init");
    assert_eq!(reader.find("/etc/empty").unwrap().data, b"");
    assert!(reader.find("/bin/missing").is_none());
    assert!(reader.find("TRAILER!!!").is_none());
}

#[test]
fn find_searches_from_the_start_even_after_iterating() {
    let image = sample();
    let mut reader = Reader::new(&image);
    for _ in reader.by_ref() {}
    assert!(reader.next().is_none());
    assert!(reader.find("bin").is_some());
}

#[test]
fn empty_archive_has_no_entries() {
    let image = Writer::new().finish();
    assert_eq!(Reader::new(&image).count(), 0);
}

#[test]
fn output_is_deterministic() {
    assert_eq!(sample(), sample());
}

#[test]
fn empty_input_is_truncated() {
    let mut reader = Reader::new(&[]);
    assert_eq!(reader.next(), Some(Err(InitrdError::Truncated)));
    assert_eq!(reader.next(), None);
}

#[test]
fn missing_trailer_is_truncated() {
    let image = sample();
    // Cut right before the trailer's header: every entry reads, then the end is early.
    let cut = image.len() - 124;
    let results: Vec<_> = Reader::new(&image[..cut]).collect();
    assert_eq!(results.len(), 10);
    assert!(results[..9].iter().all(Result::is_ok));
    assert_eq!(results[9], Err(InitrdError::Truncated));
}

#[test]
fn truncated_data_is_an_error() {
    let image = sample();
    // The first file's data begins after two directories (116 bytes each) and its header.
    let cut = 2 * 116 + 110 + "bin/init\0".len() + 3;
    let results: Vec<_> = Reader::new(&image[..cut]).collect();
    assert_eq!(results.len(), 3);
    assert_eq!(results[2], Err(InitrdError::Truncated));
}

#[test]
fn corrupted_magic_is_an_error() {
    let mut image = sample();
    image[0] = b'1';
    let mut reader = Reader::new(&image);
    assert_eq!(reader.next(), Some(Err(InitrdError::BadMagic)));
    assert_eq!(reader.next(), None);
    assert!(Reader::new(&image).find("bin/init").is_none());
}

#[test]
fn corrupted_magic_of_a_later_entry_is_an_error() {
    let mut image = sample();
    image[116 + 3] = b'9';
    let results: Vec<_> = Reader::new(&image).collect();
    assert_eq!(results.len(), 2);
    assert_eq!(results[1], Err(InitrdError::BadMagic));
}

#[test]
fn non_hex_header_field_is_an_error() {
    let mut image = sample();
    image[6 + 8 + 2] = b'G'; // inside the mode field of the first entry
    assert_eq!(
        Reader::new(&image).next(),
        Some(Err(InitrdError::BadHeader))
    );
}

#[test]
fn name_without_nul_is_an_error() {
    let mut image = sample();
    image[110 + 3] = b'x'; // the NUL after "bin"
    assert_eq!(
        Reader::new(&image).next(),
        Some(Err(InitrdError::BadHeader))
    );
}

#[test]
fn huge_sizes_are_truncated_not_panics() {
    let mut image = sample();
    // filesize of the third entry ("bin/init") set to 0xFFFFFFFF.
    let filesize = 2 * 116 + 6 + 6 * 8;
    image[filesize..filesize + 8].copy_from_slice(b"FFFFFFFF");
    let results: Vec<_> = Reader::new(&image).collect();
    assert_eq!(results.last(), Some(&Err(InitrdError::Truncated)));
    // namesize of the first entry set to 0xFFFFFFFF.
    let mut image = sample();
    let namesize = 6 + 11 * 8;
    image[namesize..namesize + 8].copy_from_slice(b"FFFFFFFF");
    assert_eq!(
        Reader::new(&image).next(),
        Some(Err(InitrdError::Truncated))
    );
}

#[test]
fn every_prefix_reads_without_panicking_and_fails_cleanly() {
    let image = sample();
    let full = entries(&image).len();
    for len in 0..image.len() {
        let prefix = &image[..len];
        let results: Vec<_> = Reader::new(prefix).collect();
        assert!(results.len() <= full + 1, "prefix {len}");
        // Only the trailer's padding may be missing for the archive to still read whole.
        if len < image.len() - 3 {
            assert!(
                matches!(results.last(), Some(Err(_))),
                "prefix of {len} bytes read as a whole archive"
            );
        }
        let _ = Reader::new(prefix).find("etc/tests");
    }
}

#[test]
fn every_single_byte_corruption_reads_without_panicking() {
    let image = sample();
    for at in 0..image.len() {
        for byte in [0u8, b'0', b'F', b'/', 0xFF] {
            let mut damaged = image.clone();
            damaged[at] = byte;
            let count = Reader::new(&damaged).take(100).count();
            assert!(count <= 100);
            let _ = Reader::new(&damaged).find("bin/init");
        }
    }
}

/// A newc archive written by GNU cpio 2.13: `cpio -o -H newc --owner 0:0 --reproducible`
/// of `bin/` (0755), `bin/hi` (0755, "hi\n") and `etc/` (0755), `etc/empty` (0644, empty),
/// padded by cpio to a 512-byte block.
const GNU_NEWC: &str = concat!(
    "07070100000000000041ED0000000000000000000000026553F1000000000000000000000000",
    "0000000000000000000000000400000000bin\0\0\0",
    "07070100000001000081ED0000000000000000000000016553F1000000000300000000000000",
    "0000000000000000000000000700000000bin/hi\0\0\0\0hi\n\0",
    "07070100000002000041ED0000000000000000000000026553F1000000000000000000000000",
    "0000000000000000000000000400000000etc\0\0\0",
    "07070100000003000081A40000000000000000000000016553F1000000000000000000000000",
    "0000000000000000000000000A00000000etc/empty\0",
    "0707010000000000000000000000000000000000000001000000000000000000000000000000",
    "0000000000000000000000000B00000000TRAILER!!!\0\0\0\0",
);

#[test]
fn reads_an_archive_written_by_gnu_cpio() {
    let mut image = GNU_NEWC.as_bytes().to_vec();
    image.resize(1024, 0);
    let got: Vec<(&str, u32, &[u8])> = entries(&image)
        .iter()
        .map(|e| (e.name, e.mode, e.data))
        .collect();
    let want: Vec<(&str, u32, &[u8])> = vec![
        ("bin", 0o040_755, b""),
        ("bin/hi", 0o100_755, b"hi\n"),
        ("etc", 0o040_755, b""),
        ("etc/empty", 0o100_644, b""),
    ];
    assert_eq!(got, want);
}

fn hex_field(digits: &[u8]) -> usize {
    usize::from_str_radix(std::str::from_utf8(digits).unwrap(), 16).unwrap()
}

#[test]
fn writer_matches_gnu_cpio_layout() {
    // The same tree through Writer differs from GNU's bytes only in inode numbers and
    // modification times, so compare everything else field by field.
    let mut writer = Writer::new();
    writer.add_dir("bin", 0o755);
    writer.add_file("bin/hi", 0o755, b"hi\n");
    writer.add_dir("etc", 0o755);
    writer.add_file("etc/empty", 0o644, b"");
    let ours = writer.finish();
    let gnu = GNU_NEWC.as_bytes();
    assert_eq!(ours.len(), gnu.len());
    let (ino, mtime) = (6..14, 46..54);
    let mut at = 0;
    while at < ours.len() {
        let name_size = hex_field(&ours[at + 94..at + 102]);
        let file_size = hex_field(&ours[at + 54..at + 62]);
        let end = (((at + 110 + name_size + 3) & !3) + file_size + 3) & !3;
        for offset in at..end {
            let in_header = offset - at;
            if ino.contains(&in_header) || mtime.contains(&in_header) {
                continue;
            }
            assert_eq!(ours[offset], gnu[offset], "byte {offset}");
        }
        at = end;
    }
}

/// Lists `image` with GNU `cpio -t`, or returns `None` when cpio is not installed.
fn cpio_list(image: &[u8]) -> Option<String> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = match Command::new("cpio")
        .args(["-t", "--quiet"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(_) => return None,
    };
    child.stdin.take().unwrap().write_all(image).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "cpio -t rejected the image: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Some(String::from_utf8(output.stdout).unwrap())
}

#[test]
fn gnu_cpio_lists_writer_output() {
    let Some(listing) = cpio_list(&sample()) else {
        println!("note: GNU cpio is not installed; skipping the `cpio -t` check");
        return;
    };
    let names: Vec<&str> = listing.lines().collect();
    assert_eq!(
        names,
        [
            "bin",
            "etc",
            "bin/init",
            "bin/sh",
            "etc/empty",
            "etc/one",
            "etc/three",
            "etc/four",
            "etc/tests",
        ]
    );
}
