//! The console scenarios (concept U3, as a user sees it): boot Lantern the way
//! `cargo xtask run` does (init starts `/bin/sh` on the serial console, not the test
//! suite), wait for the shell's prompt, and type commands one key at a time, as a person
//! would, checking what appears on the console after each: a pipeline, redirections, Ctrl-C
//! ending a foreground job, a background job's `Done` report, a typo, and `exit` giving a
//! fresh shell.
//!
//! Every step waits up to [`STEP_LIMIT`] (the first, the boot, up to [`BOOT_LIMIT`]) and
//! only checks *what* appears, never how fast. When a step fails the error names the step,
//! the keys typed and what was expected, and shows the last [`TAIL_BYTES`] of the console.
//! The whole console output is kept in `target/lantern/console.log`.
//!
//! The scenarios run on a copy of the disk image (they create files in `/`), so the image a
//! build made stays as it was.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::build::Artefacts;
use crate::layout::Layout;
use crate::qemu;

/// How long the boot may take to reach the first prompt.
const BOOT_LIMIT: Duration = Duration::from_secs(120);
/// How long each later step may take to show what it expects.
const STEP_LIMIT: Duration = Duration::from_secs(30);
/// How much of the console a failure shows.
const TAIL_BYTES: usize = 2048;
/// The environment variable that turns the scenarios on (`1`) or off (`0`) in
/// `cargo xtask test`.
pub const ENABLE_VAR: &str = "LANTERN_CONSOLE_TEST";
/// Whether `cargo xtask test` runs the scenarios when [`ENABLE_VAR`] is not set.
const ENABLED_BY_DEFAULT: bool = true;
/// The pause between two keys.
const KEY_DELAY: Duration = Duration::from_millis(15);

/// Whether `cargo xtask test` should run the scenarios.
pub fn enabled() -> bool {
    enabled_by(std::env::var(ENABLE_VAR).ok().as_deref())
}

fn enabled_by(var: Option<&str>) -> bool {
    match var.map(str::trim) {
        Some("1") => true,
        Some("0") => false,
        _ => ENABLED_BY_DEFAULT,
    }
}

/// One thing the user does and what must then appear.
struct Step {
    /// What the step shows, for messages.
    name: &'static str,
    /// How long to wait before typing, as a person who lets something run would.
    pause: Duration,
    /// The keys, typed one at a time (`\r` is Enter, `\x03` is Ctrl-C).
    keys: &'static str,
    /// What must appear, in words, for messages.
    expect: &'static str,
    /// Checks the console output since the keys were typed (carriage returns removed).
    check: fn(&str) -> bool,
    /// How long it may take.
    limit: Duration,
}

impl Step {
    const fn new(
        name: &'static str,
        keys: &'static str,
        expect: &'static str,
        check: fn(&str) -> bool,
    ) -> Step {
        Step {
            name,
            pause: Duration::ZERO,
            keys,
            expect,
            check,
            limit: STEP_LIMIT,
        }
    }

    const fn after(mut self, pause: Duration) -> Step {
        self.pause = pause;
        self
    }

    const fn within(mut self, limit: Duration) -> Step {
        self.limit = limit;
        self
    }
}

/// The scenarios, in order; each step starts where the one before left the shell.
fn steps() -> Vec<Step> {
    vec![
        Step::new(
            "boot to the shell's first prompt",
            "",
            "a prompt ('$ ' or '# ')",
            ends_with_prompt,
        )
        .within(BOOT_LIMIT),
        Step::new(
            "a pipeline",
            "echo hi | wc\r",
            "wc's counts '1 1 3', then a prompt",
            |text| {
                output_lines(text).any(|line| words(line) == ["1", "1", "3"])
                    && ends_with_prompt(text)
            },
        ),
        Step::new(
            "ls redirected into a file, then cat",
            "ls > f; cat f\r",
            "the listing of / from the file (holding 'bin' and 'f'), then a prompt",
            |text| {
                let listed =
                    |name: &str| output_lines(text).any(|line| words(line).contains(&name));
                listed("bin") && listed("f") && ends_with_prompt(text)
            },
        ),
        Step::new(
            "redirections into and out of a pipeline",
            "echo xyz > g; cat < g | grep x > h; cat h\r",
            "the line 'xyz' from h, then a prompt",
            |text| output_lines(text).any(|line| line.trim() == "xyz") && ends_with_prompt(text),
        ),
        Step::new(
            "a long foreground job",
            "sleep 100\r",
            "the command echoed",
            |text| text.contains("sleep 100\n"),
        ),
        Step::new(
            "Ctrl-C ends the foreground job",
            "\x03",
            "a prompt (long before sleep's 100 s are over)",
            ends_with_prompt,
        )
        .after(Duration::from_secs(5)),
        Step::new(
            "the status of a job ended by SIGINT",
            "echo $?\r",
            "'130' (128 + SIGINT), then a prompt",
            |text| output_lines(text).any(|line| line.trim() == "130") && ends_with_prompt(text),
        ),
        Step::new(
            "a background job",
            "sleep 1 &\r",
            "'[1] <pid>', then a prompt",
            |text| {
                output_lines(text).any(|line| line.starts_with("[1] ")) && ends_with_prompt(text)
            },
        ),
        Step::new(
            "the background job's end is reported",
            "echo later\r",
            "'later', a line '[1]+  Done ... sleep 1', then a prompt",
            |text| {
                output_lines(text).any(|line| line.contains("Done") && line.contains("sleep 1"))
                    && ends_with_prompt(text)
            },
        )
        .after(Duration::from_secs(5)),
        Step::new(
            "a typo",
            "ecoh hi\r",
            "'sh: ecoh: command not found', then a prompt",
            |text| text.contains("sh: ecoh: command not found") && ends_with_prompt(text),
        ),
        Step::new(
            "exit restarts the shell",
            "exit\r",
            "init's 'starting a new one', then a new prompt",
            |text| text.contains("starting a new one") && ends_with_prompt(text),
        ),
        Step::new(
            "the new shell works",
            "echo again\r",
            "'again', then a prompt",
            |text| output_lines(text).any(|line| line.trim() == "again") && ends_with_prompt(text),
        ),
    ]
}

/// Whether the last line of `text` is the shell's prompt with nothing typed after it.
fn ends_with_prompt(text: &str) -> bool {
    let last = text.rsplit('\n').next().unwrap_or(text);
    last == "$ " || last == "# "
}

/// The lines after the first one, which is the terminal's echo of what was typed.
fn output_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines().skip(1)
}

fn words(line: &str) -> Vec<&str> {
    line.split_whitespace().collect()
}

/// Boots Lantern with its shell on the console and runs every step; `Err` says which step
/// failed and shows the end of the console.
pub fn run(layout: &Layout, artefacts: &Artefacts, smp: u32) -> Result<(), String> {
    let image = layout.lantern_dir().join("console.img");
    std::fs::copy(&artefacts.disk, &image).map_err(|error| {
        format!("could not copy the disk image for the console scenarios: {error}")
    })?;
    let log_path = log_path(layout);
    let mut command = qemu::headless(&artefacts.kernel, &artefacts.initrd, smp, "init=/bin/init");
    qemu::attach_disk(&mut command, &image);
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    println!("$ {}", crate::cmd::render(&command));
    let qemu = command
        .spawn()
        .map_err(|error| format!("could not start QEMU for the console scenarios: {error}"))?;
    let mut console = Console::start(qemu, true)?;
    let result = run_steps(&mut console, &steps());
    console.stop();
    let saved = std::fs::write(&log_path, console.text_since(0));
    let log_note = match saved {
        Ok(()) => format!("the whole console is in {}", layout.show(&log_path)),
        Err(error) => format!(
            "could not save the console to {}: {error}",
            log_path.display()
        ),
    };
    match result {
        Ok(count) => {
            println!();
            println!("console scenarios: all {count} steps passed; {log_note}");
            Ok(())
        }
        Err(failure) => Err(format!("{failure}\n{log_note}")),
    }
}

/// Runs `steps` in order; returns how many passed, or why one failed.
fn run_steps(console: &mut Console, steps: &[Step]) -> Result<usize, String> {
    for (index, step) in steps.iter().enumerate() {
        thread::sleep(step.pause);
        let mark = console.len();
        console.type_keys(step.keys)?;
        if !console.wait_for(mark, step.limit, step.check) {
            return Err(format!(
                "console scenario step {}/{} failed: {}\n  typed:    {:?}\n  expected: {} within {} s\n--- last {} bytes of the console ---\n{}\n--- end of the console ---",
                index + 1,
                steps.len(),
                step.name,
                step.keys,
                step.expect,
                step.limit.as_secs(),
                TAIL_BYTES,
                console.tail(TAIL_BYTES),
            ));
        }
    }
    Ok(steps.len())
}

/// QEMU with its serial console on our pipes: what it prints is collected (and shown on our
/// standard output as it comes); what we type goes to its input.
struct Console {
    qemu: Child,
    input: ChildStdin,
    output: Arc<Mutex<Vec<u8>>>,
    reader: Option<JoinHandle<()>>,
}

impl Console {
    /// Takes over the pipes of `qemu`; with `show`, its output is also copied to our
    /// standard output as it arrives.
    fn start(mut qemu: Child, show: bool) -> Result<Console, String> {
        let (Some(input), Some(mut stdout)) = (qemu.stdin.take(), qemu.stdout.take()) else {
            let _ = qemu.kill();
            return Err("QEMU's console is not connected to pipes".to_string());
        };
        let output = Arc::new(Mutex::new(Vec::new()));
        let collected = Arc::clone(&output);
        let reader = thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(count) = stdout.read(&mut buf) {
                if count == 0 {
                    break;
                }
                if show {
                    let mut shown = std::io::stdout().lock();
                    let _ = shown.write_all(&buf[..count]);
                    let _ = shown.flush();
                }
                collected
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .extend_from_slice(&buf[..count]);
            }
        });
        Ok(Console {
            qemu,
            input,
            output,
            reader: Some(reader),
        })
    }

    /// Bytes of output so far.
    fn len(&self) -> usize {
        self.output
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// The output from byte `mark` on, as text without carriage returns.
    fn text_since(&self, mark: usize) -> String {
        let output = self.output.lock().unwrap_or_else(PoisonError::into_inner);
        let bytes = output.get(mark..).unwrap_or_default();
        String::from_utf8_lossy(bytes).replace('\r', "")
    }

    /// The last `bytes` bytes of output, as text.
    fn tail(&self, bytes: usize) -> String {
        let len = self.len();
        self.text_since(len.saturating_sub(bytes))
    }

    /// Types `keys` one at a time.
    fn type_keys(&mut self, keys: &str) -> Result<(), String> {
        for byte in keys.bytes() {
            self.input
                .write_all(&[byte])
                .and_then(|()| self.input.flush())
                .map_err(|error| format!("could not type into QEMU's console: {error}"))?;
            thread::sleep(KEY_DELAY);
        }
        Ok(())
    }

    /// Waits until the output since `mark` passes `check`, or `limit` passes, or QEMU ends.
    fn wait_for(&mut self, mark: usize, limit: Duration, check: fn(&str) -> bool) -> bool {
        let deadline = Instant::now() + limit;
        loop {
            if check(&self.text_since(mark)) {
                return true;
            }
            let gone = !matches!(self.qemu.try_wait(), Ok(None));
            if gone || Instant::now() >= deadline {
                // One last look: the output may have arrived just now.
                return check(&self.text_since(mark));
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// Powers the machine off (kills QEMU) and collects the rest of its output.
    fn stop(&mut self) {
        let _ = self.qemu.kill();
        let _ = self.qemu.wait();
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Where the whole console output of the last run is kept.
fn log_path(layout: &Layout) -> PathBuf {
    layout.lantern_dir().join("console.log")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_variable_turns_the_scenarios_on_and_off() {
        assert!(enabled_by(Some("1")));
        assert!(enabled_by(Some(" 1\n")));
        assert!(!enabled_by(Some("0")));
        assert_eq!(enabled_by(None), ENABLED_BY_DEFAULT);
        assert_eq!(enabled_by(Some("yes")), ENABLED_BY_DEFAULT);
    }

    #[test]
    fn prompts_are_recognised_only_at_the_end() {
        assert!(ends_with_prompt("Welcome\n# "));
        assert!(ends_with_prompt("$ "));
        assert!(!ends_with_prompt("# echo hi"));
        assert!(!ends_with_prompt("# \nhi\n"));
        assert!(!ends_with_prompt("cost $ 5"));
    }

    /// The console output of each step as a working shell prints it must pass the step's
    /// check, and the echo of the command alone must not.
    #[test]
    fn checks_accept_a_working_shell() {
        let transcripts = [
            "Lantern booting\nWelcome to Lantern!\n# ",
            "echo hi | wc\n      1       1       3\n# ",
            "ls > f; cat f\nbin\ndev\nf\nproc\n# ",
            "echo xyz > g; cat < g | grep x > h; cat h\nxyz\n# ",
            "sleep 100\n",
            "^C\n# ",
            "echo $?\n130\n# ",
            "sleep 1 &\n[1] 42\n# ",
            "echo later\nlater\n[1]+  Done                    sleep 1\n# ",
            "ecoh hi\nsh: ecoh: command not found\n# ",
            "exit\nexit\ninit: /bin/sh exited with status 0; starting a new one\n# ",
            "echo again\nagain\n# ",
        ];
        let steps = steps();
        assert_eq!(steps.len(), transcripts.len());
        for (step, transcript) in steps.iter().zip(transcripts) {
            assert!((step.check)(transcript), "{}: {transcript:?}", step.name);
            // Apart from the step that only waits for its echo, the echo is not enough.
            let echo_only = step.keys.replace('\r', "\n");
            if step.name != "a long foreground job" {
                assert!(
                    !(step.check)(&echo_only),
                    "{} passes on its echo",
                    step.name
                );
            }
        }
    }

    #[test]
    fn checks_refuse_wrong_output() {
        let steps = steps();
        let find = |name: &str| steps.iter().find(|step| step.name == name).unwrap();
        assert!(!(find("a pipeline").check)("echo hi | wc\n1 1 4\n# "));
        assert!(!(find("a typo").check)("ecoh hi\nhi\n# "));
        assert!(!(find("Ctrl-C ends the foreground job").check)("^C"));
        assert!(!(find("exit restarts the shell").check)("exit\n# "));
    }

    /// A stand-in for QEMU: prints a prompt, then echoes what is typed (as a terminal in
    /// canonical mode would) without running anything.
    fn echoing_console() -> Console {
        let child = std::process::Command::new("sh")
            .args(["-c", "printf 'booted\\n# '; exec cat"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        Console::start(child, false).unwrap()
    }

    #[test]
    fn passing_steps_are_counted() {
        let mut console = echoing_console();
        let steps = [
            Step::new("boot", "", "a prompt", ends_with_prompt),
            Step::new("echo", "hello\r", "the echo", |text| text.contains("hello")),
        ];
        assert_eq!(run_steps(&mut console, &steps), Ok(2));
    }

    #[test]
    fn a_failing_step_names_itself_and_shows_the_console() {
        let mut console = echoing_console();
        let steps = [
            Step::new("boot", "", "a prompt", ends_with_prompt),
            Step::new("never", "ls\r", "the impossible", |_| false)
                .within(Duration::from_millis(300)),
        ];
        let failure = run_steps(&mut console, &steps).unwrap_err();
        for part in [
            "step 2/2 failed: never",
            "typed:    \"ls\\r\"",
            "expected: the impossible within 0 s",
            "last 2048 bytes of the console",
            "booted\n# ls",
        ] {
            assert!(failure.contains(part), "{part:?} missing from:\n{failure}");
        }
    }

    #[test]
    fn the_log_lives_next_to_the_test_log() {
        let layout = Layout {
            root: PathBuf::from("/repo"),
            target_dir: PathBuf::from("/repo/target"),
        };
        assert_eq!(
            log_path(&layout),
            PathBuf::from("/repo/target/lantern/console.log")
        );
    }
}
