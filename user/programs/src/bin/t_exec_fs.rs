//! Test `t_exec_fs` (expects `exit=0`): `execve` of programs stored in the file system.
//!
//! Works in a fresh directory `/tmp/t_exec_fs.<pid>` ([`fs::scratch_dir`]), removed at the
//! end. The bytes of `/bin/t_exec_helper` are copied into files there.
//! - A copy with mode 0755 runs, by absolute path and, after `chdir`, by a relative path
//!   (`execve` does not search `PATH`): the helper checks its argv, envp, pid and parent.
//! - Failures return to the caller: a missing file is `ENOENT`; a copy with mode 0644 (a
//!   valid program, but not executable) is `EACCES`, and `access(X_OK)` agrees while
//!   `access(R_OK)` succeeds; a text file and an empty file with mode 0755 are `ENOEXEC`; a
//!   path through a file (`file/x`, `file/`) is `ENOTDIR`; a directory is `EACCES`.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::format;

use ulib::abi::Errno;
use ulib::abi::fs::{F_OK, R_OK, S_IFMT, S_IFREG, W_OK, X_OK};
use ulib::abi::wait;
use ulib::{check, check_eq, check_ok, fs};

ulib::entry!(main);

/// The program that is copied and run.
const HELPER: &str = "/bin/t_exec_helper";

fn main() -> i32 {
    let dir = check_ok!(fs::scratch_dir("t_exec_fs"), "make the scratch directory");
    let program = check_ok!(fs::read_file(HELPER), "read {HELPER}");
    check!(
        program.starts_with(b"\x7fELF"),
        "{HELPER} is an ELF file ({} bytes)",
        program.len()
    );
    let runnable = format!("{dir}/helper");
    check_ok!(
        fs::write_file(&runnable, &program, 0o755),
        "copy to {runnable}"
    );
    let stat = check_ok!(fs::stat(&runnable), "stat {runnable}");
    check!(
        stat.st_mode & S_IFMT == S_IFREG && stat.st_mode & 0o100 != 0,
        "{runnable} is an executable regular file (mode {:#o})",
        stat.st_mode
    );
    check_eq!(
        stat.st_size,
        program.len() as i64,
        "the copy has the program's size"
    );
    check_eq!(
        fs::access(&runnable, X_OK),
        Ok(()),
        "access(X_OK) of the copy"
    );
    check_runs(&runnable, None);
    check_runs("helper", Some(&dir));
    check_runs("./helper", Some(&dir));
    check_failures(&dir, &program);
    check_ok!(fs::remove_tree(&dir), "remove {dir}");
    ulib::println!("t_exec_fs: ok");
    0
}

/// Runs the helper at `path` in a child (after `chdir(cwd)` if given) and checks that it
/// was happy.
fn check_runs(path: &str, cwd: Option<&str>) {
    let parent = check_ok!(ulib::getpid(), "getpid");
    let child = check_ok!(
        ulib::spawn(|| {
            if let Some(cwd) = cwd
                && fs::chdir(cwd).is_err()
            {
                return 101;
            }
            let pid = format!("{}", ulib::getpid().unwrap_or(0));
            let ppid = format!("{parent}");
            let error = ulib::execve(
                path,
                &["t_exec_helper", "alpha", "beta gamma", &pid, &ppid],
                &["LANTERN_X=1"],
            );
            ulib::eprintln!("t_exec_fs: execve({path}) failed: {error}");
            100
        }),
        "fork"
    );
    check_eq!(
        ulib::waitpid(child),
        Ok(wait::exited(0)),
        "the child that exec'd {path:?} (in {cwd:?}) exited 0 (100: execve failed)"
    );
}

fn exec(path: &str) -> Errno {
    ulib::execve(path, &[path], &[])
}

fn check_failures(dir: &str, program: &[u8]) {
    check_eq!(
        exec(&format!("{dir}/missing")),
        Errno::ENOENT,
        "execve of a missing file"
    );

    let not_executable = format!("{dir}/noexec");
    check_ok!(
        fs::write_file(&not_executable, program, 0o644),
        "write {not_executable}"
    );
    check_eq!(
        exec(&not_executable),
        Errno::EACCES,
        "execve of a program with mode 0644"
    );
    check_eq!(
        fs::access(&not_executable, X_OK),
        Err(Errno::EACCES),
        "access(X_OK) of a file with mode 0644"
    );
    check_eq!(
        fs::access(&not_executable, R_OK | W_OK),
        Ok(()),
        "access(R_OK | W_OK) of a file with mode 0644"
    );
    check_eq!(fs::access(&not_executable, F_OK), Ok(()), "access(F_OK)");
    check_eq!(
        fs::access(&format!("{dir}/missing"), F_OK),
        Err(Errno::ENOENT),
        "access(F_OK) of a missing file"
    );

    let text = format!("{dir}/text");
    check_ok!(
        fs::write_file(&text, b"echo this is not a program\n", 0o755),
        "write {text}"
    );
    check_eq!(
        exec(&text),
        Errno::ENOEXEC,
        "execve of an executable text file"
    );
    let empty = format!("{dir}/empty");
    check_ok!(fs::write_file(&empty, b"", 0o755), "write {empty}");
    check_eq!(
        exec(&empty),
        Errno::ENOEXEC,
        "execve of an empty executable file"
    );

    let runnable = format!("{dir}/helper");
    for path in [
        format!("{runnable}/x"),
        format!("{runnable}/"),
        format!("{text}/helper"),
    ] {
        check_eq!(exec(&path), Errno::ENOTDIR, "execve of {path:?}");
    }
    check_eq!(exec(dir), Errno::EACCES, "execve of a directory");
}
