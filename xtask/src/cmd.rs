//! Running other programs: cargo, and showing command lines the way a shell would take them.

use std::borrow::Cow;
use std::path::Path;
use std::process::Command;

/// A `cargo` command: the cargo that runs xtask (`$CARGO`), so the pinned toolchain is used.
pub fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// Runs `command` with inherited standard streams after printing it, and fails with one
/// sentence if it cannot start or exits unsuccessfully.
pub fn run(command: &mut Command) -> Result<(), String> {
    let line = render(command);
    println!("$ {line}");
    let status = command
        .status()
        .map_err(|error| format!("could not start `{line}`: {error}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{line}` failed ({status})"))
    }
}

/// The command line of `command` as one could type it into a shell. The program is shown
/// by its file name, so `$CARGO`'s full path reads as `cargo`.
pub fn render(command: &Command) -> String {
    let program = Path::new(command.get_program());
    let program = program
        .file_name()
        .unwrap_or(program.as_os_str())
        .to_string_lossy();
    let mut line = shell_quote(&program).into_owned();
    for arg in command.get_args() {
        line.push(' ');
        line.push_str(&shell_quote(&arg.to_string_lossy()));
    }
    line
}

/// Quotes `word` for a POSIX shell when it holds anything but plainly safe characters.
pub fn shell_quote(word: &str) -> Cow<'_, str> {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_./:=,+@%".contains(c);
    if !word.is_empty() && word.chars().all(safe) {
        Cow::Borrowed(word)
    } else {
        Cow::Owned(format!("'{}'", word.replace('\'', r"'\''")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_words_are_not_quoted() {
        assert_eq!(shell_quote("-initrd"), "-initrd");
        assert_eq!(
            shell_quote("target/lantern/initrd.cpio"),
            "target/lantern/initrd.cpio"
        );
        assert_eq!(shell_quote("init=/bin/init"), "init=/bin/init");
    }

    #[test]
    fn other_words_are_single_quoted() {
        assert_eq!(shell_quote("target remote :1234"), "'target remote :1234'");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote("a*"), "'a*'");
    }

    #[test]
    fn render_shows_program_name_and_quoted_args() {
        let mut command = Command::new("/usr/local/bin/qemu-system-riscv64");
        command.args(["-append", "init=/bin/init quiet"]);
        assert_eq!(
            render(&command),
            "qemu-system-riscv64 -append 'init=/bin/init quiet'"
        );
    }
}
