//! `env [-i] [-u NAME]... [NAME=VALUE]... [COMMAND [ARG]...]`: runs a command in a changed
//! environment, or prints the environment (concept U4).
//!
//! The environment starts as `env`'s own (empty with `-i`, or `-` as the first operand),
//! loses each `-u NAME` and gains or replaces each `NAME=VALUE`. Without a command it is
//! printed, one `NAME=VALUE` per line. A command without `/` is looked up in the
//! directories of the new environment's `PATH` (`/bin` if it has none), as `execvp` does;
//! options end at the first operand, so the command's own options are its own. Exit
//! status: the command's; 125 for a usage mistake; 126 if the command was found but could
//! not be run; 127 if it was not found (`env: 'nope': No such file or directory`).

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::string::String;
use alloc::vec::Vec;

use ulib::abi::Errno;
use ulib::cli::{self, Arg, Args, Output, Tool};
use ulib::env;

ulib::entry!(main);

const TOOL: Tool = Tool::new(
    "env",
    "env [-i] [-u NAME]... [NAME=VALUE]... [COMMAND [ARG]...]",
)
.with_trouble_status(USAGE_STATUS);

/// Exit status for a mistake of `env` itself.
const USAGE_STATUS: i32 = 125;
/// Exit status when the command exists but could not be run.
const CANNOT_RUN: i32 = 126;
/// Exit status when the command was not found.
const NOT_FOUND: i32 = 127;

/// Where commands are looked up when the environment has no `PATH`.
const DEFAULT_PATH: &str = "/bin";

fn main() -> i32 {
    let mut vars: Vec<String> = env::vars()
        .map(|(name, value)| alloc::format!("{name}={value}"))
        .collect();
    let mut args = Args::new().stop_at_operand();
    let mut command: Vec<&str> = Vec::new();
    let mut first_operand = true;
    while let Some(arg) = args.next() {
        match arg {
            Arg::Flag('i') => vars.clear(),
            Arg::Flag('u') => match TOOL.value(&mut args, 'u') {
                Ok(name) => vars.retain(|var| var_name(var) != name),
                Err(status) => return status,
            },
            Arg::Operand("-") if first_operand => vars.clear(),
            Arg::Operand(operand) if command.is_empty() && operand.contains('=') => {
                let name = var_name(operand);
                match vars.iter_mut().find(|var| var_name(var) == name) {
                    Some(var) => *var = String::from(operand),
                    None => vars.push(String::from(operand)),
                }
            }
            Arg::Operand(operand) => command.push(operand),
            other => return TOOL.unexpected(other),
        }
        first_operand &= !matches!(arg, Arg::Operand(_));
    }
    let Some(&program) = command.first() else {
        let mut out = Output::stdout();
        for var in &vars {
            out.bytes(var.as_bytes());
            out.bytes(b"\n");
        }
        return TOOL.finish(&mut out, 0);
    };
    let envp: Vec<&str> = vars.iter().map(String::as_str).collect();
    let error = exec_search(program, &command, &envp);
    TOOL.error(&alloc::format!("'{program}'"), error);
    if error == Errno::ENOENT {
        NOT_FOUND
    } else {
        CANNOT_RUN
    }
}

/// The name of a `NAME=VALUE` string.
fn var_name(var: &str) -> &str {
    var.split_once('=').map_or(var, |(name, _)| name)
}

/// Runs `program` with `argv` and `envp`, looking it up in `envp`'s `PATH` unless it has a
/// `/`. Returns only on failure, with why: `EACCES` if a file was found but not runnable,
/// `ENOENT` if none was found, or the first other error.
fn exec_search(program: &str, argv: &[&str], envp: &[&str]) -> Errno {
    if program.contains('/') {
        return ulib::execve(program, argv, envp);
    }
    let path = envp
        .iter()
        .find_map(|var| var.strip_prefix("PATH="))
        .unwrap_or(DEFAULT_PATH);
    let mut denied = false;
    for dir in path.split(':') {
        let dir = if dir.is_empty() { "." } else { dir };
        match ulib::execve(&cli::join(dir, program), argv, envp) {
            Errno::ENOENT | Errno::ENOTDIR => {}
            Errno::EACCES => denied = true,
            other => return other,
        }
    }
    if denied { Errno::EACCES } else { Errno::ENOENT }
}
