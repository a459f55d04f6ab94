//! `t_exec_helper`: the program `t_exec` executes (not a test by itself).
//!
//! Expects `argv = ["t_exec_helper", "alpha", "beta gamma", "<pid>", "<ppid>"]` and
//! `envp = ["LANTERN_X=1"]`, where `<pid>` and `<ppid>` are the ids the process had before
//! it called `execve`: exec must keep both. Exits 0 if everything matches, 1 (after saying
//! what differs) otherwise.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::vec::Vec;

use ulib::{Pid, check, check_eq, env};

ulib::entry!(main);

fn main() -> i32 {
    let args: Vec<&str> = env::args().collect();
    check_eq!(args.len(), 5, "argc");
    check_eq!(
        args[..3],
        ["t_exec_helper", "alpha", "beta gamma"],
        "argv[0..3]"
    );
    let pid_before = args[3].parse::<Pid>();
    check_eq!(
        ulib::getpid().ok(),
        pid_before.ok(),
        "getpid after exec is the pid from before ({})",
        args[3]
    );
    let ppid_before = args[4].parse::<Pid>();
    check_eq!(
        ulib::getppid().ok(),
        ppid_before.ok(),
        "getppid after exec is the parent from before ({})",
        args[4]
    );
    let vars: Vec<(&str, &str)> = env::vars().collect();
    check_eq!(vars, [("LANTERN_X", "1")], "the environment");
    check!(
        env::var("PATH").is_none(),
        "nothing of the old environment is left"
    );
    0
}
