//! Model-based randomized test: thousands of random operations run against the file system
//! and against a plain in-memory model of what POSIX says they do; every result, every
//! error and, regularly, the whole tree must agree. The runs are reproducible (fixed
//! seeds); remounts and fsck checks are mixed in.

mod common;

use std::collections::{BTreeMap, HashMap};

use abi::fs::{RENAME_EXCHANGE, RENAME_NOREPLACE};
use common::*;
use fs::*;

#[derive(Clone, Debug)]
enum Kind {
    File(Vec<u8>),
    Dir {
        entries: BTreeMap<Vec<u8>, Ino>,
        parent: Ino,
    },
    Symlink(Vec<u8>),
}

#[derive(Clone, Debug)]
struct MNode {
    kind: Kind,
    mode: u32,
    /// Links of a file (directories' links are counted from the tree).
    nlink: u32,
}

/// What the file system should hold.
struct Model {
    nodes: HashMap<Ino, MNode>,
    /// Unlinked inodes the "kernel" keeps open: still readable and writable.
    open: Vec<Ino>,
}

type Outcome<T> = Result<T, FsError>;

impl Model {
    fn new(lost_and_found: Ino) -> Model {
        let dir = |entries, parent, mode| MNode {
            kind: Kind::Dir { entries, parent },
            mode,
            nlink: 0,
        };
        let mut nodes = HashMap::new();
        nodes.insert(
            ROOT,
            dir(
                BTreeMap::from([(b"lost+found".to_vec(), lost_and_found)]),
                ROOT,
                0o755,
            ),
        );
        nodes.insert(lost_and_found, dir(BTreeMap::new(), ROOT, 0o700));
        Model {
            nodes,
            open: Vec::new(),
        }
    }

    fn entries(&self, dir: Ino) -> &BTreeMap<Vec<u8>, Ino> {
        match &self.nodes[&dir].kind {
            Kind::Dir { entries, .. } => entries,
            _ => panic!("{dir} is not a directory"),
        }
    }

    fn entries_mut(&mut self, dir: Ino) -> &mut BTreeMap<Vec<u8>, Ino> {
        match &mut self.nodes.get_mut(&dir).unwrap().kind {
            Kind::Dir { entries, .. } => entries,
            _ => panic!("{dir} is not a directory"),
        }
    }

    fn is_dir(&self, ino: Ino) -> bool {
        matches!(self.nodes[&ino].kind, Kind::Dir { .. })
    }

    fn set_parent(&mut self, dir: Ino, new_parent: Ino) {
        if let Kind::Dir { parent, .. } = &mut self.nodes.get_mut(&dir).unwrap().kind {
            *parent = new_parent;
        }
    }

    fn parent(&self, dir: Ino) -> Ino {
        match self.nodes[&dir].kind {
            Kind::Dir { parent, .. } => parent,
            _ => panic!("{dir} is not a directory"),
        }
    }

    /// Whether directory `dir` is `ancestor` or below it.
    fn is_inside(&self, mut dir: Ino, ancestor: Ino) -> bool {
        loop {
            if dir == ancestor {
                return true;
            }
            if dir == ROOT {
                return false;
            }
            dir = self.parent(dir);
        }
    }

    /// Reachable directories, in a stable order.
    fn dirs(&self) -> Vec<Ino> {
        let mut dirs = vec![ROOT];
        let mut index = 0;
        while index < dirs.len() {
            let children: Vec<Ino> = self
                .entries(dirs[index])
                .values()
                .copied()
                .filter(|&i| self.is_dir(i))
                .collect();
            dirs.extend(children);
            index += 1;
        }
        dirs
    }

    /// Regular files, linked or open.
    fn files(&self) -> Vec<Ino> {
        let mut files: Vec<Ino> = self
            .nodes
            .iter()
            .filter(|(_, node)| matches!(node.kind, Kind::File(_)))
            .map(|(ino, _)| *ino)
            .collect();
        files.sort();
        files
    }

    fn data_mut(&mut self, ino: Ino) -> &mut Vec<u8> {
        match &mut self.nodes.get_mut(&ino).unwrap().kind {
            Kind::File(data) => data,
            _ => panic!("{ino} is not a file"),
        }
    }

    fn add(&mut self, dir: Ino, name: &[u8], ino: Ino, node: MNode) {
        self.entries_mut(dir).insert(name.to_vec(), ino);
        self.nodes.insert(ino, node);
    }

    fn create_outcome(&self, dir: Ino, name: &[u8]) -> Outcome<()> {
        if self.entries(dir).contains_key(name) {
            Err(FsError::Exists)
        } else {
            Ok(())
        }
    }

    /// Drops one link of `ino`; returns it if it became an orphan.
    fn drop_link(&mut self, ino: Ino) -> Option<Ino> {
        let node = self.nodes.get_mut(&ino).unwrap();
        node.nlink = if matches!(node.kind, Kind::Dir { .. }) {
            0
        } else {
            node.nlink - 1
        };
        (node.nlink == 0).then_some(ino)
    }

    fn unlink(&mut self, dir: Ino, name: &[u8]) -> Outcome<Option<Ino>> {
        let ino = *self.entries(dir).get(name).ok_or(FsError::NotFound)?;
        if self.is_dir(ino) {
            return Err(FsError::IsDir);
        }
        self.entries_mut(dir).remove(name);
        Ok(self.drop_link(ino))
    }

    fn rmdir(&mut self, dir: Ino, name: &[u8]) -> Outcome<Ino> {
        let ino = *self.entries(dir).get(name).ok_or(FsError::NotFound)?;
        if !self.is_dir(ino) {
            return Err(FsError::NotDir);
        }
        if !self.entries(ino).is_empty() {
            return Err(FsError::NotEmpty);
        }
        self.entries_mut(dir).remove(name);
        self.drop_link(ino);
        Ok(ino)
    }

    fn link(&mut self, ino: Ino, dir: Ino, name: &[u8]) -> Outcome<()> {
        if self.nodes[&ino].nlink == 0 {
            return Err(FsError::NotFound);
        }
        self.create_outcome(dir, name)?;
        self.entries_mut(dir).insert(name.to_vec(), ino);
        self.nodes.get_mut(&ino).unwrap().nlink += 1;
        Ok(())
    }

    fn rename(
        &mut self,
        od: Ino,
        on: &[u8],
        nd: Ino,
        nn: &[u8],
        flags: u32,
    ) -> Outcome<Option<Ino>> {
        let exchange = flags & RENAME_EXCHANGE != 0;
        let source = *self.entries(od).get(on).ok_or(FsError::NotFound)?;
        let target = self.entries(nd).get(nn).copied();
        match target {
            None if exchange => return Err(FsError::NotFound),
            Some(_) if flags & RENAME_NOREPLACE != 0 => return Err(FsError::Exists),
            _ => {}
        }
        if (od == nd && on == nn) || target == Some(source) {
            return Ok(None);
        }
        let source_is_dir = self.is_dir(source);
        if source_is_dir && od != nd && self.is_inside(nd, source) {
            return Err(FsError::Invalid);
        }
        match target {
            Some(target) if exchange => {
                if self.is_dir(target) && od != nd && self.is_inside(od, target) {
                    return Err(FsError::Invalid);
                }
                self.entries_mut(od).insert(on.to_vec(), target);
                self.entries_mut(nd).insert(nn.to_vec(), source);
                self.set_parent(target, od);
                self.set_parent(source, nd);
                Ok(None)
            }
            Some(target) => {
                let target_is_dir = self.is_dir(target);
                if source_is_dir && !target_is_dir {
                    return Err(FsError::NotDir);
                }
                if !source_is_dir && target_is_dir {
                    return Err(FsError::IsDir);
                }
                if target_is_dir && !self.entries(target).is_empty() {
                    return Err(FsError::NotEmpty);
                }
                self.entries_mut(od).remove(on);
                self.entries_mut(nd).insert(nn.to_vec(), source);
                self.set_parent(source, nd);
                Ok(self.drop_link(target))
            }
            None => {
                self.entries_mut(od).remove(on);
                self.entries_mut(nd).insert(nn.to_vec(), source);
                self.set_parent(source, nd);
                Ok(None)
            }
        }
    }

    fn snapshot(&self) -> Snapshot {
        let mut out = Snapshot::new();
        self.walk(ROOT, b"", &mut out);
        out
    }

    fn walk(&self, dir: Ino, path: &[u8], out: &mut Snapshot) {
        for (name, ino) in self.entries(dir) {
            let mut child = path.to_vec();
            child.push(b'/');
            child.extend_from_slice(name);
            let node = &self.nodes[ino];
            let entry = match &node.kind {
                Kind::File(data) => (
                    Node::File {
                        mode: node.mode,
                        data: data.clone(),
                    },
                    node.nlink,
                ),
                Kind::Symlink(target) => (
                    Node::Symlink {
                        target: target.clone(),
                    },
                    node.nlink,
                ),
                Kind::Dir { entries, .. } => {
                    self.walk(*ino, &child, out);
                    let subdirs = entries.values().filter(|&&i| self.is_dir(i)).count() as u32;
                    (Node::Dir { mode: node.mode }, 2 + subdirs)
                }
            };
            out.insert(child, entry);
        }
    }
}

const NAMES: [&[u8]; 7] = [
    b"a",
    b"b",
    b"c",
    b"dir",
    b"file.txt",
    b"x",
    b"a-rather-longer-name-for-the-entry",
];

fn same<T: PartialEq + std::fmt::Debug>(
    step: usize,
    what: &str,
    model: &Outcome<T>,
    fs: &Outcome<T>,
) {
    assert_eq!(model, fs, "step {step}: {what}");
}

fn run(seed: u64, steps: usize) {
    let mut rng = Rng::new(seed);
    let mut disk = fresh_disk(16384);
    let total_inodes = {
        let fs = FileSystem::mount(&mut disk).unwrap();
        fs.statfs().inodes
    };
    let mut fs = FileSystem::mount(&mut disk).unwrap();
    let lost = fs.lookup(ROOT, b"lost+found").unwrap();
    let mut model = Model::new(lost);
    let owner = Owner { uid: 1, gid: 2 };
    for step in 0..steps {
        let now = at(step as i64 + 10);
        let dirs = model.dirs();
        let files = model.files();
        let dir = *rng.pick(&dirs);
        let name = *rng.pick(&NAMES);
        match rng.below(100) {
            0..=14 => {
                let mode = 0o600 | rng.below(0o200) as u32;
                let expected = model.create_outcome(dir, name);
                let actual = fs.create(dir, name, mode, owner, now);
                same(step, "create", &expected, &actual.map(|_| ()));
                if let Ok(ino) = actual {
                    model.add(
                        dir,
                        name,
                        ino,
                        MNode {
                            kind: Kind::File(Vec::new()),
                            mode,
                            nlink: 1,
                        },
                    );
                }
            }
            15..=21 => {
                let expected = model.create_outcome(dir, name);
                let actual = fs.mkdir(dir, name, 0o750, owner, now);
                same(step, "mkdir", &expected, &actual.map(|_| ()));
                if let Ok(ino) = actual {
                    let kind = Kind::Dir {
                        entries: BTreeMap::new(),
                        parent: dir,
                    };
                    model.add(
                        dir,
                        name,
                        ino,
                        MNode {
                            kind,
                            mode: 0o750,
                            nlink: 2,
                        },
                    );
                }
            }
            22..=25 => {
                let len = 1 + rng.below(300) as usize;
                let target = rng.bytes(len);
                let target: Vec<u8> = target.into_iter().map(|b| b'a' + b % 26).collect();
                let expected = model.create_outcome(dir, name);
                let actual = fs.symlink(dir, name, &target, owner, now);
                same(step, "symlink", &expected, &actual.map(|_| ()));
                if let Ok(ino) = actual {
                    model.add(
                        dir,
                        name,
                        ino,
                        MNode {
                            kind: Kind::Symlink(target),
                            mode: 0o777,
                            nlink: 1,
                        },
                    );
                }
            }
            26..=30 if !files.is_empty() => {
                let ino = *rng.pick(&files);
                let expected = model.link(ino, dir, name);
                same(step, "link", &expected, &fs.link(ino, dir, name, now));
            }
            31..=40 => {
                let expected = model.unlink(dir, name);
                let actual = fs.unlink(dir, name, now);
                same(step, "unlink", &expected, &actual);
                if let Ok(Some(ino)) = actual {
                    release_or_keep(&mut rng, &mut model, &mut fs, ino, step);
                }
            }
            41..=44 => {
                let expected = model.rmdir(dir, name);
                let actual = fs.rmdir(dir, name, now);
                same(step, "rmdir", &expected, &actual);
                if let Ok(ino) = actual {
                    release_or_keep(&mut rng, &mut model, &mut fs, ino, step);
                }
            }
            45..=56 => {
                let new_dir = *rng.pick(&dirs);
                let new_name = *rng.pick(&NAMES);
                let flags = *rng.pick(&[0, 0, RENAME_NOREPLACE, RENAME_EXCHANGE]);
                let expected = model.rename(dir, name, new_dir, new_name, flags);
                let actual = fs.rename(dir, name, new_dir, new_name, flags, now);
                same(step, "rename", &expected, &actual);
                if let Ok(Some(ino)) = actual {
                    release_or_keep(&mut rng, &mut model, &mut fs, ino, step);
                }
            }
            57..=74 if !files.is_empty() => {
                let ino = *rng.pick(&files);
                let size = model.data_mut(ino).len() as u64;
                let offset = if rng.chance(1) {
                    (1036 + rng.below(200)) * BLOCK + rng.below(BLOCK)
                } else {
                    rng.below(size + 3 * BLOCK)
                };
                let len = 1 + rng.below(3 * BLOCK) as usize;
                let data = rng.bytes(len);
                assert_eq!(
                    fs.write_at(ino, offset, &data, now),
                    Ok(data.len()),
                    "step {step}: write"
                );
                let file = model.data_mut(ino);
                let end = offset as usize + data.len();
                if file.len() < end {
                    file.resize(end, 0);
                }
                file[offset as usize..end].copy_from_slice(&data);
            }
            75..=81 if !files.is_empty() => {
                let ino = *rng.pick(&files);
                let size = model.data_mut(ino).len() as u64;
                let new_size = rng.below(size * 2 + 5000);
                assert_eq!(
                    fs.truncate(ino, new_size, now),
                    Ok(()),
                    "step {step}: truncate"
                );
                model.data_mut(ino).resize(new_size as usize, 0);
            }
            82..=89 if !files.is_empty() => {
                let ino = *rng.pick(&files);
                let data = model.data_mut(ino);
                let offset = rng.below(data.len() as u64 + 100) as usize;
                let mut buf = vec![0xEE; rng.below(2 * BLOCK) as usize];
                let expected = data.len().saturating_sub(offset).min(buf.len());
                assert_eq!(
                    fs.read_at(ino, offset as u64, &mut buf),
                    Ok(expected),
                    "step {step}: read"
                );
                if expected > 0 {
                    assert_eq!(
                        buf[..expected],
                        data[offset..offset + expected],
                        "step {step}: read"
                    );
                }
            }
            90..=92 => {
                let targets: Vec<Ino> = model
                    .nodes
                    .keys()
                    .copied()
                    .filter(|i| !model.is_dir(*i))
                    .collect();
                if !targets.is_empty() {
                    let ino = *rng.pick(&targets);
                    let mode = rng.below(0o7777) as u32;
                    let changes = SetAttr {
                        mode: Some(mode),
                        ..SetAttr::default()
                    };
                    assert_eq!(
                        fs.set_attr(ino, &changes, now),
                        Ok(()),
                        "step {step}: set_attr"
                    );
                    model.nodes.get_mut(&ino).unwrap().mode = mode;
                }
            }
            93..=94 if !model.open.is_empty() => {
                let ino = model
                    .open
                    .remove(rng.below(model.open.len() as u64) as usize);
                assert_eq!(fs.release(ino), Ok(()), "step {step}: release");
                model.nodes.remove(&ino);
            }
            95..=96 => fs.sync().unwrap(),
            97 => {
                // Reboot: the open orphans are closed by the crash, mount frees them.
                let device = fs.unmount().unwrap();
                assert_clean(&mut *device);
                fs = FileSystem::mount(device).unwrap();
                assert_eq!(fs.mount_report().orphans_freed as usize, model.open.len());
                for ino in model.open.drain(..) {
                    model.nodes.remove(&ino);
                }
            }
            _ => {
                assert_eq!(
                    snapshot(&mut fs),
                    model.snapshot(),
                    "step {step}: the trees differ"
                );
                assert_eq!(
                    fs.statfs().free_inodes,
                    total_inodes - model.nodes.len() as u64,
                    "step {step}"
                );
            }
        }
    }
    assert_eq!(snapshot(&mut fs), model.snapshot(), "at the end");
    let device = fs.unmount().unwrap();
    assert_clean(&mut *device);
}

/// An orphan is released at once, or kept "open" (and used) until a later release.
fn release_or_keep(
    rng: &mut Rng,
    model: &mut Model,
    fs: &mut FileSystem<&mut RamDisk>,
    ino: Ino,
    step: usize,
) {
    if rng.chance(60) {
        assert_eq!(fs.release(ino), Ok(()), "step {step}: release");
        model.nodes.remove(&ino);
    } else {
        model.open.push(ino);
    }
}

#[test]
fn random_operations_agree_with_the_model_seed_1() {
    run(1, 4000);
}

#[test]
fn random_operations_agree_with_the_model_seed_2() {
    run(0x5eed, 4000);
}

#[test]
fn random_operations_agree_with_the_model_seed_3() {
    run(0xdead_beef, 4000);
}
