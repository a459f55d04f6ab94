//! `bench_fs <benchmark> [--smoke]`: files (`cargo xtask bench`; docs/benchmarks.md
//! explains each number). Everything happens under `/tmp` and is removed afterwards.
//!
//! - `file_write_4k`: create a file, write 4 KiB, close it, unlink it; time per cycle.
//! - `file_create_delete`: create 1000 empty files in a directory (open with `O_CREAT` +
//!   close), then unlink them all; prints `file_create` and `file_delete`, time per file.
//! - `seq_io`: write a 64 MiB file in 64 KiB writes and `fsync` it (`seq_write`), then read
//!   it back at once (`seq_read`, from whatever the kernel keeps in memory), and again after
//!   dropping the kernel's caches (`seq_read_cold`, skipped while the kernel offers no
//!   `/proc/sys/vm/drop_caches`). If the file system fills up before 64 MiB, the file is as
//!   big as it could grow and the lines say so with `bytes=` and `note=`.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use ulib::Errno;
use ulib::abi::fs::{O_CLOEXEC, O_CREAT, O_RDONLY, O_TRUNC, O_WRONLY};
use ulib::bench::{self, Bench, Context, Failure, Line, Timing};
use ulib::fs;

ulib::entry!(main);

/// Most cycles in one batch.
const MAX_CYCLES: u64 = 1 << 16;
/// The file of `file_write_4k`.
const SMALL_FILE: &str = "/tmp/bench_file";
/// The directory of `file_create_delete`.
const FILES_DIR: &str = "/tmp/bench_files";
/// The file of `seq_io`.
const BIG_FILE: &str = "/tmp/bigfile";
/// Bytes per `write` and `read` of `seq_io`.
const CHUNK: usize = 64 * 1024;
/// Writing a cache-drop request here makes Linux forget its cached file data.
const DROP_CACHES: &str = "/proc/sys/vm/drop_caches";
/// What the files are filled with.
const FILL: u8 = 0x6c;

fn main() -> i32 {
    bench::main(&[
        ("file_write_4k", file_write_4k),
        ("file_create_delete", file_create_delete),
        ("seq_io", seq_io),
    ])
}

/// Opens `path` for writing, creating it or cutting it to nothing.
fn create(path: &str) -> Result<i32, Failure> {
    fs::open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        .context(&format!("create {path}"))
}

fn file_write_4k(bench: &Bench) -> Result<(), Failure> {
    let data = [FILL; 4096];
    let timing = bench.measure(MAX_CYCLES, |ops| {
        bench::timed(|| {
            for _ in 0..ops {
                let fd = create(SMALL_FILE)?;
                fs::write_all(fd, &data).context("write")?;
                fs::close(fd).context("close")?;
                fs::unlink(SMALL_FILE).context("unlink")?;
            }
            Ok(())
        })
    })?;
    Line::new("file_write_4k").timing(&timing).print();
    Ok(())
}

fn file_create_delete(bench: &Bench) -> Result<(), Failure> {
    let count = bench.pick(1000, 10);
    match fs::remove_tree(FILES_DIR) {
        Ok(()) | Err(Errno::ENOENT) => {}
        Err(error) => return Err(Failure::from(error)),
    }
    fs::mkdir(FILES_DIR, 0o755).context("mkdir")?;
    let names: Vec<String> = (0..count).map(|i| format!("{FILES_DIR}/f{i:05}")).collect();
    let mut deletes = Vec::new();
    let creates = bench.repeat(count as u64, || {
        let created = bench::timed(|| {
            for name in &names {
                let fd = create(name)?;
                fs::close(fd).context("close")?;
            }
            Ok(())
        })?;
        deletes.push(bench::timed(|| {
            for name in &names {
                fs::unlink(name).context("unlink")?;
            }
            Ok(())
        })?);
        Ok(created)
    })?;
    fs::rmdir(FILES_DIR).context("rmdir")?;
    let deletes = Timing {
        ops: count as u64,
        runs: deletes,
    };
    Line::new("file_create").timing(&creates).print();
    Line::new("file_delete").timing(&deletes).print();
    Ok(())
}

/// Writes `size` bytes of [`FILL`] to a new [`BIG_FILE`] in `chunk`-sized writes, fsyncs
/// and closes it. Returns the bytes written: fewer than `size` only when the file system
/// is full (ENOSPC) or the file at its largest (EFBIG).
fn write_big_file(size: usize, chunk: &[u8]) -> Result<usize, Failure> {
    let fd = create(BIG_FILE)?;
    let mut written = 0;
    while written < size {
        let want = chunk.len().min(size - written);
        match fs::write(fd, &chunk[..want]) {
            Ok(0) => return Err(Failure::new("write wrote nothing")),
            Ok(count) => written += count,
            Err(Errno::ENOSPC | Errno::EFBIG) => break,
            Err(error) => return Err(Failure::new(format!("write: {error}"))),
        }
    }
    fs::fsync(fd).context("fsync")?;
    fs::close(fd).context("close")?;
    Ok(written)
}

/// Reads [`BIG_FILE`] to its end in `buf`-sized reads and checks it holds `size` bytes of
/// [`FILL`].
fn read_big_file(size: usize, buf: &mut [u8]) -> Result<(), Failure> {
    let fd = fs::open(BIG_FILE, O_RDONLY | O_CLOEXEC, 0).context("open")?;
    let mut total = 0;
    loop {
        match fs::read(fd, buf).context("read")? {
            0 => break,
            count => {
                if buf[0] != FILL || buf[count - 1] != FILL {
                    return Err(Failure::new("the file read back holds other bytes"));
                }
                total += count;
            }
        }
    }
    fs::close(fd).context("close")?;
    if total != size {
        return Err(Failure::new(format!(
            "read back {total} bytes of a {size}-byte file"
        )));
    }
    Ok(())
}

/// Asks the kernel to write out and forget its cached file data, as Linux does on
/// `sync; echo 3 > /proc/sys/vm/drop_caches`.
fn drop_caches() -> Result<(), Errno> {
    fs::sync()?;
    let fd = fs::open(DROP_CACHES, O_WRONLY | O_CLOEXEC, 0)?;
    let written = fs::write_all(fd, b"3\n");
    fs::close(fd)?;
    written
}

fn seq_io(bench: &Bench) -> Result<(), Failure> {
    let wanted = bench.pick(64 << 20, 1 << 20);
    let chunk = alloc::vec![FILL; CHUNK];
    let mut buf = alloc::vec![0u8; CHUNK];
    // The first write also finds out how big the file can grow.
    let size = write_big_file(wanted, &chunk)? / CHUNK * CHUNK;
    if size == 0 {
        return Err(Failure::new(
            "the file system has no room for a 64 KiB file",
        ));
    }
    let note = (size < wanted).then(|| format!("file_system_full_after_{}_KiB", size / 1024));
    let writes = bench.repeat(1, || {
        let mut written = 0;
        let ns = bench::timed(|| {
            written = write_big_file(size, &chunk)?;
            Ok(())
        })?;
        if written < size {
            return Err(Failure::new(format!(
                "the file system took {written} of {size} bytes, less than before"
            )));
        }
        Ok(ns)
    })?;
    let reads = bench.repeat(1, || bench::timed(|| read_big_file(size, &mut buf)))?;
    let cold = match drop_caches() {
        Ok(()) => Ok(bench.repeat(1, || {
            drop_caches().context("drop caches")?;
            bench::timed(|| read_big_file(size, &mut buf))
        })?),
        Err(error) => Err(format!(
            "the kernel offers no way to drop its caches yet ({DROP_CACHES}: {})",
            error.name()
        )),
    };
    fs::unlink(BIG_FILE).context("unlink")?;
    let line = |name: &str, timing: &Timing| {
        let line = Line::new(name)
            .timing(timing)
            .rate(timing, size as u64)
            .field("bytes", size);
        match &note {
            Some(note) => line.field("note", note),
            None => line,
        }
        .print();
    };
    line("seq_write", &writes);
    line("seq_read", &reads);
    match &cold {
        Ok(timing) => line("seq_read_cold", timing),
        Err(why) => bench::skipped("seq_read_cold", why),
    }
    Ok(())
}
