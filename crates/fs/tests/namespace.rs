//! Names: create, link, unlink, rmdir, rename (with its edge cases), symlinks, device
//! nodes, attributes, directory listing with cookies, and many files in one directory.

mod common;

use abi::fs::{RENAME_EXCHANGE, RENAME_NOREPLACE, S_IFCHR, S_IFDIR, S_IFIFO, S_IFREG, S_IFSOCK};
use common::*;
use fs::*;

fn mounted(disk: &mut RamDisk) -> FileSystem<&mut RamDisk> {
    FileSystem::mount(disk).unwrap()
}

fn names<D: BlockDevice>(fs: &mut FileSystem<D>, dir: Ino) -> Vec<Vec<u8>> {
    let mut all = Vec::new();
    let mut cookie = 0;
    loop {
        let entries = fs.read_dir(dir, cookie).unwrap();
        let Some(last) = entries.last() else {
            return all;
        };
        cookie = last.next;
        all.extend(entries.into_iter().map(|entry| entry.name));
    }
}

#[test]
fn a_new_file_system_has_root_and_lost_and_found() {
    let mut disk = fresh_disk(2048);
    let mut fs = mounted(&mut disk);
    let root = fs.root();
    assert_eq!(root, ROOT);
    assert_eq!(names(&mut fs, root), [&b"."[..], b"..", b"lost+found"]);
    let stat = fs.stat(root).unwrap();
    assert_eq!(
        (stat.kind, stat.mode, stat.nlink, stat.size),
        (FileKind::Directory, 0o755, 3, 4096)
    );
    let lost = fs.lookup(root, b"lost+found").unwrap();
    assert_eq!(fs.stat(lost).unwrap().mode, 0o700);
    assert_eq!(fs.lookup(root, b"..").unwrap(), root);
    assert_eq!(fs.lookup(lost, b"..").unwrap(), root);
    let statfs = fs.statfs();
    assert_eq!(statfs.block_size, 4096);
    assert_eq!(statfs.inodes, 512);
    assert_eq!(statfs.free_inodes, 510);
    assert_eq!(statfs.max_name_len, 255);
    assert_eq!(fs.mount_report().mount_count, 1);
    assert!(fs.mount_report().was_clean);
    assert_eq!(fs.mount_report().to_string(), "mount 1: unmounted cleanly");
}

#[test]
fn create_lookup_and_the_errors_of_names() {
    let mut disk = fresh_disk(2048);
    let mut fs = mounted(&mut disk);
    let root = fs.root();
    let owner = Owner {
        uid: 1000,
        gid: 100,
    };
    let file = fs.create(root, b"notes.txt", 0o640, owner, at(5)).unwrap();
    assert_eq!(fs.lookup(root, b"notes.txt").unwrap(), file);
    let stat = fs.stat(file).unwrap();
    assert_eq!(
        (stat.kind, stat.mode, stat.uid, stat.gid, stat.nlink),
        (FileKind::Regular, 0o640, 1000, 100, 1)
    );
    assert_eq!((stat.atime, stat.mtime, stat.ctime), (at(5), at(5), at(5)));
    assert_eq!(stat.st_mode(), S_IFREG | 0o640);
    assert_eq!(fs.stat(root).unwrap().mtime, at(5), "the directory changed");

    assert_eq!(
        fs.create(root, b"notes.txt", 0o644, owner, at(6)),
        Err(FsError::Exists)
    );
    assert_eq!(
        fs.create(root, b".", 0o644, owner, at(6)),
        Err(FsError::Exists)
    );
    assert_eq!(
        fs.mkdir(root, b"..", 0o755, owner, at(6)),
        Err(FsError::Exists)
    );
    assert_eq!(
        fs.create(file, b"x", 0o644, owner, at(6)),
        Err(FsError::NotDir)
    );
    assert_eq!(fs.lookup(file, b"x"), Err(FsError::NotDir));
    assert_eq!(fs.lookup(root, b"missing"), Err(FsError::NotFound));
    assert_eq!(
        fs.create(root, &[b'n'; 256], 0o644, owner, at(6)),
        Err(FsError::NameTooLong)
    );
    assert_eq!(fs.lookup(root, &[b'n'; 256]), Err(FsError::NameTooLong));
    assert_eq!(
        fs.create(root, b"a/b", 0o644, owner, at(6)),
        Err(FsError::Invalid)
    );
    assert_eq!(
        fs.create(root, b"", 0o644, owner, at(6)),
        Err(FsError::Invalid)
    );
    assert_eq!(fs.stat(Ino(0)), Err(FsError::Invalid));
    assert_eq!(fs.stat(Ino(100_000)), Err(FsError::Invalid));
    assert_eq!(fs.stat(Ino(77)), Err(FsError::NotFound), "a free inode");
    let long = fs.create(root, &[b'n'; 255], 0o644, owner, at(6)).unwrap();
    assert_eq!(fs.lookup(root, &[b'n'; 255]).unwrap(), long);
    assert_eq!(FsError::Exists.errno(), 17);
    fs.unmount().unwrap();
    assert_clean(&mut disk);
}

#[test]
fn directories_count_their_links() {
    let mut disk = fresh_disk(2048);
    let mut fs = mounted(&mut disk);
    let root = fs.root();
    let a = fs.mkdir(root, b"a", 0o755, ROOT_OWNER, at(2)).unwrap();
    let b = fs.mkdir(a, b"b", 0o700, ROOT_OWNER, at(2)).unwrap();
    assert_eq!(fs.stat(root).unwrap().nlink, 4);
    assert_eq!(fs.stat(a).unwrap().nlink, 3);
    assert_eq!(fs.stat(b).unwrap().nlink, 2);
    assert_eq!(fs.lookup(b, b"..").unwrap(), a);
    assert_eq!(fs.lookup(b, b".").unwrap(), b);

    assert_eq!(fs.rmdir(root, b"a", at(3)), Err(FsError::NotEmpty));
    assert_eq!(fs.rmdir(a, b".", at(3)), Err(FsError::Invalid));
    assert_eq!(fs.rmdir(a, b"..", at(3)), Err(FsError::NotEmpty));
    fs.create(a, b"f", 0o644, ROOT_OWNER, at(3)).unwrap();
    assert_eq!(fs.rmdir(a, b"f", at(3)), Err(FsError::NotDir));
    assert_eq!(fs.unlink(root, b"a", at(3)), Err(FsError::IsDir));
    assert_eq!(fs.unlink(a, b".", at(3)), Err(FsError::IsDir));
    assert_eq!(fs.rmdir(a, b"zz", at(3)), Err(FsError::NotFound));

    let removed = fs.rmdir(a, b"b", at(4)).unwrap();
    assert_eq!(removed, b);
    assert_eq!(fs.stat(b).unwrap().nlink, 0, "an orphan until released");
    assert_eq!(
        fs.create(b, b"x", 0o644, ROOT_OWNER, at(4)),
        Err(FsError::NotFound),
        "b is gone"
    );
    fs.release(b).unwrap();
    assert_eq!(fs.stat(b), Err(FsError::NotFound));
    assert_eq!(fs.stat(a).unwrap().nlink, 2);
    remove(&mut fs, a, b"f", at(5));
    let gone = fs.rmdir(root, b"a", at(5)).unwrap();
    fs.release(gone).unwrap();
    assert_eq!(fs.stat(root).unwrap().nlink, 3);
    assert_eq!(fs.statfs().free_inodes, 510);
    fs.unmount().unwrap();
    assert_clean(&mut disk);
}

#[test]
fn hard_links_and_unlink_of_open_files() {
    let mut disk = fresh_disk(2048);
    let mut fs = mounted(&mut disk);
    let root = fs.root();
    let free_blocks = fs.statfs().free_blocks;
    let dir = fs.mkdir(root, b"d", 0o755, ROOT_OWNER, at(2)).unwrap();
    let file = fs.create(root, b"f", 0o644, ROOT_OWNER, at(2)).unwrap();
    fs.write_at(file, 0, &[7; 10_000], at(2)).unwrap();
    fs.link(file, dir, b"g", at(3)).unwrap();
    assert_eq!(fs.stat(file).unwrap().nlink, 2);
    assert_eq!(fs.stat(file).unwrap().ctime, at(3));
    assert_eq!(fs.lookup(dir, b"g").unwrap(), file);
    assert_eq!(fs.link(file, dir, b"g", at(3)), Err(FsError::Exists));
    assert_eq!(
        fs.link(dir, root, b"dirlink", at(3)),
        Err(FsError::NotPermitted)
    );
    assert_eq!(fs.link(file, file, b"x", at(3)), Err(FsError::NotDir));

    assert_eq!(fs.unlink(root, b"f", at(4)).unwrap(), None, "one link left");
    assert_eq!(fs.unlink(root, b"f", at(4)), Err(FsError::NotFound));
    assert_eq!(fs.unlink(dir, b"g", at(5)).unwrap(), Some(file));
    // Still open: the orphan keeps its data until release.
    let mut buf = [0; 100];
    assert_eq!(fs.read_at(file, 9_950, &mut buf).unwrap(), 50);
    assert_eq!(buf[..50], [7; 50]);
    fs.write_at(file, 0, b"still here", at(6)).unwrap();
    assert_eq!(fs.link(file, root, b"back", at(6)), Err(FsError::NotFound));
    assert_eq!(fs.lookup(dir, b"g"), Err(FsError::NotFound));
    fs.release(file).unwrap();
    assert_eq!(fs.release(file), Err(FsError::NotFound));
    assert_eq!(
        fs.statfs().free_blocks,
        free_blocks - 1,
        "only the directory's block is left"
    );
    fs.unmount().unwrap();
    assert_clean(&mut disk);
}

#[test]
fn release_refuses_linked_inodes_and_mount_frees_orphans() {
    let mut disk = fresh_disk(2048);
    let mut fs = mounted(&mut disk);
    let root = fs.root();
    let file = fs.create(root, b"f", 0o644, ROOT_OWNER, at(2)).unwrap();
    fs.write_at(file, 0, &[1; 50_000], at(2)).unwrap();
    assert_eq!(fs.release(file), Err(FsError::Invalid));
    let dir = fs.mkdir(root, b"d", 0o755, ROOT_OWNER, at(2)).unwrap();
    assert_eq!(fs.unlink(root, b"f", at(3)).unwrap(), Some(file));
    assert_eq!(fs.rmdir(root, b"d", at(3)).unwrap(), dir);
    fs.sync().unwrap();
    drop(fs); // a crash: the orphans were never released

    let report = fsck(&mut disk, false).unwrap();
    assert!(report.is_clean(), "{report}");
    assert!(
        report
            .notes
            .iter()
            .any(|note| note.contains("2 unlinked inodes")),
        "{report}"
    );

    let mut fs = mounted(&mut disk);
    assert_eq!(fs.mount_report().orphans_freed, 2);
    assert_eq!(
        fs.mount_report().to_string(),
        "mount 2: not unmounted cleanly, freed 2 orphans"
    );
    assert!(!fs.mount_report().was_clean);
    assert_eq!(fs.stat(file), Err(FsError::NotFound));
    assert_eq!(fs.stat(dir), Err(FsError::NotFound));
    assert_eq!(fs.statfs().free_inodes, 510);
    fs.unmount().unwrap();
    assert_clean(&mut disk);
}

#[test]
fn rename_moves_and_replaces() {
    let mut disk = fresh_disk(2048);
    let mut fs = mounted(&mut disk);
    let root = fs.root();
    let a = fs.mkdir(root, b"a", 0o755, ROOT_OWNER, at(2)).unwrap();
    let b = fs.mkdir(root, b"b", 0o755, ROOT_OWNER, at(2)).unwrap();
    let f = fs.create(a, b"f", 0o644, ROOT_OWNER, at(2)).unwrap();
    let g = fs.create(b, b"g", 0o644, ROOT_OWNER, at(2)).unwrap();

    // Same directory, new name.
    assert_eq!(fs.rename(a, b"f", a, b"f2", 0, at(3)).unwrap(), None);
    assert_eq!(fs.lookup(a, b"f2").unwrap(), f);
    assert_eq!(fs.lookup(a, b"f"), Err(FsError::NotFound));
    assert_eq!(fs.stat(f).unwrap().ctime, at(3));
    // Another directory, replacing a file: the replaced file is orphaned.
    assert_eq!(fs.rename(a, b"f2", b, b"g", 0, at(4)).unwrap(), Some(g));
    assert_eq!(fs.lookup(b, b"g").unwrap(), f);
    assert_eq!(fs.stat(g).unwrap().nlink, 0);
    fs.release(g).unwrap();
    // Replacing a file that has another link orphans nothing.
    let h = fs.create(a, b"h", 0o644, ROOT_OWNER, at(5)).unwrap();
    fs.link(h, root, b"h2", at(5)).unwrap();
    assert_eq!(fs.rename(b, b"g", a, b"h", 0, at(5)).unwrap(), None);
    assert_eq!(fs.stat(h).unwrap().nlink, 1);
    // Renaming onto another link of the same inode does nothing.
    fs.link(f, root, b"f-link", at(6)).unwrap();
    assert_eq!(fs.rename(a, b"h", root, b"f-link", 0, at(6)).unwrap(), None);
    assert_eq!(fs.lookup(a, b"h").unwrap(), f);
    assert_eq!(fs.lookup(root, b"f-link").unwrap(), f);
    // A name onto itself does nothing.
    assert_eq!(fs.rename(a, b"h", a, b"h", 0, at(6)).unwrap(), None);
    assert_eq!(fs.lookup(a, b"h").unwrap(), f);
    fs.unmount().unwrap();
    assert_clean(&mut disk);
}

#[test]
fn rename_of_directories_keeps_the_tree_a_tree() {
    let mut disk = fresh_disk(2048);
    let mut fs = mounted(&mut disk);
    let root = fs.root();
    let a = fs.mkdir(root, b"a", 0o755, ROOT_OWNER, at(2)).unwrap();
    let b = fs.mkdir(a, b"b", 0o755, ROOT_OWNER, at(2)).unwrap();
    let c = fs.mkdir(b, b"c", 0o755, ROOT_OWNER, at(2)).unwrap();
    let e = fs.mkdir(root, b"e", 0o755, ROOT_OWNER, at(2)).unwrap();
    let file = fs.create(root, b"file", 0o644, ROOT_OWNER, at(2)).unwrap();

    assert_eq!(
        fs.rename(root, b"a", c, b"a", 0, at(3)),
        Err(FsError::Invalid),
        "into its own subtree"
    );
    assert_eq!(
        fs.rename(root, b"a", a, b"x", 0, at(3)),
        Err(FsError::Invalid),
        "into itself"
    );
    assert_eq!(
        fs.rename(root, b"a", root, b"file", 0, at(3)),
        Err(FsError::NotDir)
    );
    assert_eq!(
        fs.rename(root, b"file", root, b"e", 0, at(3)),
        Err(FsError::IsDir)
    );
    assert_eq!(
        fs.rename(root, b"e", root, b"a", 0, at(3)),
        Err(FsError::NotEmpty)
    );
    assert_eq!(
        fs.rename(root, b".", root, b"z", 0, at(3)),
        Err(FsError::Busy)
    );
    assert_eq!(
        fs.rename(root, b"e", a, b"..", 0, at(3)),
        Err(FsError::Busy)
    );
    assert_eq!(
        fs.rename(root, b"nothing", root, b"z", 0, at(3)),
        Err(FsError::NotFound)
    );

    // Move c up to the root: b loses a link, the root gains one, c's `..` follows.
    fs.rename(b, b"c", root, b"c", 0, at(4)).unwrap();
    assert_eq!(fs.lookup(c, b"..").unwrap(), root);
    assert_eq!(fs.stat(b).unwrap().nlink, 2);
    assert_eq!(fs.stat(root).unwrap().nlink, 6);
    // Replace the empty directory e with a (which holds b): e is orphaned.
    assert_eq!(
        fs.rename(root, b"a", root, b"e", 0, at(5)).unwrap(),
        Some(e)
    );
    fs.release(e).unwrap();
    assert_eq!(fs.lookup(root, b"e").unwrap(), a);
    assert_eq!(fs.stat(root).unwrap().nlink, 5);
    // Replace an empty directory in another directory.
    let d2 = fs.mkdir(b, b"d2", 0o755, ROOT_OWNER, at(6)).unwrap();
    assert_eq!(fs.rename(root, b"c", b, b"d2", 0, at(6)).unwrap(), Some(d2));
    fs.release(d2).unwrap();
    assert_eq!(fs.lookup(c, b"..").unwrap(), b);
    assert_eq!(
        (fs.stat(root).unwrap().nlink, fs.stat(b).unwrap().nlink),
        (4, 3)
    );
    let _ = file;
    let snap = snapshot(&mut fs);
    assert!(snap.contains_key(&b"/e/b/d2"[..]));
    fs.unmount().unwrap();
    assert_clean(&mut disk);
}

#[test]
fn rename_flags() {
    let mut disk = fresh_disk(2048);
    let mut fs = mounted(&mut disk);
    let root = fs.root();
    let dir = fs.mkdir(root, b"dir", 0o755, ROOT_OWNER, at(2)).unwrap();
    let sub = fs.mkdir(dir, b"sub", 0o755, ROOT_OWNER, at(2)).unwrap();
    let file = fs.create(root, b"file", 0o644, ROOT_OWNER, at(2)).unwrap();
    let other = fs.create(root, b"other", 0o644, ROOT_OWNER, at(2)).unwrap();

    assert_eq!(
        fs.rename(root, b"file", root, b"other", RENAME_NOREPLACE, at(3)),
        Err(FsError::Exists)
    );
    fs.rename(root, b"file", root, b"new", RENAME_NOREPLACE, at(3))
        .unwrap();
    assert_eq!(fs.lookup(root, b"new").unwrap(), file);
    assert_eq!(
        fs.rename(root, b"new", root, b"missing", RENAME_EXCHANGE, at(3)),
        Err(FsError::NotFound)
    );
    assert_eq!(
        fs.rename(
            root,
            b"new",
            root,
            b"other",
            RENAME_EXCHANGE | RENAME_NOREPLACE,
            at(3)
        ),
        Err(FsError::Invalid)
    );
    assert_eq!(
        fs.rename(root, b"new", root, b"other", 4, at(3)),
        Err(FsError::Invalid)
    );

    // Exchange two files.
    fs.rename(root, b"new", root, b"other", RENAME_EXCHANGE, at(4))
        .unwrap();
    assert_eq!(
        (
            fs.lookup(root, b"new").unwrap(),
            fs.lookup(root, b"other").unwrap()
        ),
        (other, file)
    );
    // Exchange a file in the root with a directory inside dir: links and `..` follow.
    fs.rename(root, b"new", dir, b"sub", RENAME_EXCHANGE, at(5))
        .unwrap();
    assert_eq!(fs.lookup(root, b"new").unwrap(), sub);
    assert_eq!(fs.lookup(dir, b"sub").unwrap(), other);
    assert_eq!(fs.lookup(sub, b"..").unwrap(), root);
    assert_eq!(
        (fs.stat(root).unwrap().nlink, fs.stat(dir).unwrap().nlink),
        (5, 2)
    );
    assert_eq!(fs.stat(other).unwrap().ctime, at(5));
    // A directory cannot be exchanged with something inside it.
    fs.rename(dir, b"sub", root, b"keep", 0, at(6)).unwrap();
    let inner = fs.mkdir(sub, b"inner", 0o755, ROOT_OWNER, at(6)).unwrap();
    assert_eq!(
        fs.rename(root, b"new", sub, b"inner", RENAME_EXCHANGE, at(6)),
        Err(FsError::Invalid)
    );
    assert_eq!(
        fs.rename(sub, b"inner", root, b"new", RENAME_EXCHANGE, at(6)),
        Err(FsError::Invalid)
    );
    let _ = inner;
    snapshot(&mut fs);
    fs.unmount().unwrap();
    assert_clean(&mut disk);
}

#[test]
fn symlinks_device_nodes_and_attributes() {
    let mut disk = fresh_disk(2048);
    let mut fs = mounted(&mut disk);
    let root = fs.root();
    let link = fs
        .symlink(root, b"l", b"/some/where", ROOT_OWNER, at(2))
        .unwrap();
    assert_eq!(fs.readlink(link).unwrap(), b"/some/where");
    let stat = fs.stat(link).unwrap();
    assert_eq!(
        (stat.kind, stat.mode, stat.size),
        (FileKind::Symlink, 0o777, 11)
    );
    assert_eq!(
        fs.symlink(root, b"e", b"", ROOT_OWNER, at(2)),
        Err(FsError::NotFound)
    );
    assert_eq!(
        fs.symlink(root, b"e", &[b'x'; 4096], ROOT_OWNER, at(2)),
        Err(FsError::NameTooLong)
    );
    let longest = fs
        .symlink(root, b"long", &[b'x'; 4095], ROOT_OWNER, at(2))
        .unwrap();
    assert_eq!(fs.readlink(longest).unwrap().len(), 4095);
    assert_eq!(fs.read_at(link, 0, &mut [0; 4]), Err(FsError::Invalid));
    assert_eq!(fs.write_at(link, 0, b"x", at(2)), Err(FsError::Invalid));
    let file = fs.create(root, b"f", 0o644, ROOT_OWNER, at(2)).unwrap();
    assert_eq!(fs.readlink(file), Err(FsError::Invalid));
    assert_eq!(fs.read_at(root, 0, &mut [0; 4]), Err(FsError::IsDir));
    assert_eq!(fs.truncate(root, 0, at(2)), Err(FsError::IsDir));

    let tty = fs
        .mknod(root, b"tty", S_IFCHR | 0o620, 0x0401, ROOT_OWNER, at(2))
        .unwrap();
    let stat = fs.stat(tty).unwrap();
    assert_eq!(
        (stat.kind, stat.rdev, stat.st_mode()),
        (FileKind::CharDevice, 0x0401, S_IFCHR | 0o620)
    );
    let fifo = fs
        .mknod(root, b"fifo", S_IFIFO | 0o600, 99, ROOT_OWNER, at(2))
        .unwrap();
    assert_eq!(fs.stat(fifo).unwrap().rdev, 0, "only devices keep rdev");
    let sock = fs
        .mknod(root, b"sock", S_IFSOCK | 0o600, 0, ROOT_OWNER, at(2))
        .unwrap();
    assert_eq!(fs.stat(sock).unwrap().kind, FileKind::Socket);
    assert_eq!(
        fs.mknod(root, b"d", S_IFDIR | 0o755, 0, ROOT_OWNER, at(2)),
        Err(FsError::Invalid)
    );
    assert_eq!(
        fs.mknod(root, b"d", 0o755, 0, ROOT_OWNER, at(2)),
        Err(FsError::Invalid)
    );
    assert_eq!(fs.write_at(tty, 0, b"x", at(2)), Err(FsError::Invalid));

    let changes = SetAttr {
        mode: Some(0o4755),
        uid: Some(1000),
        gid: Some(50),
        atime: Some(Timestamp::new(10, 5)),
        mtime: Some(Timestamp::new(11, 6)),
    };
    fs.set_attr(file, &changes, at(20)).unwrap();
    let stat = fs.stat(file).unwrap();
    assert_eq!((stat.mode, stat.uid, stat.gid), (0o4755, 1000, 50));
    assert_eq!(
        (stat.atime, stat.mtime, stat.ctime),
        (Timestamp::new(10, 5), Timestamp::new(11, 6), at(20))
    );
    fs.set_attr(file, &SetAttr::default(), at(21)).unwrap();
    assert_eq!(fs.stat(file).unwrap().mode, 0o4755);
    assert_eq!(
        fs.set_attr(
            file,
            &SetAttr {
                mode: Some(S_IFDIR | 0o755),
                ..SetAttr::default()
            },
            at(22)
        ),
        Err(FsError::Invalid)
    );
    assert_eq!(
        fs.set_attr(
            file,
            &SetAttr {
                atime: Some(Timestamp::new(0, 1_000_000_000)),
                ..SetAttr::default()
            },
            at(22)
        ),
        Err(FsError::Invalid)
    );
    let snap = snapshot(&mut fs);
    assert_eq!(
        snap[&b"/tty"[..]].0,
        Node::Other {
            kind: FileKind::CharDevice,
            mode: 0o620,
            rdev: 0x0401
        }
    );
    fs.unmount().unwrap();
    assert_clean(&mut disk);
    // Everything survives a remount.
    let mut fs = mounted(&mut disk);
    assert_eq!(snapshot(&mut fs), snap);
}

#[test]
fn read_dir_cookies_stay_valid_while_entries_come_and_go() {
    let mut disk = fresh_disk(4096);
    let mut fs = mounted(&mut disk);
    let root = fs.root();
    let dir = fs.mkdir(root, b"d", 0o755, ROOT_OWNER, at(2)).unwrap();
    for i in 0..600 {
        fs.create(
            dir,
            format!("file-{i:04}").as_bytes(),
            0o644,
            ROOT_OWNER,
            at(2),
        )
        .unwrap();
    }
    // Read part of the listing, then change the directory, then resume at the cookie.
    let first = fs.read_dir(dir, 0).unwrap();
    let taken: Vec<_> = first[..40].to_vec();
    let cookie = taken.last().unwrap().next;
    for i in (0..600).step_by(3) {
        let name = format!("file-{i:04}");
        if !taken.iter().any(|entry| entry.name == name.as_bytes()) {
            remove(&mut fs, dir, name.as_bytes(), at(3));
        }
    }
    for i in 0..50 {
        fs.create(dir, format!("new-{i}").as_bytes(), 0o644, ROOT_OWNER, at(3))
            .unwrap();
    }
    let mut rest = Vec::new();
    let mut cookie = cookie;
    loop {
        let entries = fs.read_dir(dir, cookie).unwrap();
        let Some(last) = entries.last() else { break };
        cookie = last.next;
        rest.extend(entries);
    }
    let mut seen: Vec<Vec<u8>> = taken
        .iter()
        .chain(&rest)
        .map(|entry| entry.name.clone())
        .collect();
    let total = seen.len();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), total, "no entry twice");
    // Every entry that was there all along is seen exactly once.
    for i in 0..600 {
        let name = format!("file-{i:04}");
        let kept = i % 3 != 0 || taken.iter().any(|entry| entry.name == name.as_bytes());
        assert_eq!(seen.contains(&name.into_bytes()), kept, "file-{i:04}");
    }
    assert!(fs.read_dir(dir, u64::MAX).unwrap().is_empty());
    fs.unmount().unwrap();
    assert_clean(&mut disk);
}

#[test]
fn many_files_in_one_directory() {
    let mut disk = fresh_disk(8192);
    let mut fs = mounted(&mut disk);
    let root = fs.root();
    let dir = fs.mkdir(root, b"many", 0o755, ROOT_OWNER, at(2)).unwrap();
    let count = 1500;
    let mut inos = Vec::new();
    for i in 0..count {
        let name = format!("entry-with-a-longish-name-{i:05}");
        inos.push(
            fs.create(dir, name.as_bytes(), 0o644, ROOT_OWNER, at(2))
                .unwrap(),
        );
    }
    let size = fs.stat(dir).unwrap().size;
    assert!(size > 10 * BLOCK, "the directory spans {size} bytes");
    for (i, ino) in inos.iter().enumerate() {
        let name = format!("entry-with-a-longish-name-{i:05}");
        assert_eq!(fs.lookup(dir, name.as_bytes()).unwrap(), *ino);
    }
    assert_eq!(names(&mut fs, dir).len(), count + 2);
    // Remove every other one; new names reuse the freed room instead of growing the directory.
    for i in (0..count).step_by(2) {
        let name = format!("entry-with-a-longish-name-{i:05}");
        let ino = fs.unlink(dir, name.as_bytes(), at(3)).unwrap().unwrap();
        fs.release(ino).unwrap();
    }
    for i in 0..count / 2 {
        fs.create(
            dir,
            format!("again-{i:05}-with-a-longish-name").as_bytes(),
            0o644,
            ROOT_OWNER,
            at(4),
        )
        .unwrap();
    }
    assert_eq!(fs.stat(dir).unwrap().size, size);
    assert_eq!(names(&mut fs, dir).len(), count + 2);
    fs.unmount().unwrap();
    assert_clean(&mut disk);
}
