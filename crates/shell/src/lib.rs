//! Lantern's shell language (concept U3), without any system calls, so that all of it is
//! tested on the host; `/bin/sh` (`user/programs/src/bin/sh.rs`) runs what it describes with
//! fork, exec, wait, pipes and `dup2`.
//!
//! - [`parse`] turns a line into a [`List`]: `List -> AndOr -> Pipeline -> Command`, where a
//!   command has its leading `NAME=value` [`Assignment`]s, its argument [`Word`]s and its
//!   [`Redirect`]s. A malformed line is a [`ParseError`]; [`ParseError::is_incomplete`] says
//!   when more input (the next line) could still complete it.
//! - Words keep their quoting, so expansion happens when a command runs, against the values
//!   of that moment: [`expand_fields`] (argument words: unquoted parameters are split into
//!   fields) and [`Word::expand`] (one string: redirection targets, assignment values).
//! - [`Variables`] is the shell's variable store with the exported subset that becomes the
//!   environment of the programs it starts.
//! - [`JobTable`] keeps the jobs (process groups) the shell started, their states from the
//!   wait statuses it reaps, the `+`/`-` marks, `%n` job specs and the lines `jobs` prints.
//! - [`command_paths`] lists where `PATH` says to look for a program.
//!
//! The language is a small subset of the POSIX shell: quotes, backslash escapes, `#`
//! comments, `$NAME`, `${NAME}`, `$?`, `$$`, `$!`, `$#`, `$@`, `$*`, `$0`..`$9`, `~`, the
//! redirections `<`, `>`, `>>`, `N<`, `N>`, `N>>`, `N>&M`, `N<&M`, `N>&-`, pipelines, `&&`,
//! `||`, `;` and `&`. Anything else that a POSIX shell would treat specially (here-documents, command
//! substitution, subshells) is refused with [`ParseError::Unsupported`] rather than read as
//! something it is not.
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

extern crate alloc;

mod error;
mod jobs;
mod lexer;
mod parser;
mod search;
mod variables;
mod word;

pub use error::ParseError;
pub use jobs::{
    Job, JobSpecError, JobState, JobTable, Pid, ProcessState, death_message, signal_description,
};
pub use parser::{AndOr, Assignment, Command, Connector, List, ListItem, Pipeline, parse};
pub use parser::{Redirect, RedirectKind};
pub use search::{DEFAULT_PATH, command_paths};
pub use variables::{Variables, is_valid_name, split_assignment};
pub use word::{Environment, Param, Word, WordPart, expand_fields};
