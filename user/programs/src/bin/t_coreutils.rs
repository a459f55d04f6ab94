//! Test `t_coreutils` (expects `exit=0`): the coreutils of concept U4, run as a user runs
//! them.
//!
//! `t_coreutils [BINDIR [LAUNCHER]]`: each program is run as `BINDIR/<name>` (default
//! `/bin`) by fork and exec, with standard input, output and error on pipes, in a fresh
//! working directory `/tmp/t_coreutils.<pid>` ([`fs::scratch_dir`], removed at the end) and
//! the environment `PATH=BINDIR HOME=/ T_COREUTILS=1`. On a Linux host, where qemu-user
//! cannot exec riscv64 programs itself, LAUNCHER (`/usr/bin/qemu-riscv64`) runs each one:
//! `LAUNCHER BINDIR/<name> ARGS...`.
//!
//! What is checked, on real files, output bytes and exit statuses:
//! - `ls`: names sorted, `-a` adds `.`, `..` and dot files, `-A` only the dot files; `-l`
//!   mode strings (`drwxr-xr-x`, `-rw-r--r--`, `lrwxrwxrwx`), link counts, sizes and
//!   `-> target`; a file operand lists itself; a file and a directory operand; `-d`;
//!   combined `-la`; `ls: nope: No such file or directory` and status 1;
//! - `cat`: files in order, standard input with no operand and for `-`, 100 KiB intact, a
//!   missing file reported while the others are still copied;
//! - `echo`: spaces and newline, `-n`; `mkdir`: `-p` of a nested path, `File exists`,
//!   `missing operand`; `rm`: `-r` of a tree, a missing file's message and status, `-f`
//!   silent, a directory without `-r`, `-rf`; `rmdir`: `Directory not empty`, then success;
//! - `ln`: a hard link shares the inode and counts as a link, `-s` makes a link with the
//!   given target, `File exists`; `mv`: rename and into a directory; `cp`: 100 KiB copied
//!   byte for byte to a new inode, several files into a directory, `missing destination`;
//! - `wc`: `-l`, `-w`, `-c` and all three on known text, a `total` line, standard input;
//! - `grep`: matches, `-v`, `-c`, `-n`, `-i`, `-vc`, standard input, status 1 for no match
//!   and 2 for a missing file; `head`/`tail`: `-n N`, `-N`, the default 10, `-n +N`;
//! - `touch`: creates a file, moves an old modification time to now, `-c` creates nothing;
//!   `stat`: size, type, links and inode of a file;
//! - `kill`: `-l` names, `-l 15`, `-l KILL`; `kill -TERM` of a child running `sleep`, which
//!   is reaped as killed by SIGTERM; `kill -9` likewise; a bad signal name;
//! - `true`/`false` statuses; `sleep 0.05`, and a bad interval; `env`: the environment it
//!   is given, `NAME=value` added for a command found on `PATH`, `-i`, command not found
//!   (127); `hexdump -C` of known bytes with a `*` line and the final offset; `clear`'s
//!   bytes; `id`, `uptime`, `free`, `ps` and (on Lantern) `dmesg` run and print their
//!   first words.
//!
//! Nothing depends on timing: the child killed by `kill` dies of SIGTERM whether or not it
//! has reached its `sleep` yet.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use ulib::abi::fs::{O_CLOEXEC, S_IFLNK, S_IFMT};
use ulib::abi::signal::{SIGKILL, SIGTERM};
use ulib::abi::time::{CLOCK_REALTIME, Timespec};
use ulib::abi::wait::WaitStatus;
use ulib::{Fork, Pid, check, check_eq, check_ok, env, fs};

ulib::entry!(main);

/// How a program run ended and what it wrote.
struct Run {
    status: WaitStatus,
    out: String,
    err: String,
}

impl Run {
    /// The exit code; fails the test if the program was killed.
    fn code(&self) -> u8 {
        match self.status {
            WaitStatus::Exited(code) => code,
            other => ulib::fail!("the program ended with {other:?}; stderr {:?}", self.err),
        }
    }
}

/// Where the programs are and how they are started.
struct Programs {
    bindir: &'static str,
    launcher: Option<&'static str>,
    envp: Vec<String>,
}

impl Programs {
    /// The command line that runs `program` with nothing after it.
    fn command(&self, program: &str) -> Vec<String> {
        let path = format!("{}/{program}", self.bindir);
        match self.launcher {
            Some(launcher) => alloc::vec![launcher.to_string(), path],
            None => alloc::vec![path],
        }
    }

    /// Starts `program args...` with standard input, output and error on the given
    /// descriptors (`None`: inherited).
    fn start(&self, program: &str, args: &[&str], stdio: Option<[i32; 3]>) -> Pid {
        let mut argv = self.command(program);
        argv.extend(args.iter().map(|arg| arg.to_string()));
        let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
        let envp: Vec<&str> = self.envp.iter().map(String::as_str).collect();
        match check_ok!(ulib::fork(), "fork for {program}") {
            Fork::Child => {
                if let Some(fds) = stdio {
                    for (target, fd) in fds.into_iter().enumerate() {
                        if fs::dup2(fd, target as i32).is_err() {
                            ulib::exit(126);
                        }
                    }
                }
                let error = ulib::execve(argv[0], &argv, &envp);
                ulib::eprintln!("t_coreutils: exec {}: {error}", argv[0]);
                ulib::exit(127)
            }
            Fork::Parent(pid) => pid,
        }
    }

    /// Runs `program args...` with `stdin` as its standard input, to its end.
    fn run_with_input(&self, program: &str, args: &[&str], stdin: &[u8]) -> Run {
        let pipe = || check_ok!(fs::pipe2(O_CLOEXEC), "pipe");
        let (in_read, in_write) = pipe();
        let (out_read, out_write) = pipe();
        let (err_read, err_write) = pipe();
        let pid = self.start(program, args, Some([in_read, out_write, err_write]));
        for fd in [in_read, out_write, err_write] {
            check_ok!(fs::close(fd), "close the child's ends");
        }
        // The inputs are small: they fit in the pipe, so this cannot wait for the child.
        check_ok!(fs::write_all(in_write, stdin), "write {program}'s input");
        check_ok!(fs::close(in_write), "close {program}'s input");
        let out = check_ok!(fs::read_to_end(out_read), "read {program}'s output");
        let err = check_ok!(fs::read_to_end(err_read), "read {program}'s errors");
        check_ok!(fs::close(out_read), "close");
        check_ok!(fs::close(err_read), "close");
        let raw = check_ok!(ulib::waitpid(pid), "wait for {program}");
        let status = match WaitStatus::decode(raw) {
            Some(status) => status,
            None => ulib::fail!("{program}: undecodable wait status {raw:#x}"),
        };
        Run {
            status,
            out: String::from_utf8_lossy(&out).into_owned(),
            err: String::from_utf8_lossy(&err).into_owned(),
        }
    }

    /// Runs `program args...` with empty standard input.
    fn run(&self, program: &str, args: &[&str]) -> Run {
        self.run_with_input(program, args, b"")
    }

    /// Runs `program args...` and checks that it succeeded and wrote nothing to standard
    /// error; returns its output.
    fn ok(&self, program: &str, args: &[&str]) -> String {
        let run = self.run(program, args);
        check_eq!(
            run.code(),
            0,
            "{program} {args:?}: status (stderr {:?})",
            run.err
        );
        check_eq!(run.err, "", "{program} {args:?}: stderr");
        run.out
    }

    /// Runs `program args...` and checks that it failed with `code` and wrote `message`
    /// to standard error.
    fn fails(&self, program: &str, args: &[&str], code: u8, message: &str) {
        let run = self.run(program, args);
        check_eq!(run.code(), code, "{program} {args:?}: status");
        check_eq!(run.err, message, "{program} {args:?}: stderr");
    }
}

fn main() -> i32 {
    let bindir = env::args().nth(1).unwrap_or("/bin");
    let launcher = env::args().nth(2);
    let programs = Programs {
        bindir,
        launcher,
        envp: alloc::vec![
            format!("PATH={bindir}"),
            String::from("HOME=/"),
            String::from("T_COREUTILS=1"),
        ],
    };
    let start = check_ok!(fs::getcwd(), "getcwd");
    let dir = check_ok!(fs::scratch_dir("t_coreutils"), "make the scratch directory");
    check_ok!(fs::chdir(&dir), "chdir {dir}");

    check_ls(&programs);
    check_cat_echo(&programs);
    check_mkdir_rm_rmdir(&programs);
    check_ln_mv_cp(&programs);
    check_wc_grep(&programs);
    check_head_tail(&programs);
    check_touch_stat(&programs);
    check_kill(&programs);
    check_small_tools(&programs);
    check_env(&programs);
    check_hexdump(&programs);

    check_ok!(fs::chdir(&start), "chdir back to {start}");
    check_ok!(fs::remove_tree(&dir), "remove {dir}");
    ulib::println!("t_coreutils: ok");
    0
}

fn create(path: &str, data: &[u8]) {
    check_ok!(fs::write_file(path, data, 0o644), "create {path}");
}

/// `count` printable bytes in a pattern that does not repeat with any short period.
fn sample_bytes(count: usize) -> Vec<u8> {
    (0..count)
        .map(|index| b' ' + ((index * 7 + index / 251) % 95) as u8)
        .collect()
}

fn check_ls(programs: &Programs) {
    check_ok!(fs::mkdir("l", 0o755), "mkdir l");
    check_ok!(fs::mkdir("l/sub", 0o755), "mkdir l/sub");
    create("l/b.txt", b"bee\n");
    create("l/a.txt", b"");
    create("l/.hidden", b"");
    check_ok!(fs::symlink("a.txt", "l/link"), "symlink l/link");

    check_eq!(
        programs.ok("ls", &["l"]),
        "a.txt\nb.txt\nlink\nsub\n",
        "ls lists the names sorted"
    );
    check_eq!(
        programs.ok("ls", &["-a", "l"]),
        ".\n..\n.hidden\na.txt\nb.txt\nlink\nsub\n",
        "ls -a"
    );
    check_eq!(
        programs.ok("ls", &["-A", "l"]),
        ".hidden\na.txt\nb.txt\nlink\nsub\n",
        "ls -A"
    );
    check_eq!(
        programs.ok("ls", &["l/b.txt"]),
        "l/b.txt\n",
        "a file operand lists itself"
    );
    check_eq!(
        programs.ok("ls", &["l/sub", "l/b.txt"]),
        "l/b.txt\n\nl/sub:\n",
        "a file, then a directory with its heading"
    );
    check_eq!(programs.ok("ls", &["-d", "l"]), "l\n", "ls -d");

    let long = programs.ok("ls", &["-l", "l"]);
    let lines: Vec<Vec<&str>> = long
        .lines()
        .map(|line| line.split_whitespace().collect())
        .collect();
    check_eq!(lines.len(), 5, "ls -l: total and four entries: {long:?}");
    check_eq!(
        lines[0][0],
        "total",
        "ls -l starts with the total: {long:?}"
    );
    let find = |name: &str| -> &Vec<&str> {
        match lines.iter().find(|fields| fields.contains(&name)) {
            Some(fields) => fields,
            None => ulib::fail!("ls -l has no line for {name}: {long:?}"),
        }
    };
    let b = find("b.txt");
    check_eq!(b[0], "-rw-r--r--", "mode string of a 0644 file");
    check_eq!(b[1], "1", "link count of a file");
    check_eq!(b[4], "4", "size of b.txt");
    check_eq!(b.last(), Some(&"b.txt"), "the name ends the line");
    let sub = find("sub");
    check_eq!(sub[0], "drwxr-xr-x", "mode string of a 0755 directory");
    check_eq!(sub[1], "2", "link count of an empty directory");
    let link = find("link");
    check_eq!(link[0], "lrwxrwxrwx", "mode string of a symbolic link");
    check_eq!(
        link[link.len() - 3..],
        ["link", "->", "a.txt"],
        "a symbolic link shows its target"
    );

    let all_long = programs.ok("ls", &["-la", "l"]);
    check!(
        all_long
            .lines()
            .any(|line| line.starts_with("drwx") && line.ends_with(" .")),
        "ls -la shows '.' as a directory: {all_long:?}"
    );
    let run = programs.run("ls", &["nope", "l/a.txt"]);
    check_eq!(run.code(), 1, "ls of a missing operand: status");
    check_eq!(
        run.err,
        "ls: nope: No such file or directory\n",
        "ls of a missing operand: message"
    );
    check_eq!(
        run.out,
        "l/a.txt\n",
        "ls still lists the operand that exists"
    );
    let run = programs.run("ls", &["-Q"]);
    check_eq!(run.code(), 1, "ls with an unknown option: status");
    check!(
        run.err.starts_with("ls: invalid option -- 'Q'\n"),
        "ls with an unknown option: {:?}",
        run.err
    );
}

fn check_cat_echo(programs: &Programs) {
    create("one", b"1\n");
    create("two", b"2\n");
    check_eq!(
        programs.ok("cat", &["one", "two"]),
        "1\n2\n",
        "cat concatenates"
    );
    check_eq!(
        programs.run_with_input("cat", &[], b"typed\n").out,
        "typed\n",
        "cat copies standard input"
    );
    check_eq!(
        programs
            .run_with_input("cat", &["one", "-", "two"], b"mid\n")
            .out,
        "1\nmid\n2\n",
        "cat reads standard input for -"
    );
    let run = programs.run("cat", &["one", "nope", "two"]);
    check_eq!(run.code(), 1, "cat with a missing file: status");
    check_eq!(run.out, "1\n2\n", "cat copies the files that exist");
    check_eq!(
        run.err,
        "cat: nope: No such file or directory\n",
        "cat with a missing file: message"
    );
    let big = sample_bytes(100 * 1024);
    create("big", &big);
    let out = programs.ok("cat", &["big"]);
    check!(
        out.as_bytes() == big,
        "cat of 100 KiB: {} bytes out, equal: {}",
        out.len(),
        out.as_bytes() == big
    );
    check_ok!(fs::unlink("big"), "unlink big");

    check_eq!(
        programs.ok("echo", &["a", "b  c"]),
        "a b  c\n",
        "echo joins with spaces"
    );
    check_eq!(programs.ok("echo", &["-n", "hi"]), "hi", "echo -n");
    check_eq!(programs.ok("echo", &[]), "\n", "echo alone");
    check_eq!(
        programs.ok("echo", &["--", "-x"]),
        "-- -x\n",
        "echo prints --"
    );
}

fn check_mkdir_rm_rmdir(programs: &Programs) {
    programs.ok("mkdir", &["-p", "m/n/o"]);
    check!(
        fs::read_dir("m/n/o").is_ok(),
        "mkdir -p made the nested directory"
    );
    programs.ok("mkdir", &["-p", "m/n"]);
    programs.ok("mkdir", &["m1", "m2"]);
    check!(fs::read_dir("m2").is_ok(), "mkdir made both directories");
    programs.fails("mkdir", &["m1"], 1, "mkdir: m1: File exists\n");
    programs.fails(
        "mkdir",
        &["q/r"],
        1,
        "mkdir: q/r: No such file or directory\n",
    );
    let run = programs.run("mkdir", &[]);
    check_eq!(run.code(), 1, "mkdir without operands: status");
    check!(
        run.err.starts_with("mkdir: missing operand\n"),
        "mkdir without operands: {:?}",
        run.err
    );

    create("m/n/o/file", b"x");
    create("m/top", b"y");
    programs.fails("rm", &["m"], 1, "rm: m: Is a directory\n");
    programs.ok("rm", &["-r", "m"]);
    check_eq!(
        fs::lstat("m").map(|_| ()),
        Err(ulib::Errno::ENOENT),
        "rm -r removed the tree"
    );
    programs.fails("rm", &["nope"], 1, "rm: nope: No such file or directory\n");
    check_eq!(programs.ok("rm", &["-f", "nope"]), "", "rm -f is silent");
    create("m1/inner", b"z");
    programs.fails("rmdir", &["m1"], 1, "rmdir: m1: Directory not empty\n");
    programs.ok("rm", &["m1/inner"]);
    programs.ok("rmdir", &["m1"]);
    create("m2/f", b"f");
    programs.ok("rm", &["-rf", "m2", "nope"]);
    check_eq!(
        fs::lstat("m2").map(|_| ()),
        Err(ulib::Errno::ENOENT),
        "rm -rf removed the directory"
    );
}

fn check_ln_mv_cp(programs: &Programs) {
    create("orig", b"original\n");
    programs.ok("ln", &["orig", "hard"]);
    let (orig, hard) = (
        check_ok!(fs::stat("orig"), "stat orig"),
        check_ok!(fs::stat("hard"), "stat hard"),
    );
    check_eq!(orig.st_ino, hard.st_ino, "a hard link shares the inode");
    check_eq!(orig.st_nlink, 2, "the file has two links");
    programs.fails("ln", &["orig", "hard"], 1, "ln: hard: File exists\n");
    programs.ok("ln", &["-s", "orig", "soft"]);
    let soft = check_ok!(fs::lstat("soft"), "lstat soft");
    check_eq!(
        soft.st_mode & S_IFMT,
        S_IFLNK,
        "ln -s makes a symbolic link"
    );
    check_eq!(
        check_ok!(fs::readlink("soft"), "readlink soft"),
        "orig",
        "the link holds the target as given"
    );
    check_eq!(
        programs.ok("cat", &["soft"]),
        "original\n",
        "reading through the link"
    );

    programs.ok("mv", &["hard", "moved"]);
    check!(fs::lstat("hard").is_err(), "mv: the old name is gone");
    check_eq!(
        check_ok!(fs::stat("moved"), "stat moved").st_ino,
        orig.st_ino,
        "mv keeps the inode"
    );
    check_ok!(fs::mkdir("into", 0o755), "mkdir into");
    programs.ok("mv", &["moved", "into"]);
    check_eq!(
        check_ok!(fs::read_file("into/moved"), "read into/moved"),
        b"original\n",
        "mv into a directory"
    );

    let data = sample_bytes(100 * 1024 + 3);
    create("source", &data);
    programs.ok("cp", &["source", "copy"]);
    check!(
        check_ok!(fs::read_file("copy"), "read copy") == data,
        "cp copies every byte"
    );
    check_different_files("source", "copy");
    programs.ok("cp", &["orig", "source", "into"]);
    check_eq!(
        check_ok!(fs::read_file("into/orig"), "read into/orig"),
        b"original\n",
        "cp of several files into a directory"
    );
    check_eq!(
        check_ok!(fs::stat("into/source"), "stat into/source").st_size,
        data.len() as i64,
        "the second file copied into the directory"
    );
    let run = programs.run("cp", &["orig"]);
    check_eq!(run.code(), 1, "cp with one operand: status");
    check!(
        run.err
            .starts_with("cp: missing destination file operand after 'orig'\n"),
        "cp with one operand: {:?}",
        run.err
    );
    programs.fails(
        "cp",
        &["nope", "x"],
        1,
        "cp: nope: No such file or directory\n",
    );
    for path in ["orig", "soft", "source", "copy"] {
        check_ok!(fs::unlink(path), "unlink {path}");
    }
    check_ok!(fs::remove_tree("into"), "remove into");
}

fn check_different_files(a: &str, b: &str) {
    let (a_ino, b_ino) = (
        check_ok!(fs::stat(a), "stat {a}").st_ino,
        check_ok!(fs::stat(b), "stat {b}").st_ino,
    );
    check!(a_ino != b_ino, "{a} and {b} are different files");
}

fn check_wc_grep(programs: &Programs) {
    create("text", b"one two\nthree\n");
    check_eq!(programs.ok("wc", &["-l", "text"]), "2 text\n", "wc -l");
    check_eq!(programs.ok("wc", &["-w", "text"]), "3 text\n", "wc -w");
    check_eq!(programs.ok("wc", &["-c", "text"]), "14 text\n", "wc -c");
    let words = |text: &str| -> Vec<String> { text.split_whitespace().map(String::from).collect() };
    check_eq!(
        words(&programs.ok("wc", &["text"])),
        ["2", "3", "14", "text"],
        "wc with all counts"
    );
    let both = programs.ok("wc", &["-lc", "text", "text"]);
    check_eq!(
        both.lines().map(words).collect::<Vec<_>>(),
        [
            ["2", "14", "text"],
            ["2", "14", "text"],
            ["4", "28", "total"]
        ],
        "wc of two files with a total"
    );
    let run = programs.run_with_input("wc", &["-l"], b"a\nb\nc\n");
    check_eq!(run.out.trim(), "3", "wc -l of standard input");

    create("fruit", b"apple\nBanana\ncherry\napple pie\n");
    let grep = |args: &[&str]| programs.run("grep", args);
    let run = grep(&["apple", "fruit"]);
    check_eq!(
        (run.code(), run.out.as_str()),
        (0, "apple\napple pie\n"),
        "grep"
    );
    check_eq!(
        grep(&["-v", "apple", "fruit"]).out,
        "Banana\ncherry\n",
        "grep -v"
    );
    check_eq!(grep(&["-c", "apple", "fruit"]).out, "2\n", "grep -c");
    check_eq!(
        grep(&["-n", "apple", "fruit"]).out,
        "1:apple\n4:apple pie\n",
        "grep -n"
    );
    check_eq!(grep(&["-i", "BANANA", "fruit"]).out, "Banana\n", "grep -i");
    check_eq!(grep(&["-vc", "an", "fruit"]).out, "3\n", "grep -vc");
    check_eq!(
        programs
            .run_with_input("grep", &["rr"], b"berry\nplum\n")
            .out,
        "berry\n",
        "grep of standard input"
    );
    let run = grep(&["zebra", "fruit"]);
    check_eq!(
        (run.code(), run.out.as_str()),
        (1, ""),
        "grep without a match"
    );
    programs.fails(
        "grep",
        &["x", "nope"],
        2,
        "grep: nope: No such file or directory\n",
    );
    check_ok!(fs::unlink("text"), "unlink text");
    check_ok!(fs::unlink("fruit"), "unlink fruit");
}

fn check_head_tail(programs: &Programs) {
    let numbers: String = (1..=20).map(|n| format!("{n}\n")).collect();
    create("numbers", numbers.as_bytes());
    check_eq!(
        programs.ok("head", &["-n", "3", "numbers"]),
        "1\n2\n3\n",
        "head -n 3"
    );
    check_eq!(programs.ok("head", &["-2", "numbers"]), "1\n2\n", "head -2");
    check_eq!(
        programs.ok("head", &["numbers"]).lines().count(),
        10,
        "head shows 10 lines by default"
    );
    check_eq!(
        programs.ok("tail", &["-n", "2", "numbers"]),
        "19\n20\n",
        "tail -n 2"
    );
    check_eq!(
        programs.ok("tail", &["-n", "+19", "numbers"]),
        "19\n20\n",
        "tail -n +19"
    );
    check_eq!(
        programs.run_with_input("head", &["-n1"], b"x\ny\n").out,
        "x\n",
        "head of standard input"
    );
    check_eq!(
        programs.run_with_input("tail", &["-1"], b"x\ny").out,
        "y",
        "tail of standard input without a final newline"
    );
    check_ok!(fs::unlink("numbers"), "unlink numbers");
}

fn check_touch_stat(programs: &Programs) {
    programs.ok("touch", &["fresh"]);
    check_eq!(
        check_ok!(fs::stat("fresh"), "stat fresh").st_size,
        0,
        "touch made an empty file"
    );
    let long_ago = Timespec {
        tv_sec: 1,
        tv_nsec: 0,
    };
    check_ok!(
        fs::utimensat(
            ulib::abi::fs::AT_FDCWD,
            Some("fresh"),
            Some(&[long_ago, long_ago]),
            0
        ),
        "set old times"
    );
    let before = check_ok!(ulib::clock_gettime(CLOCK_REALTIME), "clock_gettime");
    programs.ok("touch", &["fresh"]);
    let after = check_ok!(fs::stat("fresh"), "stat fresh");
    check!(
        after.st_mtime >= before.tv_sec && (after.st_mtime, after.st_mtime_nsec) != (1, 0),
        "touch set the modification time to now: {} (the clock said {})",
        after.st_mtime,
        before.tv_sec
    );
    programs.ok("touch", &["-c", "absent"]);
    check!(fs::lstat("absent").is_err(), "touch -c creates nothing");

    create("five", b"12345");
    let ino = check_ok!(fs::stat("five"), "stat five").st_ino;
    let out = programs.ok("stat", &["five"]);
    for part in [
        String::from("File: five"),
        String::from("Size: 5"),
        String::from("regular file"),
        format!("Inode: {ino}"),
        String::from("Links: 1"),
        String::from("(0644/-rw-r--r--)"),
    ] {
        check!(out.contains(&part), "stat shows {part:?}: {out:?}");
    }
    programs.fails(
        "stat",
        &["nope"],
        1,
        "stat: nope: No such file or directory\n",
    );
    check_ok!(fs::unlink("fresh"), "unlink fresh");
    check_ok!(fs::unlink("five"), "unlink five");
}

fn check_kill(programs: &Programs) {
    let names = programs.ok("kill", &["-l"]);
    let names: Vec<&str> = names.split_whitespace().collect();
    for name in ["HUP", "INT", "KILL", "TERM", "CHLD"] {
        check!(names.contains(&name), "kill -l lists {name}: {names:?}");
    }
    check_eq!(programs.ok("kill", &["-l", "15"]), "TERM\n", "kill -l 15");
    check_eq!(programs.ok("kill", &["-l", "KILL"]), "9\n", "kill -l KILL");

    for (spec, signal) in [("-TERM", SIGTERM), ("-9", SIGKILL)] {
        let child = programs.start("sleep", &["30"], None);
        let pid = child.to_string();
        check_eq!(
            programs.ok("kill", &[spec, &pid]),
            "",
            "kill {spec} of the sleeping child"
        );
        let raw = check_ok!(ulib::waitpid(child), "wait for the sleeping child");
        check_eq!(
            WaitStatus::decode(raw),
            Some(WaitStatus::Signaled {
                sig: signal,
                core: false
            }),
            "the child was killed by kill {spec}"
        );
    }
    programs.fails(
        "kill",
        &["-NOSUCH", "1"],
        1,
        "kill: NOSUCH: invalid signal specification\n",
    );
}

fn check_small_tools(programs: &Programs) {
    check_eq!(programs.run("true", &["ignored"]).code(), 0, "true");
    check_eq!(programs.run("false", &[]).code(), 1, "false");
    check_eq!(programs.ok("sleep", &["0.05"]), "", "sleep 0.05");
    let run = programs.run("sleep", &["soon"]);
    check_eq!(run.code(), 1, "sleep of a bad interval");
    check!(
        run.err.starts_with("sleep: invalid time interval 'soon'\n"),
        "sleep of a bad interval: {:?}",
        run.err
    );
    check_eq!(programs.ok("clear", &[]), "\x1b[H\x1b[2J", "clear's bytes");
    let id = programs.ok("id", &[]);
    check!(
        id.starts_with("uid=") && id.contains(" gid=") && id.ends_with('\n'),
        "id: {id:?}"
    );
    let uid = check_ok!(ulib::process::geteuid(), "geteuid");
    check_eq!(programs.ok("id", &["-u"]), format!("{uid}\n"), "id -u");
    let uptime = programs.ok("uptime", &[]);
    check!(uptime.contains(" up "), "uptime: {uptime:?}");
    let free = programs.ok("free", &[]);
    check!(
        free.lines()
            .nth(1)
            .is_some_and(|line| line.starts_with("Mem:")),
        "free: {free:?}"
    );
    let ps = programs.ok("ps", &[]);
    let header: Vec<&str> = ps.lines().next().unwrap_or("").split_whitespace().collect();
    for column in ["PID", "PPID", "STATE", "TIME", "CMD"] {
        check!(header.contains(&column), "ps shows {column}: {ps:?}");
    }
    if ulib::on_lantern() {
        let log = programs.ok("dmesg", &[]);
        check!(!log.is_empty(), "dmesg shows the kernel log");
    }
}

fn check_env(programs: &Programs) {
    let mut printed = programs.ok("env", &[]);
    let mut sorted: Vec<&str> = printed.lines().collect();
    sorted.sort_unstable();
    let mut expected: Vec<&str> = programs.envp.iter().map(String::as_str).collect();
    expected.sort_unstable();
    check_eq!(sorted, expected, "env prints its environment");

    // `env NAME=value COMMAND` with COMMAND found on PATH: another `env` (under the
    // launcher, if there is one), which prints what it was given.
    let command = programs.command("env");
    let (dir, name) = command[0]
        .rsplit_once('/')
        .unwrap_or((".", command[0].as_str()));
    let path = format!("PATH={dir}");
    let mut args = alloc::vec![path.as_str(), "GREETING=hello", name];
    args.extend(command[1..].iter().map(String::as_str));
    printed = programs.ok("env", &args);
    let mut sorted: Vec<&str> = printed.lines().collect();
    sorted.sort_unstable();
    check_eq!(
        sorted,
        ["GREETING=hello", "HOME=/", path.as_str(), "T_COREUTILS=1"],
        "env NAME=value runs a command from PATH with the variable added"
    );

    let mut args = alloc::vec!["-i", "ONLY=1"];
    args.extend(command.iter().map(String::as_str));
    check_eq!(programs.ok("env", &args), "ONLY=1\n", "env -i");
    programs.fails(
        "env",
        &["no_such_program"],
        127,
        "env: 'no_such_program': No such file or directory\n",
    );
}

fn check_hexdump(programs: &Programs) {
    let mut data = b"0123456789abcdef".to_vec();
    data.extend_from_slice(&[b'A'; 32]);
    data.extend_from_slice(b"x\ty\0");
    create("bytes", &data);
    let expected = "\
00000000  30 31 32 33 34 35 36 37  38 39 61 62 63 64 65 66  |0123456789abcdef|
00000010  41 41 41 41 41 41 41 41  41 41 41 41 41 41 41 41  |AAAAAAAAAAAAAAAA|
*
00000030  78 09 79 00                                       |x.y.|
00000034
";
    check_eq!(
        programs.ok("hexdump", &["-C", "bytes"]),
        expected,
        "hexdump -C"
    );
    check_eq!(
        programs.run_with_input("hexdump", &["-C"], b"hi\n").out,
        "00000000  68 69 0a                                          |hi.|\n00000003\n",
        "hexdump -C of standard input"
    );
    check_ok!(fs::unlink("bytes"), "unlink bytes");
}
