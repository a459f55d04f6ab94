//! `sh`: Lantern's shell (concept U3). The language (quotes, `$VAR`, redirections, pipes,
//! `&&`, `||`, `;`, `&`) is parsed and expanded by the host-tested `shell` crate; this
//! program runs it with the process calls the seeds teach:
//!
//! - **fork / exec / wait.** For each command the shell forks. The child, *between fork and
//!   exec*, joins the job's process group, gives the signals the shell ignores their
//!   default actions back, connects its pipes and does its redirections (`open` the file,
//!   `dup2` it onto 0, 1 or 2, `close` the original), then `execve`s each `PATH` candidate
//!   in turn. The parent (the shell) waits for it with `wait4`.
//! - **Pipelines.** `a | b | c` makes one pipe between each pair; every process of the
//!   pipeline is in one process group (the job), named after the first one.
//! - **Job control** (when interactive on a terminal). The shell puts itself in its own
//!   process group, ignores SIGINT, SIGQUIT, SIGTSTP, SIGTTIN and SIGTTOU, gives the
//!   terminal to the foreground job (`tcsetpgrp`) and takes it back when the job ends or
//!   stops (`wait4` with `WUNTRACED`). Ctrl-C and Ctrl-Z therefore reach only the job. A
//!   stopped job waits in the job table for `fg` or `bg`, which resume it with
//!   `kill(-pgid, SIGCONT)`. Background jobs (`&`) are reaped with `WNOHANG` before each
//!   prompt, and their end is reported as `[1]+  Done  cmd`.
//! - **Builtins** run in the shell itself, because they change the shell: `cd`, `pwd`,
//!   `exit [n]`, `export`, `unset`, `jobs`, `fg`, `bg`, `wait`. In a pipeline or in the
//!   background they run in a forked child like any command.
//! - **Variables.** The shell keeps its variables; exported ones (all that it inherited, and
//!   those named by `export`) are the environment of the programs it starts. `NAME=value
//!   cmd` sets `NAME` for that command only; `NAME=value` alone sets a shell variable.
//! - `$?` is the status of the last pipeline: the exit status of its last command, or 128
//!   plus the signal that killed or stopped it; the death of a foreground job by a signal is
//!   reported like bash does (`Killed`, `Segmentation fault (core dumped)`).
//!
//! Usage: `sh` reads commands from standard input (with a prompt, `$ ` or `# ` for root,
//! when standard input is a terminal); `sh -i` is interactive whatever standard input is;
//! `sh -c 'commands' [name [args...]]` runs one string; `sh script [args...]` runs a file
//! line by line (`$0` is its name, `$1`.. its arguments; a `#!` first line is a comment).
//! A command line may continue on the next line after an open quote, a trailing `\`, `|`,
//! `&&` or `||`. Exit status: that of the last command; 2 for a syntax error outside
//! interactive use; 127 if the script cannot be opened.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use shell::{
    AndOr, Command, Connector, Environment, JobState, JobTable, List, Param, Pipeline,
    ProcessState, RedirectKind, Variables, command_paths, death_message, expand_fields,
    is_valid_name, parse, split_assignment,
};
use ulib::abi::Errno;
use ulib::abi::fs::{
    F_DUPFD_CLOEXEC, O_APPEND, O_CLOEXEC, O_CREAT, O_RDONLY, O_TRUNC, O_WRONLY, SEEK_SET,
};
use ulib::abi::signal::{SIG_IGN, SIGCONT, SIGINT, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU};
use ulib::abi::tty::Termios;
use ulib::abi::wait::{WNOHANG, WUNTRACED};
use ulib::tty::When;
use ulib::{Fork, Pid, env, eprint, eprintln, fs, println, signal, tty};

ulib::entry!(main);

/// The terminal the shell controls jobs on: standard input.
const TTY: i32 = 0;

/// Descriptors the shell keeps for itself (saved descriptors, the script) are moved to this
/// number or above, out of the way of the small numbers redirections name.
const PRIVATE_FD_BASE: usize = 10;

/// Status of a command that could not be found.
const NOT_FOUND: i32 = 127;
/// Status of a command that was found but could not be executed.
const NOT_EXECUTABLE: i32 = 126;
/// Status after a syntax error or a misused builtin.
const MISUSE: i32 = 2;

const USAGE: &str = "usage: sh [-i] [-c commands [name [args...]] | script [args...]]";

fn main() -> i32 {
    let args: Vec<&'static str> = env::args().skip(1).collect();
    let invocation = match Invocation::parse(&args) {
        Ok(invocation) => invocation,
        Err(message) => {
            eprintln!("sh: {message}");
            eprintln!("{USAGE}");
            return MISUSE;
        }
    };
    let mut shell = Shell::new(&invocation);
    match invocation.source {
        Source::Stdin => shell.run_lines(&mut LineReader::new(TTY, 1)),
        Source::Command(text) => shell.run_string(text),
        Source::Script(path) => match open_private(path) {
            Ok(fd) => shell.run_lines(&mut LineReader::new(fd, fs::READER_BUFFER)),
            Err(error) => {
                eprintln!("sh: {path}: {}", error.description());
                NOT_FOUND
            }
        },
    }
}

/// Where the commands come from.
enum Source {
    /// Standard input.
    Stdin,
    /// The string after `-c`.
    Command(&'static str),
    /// A script file.
    Script(&'static str),
}

/// The command line of `sh`.
struct Invocation {
    source: Source,
    /// `-i`: interactive even if standard input is not a terminal.
    interactive: bool,
    /// `$0`, `$1`, ...
    positional: Vec<String>,
}

impl Invocation {
    fn parse(args: &[&'static str]) -> Result<Invocation, String> {
        let mut interactive = false;
        let mut command = false;
        let mut rest = args;
        while let Some((&first, tail)) = rest.split_first() {
            match first {
                "-i" => interactive = true,
                "-c" => command = true,
                "--" => {
                    rest = tail;
                    break;
                }
                _ if first.starts_with('-') && first.len() > 1 => {
                    return Err(format!("{first}: invalid option"));
                }
                _ => break,
            }
            rest = tail;
        }
        let owned = |words: &[&str]| words.iter().map(|word| word.to_string()).collect();
        if command {
            let Some((&text, names)) = rest.split_first() else {
                return Err("-c: option requires an argument".to_string());
            };
            let mut positional: Vec<String> = owned(names);
            if positional.is_empty() {
                positional.push("sh".to_string());
            }
            return Ok(Invocation {
                source: Source::Command(text),
                interactive,
                positional,
            });
        }
        match rest.first() {
            Some(&script) => Ok(Invocation {
                source: Source::Script(script),
                interactive,
                positional: owned(rest),
            }),
            None => Ok(Invocation {
                source: Source::Stdin,
                interactive,
                positional: alloc::vec!["sh".to_string()],
            }),
        }
    }
}

/// Opens `path` for reading on a close-on-exec descriptor numbered [`PRIVATE_FD_BASE`] or
/// more.
fn open_private(path: &str) -> Result<i32, Errno> {
    let fd = fs::open(path, O_RDONLY | O_CLOEXEC, 0)?;
    let moved = fs::fcntl(fd, F_DUPFD_CLOEXEC, PRIVATE_FD_BASE);
    let _ = fs::close(fd);
    moved
}

/// Reads lines from a descriptor, `block` bytes per `read`. Standard input is read one byte
/// at a time, so that a program the shell starts finds the rest of the input just after
/// the line that started it (`printf 'cat\nhello\n' | sh` must let `cat` read `hello`).
struct LineReader {
    fd: i32,
    buf: Vec<u8>,
    /// Unread bytes are `buf[start..end]`.
    start: usize,
    end: usize,
}

impl LineReader {
    fn new(fd: i32, block: usize) -> LineReader {
        LineReader {
            fd,
            buf: alloc::vec![0; block.max(1)],
            start: 0,
            end: 0,
        }
    }

    /// The next line without its newline; `None` at end of input.
    fn read_line(&mut self) -> Result<Option<String>, Errno> {
        let mut line = Vec::new();
        loop {
            if self.start == self.end {
                let count = loop {
                    match ulib::read(self.fd, &mut self.buf) {
                        Err(Errno::EINTR) => {}
                        other => break other?,
                    }
                };
                if count == 0 {
                    return Ok((!line.is_empty()).then(|| lossy(line)));
                }
                self.start = 0;
                self.end = count.min(self.buf.len());
            }
            let byte = self.buf[self.start];
            self.start += 1;
            if byte == b'\n' {
                return Ok(Some(lossy(line)));
            }
            line.push(byte);
        }
    }
}

fn lossy(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes)
        .unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned())
}

/// The terminal, while the shell does job control on it.
struct Terminal {
    /// The shell's own process group, which owns the terminal between jobs.
    pgid: Pid,
    /// The terminal modes the shell runs with, restored after every foreground job (a
    /// program that dies in raw mode must not leave the terminal unusable).
    modes: Option<Termios>,
}

/// A command after expansion: what a child needs to run it.
struct Expanded {
    argv: Vec<String>,
    /// `NAME=value` for this command only.
    assignments: Vec<(String, String)>,
    redirects: Vec<Redirection>,
}

/// One redirection with its target expanded.
struct Redirection {
    fd: i32,
    target: Target,
}

enum Target {
    /// Open this file with these flags.
    File { path: String, flags: u32 },
    /// Copy descriptor `m` (`>&m`).
    Duplicate(i32),
    /// Close the descriptor (`>&-`).
    Close,
}

/// What one process of a job runs.
enum Stage<'a> {
    /// A simple command.
    Simple(Expanded),
    /// A whole and-or list in a child shell (`a && b &`).
    Subshell(&'a AndOr),
}

/// A descriptor the shell redirected for a builtin, and its saved copy (`None`: it was
/// closed before).
struct SavedFd {
    fd: i32,
    copy: Option<i32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Builtin {
    Cd,
    Pwd,
    Exit,
    Export,
    Unset,
    Jobs,
    Fg,
    Bg,
    Wait,
}

impl Builtin {
    fn from_name(name: &str) -> Option<Builtin> {
        Some(match name {
            "cd" => Builtin::Cd,
            "pwd" => Builtin::Pwd,
            "exit" => Builtin::Exit,
            "export" => Builtin::Export,
            "unset" => Builtin::Unset,
            "jobs" => Builtin::Jobs,
            "fg" => Builtin::Fg,
            "bg" => Builtin::Bg,
            "wait" => Builtin::Wait,
            _ => return None,
        })
    }
}

struct Shell {
    vars: Variables,
    jobs: JobTable,
    /// `$0`, `$1`, ...
    positional: Vec<String>,
    /// `$?`.
    last_status: i32,
    /// `$!`.
    last_background: Option<Pid>,
    /// `$$`.
    pid: Pid,
    /// Prompts, job notices, `exit` on leaving.
    interactive: bool,
    /// `Some` while the shell does job control.
    terminal: Option<Terminal>,
    /// Signals whose disposition the shell changed, which its children set back to default.
    changed_signals: Vec<u32>,
    /// `exit` already warned about stopped jobs.
    warned_stopped: bool,
}

impl Environment for Shell {
    fn value(&self, param: &Param) -> Option<String> {
        match param {
            Param::Var(name) => self.vars.get(name).map(String::from),
            Param::Status => Some(self.last_status.to_string()),
            Param::ShellPid => Some(self.pid.to_string()),
            Param::LastBackground => self.last_background.map(|pid| pid.to_string()),
            Param::ArgCount => Some(self.positional.len().saturating_sub(1).to_string()),
            Param::Positional(index) => self.positional.get(*index).cloned(),
            Param::Args | Param::ArgsJoined => {
                Some(self.positional.get(1..).unwrap_or_default().join(" "))
            }
        }
    }
}

impl Shell {
    fn new(invocation: &Invocation) -> Shell {
        let reads_stdin = matches!(invocation.source, Source::Stdin);
        let on_terminal = tty::isatty(TTY);
        let interactive = invocation.interactive || (reads_stdin && on_terminal);
        let mut shell = Shell {
            vars: Variables::from_environment(env::vars()),
            jobs: JobTable::new(),
            positional: invocation.positional.clone(),
            last_status: 0,
            last_background: None,
            pid: ulib::getpid().unwrap_or(0),
            interactive,
            terminal: None,
            changed_signals: Vec::new(),
            warned_stopped: false,
        };
        if interactive {
            if on_terminal && wait_for_foreground() {
                shell.ignore_signals(&[SIGINT, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU]);
                shell.terminal = take_terminal(shell.pid);
            } else {
                shell.ignore_signals(&[SIGINT, SIGQUIT]);
            }
        }
        shell
    }

    /// Ignores `signals`, remembering which ones the children must set back.
    fn ignore_signals(&mut self, signals: &[u32]) {
        for &sig in signals {
            if let Ok(previous) = signal::ignore(sig)
                && previous.handler != SIG_IGN
            {
                self.changed_signals.push(sig);
            }
        }
    }

    // ---- reading commands ----

    /// Runs every line `reader` gives; returns the shell's exit status.
    fn run_lines(&mut self, reader: &mut LineReader) -> i32 {
        let mut pending = String::new();
        loop {
            self.reap_jobs();
            if self.interactive {
                for line in self.jobs.notifications() {
                    eprintln!("{line}");
                }
                eprint!("{}", self.prompt(pending.is_empty()));
            }
            let line = match reader.read_line() {
                Ok(Some(line)) => line,
                Ok(None) => break,
                Err(error) => {
                    eprintln!("sh: cannot read commands: {}", error.description());
                    break;
                }
            };
            pending.push_str(&line);
            pending.push('\n');
            match parse(&pending) {
                Ok(list) => {
                    pending.clear();
                    self.run_list(&list);
                }
                Err(error) if error.is_incomplete() => {}
                Err(error) => {
                    pending.clear();
                    eprintln!("sh: {error}");
                    self.last_status = MISUSE;
                    if !self.interactive {
                        return MISUSE;
                    }
                }
            }
        }
        if !pending.is_empty()
            && let Err(error) = parse(&pending)
        {
            eprintln!("sh: {error}");
            return MISUSE;
        }
        if self.interactive {
            eprintln!("exit");
        }
        self.last_status
    }

    /// Runs the commands of `sh -c`.
    fn run_string(&mut self, text: &str) -> i32 {
        match parse(text) {
            Ok(list) => {
                self.run_list(&list);
                self.last_status
            }
            Err(error) => {
                eprintln!("sh: -c: {error}");
                MISUSE
            }
        }
    }

    /// `$ `, `# ` for root, `> ` when a command continues on the next line.
    fn prompt(&self, fresh: bool) -> &'static str {
        if !fresh {
            "> "
        } else if ulib::process::geteuid() == Ok(0) {
            "# "
        } else {
            "$ "
        }
    }

    // ---- running lists, and-or lists and pipelines ----

    fn run_list(&mut self, list: &List) {
        for item in &list.items {
            if item.background {
                self.start_background(&item.and_or);
            } else {
                self.run_and_or(&item.and_or);
            }
        }
    }

    /// Runs the pipelines of `and_or` as `&&` and `||` allow; returns (and sets) `$?`.
    fn run_and_or(&mut self, and_or: &AndOr) -> i32 {
        let mut status = self.run_pipeline(&and_or.first);
        for (connector, pipeline) in &and_or.rest {
            let wanted = match connector {
                Connector::And => status == 0,
                Connector::Or => status != 0,
            };
            if wanted {
                status = self.run_pipeline(pipeline);
            }
        }
        status
    }

    /// Runs `pipeline` in the foreground; returns (and sets) `$?`.
    fn run_pipeline(&mut self, pipeline: &Pipeline) -> i32 {
        let status = match pipeline.commands.as_slice() {
            [command] => {
                let argv = expand_fields(&command.argv, self);
                match argv.first().map(|name| Builtin::from_name(name)) {
                    None => self.assign_and_redirect(command),
                    Some(Some(builtin)) => {
                        let expanded = self.expand(command, argv);
                        self.run_builtin_here(builtin, &expanded)
                    }
                    Some(None) => {
                        let stages = alloc::vec![Stage::Simple(self.expand(command, argv))];
                        self.run_foreground(stages, &pipeline.text)
                    }
                }
            }
            commands => {
                let stages = commands
                    .iter()
                    .map(|command| {
                        let argv = expand_fields(&command.argv, self);
                        Stage::Simple(self.expand(command, argv))
                    })
                    .collect();
                self.run_foreground(stages, &pipeline.text)
            }
        };
        self.last_status = status;
        status
    }

    /// Starts `stages` as a job and waits for it.
    fn run_foreground(&mut self, stages: Vec<Stage<'_>>, text: &str) -> i32 {
        match self.start_job(stages, text, true) {
            Some(id) => self.wait_foreground(id, false),
            None => NOT_EXECUTABLE,
        }
    }

    /// Starts `and_or` as a background job: directly when it is one pipeline, else in a
    /// child shell. Prints `[n] pid` when interactive.
    fn start_background(&mut self, and_or: &AndOr) {
        let stages = if and_or.rest.is_empty() {
            and_or
                .first
                .commands
                .iter()
                .map(|command| {
                    let argv = expand_fields(&command.argv, self);
                    Stage::Simple(self.expand(command, argv))
                })
                .collect()
        } else {
            alloc::vec![Stage::Subshell(and_or)]
        };
        let Some(id) = self.start_job(stages, &and_or.text, false) else {
            self.last_status = NOT_EXECUTABLE;
            return;
        };
        let last_pid = self.jobs.get(id).and_then(|job| job.pids().last());
        self.last_background = last_pid;
        self.last_status = 0;
        if self.interactive
            && let Some(pid) = last_pid
        {
            eprintln!("[{id}] {pid}");
        }
    }

    /// Expands the assignments and redirections of `command`, whose arguments expanded to
    /// `argv`.
    fn expand(&self, command: &Command, argv: Vec<String>) -> Expanded {
        let assignments = command
            .assignments
            .iter()
            .map(|assignment| (assignment.name.clone(), assignment.value.expand(self)))
            .collect();
        let redirects = command
            .redirects
            .iter()
            .map(|redirect| {
                let file = |word: &shell::Word, flags| Target::File {
                    path: word.expand(self),
                    flags,
                };
                let target = match &redirect.kind {
                    RedirectKind::Input(word) => file(word, O_RDONLY),
                    RedirectKind::Output(word) => file(word, O_WRONLY | O_CREAT | O_TRUNC),
                    RedirectKind::Append(word) => file(word, O_WRONLY | O_CREAT | O_APPEND),
                    RedirectKind::Duplicate(from) => Target::Duplicate(*from),
                    RedirectKind::Close => Target::Close,
                };
                Redirection {
                    fd: redirect.fd,
                    target,
                }
            })
            .collect();
        Expanded {
            argv,
            assignments,
            redirects,
        }
    }

    /// A command without a name: `NAME=value` sets shell variables (left to right, each
    /// seeing the ones before), redirections are done and undone (`> file` creates it).
    fn assign_and_redirect(&mut self, command: &Command) -> i32 {
        let expanded = self.expand(command, Vec::new());
        let saved = match redirect_saving(&expanded.redirects) {
            Ok(saved) => saved,
            Err(message) => {
                eprintln!("sh: {message}");
                return 1;
            }
        };
        for assignment in &command.assignments {
            let value = assignment.value.expand(self);
            self.vars.set(&assignment.name, &value);
        }
        restore(saved);
        0
    }

    /// Runs a builtin in the shell, with its redirections done for it only and its
    /// assignments set for it only.
    fn run_builtin_here(&mut self, builtin: Builtin, command: &Expanded) -> i32 {
        let saved = match redirect_saving(&command.redirects) {
            Ok(saved) => saved,
            Err(message) => {
                eprintln!("sh: {message}");
                return 1;
            }
        };
        let previous: Vec<(String, Option<String>)> = command
            .assignments
            .iter()
            .map(|(name, _)| (name.clone(), self.vars.get(name).map(String::from)))
            .collect();
        for (name, value) in &command.assignments {
            self.vars.set(name, value);
        }
        let status = self.run_builtin(builtin, &command.argv);
        for (name, value) in previous.into_iter().rev() {
            match value {
                Some(value) => self.vars.set(&name, &value),
                None => self.vars.unset(&name),
            }
        }
        restore(saved);
        status
    }

    // ---- jobs: starting, waiting, reaping ----

    /// Forks one process per stage, connected by pipes, all in one new process group (with
    /// job control); adds them to the job table as one job and returns its id (`None` if
    /// not even the first process could be started).
    fn start_job(&mut self, stages: Vec<Stage<'_>>, text: &str, foreground: bool) -> Option<usize> {
        let mut pgid: Pid = 0;
        let mut pids = Vec::new();
        // The read end of the pipe from the previous stage.
        let mut input: Option<i32> = None;
        let count = stages.len();
        for (index, stage) in stages.into_iter().enumerate() {
            let output = if index + 1 < count {
                match fs::pipe2(O_CLOEXEC) {
                    Ok(pipe) => Some(pipe),
                    Err(error) => {
                        eprintln!("sh: pipe: {}", error.description());
                        break;
                    }
                }
            } else {
                None
            };
            match ulib::fork() {
                Ok(Fork::Child) => {
                    self.enter_job(pgid, foreground, index == 0);
                    connect(input, output);
                    let status = match stage {
                        Stage::Simple(command) => self.run_in_child(command),
                        Stage::Subshell(and_or) => self.run_and_or(and_or),
                    };
                    ulib::exit(status)
                }
                Ok(Fork::Parent(pid)) => {
                    if pgid == 0 {
                        pgid = pid;
                    }
                    if self.terminal.is_some() {
                        // The child does the same; whichever runs first wins the race, and
                        // the group exists before anyone signals it.
                        let _ = tty::setpgid(pid, pgid);
                    }
                    pids.push(pid);
                }
                Err(error) => {
                    eprintln!("sh: fork: {}", error.description());
                    if let Some((read, write)) = output {
                        let _ = fs::close(read);
                        let _ = fs::close(write);
                    }
                    break;
                }
            }
            if let Some(fd) = input {
                let _ = fs::close(fd);
            }
            input = output.map(|(read, write)| {
                let _ = fs::close(write);
                read
            });
        }
        if let Some(fd) = input {
            let _ = fs::close(fd);
        }
        if pids.is_empty() {
            return None;
        }
        Some(self.jobs.add(pgid, &pids, text))
    }

    /// In a new child, before it runs its stage: joins the job's group (`pgid`, 0 for a new
    /// one), takes the terminal if it is a foreground job, and gives the signals the shell
    /// changed their default actions back. A background job without job control ignores
    /// SIGINT and SIGQUIT and reads `/dev/null`, as POSIX asks, so that Ctrl-C and the
    /// terminal stay with the foreground.
    fn enter_job(&mut self, pgid: Pid, foreground: bool, first: bool) {
        if self.terminal.is_some() {
            let _ = tty::setpgid(0, pgid);
            if foreground {
                let group = if pgid == 0 {
                    ulib::getpid().unwrap_or(0)
                } else {
                    pgid
                };
                let _ = tty::tcsetpgrp(TTY, group);
            }
        }
        for sig in core::mem::take(&mut self.changed_signals) {
            let _ = signal::set_default(sig);
        }
        if self.terminal.is_none() && !foreground {
            let _ = signal::ignore(SIGINT);
            let _ = signal::ignore(SIGQUIT);
            if first && let Ok(null) = fs::open("/dev/null", O_RDONLY, 0) {
                move_fd(null, 0);
            }
        }
        self.terminal = None;
        self.interactive = false;
    }

    /// Waits for job `id` in the foreground: it owns the terminal until it ends or stops.
    /// With `resume` (`fg`), it is sent SIGCONT once it has the terminal. Returns its
    /// status.
    fn wait_foreground(&mut self, id: usize, resume: bool) -> i32 {
        let Some(pgid) = self.jobs.get(id).map(|job| job.pgid) else {
            return 0;
        };
        if self.terminal.is_some() {
            let _ = tty::tcsetpgrp(TTY, pgid);
        }
        if resume && let Err(error) = self.continue_job(id) {
            eprintln!("sh: fg: {}", error.description());
        }
        self.wait_while_running(id);
        if let Some(terminal) = &self.terminal {
            let _ = tty::tcsetpgrp(TTY, terminal.pgid);
            if let Some(modes) = &terminal.modes {
                let _ = tty::tcsetattr(TTY, When::Drain, modes);
            }
        }
        let Some(job) = self.jobs.get(id) else {
            return 0;
        };
        let status = job.status();
        if let JobState::Stopped(_) = job.state() {
            if let Some(line) = self.jobs.report_one(id) {
                eprintln!();
                eprintln!("{line}");
            }
            return status;
        }
        if let Some(job) = self.jobs.remove(id) {
            let interrupted = job
                .signal_deaths()
                .any(|death| matches!(death, ProcessState::Signaled { sig: SIGINT, .. }));
            match job.signal_deaths().find_map(death_message) {
                Some(message) => eprintln!("{message}"),
                // The terminal echoed ^C; end that line before the next prompt.
                None if interrupted && self.interactive => eprintln!(),
                None => {}
            }
        }
        status
    }

    /// Reaps children (blocking) until job `id` no longer runs.
    fn wait_while_running(&mut self, id: usize) {
        while self
            .jobs
            .get(id)
            .is_some_and(|job| job.state() == JobState::Running)
        {
            match ulib::wait4(-1, WUNTRACED) {
                Ok((pid, status)) => {
                    self.jobs.record(pid, status);
                }
                Err(Errno::EINTR) => {}
                Err(error) => {
                    eprintln!("sh: wait: {}", error.description());
                    break;
                }
            }
        }
    }

    /// Reaps every child that has changed state, without blocking.
    fn reap_jobs(&mut self) {
        while let Ok((pid, status)) = ulib::wait4(-1, WNOHANG | WUNTRACED) {
            if pid == 0 {
                break;
            }
            self.jobs.record(pid, status);
        }
    }

    // ---- in the child ----

    /// Does the redirections of `command` and runs it: a builtin here, anything else by
    /// `execve`. Returns the exit status when it could not be executed.
    fn run_in_child(&mut self, command: Expanded) -> i32 {
        for redirection in &command.redirects {
            if let Err(message) = redirect(redirection) {
                eprintln!("sh: {message}");
                return 1;
            }
        }
        let Some(name) = command.argv.first() else {
            return 0;
        };
        if let Some(builtin) = Builtin::from_name(name) {
            for (name, value) in &command.assignments {
                self.vars.set(name, value);
            }
            return self.run_builtin(builtin, &command.argv);
        }
        self.exec(&command)
    }

    /// `execve`s each candidate `PATH` gives for the command; returns 127 if none exists,
    /// 126 if one exists but cannot be executed. A text file the kernel will not execute
    /// (`ENOEXEC`) is run as a shell script in this process.
    fn exec(&mut self, command: &Expanded) -> i32 {
        let environment = self.vars.environment(&command.assignments);
        let envp: Vec<&str> = environment.iter().map(String::as_str).collect();
        let argv: Vec<&str> = command.argv.iter().map(String::as_str).collect();
        let name = argv[0];
        let path = command
            .assignments
            .iter()
            .rev()
            .find(|(var, _)| var == "PATH")
            .map(|(_, value)| value.as_str())
            .or_else(|| self.vars.get("PATH"));
        let mut denied = None;
        for candidate in command_paths(name, path) {
            match ulib::execve(&candidate, &argv, &envp) {
                Errno::ENOENT | Errno::ENOTDIR => {}
                Errno::EACCES => {
                    denied.get_or_insert(candidate);
                }
                Errno::ENOEXEC => {
                    return self.run_as_script(&candidate, &environment, &command.argv);
                }
                error => {
                    eprintln!("sh: {candidate}: {}", error.description());
                    return NOT_EXECUTABLE;
                }
            }
        }
        if let Some(candidate) = denied {
            eprintln!("sh: {candidate}: {}", Errno::EACCES.description());
            NOT_EXECUTABLE
        } else if name.contains('/') {
            eprintln!("sh: {name}: {}", Errno::ENOENT.description());
            NOT_FOUND
        } else {
            eprintln!("sh: {name}: command not found");
            NOT_FOUND
        }
    }

    /// Runs the file at `path` as a script in this (child) process, as a fresh shell with
    /// `environment` and the arguments `argv`. A file that looks binary is refused.
    fn run_as_script(&mut self, path: &str, environment: &[String], argv: &[String]) -> i32 {
        let fd = match open_private(path) {
            Ok(fd) => fd,
            Err(error) => {
                eprintln!("sh: {path}: {}", error.description());
                return NOT_EXECUTABLE;
            }
        };
        let mut head = [0u8; 128];
        let looks_binary = fs::read_full(fd, &mut head).is_ok_and(|len| head[..len].contains(&0));
        if looks_binary {
            eprintln!(
                "sh: {path}: cannot execute binary file: {}",
                Errno::ENOEXEC.description()
            );
            return NOT_EXECUTABLE;
        }
        if fs::lseek(fd, 0, SEEK_SET).is_err() {
            return NOT_EXECUTABLE;
        }
        self.vars = Variables::from_environment(
            environment.iter().filter_map(|entry| entry.split_once('=')),
        );
        self.jobs = JobTable::new();
        self.positional = argv.to_vec();
        self.last_status = 0;
        self.run_lines(&mut LineReader::new(fd, fs::READER_BUFFER))
    }

    // ---- builtins ----

    fn run_builtin(&mut self, builtin: Builtin, argv: &[String]) -> i32 {
        let args = &argv[1..];
        match builtin {
            Builtin::Cd => self.cd(args),
            Builtin::Pwd => pwd(),
            Builtin::Exit => self.exit(args),
            Builtin::Export => self.export(args),
            Builtin::Unset => self.unset(args),
            Builtin::Jobs => {
                self.reap_jobs();
                for line in self.jobs.listing() {
                    println!("{line}");
                }
                0
            }
            Builtin::Fg => self.fg(args),
            Builtin::Bg => self.bg(args),
            Builtin::Wait => self.wait(args),
        }
    }

    /// `cd [dir | -]`: no argument goes to `$HOME`, `-` to `$OLDPWD`. Sets `PWD` and
    /// `OLDPWD`.
    fn cd(&mut self, args: &[String]) -> i32 {
        if args.len() > 1 {
            eprintln!("sh: cd: too many arguments");
            return 1;
        }
        let (target, show) = match args.first().map(String::as_str) {
            None => match self.vars.get("HOME") {
                Some(home) => (home.to_string(), false),
                None => {
                    eprintln!("sh: cd: HOME not set");
                    return 1;
                }
            },
            Some("-") => match self.vars.get("OLDPWD") {
                Some(old) => (old.to_string(), true),
                None => {
                    eprintln!("sh: cd: OLDPWD not set");
                    return 1;
                }
            },
            Some(dir) => (dir.to_string(), false),
        };
        let old = fs::getcwd().ok();
        if let Err(error) = fs::chdir(&target) {
            eprintln!("sh: cd: {target}: {}", error.description());
            return 1;
        }
        if let Some(old) = old {
            self.vars.set("OLDPWD", &old);
        }
        if let Ok(now) = fs::getcwd() {
            self.vars.set("PWD", &now);
            if show {
                println!("{now}");
            }
        }
        0
    }

    /// `exit [n]`: leaves the shell with status `n` (default `$?`). An interactive shell
    /// with stopped jobs warns once first.
    fn exit(&mut self, args: &[String]) -> i32 {
        let status = match args.first() {
            None => self.last_status,
            Some(text) => match text.parse::<i64>() {
                Ok(number) => (number & 0xff) as i32,
                Err(_) => {
                    eprintln!("sh: exit: {text}: numeric argument required");
                    MISUSE
                }
            },
        };
        if self.interactive && self.jobs.any_stopped() && !self.warned_stopped {
            self.warned_stopped = true;
            eprintln!("There are stopped jobs.");
            return 1;
        }
        if self.interactive {
            eprintln!("exit");
        }
        ulib::exit(status)
    }

    /// `export [NAME[=value]...]`: marks variables exported (setting them if a value is
    /// given); with no argument, lists the exported variables.
    fn export(&mut self, args: &[String]) -> i32 {
        if args.is_empty() {
            for (name, value) in self.vars.exported() {
                match value {
                    Some(value) => println!("export {name}=\"{}\"", escape_double_quoted(value)),
                    None => println!("export {name}"),
                }
            }
            return 0;
        }
        let mut status = 0;
        for arg in args {
            if let Some((name, value)) = split_assignment(arg) {
                self.vars.set(name, value);
                self.vars.export(name);
            } else if is_valid_name(arg) {
                self.vars.export(arg);
            } else {
                eprintln!("sh: export: '{arg}': not a valid identifier");
                status = 1;
            }
        }
        status
    }

    /// `unset NAME...`.
    fn unset(&mut self, args: &[String]) -> i32 {
        let mut status = 0;
        for name in args {
            if is_valid_name(name) {
                self.vars.unset(name);
            } else {
                eprintln!("sh: unset: '{name}': not a valid identifier");
                status = 1;
            }
        }
        status
    }

    /// The job a `fg`/`bg` argument names, after checking job control is on.
    fn job_for(&mut self, builtin: &str, args: &[String]) -> Option<usize> {
        if self.terminal.is_none() {
            eprintln!("sh: {builtin}: no job control");
            return None;
        }
        self.reap_jobs();
        match self.jobs.resolve(args.first().map(String::as_str)) {
            Ok(id) => Some(id),
            Err(error) => {
                eprintln!("sh: {builtin}: {error}");
                None
            }
        }
    }

    /// Sends SIGCONT to the group of job `id` and marks it running.
    fn continue_job(&mut self, id: usize) -> Result<(), Errno> {
        let pgid = self.jobs.get(id).map_or(0, |job| job.pgid);
        ulib::kill(-pgid, SIGCONT)?;
        self.jobs.resume(id);
        Ok(())
    }

    /// `fg [job]`: gives the job the terminal, continues it and waits for it.
    fn fg(&mut self, args: &[String]) -> i32 {
        let Some(id) = self.job_for("fg", args) else {
            return 1;
        };
        if let Some(job) = self.jobs.get(id) {
            println!("{}", job.text);
        }
        self.wait_foreground(id, true)
    }

    /// `bg [job]`: continues a stopped job in the background.
    fn bg(&mut self, args: &[String]) -> i32 {
        let Some(id) = self.job_for("bg", args) else {
            return 1;
        };
        if self.jobs.get(id).map(|job| job.state()) == Some(JobState::Running) {
            eprintln!("sh: bg: job {id} already in background");
            return 0;
        }
        if let Err(error) = self.continue_job(id) {
            eprintln!("sh: bg: {}", error.description());
            return 1;
        }
        if let Some(job) = self.jobs.get(id) {
            println!("[{id}]+ {} &", job.text);
        }
        0
    }

    /// `wait [job | pid]...`: waits for the given jobs (or every running job) to end.
    /// Returns the status of the last one named (0 without arguments).
    fn wait(&mut self, args: &[String]) -> i32 {
        let mut targets = Vec::new();
        for arg in args {
            let id = match arg.parse::<Pid>() {
                Ok(pid) => self.jobs.ids().into_iter().find(|&id| {
                    self.jobs
                        .get(id)
                        .is_some_and(|job| job.pids().any(|p| p == pid))
                }),
                Err(_) => self.jobs.resolve(Some(arg)).ok(),
            };
            match id {
                Some(id) => targets.push(id),
                None => {
                    eprintln!("sh: wait: {arg}: no such job or child of this shell");
                    return NOT_FOUND;
                }
            }
        }
        let all = targets.is_empty();
        if all {
            targets = self.jobs.ids();
        }
        let mut status = 0;
        for id in targets {
            self.wait_while_running(id);
            let Some(job) = self.jobs.get(id) else {
                continue;
            };
            status = job.status();
            if let JobState::Done(_) = job.state() {
                self.jobs.remove(id);
            }
        }
        if all { 0 } else { status }
    }
}

/// Waits until the shell's process group owns the terminal (a shell started in the
/// background stops itself with SIGTTIN until it is brought to the foreground). False if
/// the terminal has no foreground group for it, or the shell cannot stop itself.
fn wait_for_foreground() -> bool {
    loop {
        let (Ok(group), Ok(foreground)) = (tty::getpgid(0), tty::tcgetpgrp(TTY)) else {
            return false;
        };
        if group == foreground {
            return true;
        }
        let ignored =
            signal::sigaction(SIGTTIN, None).is_ok_and(|action| action.handler == SIG_IGN);
        if ignored || ulib::kill(-group, SIGTTIN).is_err() {
            return false;
        }
    }
}

/// Puts the shell in its own process group and gives that group the terminal; `None`
/// (no job control) if the terminal refuses.
fn take_terminal(pid: Pid) -> Option<Terminal> {
    // A session leader (as init starts the shell) already leads its group: EPERM then.
    if tty::setpgid(0, 0).is_err() && tty::getpgid(0) != Ok(pid) {
        return None;
    }
    tty::tcsetpgrp(TTY, pid).ok()?;
    Some(Terminal {
        pgid: pid,
        modes: tty::tcgetattr(TTY).ok(),
    })
}

/// In a child: makes the pipe ends it got its standard input and output.
fn connect(input: Option<i32>, output: Option<(i32, i32)>) {
    if let Some(read) = input {
        move_fd(read, 0);
    }
    if let Some((read, write)) = output {
        let _ = fs::close(read);
        move_fd(write, 1);
    }
}

/// Makes `to` a copy of `from` and closes `from`.
fn move_fd(from: i32, to: i32) {
    if from != to {
        let _ = fs::dup2(from, to);
        let _ = fs::close(from);
    }
}

/// Does one redirection: the seeds' "close 1, then open the file" in its `dup2` form, which
/// does not depend on 1 being the lowest free descriptor.
fn redirect(redirection: &Redirection) -> Result<(), String> {
    let fd = redirection.fd;
    match &redirection.target {
        Target::File { path, flags } => {
            let opened = fs::open(path, *flags, 0o666)
                .map_err(|error| format!("{path}: {}", error.description()))?;
            if opened != fd {
                let copied = fs::dup2(opened, fd);
                let _ = fs::close(opened);
                copied.map_err(|error| format!("{fd}: {}", error.description()))?;
            }
        }
        Target::Duplicate(from) => {
            fs::dup2(*from, fd).map_err(|error| format!("{from}: {}", error.description()))?;
        }
        Target::Close => {
            let _ = fs::close(fd);
        }
    }
    Ok(())
}

/// Does `redirections` in the shell itself, first saving each descriptor they change, so
/// that [`restore`] can undo them after a builtin.
fn redirect_saving(redirections: &[Redirection]) -> Result<Vec<SavedFd>, String> {
    let mut saved: Vec<SavedFd> = Vec::new();
    for redirection in redirections {
        let fd = redirection.fd;
        if !saved.iter().any(|entry| entry.fd == fd) {
            let copy = fs::fcntl(fd, F_DUPFD_CLOEXEC, PRIVATE_FD_BASE).ok();
            saved.push(SavedFd { fd, copy });
        }
        if let Err(message) = redirect(redirection) {
            restore(saved);
            return Err(message);
        }
    }
    Ok(saved)
}

/// Puts back the descriptors [`redirect_saving`] saved, last first.
fn restore(saved: Vec<SavedFd>) {
    for entry in saved.into_iter().rev() {
        match entry.copy {
            Some(copy) => move_fd(copy, entry.fd),
            None => {
                let _ = fs::close(entry.fd);
            }
        }
    }
}

/// `pwd`.
fn pwd() -> i32 {
    match fs::getcwd() {
        Ok(dir) => {
            println!("{dir}");
            0
        }
        Err(error) => {
            eprintln!("sh: pwd: {}", error.description());
            1
        }
    }
}

/// `value` with `"`, `\`, `$` and `` ` `` escaped, to be shown inside double quotes.
fn escape_double_quoted(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '"' | '\\' | '$' | '`') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
