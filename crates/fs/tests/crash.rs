//! Crash consistency (concept F3): a workload runs once on a device that records every
//! write and flush; then, for every point in that record, the disk is rebuilt as a power
//! cut there would leave it (the writes since the last flush persisted all, none, or a
//! random subset, in any order) and "rebooted". Every time, fsck must find the file system
//! clean, mount must succeed, and the tree must be the state after some prefix of the
//! operations that includes every operation a completed `sync` covered.

mod common;

use abi::fs::RENAME_EXCHANGE;
use common::*;
use fs::*;

/// One step of the scripted workload; paths are absolute, `/`-separated.
#[derive(Clone, Copy, Debug)]
enum Op {
    Create(&'static str),
    Mkdir(&'static str),
    Write(&'static str, u64, usize),
    Truncate(&'static str, u64),
    Symlink(&'static str, &'static str),
    Link(&'static str, &'static str),
    Unlink(&'static str),
    /// Unlink and keep the orphan open (released by `ReleaseOpen`, or by mount).
    UnlinkOpen(&'static str),
    ReleaseOpen,
    Rmdir(&'static str),
    Rename(&'static str, &'static str, u32),
    Chmod(&'static str, u32),
    Sync,
}

const SCRIPT: &[Op] = &[
    Op::Mkdir("/home"),
    Op::Create("/home/notes"),
    Op::Write("/home/notes", 0, 3000),
    Op::Sync,
    Op::Mkdir("/home/ann"),
    Op::Create("/home/ann/todo"),
    Op::Write("/home/ann/todo", 0, 4096),
    Op::Write("/home/ann/todo", 4096, 100),
    Op::Symlink("/home/ann/link", "/home/notes"),
    Op::Link("/home/notes", "/home/ann/notes2"),
    Op::Create("/tmp-file"),
    Op::Write("/tmp-file", 8000, 50),
    Op::Sync,
    Op::Rename("/home/notes", "/notes", 0),
    Op::Chmod("/notes", 0o600),
    Op::UnlinkOpen("/tmp-file"),
    Op::Write("/home/ann/todo", 100, 200),
    Op::Mkdir("/home/bob"),
    Op::Rename("/home/ann/todo", "/home/bob/todo", 0),
    Op::Rename("/home/bob", "/bob", 0),
    Op::Sync,
    Op::Create("/a"),
    Op::Create("/b"),
    Op::Write("/a", 0, 10),
    Op::Rename("/a", "/b", 0),
    Op::Rename("/b", "/bob/todo", RENAME_EXCHANGE),
    Op::Truncate("/b", 1000),
    Op::ReleaseOpen,
    Op::Unlink("/home/ann/notes2"),
    Op::Mkdir("/home/ann/empty"),
    Op::Rmdir("/home/ann/empty"),
    Op::Create("/home/ann/late"),
    Op::Write("/home/ann/late", 0, 5000),
    Op::UnlinkOpen("/home/ann/late"),
    Op::Sync,
    Op::Truncate("/notes", 10),
    Op::Write("/notes", 20_000, 30),
    Op::Rename("/bob", "/home/ann/bob", 0),
    Op::Unlink("/home/ann/link"),
];

/// The directory and name of `path`, with the directory looked up.
fn parent_and_name<D: BlockDevice>(
    fs: &mut FileSystem<D>,
    path: &'static str,
) -> Result<(Ino, &'static [u8]), FsError> {
    let (dir, name) = path.rsplit_once('/').unwrap();
    Ok((resolve(fs, dir)?, name.as_bytes()))
}

fn resolve<D: BlockDevice>(fs: &mut FileSystem<D>, path: &str) -> Result<Ino, FsError> {
    let mut ino = fs.root();
    for part in path.split('/').filter(|part| !part.is_empty()) {
        ino = fs.lookup(ino, part.as_bytes())?;
    }
    Ok(ino)
}

fn apply<D: BlockDevice>(
    fs: &mut FileSystem<D>,
    op: Op,
    open: &mut Vec<Ino>,
    now: Timestamp,
) -> Result<(), FsError> {
    let owner = ROOT_OWNER;
    match op {
        Op::Create(path) => {
            let (dir, name) = parent_and_name(fs, path)?;
            fs.create(dir, name, 0o644, owner, now)?;
        }
        Op::Mkdir(path) => {
            let (dir, name) = parent_and_name(fs, path)?;
            fs.mkdir(dir, name, 0o755, owner, now)?;
        }
        Op::Write(path, offset, len) => {
            let ino = resolve(fs, path)?;
            let data = Rng::new(offset ^ len as u64).bytes(len);
            assert_eq!(fs.write_at(ino, offset, &data, now)?, len);
        }
        Op::Truncate(path, size) => {
            let ino = resolve(fs, path)?;
            fs.truncate(ino, size, now)?;
        }
        Op::Symlink(path, target) => {
            let (dir, name) = parent_and_name(fs, path)?;
            fs.symlink(dir, name, target.as_bytes(), owner, now)?;
        }
        Op::Link(from, to) => {
            let ino = resolve(fs, from)?;
            let (dir, name) = parent_and_name(fs, to)?;
            fs.link(ino, dir, name, now)?;
        }
        Op::Unlink(path) => {
            let (dir, name) = parent_and_name(fs, path)?;
            if let Some(ino) = fs.unlink(dir, name, now)? {
                fs.release(ino)?;
            }
        }
        Op::UnlinkOpen(path) => {
            let (dir, name) = parent_and_name(fs, path)?;
            open.push(fs.unlink(dir, name, now)?.expect("the last link"));
        }
        Op::ReleaseOpen => fs.release(open.remove(0))?,
        Op::Rmdir(path) => {
            let (dir, name) = parent_and_name(fs, path)?;
            let ino = fs.rmdir(dir, name, now)?;
            fs.release(ino)?;
        }
        Op::Rename(from, to, flags) => {
            let (old_dir, old_name) = parent_and_name(fs, from)?;
            let (new_dir, new_name) = parent_and_name(fs, to)?;
            if let Some(ino) = fs.rename(old_dir, old_name, new_dir, new_name, flags, now)? {
                fs.release(ino)?;
            }
        }
        Op::Chmod(path, mode) => {
            let ino = resolve(fs, path)?;
            fs.set_attr(
                ino,
                &SetAttr {
                    mode: Some(mode),
                    ..SetAttr::default()
                },
                now,
            )?;
        }
        Op::Sync => fs.sync()?,
    }
    Ok(())
}

/// The recorded run: the log, the state after each operation, and for each operation the
/// log position where it started and where it ended.
struct Run {
    base: RamDisk,
    log: Vec<Event>,
    states: Vec<Snapshot>,
    starts: Vec<usize>,
    ends: Vec<usize>,
}

fn record(base: RamDisk, script: &[Op]) -> Run {
    let recorder = Recorder::new(base.clone());
    let log = recorder.log.clone();
    let mut fs = FileSystem::mount(recorder).unwrap();
    let mut open = Vec::new();
    let mut run = Run {
        base,
        log: Vec::new(),
        states: vec![snapshot(&mut fs)],
        starts: Vec::new(),
        ends: Vec::new(),
    };
    for (index, op) in script.iter().enumerate() {
        run.starts.push(log.borrow().len());
        apply(&mut fs, *op, &mut open, at(100 + index as i64)).unwrap();
        run.ends.push(log.borrow().len());
        run.states.push(snapshot(&mut fs));
    }
    fs.unmount().unwrap();
    run.log = log.borrow().clone();
    run
}

/// Rebuilds the disk for every cut and survivor policy and checks it.
fn check_every_cut(run: &Run, script: &[Op]) -> usize {
    let mut trials = 0;
    for cut in 0..=run.log.len() {
        for survivors in [
            Survivors::All,
            Survivors::None,
            Survivors::Random(7),
            Survivors::Random(99),
        ] {
            let mut disk = crashed_disk(&run.base, &run.log, cut, survivors);
            let report = fsck(&mut disk.clone(), false).unwrap();
            assert!(
                report.is_clean(),
                "cut {cut} {survivors:?}: before mount\n{report}"
            );
            let mut fs = FileSystem::mount(&mut disk)
                .unwrap_or_else(|error| panic!("cut {cut} {survivors:?}: mount failed: {error}"));
            let state = snapshot(&mut fs);
            // Operations whose sync completed before the cut must be there; operations
            // that had not started cannot be.
            let durable = (0..script.len())
                .filter(|&i| matches!(script[i], Op::Sync) && run.ends[i] <= cut)
                .map(|i| i + 1)
                .max()
                .unwrap_or(0);
            let started = run.starts.iter().filter(|&&start| start < cut).count();
            let matching: Vec<usize> = (durable..=started.max(durable))
                .filter(|&ops| run.states[ops] == state)
                .collect();
            assert!(
                !matching.is_empty(),
                "cut {cut} {survivors:?}: the state after no prefix of {durable}..={started} operations"
            );
            fs.unmount().unwrap();
            let report = fsck(&mut disk, false).unwrap();
            assert!(
                report.is_clean(),
                "cut {cut} {survivors:?}: after mount\n{report}"
            );
            trials += 1;
        }
    }
    trials
}

#[test]
fn a_power_cut_anywhere_leaves_a_prefix_of_the_operations() {
    let run = record(fresh_disk(400), SCRIPT);
    assert!(
        run.log.len() > 100,
        "the workload made {} events",
        run.log.len()
    );
    let trials = check_every_cut(&run, SCRIPT);
    assert_eq!(trials, 4 * (run.log.len() + 1));
}

#[test]
fn a_power_cut_anywhere_with_the_smallest_journal() {
    // 32 blocks per transaction: commits happen in the middle of the workload too.
    let run = record(fresh_disk_with(400, 64, MIN_JOURNAL_BLOCKS), SCRIPT);
    check_every_cut(&run, SCRIPT);
}

/// Recovery itself can be cut short: mount replays the journal and frees orphans, and a
/// power cut anywhere in that must leave a disk the next mount recovers to the same tree.
#[test]
fn a_power_cut_during_recovery_is_recovered_again() {
    let run = record(fresh_disk_with(400, 64, MIN_JOURNAL_BLOCKS), SCRIPT);
    let mut replays = 0;
    for cut in 0..=run.log.len() {
        let crashed = crashed_disk(&run.base, &run.log, cut, Survivors::All);
        let recorder = Recorder::new(crashed.clone());
        let log = recorder.log.clone();
        let mut fs = FileSystem::mount(recorder).unwrap();
        if fs.mount_report().replayed.is_none() && fs.mount_report().orphans_freed == 0 {
            continue;
        }
        replays += 1;
        let recovered = snapshot(&mut fs);
        drop(fs);
        let log = log.borrow().clone();
        for second_cut in 0..=log.len() {
            for survivors in [Survivors::All, Survivors::None, Survivors::Random(5)] {
                let mut disk = crashed_disk(&crashed, &log, second_cut, survivors);
                let report = fsck(&mut disk.clone(), false).unwrap();
                assert!(
                    report.is_clean(),
                    "cuts {cut}, {second_cut} {survivors:?}\n{report}"
                );
                let mut fs = FileSystem::mount(&mut disk).unwrap();
                assert_eq!(
                    snapshot(&mut fs),
                    recovered,
                    "cuts {cut}, {second_cut} {survivors:?}"
                );
                fs.unmount().unwrap();
                assert_clean(&mut disk);
            }
        }
    }
    assert!(replays > 10, "only {replays} cuts needed recovery");
}

/// A write, a truncate and a release that each take many transactions: a cut in the
/// middle leaves a consistent file system with a prefix of the write, a size between the
/// old and the new for the truncate, and the orphan either whole or freed.
#[test]
fn a_power_cut_in_the_middle_of_big_operations() {
    let base = fresh_disk_with(1024, 64, MIN_JOURNAL_BLOCKS);
    let recorder = Recorder::new(base.clone());
    let log = recorder.log.clone();
    let mut fs = FileSystem::mount(recorder).unwrap();
    let root = fs.root();
    let file = fs.create(root, b"big", 0o644, ROOT_OWNER, at(2)).unwrap();
    fs.sync().unwrap();
    let data = Rng::new(42).bytes(300 * BLOCK_SIZE + 17);
    let write_start = log.borrow().len();
    fs.write_at(file, 0, &data, at(3)).unwrap();
    fs.sync().unwrap();
    let truncate_start = log.borrow().len();
    fs.truncate(file, 20 * BLOCK + 5, at(4)).unwrap();
    fs.sync().unwrap();
    let unlink_start = log.borrow().len();
    let orphan = fs.unlink(root, b"big", at(5)).unwrap().unwrap();
    fs.release(orphan).unwrap();
    fs.sync().unwrap();
    let end = log.borrow().len();
    drop(fs);
    let log = log.borrow().clone();
    assert!(
        end - write_start > 300,
        "the write took {} events",
        truncate_start - write_start
    );

    for cut in write_start..=end {
        for survivors in [Survivors::All, Survivors::None, Survivors::Random(3)] {
            let mut disk = crashed_disk(&base, &log, cut, survivors);
            let report = fsck(&mut disk.clone(), false).unwrap();
            assert!(report.is_clean(), "cut {cut} {survivors:?}\n{report}");
            let mut fs = FileSystem::mount(&mut disk).unwrap();
            let found = fs.lookup(root, b"big");
            let (low, high) = if cut < truncate_start {
                (0, data.len() as u64)
            } else if cut < unlink_start {
                (20 * BLOCK + 5, data.len() as u64)
            } else {
                (20 * BLOCK + 5, 20 * BLOCK + 5)
            };
            match found {
                Ok(ino) => {
                    let size = fs.stat(ino).unwrap().size;
                    assert!((low..=high).contains(&size), "cut {cut}: size {size}");
                    let mut contents = vec![0; size as usize];
                    fs.read_at(ino, 0, &mut contents).unwrap();
                    assert!(contents == data[..size as usize], "cut {cut}: not a prefix");
                }
                Err(error) => {
                    assert_eq!(error, FsError::NotFound);
                    assert!(cut > unlink_start, "cut {cut}: the file vanished too early");
                }
            }
            fs.unmount().unwrap();
            assert_clean(&mut disk);
        }
    }
}

/// A device whose writes fail from the `n`th on: the file system reports `Io`, refuses
/// further changes, never panics, and what reached the disk is consistent.
struct FailingDisk {
    disk: RamDisk,
    writes_left: usize,
}

impl BlockDevice for FailingDisk {
    fn block_count(&self) -> u64 {
        self.disk.block_count()
    }
    fn read_block(&mut self, block: u64, buf: &mut Block) -> Result<(), IoError> {
        self.disk.read_block(block, buf)
    }
    fn write_block(&mut self, block: u64, buf: &Block) -> Result<(), IoError> {
        if self.writes_left == 0 {
            return Err(IoError);
        }
        self.writes_left -= 1;
        self.disk.write_block(block, buf)
    }
    fn flush(&mut self) -> Result<(), IoError> {
        Ok(())
    }
}

#[test]
fn write_errors_are_reported_and_leave_a_consistent_disk() {
    let base = fresh_disk(400);
    for writes in (0..400).step_by(3) {
        let mut device = FailingDisk {
            disk: base.clone(),
            writes_left: writes,
        };
        match FileSystem::mount(&mut device) {
            Err(error) => assert_eq!(error, FsError::Io),
            Ok(mut fs) => {
                let mut failed = false;
                let mut open = Vec::new();
                for (index, op) in SCRIPT.iter().enumerate() {
                    if let Err(error) = apply(&mut fs, *op, &mut open, at(index as i64)) {
                        assert_eq!(error, FsError::Io, "{writes} writes, {op:?}");
                        failed = true;
                        break;
                    }
                }
                if failed {
                    let root = fs.root();
                    assert_eq!(
                        fs.mkdir(root, b"after", 0o755, ROOT_OWNER, at(9)),
                        Err(FsError::Io)
                    );
                    assert_eq!(fs.sync(), Err(FsError::Io));
                    assert!(fs.unmount().is_err());
                } else if let Err(error) = fs.unmount() {
                    assert_eq!(error, FsError::Io, "{writes} writes");
                }
            }
        }
        let mut disk = device.disk;
        let report = fsck(&mut disk.clone(), false).unwrap();
        assert!(report.is_clean(), "{writes} writes\n{report}");
        FileSystem::mount(&mut disk).unwrap().unmount().unwrap();
        assert_clean(&mut disk);
    }
}
