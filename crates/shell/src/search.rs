//! Finding a program (concept U3): a command name with a `/` is a path; any other name is
//! looked up in each directory of `PATH`, in order, and the shell tries `execve` on each
//! candidate until one works.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// The search path when `PATH` is unset: where Lantern keeps its programs.
pub const DEFAULT_PATH: &str = "/bin";

/// The paths to try for the command `name`, given the value of `PATH` (`None`: unset). An
/// empty `PATH` entry means the working directory, as POSIX says.
pub fn command_paths(name: &str, path: Option<&str>) -> Vec<String> {
    if name.contains('/') {
        return alloc::vec![String::from(name)];
    }
    path.unwrap_or(DEFAULT_PATH)
        .split(':')
        .map(|dir| match dir.trim_end_matches('/') {
            "" if dir.is_empty() => format!("./{name}"),
            "" => format!("/{name}"),
            dir => format!("{dir}/{name}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_a_slash_are_paths() {
        assert_eq!(command_paths("./a.out", Some("/bin")), ["./a.out"]);
        assert_eq!(command_paths("/bin/ls", None), ["/bin/ls"]);
        assert_eq!(command_paths("sub/x", Some("/bin")), ["sub/x"]);
    }

    #[test]
    fn every_path_entry_in_order() {
        assert_eq!(
            command_paths("ls", Some("/usr/bin:/bin/:/")),
            ["/usr/bin/ls", "/bin/ls", "/ls"]
        );
    }

    #[test]
    fn empty_entries_mean_the_working_directory() {
        assert_eq!(command_paths("x", Some(":/bin")), ["./x", "/bin/x"]);
        assert_eq!(command_paths("x", Some("")), ["./x"]);
    }

    #[test]
    fn unset_path_searches_bin() {
        assert_eq!(command_paths("sh", None), ["/bin/sh"]);
    }
}
