//! Test `t_manyfiles` (expects `exit=0`): many files, and several processes changing one
//! directory at once (xv6 usertests' `createdelete`, `concreate` and `linkunlink` style).
//!
//! Works in a fresh directory `/tmp/t_manyfiles.<pid>` ([`fs::scratch_dir`]), removed at the
//! end.
//! - 500 files in one directory, and a tree of 10 directories of 30 files: created,
//!   listed exactly, read back and removed.
//! - 4 processes each create 100 files with their own prefix in one shared directory,
//!   check them and remove every other one; afterwards the listing holds exactly the
//!   survivors, each with the right contents.
//! - 3 processes race on 6 names for 400 steps each, choosing at random to create a name
//!   (`O_CREAT`), link the shared file `cat` to it, link one name to another, rename one
//!   to another, or unlink it. `ENOENT` and `EEXIST` are expected along the way; anything
//!   else fails the worker. Afterwards the directory is consistent: every listed name can
//!   be `stat`ed, names sharing an inode number are exactly that inode's `st_nlink`, and
//!   every name of `cat`'s inode reads `cat`'s data. Removing the names leaves `cat` with one
//!   link.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use ulib::abi::Errno;
use ulib::abi::fs::{O_CREAT, O_RDWR};
use ulib::abi::wait;
use ulib::fs;
use ulib::{Pid, check, check_eq, check_ok};

ulib::entry!(main);

/// Files in the flat directory.
const FLAT: usize = 500;

/// Processes creating and deleting at once.
const CREATORS: u8 = 4;

/// Files each of them creates.
const PER_CREATOR: usize = 100;

/// Processes racing on links.
const RACERS: u64 = 3;

/// Steps each racer takes.
const STEPS: usize = 400;

/// The names the racers fight over.
const RACE_NAMES: [&str; 6] = ["x0", "x1", "x2", "x3", "x4", "x5"];

/// The data of the shared file in the race.
const CAT: &[u8] = b"meow";

fn main() -> i32 {
    let dir = check_ok!(fs::scratch_dir("t_manyfiles"), "make the scratch directory");
    check_flat(&format!("{dir}/flat"));
    check_tree(&format!("{dir}/tree"));
    check_create_delete(&format!("{dir}/shared"));
    check_link_race(&format!("{dir}/race"));
    check_ok!(fs::remove_tree(&dir), "remove {dir}");
    ulib::println!("t_manyfiles: ok");
    0
}

fn mkdir(path: &str) {
    check_ok!(fs::mkdir(path, 0o755), "mkdir {path}");
}

/// The sorted names in `path`, without `.` and `..`.
fn names(path: &str) -> Vec<String> {
    let mut names: Vec<String> = check_ok!(fs::read_dir(path), "list {path}")
        .into_iter()
        .map(|entry| entry.name)
        .filter(|name| name != "." && name != "..")
        .collect();
    names.sort();
    names
}

fn spawn(child: impl FnOnce() -> i32) -> Pid {
    check_ok!(ulib::spawn(child), "fork")
}

fn check_flat(dir: &str) {
    mkdir(dir);
    let mut expected: Vec<String> = (0..FLAT).map(|index| format!("f{index}")).collect();
    for name in &expected {
        check_ok!(
            fs::write_file(&format!("{dir}/{name}"), name.as_bytes(), 0o644),
            "create {name}"
        );
    }
    expected.sort();
    check_eq!(names(dir), expected, "the {FLAT} files listed");
    for name in &expected {
        check_eq!(
            check_ok!(fs::read_file(&format!("{dir}/{name}")), "read {name}"),
            name.as_bytes(),
            "contents of {name}"
        );
    }
    for name in &expected {
        check_ok!(fs::unlink(&format!("{dir}/{name}")), "unlink {name}");
    }
    check_eq!(names(dir), Vec::<String>::new(), "the emptied directory");
    check_ok!(fs::rmdir(dir), "rmdir {dir}");
}

fn check_tree(root: &str) {
    mkdir(root);
    for d in 0..10 {
        let sub = format!("{root}/d{d}");
        mkdir(&sub);
        for f in 0..30 {
            let path = format!("{sub}/f{f}");
            check_ok!(
                fs::write_file(&path, path.as_bytes(), 0o644),
                "create {path}"
            );
        }
    }
    check_eq!(names(root).len(), 10, "directories in the tree");
    for d in 0..10 {
        let sub = format!("{root}/d{d}");
        check_eq!(names(&sub).len(), 30, "files in {sub}");
        let path = format!("{sub}/f29");
        check_eq!(
            check_ok!(fs::read_file(&path), "read {path}"),
            path.as_bytes(),
            "contents of {path}"
        );
    }
    check_ok!(fs::remove_tree(root), "remove the tree");
    check_eq!(
        fs::stat(root).map(|stat| stat.st_ino),
        Err(Errno::ENOENT),
        "the tree is gone"
    );
}

/// A creator: makes `PER_CREATOR` files `<id>_<n>` in `dir`, checks them, removes the odd
/// ones. Returns the exit status.
fn creator(dir: &str, id: u8) -> i32 {
    let path = |n: usize| format!("{dir}/{}_{n}", id as char);
    for n in 0..PER_CREATOR {
        if fs::write_file(&path(n), path(n).as_bytes(), 0o644).is_err() {
            return 1;
        }
    }
    for n in 0..PER_CREATOR {
        if fs::read_file(&path(n)).ok().as_deref() != Some(path(n).as_bytes()) {
            return 2;
        }
    }
    for n in (1..PER_CREATOR).step_by(2) {
        if fs::unlink(&path(n)).is_err() {
            return 3;
        }
    }
    0
}

fn check_create_delete(dir: &str) {
    mkdir(dir);
    let children: Vec<Pid> = (0..CREATORS)
        .map(|index| spawn(|| creator(dir, b'a' + index)))
        .collect();
    for child in children {
        check_eq!(
            ulib::waitpid(child),
            Ok(wait::exited(0)),
            "creator {child} (1: create, 2: read back, 3: unlink failed)"
        );
    }
    let mut expected: Vec<String> = (0..CREATORS)
        .flat_map(|index| {
            (0..PER_CREATOR)
                .step_by(2)
                .map(move |n| format!("{}_{n}", (b'a' + index) as char))
        })
        .collect();
    expected.sort();
    check_eq!(names(dir), expected, "the survivors of the creators");
    for name in &expected {
        let path = format!("{dir}/{name}");
        check_eq!(
            check_ok!(fs::read_file(&path), "read {path}"),
            path.as_bytes(),
            "contents of {path}"
        );
    }
}

/// The linear congruential generator of xv6's `linkunlink`.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, bound: u64) -> u64 {
        self.0 = self.0.wrapping_mul(1_103_515_245).wrapping_add(12_345) & 0x7fff_ffff;
        (self.0 >> 8) % bound
    }
}

/// A racer: `STEPS` random operations on `RACE_NAMES` in `dir`. Returns the exit status.
fn racer(dir: &str, seed: u64) -> i32 {
    let mut rng = Lcg(seed);
    let name = |rng: &mut Lcg| format!("{dir}/{}", RACE_NAMES[rng.next(6) as usize]);
    let cat = format!("{dir}/cat");
    for _ in 0..STEPS {
        let result = match rng.next(5) {
            0 => fs::open(&name(&mut rng), O_RDWR | O_CREAT, 0o644).and_then(fs::close),
            1 => fs::link(&cat, &name(&mut rng)),
            2 => fs::link(&name(&mut rng), &name(&mut rng)),
            3 => fs::rename(&name(&mut rng), &name(&mut rng)),
            _ => fs::unlink(&name(&mut rng)),
        };
        match result {
            Ok(()) | Err(Errno::ENOENT) | Err(Errno::EEXIST) => {}
            Err(error) => {
                ulib::eprintln!("t_manyfiles: racer {seed}: {error}");
                return 1;
            }
        }
    }
    0
}

fn check_link_race(dir: &str) {
    mkdir(dir);
    let cat = format!("{dir}/cat");
    check_ok!(fs::write_file(&cat, CAT, 0o644), "create {cat}");
    let cat_ino = check_ok!(fs::stat(&cat), "stat cat").st_ino;
    let children: Vec<Pid> = (0..RACERS)
        .map(|seed| spawn(|| racer(dir, seed * 7919 + 1)))
        .collect();
    for child in children {
        check_eq!(
            ulib::waitpid(child),
            Ok(wait::exited(0)),
            "racer {child} met only ENOENT and EEXIST"
        );
    }
    let listed = names(dir);
    check!(
        listed
            .iter()
            .all(|name| name == "cat" || RACE_NAMES.contains(&name.as_str())),
        "only the race's names are listed: {listed:?}"
    );
    let stats: Vec<(String, u64, u32)> = listed
        .iter()
        .map(|name| {
            let stat = check_ok!(fs::stat(&format!("{dir}/{name}")), "stat {name}");
            (name.clone(), stat.st_ino, stat.st_nlink)
        })
        .collect();
    for (name, ino, nlink) in &stats {
        let sharing = stats.iter().filter(|(_, other, _)| other == ino).count();
        check_eq!(
            *nlink as usize,
            sharing,
            "st_nlink of {name} (inode {ino}) is the number of names it has here"
        );
        if *ino == cat_ino {
            check_eq!(
                check_ok!(fs::read_file(&format!("{dir}/{name}")), "read {name}"),
                CAT,
                "{name}, a link to cat, reads cat's data"
            );
        }
    }
    ulib::println!("t_manyfiles: after the race: {listed:?}");
    for name in RACE_NAMES {
        match fs::unlink(&format!("{dir}/{name}")) {
            Ok(()) | Err(Errno::ENOENT) => {}
            Err(error) => ulib::fail!("unlink {name}: {error}"),
        }
    }
    check_eq!(
        check_ok!(fs::stat(&cat), "stat cat").st_nlink,
        1,
        "cat's links after removing the race's names"
    );
}
