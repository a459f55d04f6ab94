//! Reading the kernel's serial output from an in-kernel test run.
//!
//! The kernel prints one line per test, `test <name> ... ok` or
//! `test <name> ... FAILED (<why>)`, then a summary line that is exactly
//! `<N> passed, <M> failed`. A line containing `KERNEL PANIC` means the kernel panicked.

use std::fmt;

/// The kernel's closing count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Tests that passed.
    pub passed: usize,
    /// Tests that failed.
    pub failed: usize,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} passed, {} failed", self.passed, self.failed)
    }
}

/// A test that failed: its verdict line and what was printed while it ran.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Failure {
    /// The `test <name> ... FAILED (<why>)` line.
    pub line: String,
    /// The lines between the previous test's verdict and this one (the test's own output,
    /// interleaved with the kernel's log), at most [`OUTPUT_LINES`], the last ones kept.
    pub output: Vec<String>,
}

impl Failure {
    /// The test's name.
    pub fn name(&self) -> &str {
        test_name(&self.line)
    }
}

/// How many lines of a failed test's output a [`Failure`] keeps.
pub const OUTPUT_LINES: usize = 60;

/// What a test run's output says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// How many `test <name> ... ok` lines there are.
    pub ok: usize,
    /// The tests that printed `test <name> ... FAILED (<why>)`.
    pub failed: Vec<Failure>,
    /// The last summary line, if any.
    pub summary: Option<Summary>,
    /// The first line that reports a kernel panic, if any.
    pub panic: Option<String>,
}

/// Reads the output of a test run.
pub fn parse_log(log: &str) -> Report {
    let mut report = Report::default();
    let mut output = std::collections::VecDeque::new();
    for line in log.lines() {
        let line = line.trim();
        if line.contains("KERNEL PANIC") && report.panic.is_none() {
            report.panic = Some(line.to_string());
        }
        if line.starts_with("test ") && line.ends_with(" ... ok") {
            report.ok += 1;
            output.clear();
        } else if line.starts_with("test ") && line.contains(" ... FAILED") {
            report.failed.push(Failure {
                line: line.to_string(),
                output: output.drain(..).collect(),
            });
        } else {
            if output.len() == OUTPUT_LINES {
                output.pop_front();
            }
            output.push_back(line.to_string());
        }
        if let Some(summary) = parse_summary(line) {
            report.summary = Some(summary);
        }
    }
    report
}

/// Reads a summary line `<N> passed, <M> failed`.
fn parse_summary(line: &str) -> Option<Summary> {
    let (passed, failed) = line.strip_suffix(" failed")?.split_once(" passed, ")?;
    let count = |digits: &str| {
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            digits.parse().ok()
        } else {
            None
        }
    };
    Some(Summary {
        passed: count(passed)?,
        failed: count(failed)?,
    })
}

/// Decides whether a test run passed, from its output and QEMU's exit code (`None` when
/// QEMU was ended by a signal). The error is one sentence, without the log's path.
pub fn judge(report: &Report, qemu_exit: Option<i32>) -> Result<Summary, String> {
    if let Some(panic) = &report.panic {
        return Err(format!(
            "the kernel panicked during the in-kernel tests ({panic})"
        ));
    }
    let Some(summary) = report.summary else {
        return Err(
            "the in-kernel tests ended without their summary line `<N> passed, <M> failed`"
                .to_string(),
        );
    };
    if summary.failed > 0 {
        let names: Vec<&str> = report.failed.iter().map(Failure::name).collect();
        let which = if names.is_empty() {
            String::new()
        } else {
            format!(": {}", names.join(", "))
        };
        return Err(format!(
            "{} of {} in-kernel tests failed{which}",
            summary.failed,
            summary.passed + summary.failed
        ));
    }
    if report.ok != summary.passed {
        return Err(format!(
            "the kernel reported {} passed tests but printed {} `test <name> ... ok` lines",
            summary.passed, report.ok
        ));
    }
    match qemu_exit {
        Some(0) => Ok(summary),
        Some(code) => Err(format!(
            "QEMU exited with status {code} after the in-kernel tests"
        )),
        None => Err("QEMU was killed by a signal during the in-kernel tests".to_string()),
    }
}

/// The test's name in a `test <name> ... FAILED (<why>)` line.
fn test_name(line: &str) -> &str {
    let rest = line.strip_prefix("test ").unwrap_or(line);
    rest.split_once(" ... ").map_or(rest, |(name, _)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSING: &str = "\
OpenSBI v1.3
Lantern booting on 2 harts\r
running 3 in-kernel tests\r
test hello ... ok\r
test fork_wait ... ok\r
test segv ... ok\r
3 passed, 0 failed\r
";

    #[test]
    fn passing_run() {
        let report = parse_log(PASSING);
        assert_eq!(
            report,
            Report {
                ok: 3,
                failed: vec![],
                summary: Some(Summary {
                    passed: 3,
                    failed: 0
                }),
                panic: None,
            }
        );
        let summary = judge(&report, Some(0)).unwrap();
        assert_eq!(summary.to_string(), "3 passed, 0 failed");
    }

    #[test]
    fn failing_tests_are_named() {
        let log = "test hello ... ok\n\
                   test pipe ... FAILED (exit=1, expected exit=0)\n\
                   test kill ... FAILED (signal=SIGSEGV, expected exit=0)\n\
                   1 passed, 2 failed\n";
        let report = parse_log(log);
        assert_eq!(report.ok, 1);
        assert_eq!(report.failed.len(), 2);
        assert_eq!(report.failed[1].name(), "kill");
        assert_eq!(
            judge(&report, Some(0)).unwrap_err(),
            "2 of 3 in-kernel tests failed: pipe, kill"
        );
    }

    #[test]
    fn a_failed_test_keeps_its_own_output() {
        let mut log = String::from("test hello ... ok\nhello: ok\n");
        for i in 0..OUTPUT_LINES + 5 {
            log.push_str(&format!("oom: line {i}\n"));
        }
        log.push_str("test oom ... FAILED (exit=1, expected exit=0)\n");
        log.push_str("test next ... FAILED (exit=2, expected exit=0)\n0 passed, 2 failed\n");
        let report = parse_log(&log);
        let oom = &report.failed[0];
        assert_eq!(oom.output.len(), OUTPUT_LINES);
        assert_eq!(oom.output[0], "oom: line 5");
        assert_eq!(
            oom.output.last().map(String::as_str),
            Some(format!("oom: line {}", OUTPUT_LINES + 4).as_str())
        );
        // Nothing printed between the two verdicts: the second test has no output.
        assert!(report.failed[1].output.is_empty());
    }

    #[test]
    fn panic_fails_even_with_a_clean_summary() {
        let log = "test hello ... ok\n\
                   [hart 1] KERNEL PANIC at kernel/src/trap.rs:42: unexpected trap\n\
                   1 passed, 0 failed\n";
        let report = parse_log(log);
        assert_eq!(
            report.panic.as_deref(),
            Some("[hart 1] KERNEL PANIC at kernel/src/trap.rs:42: unexpected trap")
        );
        let error = judge(&report, Some(0)).unwrap_err();
        assert!(error.starts_with("the kernel panicked"), "{error}");
    }

    #[test]
    fn missing_summary_fails() {
        let report = parse_log("test hello ... ok\ntest fork_wait ...");
        assert_eq!(report.summary, None);
        assert!(
            judge(&report, Some(0))
                .unwrap_err()
                .contains("summary line")
        );
        assert!(judge(&parse_log(""), Some(0)).is_err());
    }

    #[test]
    fn ok_count_must_match_the_summary() {
        let report = parse_log("test hello ... ok\n2 passed, 0 failed\n");
        assert_eq!(
            judge(&report, Some(0)).unwrap_err(),
            "the kernel reported 2 passed tests but printed 1 `test <name> ... ok` lines"
        );
    }

    #[test]
    fn qemu_exit_status_counts() {
        let report = parse_log("test hello ... ok\n1 passed, 0 failed\n");
        assert!(judge(&report, Some(0)).is_ok());
        assert_eq!(
            judge(&report, Some(1)).unwrap_err(),
            "QEMU exited with status 1 after the in-kernel tests"
        );
        assert!(judge(&report, None).unwrap_err().contains("signal"));
    }

    #[test]
    fn zero_tests_is_a_valid_run() {
        let report = parse_log("0 passed, 0 failed\n");
        assert_eq!(
            judge(&report, Some(0)),
            Ok(Summary {
                passed: 0,
                failed: 0
            })
        );
    }

    #[test]
    fn summary_line_must_be_exact() {
        for line in [
            "3 passed, 0 failed, 1 ignored",
            "test result: 3 passed, 0 failed",
            "3 passed 0 failed",
            "+3 passed, 0 failed",
            " passed, 0 failed",
            "3 passed, -1 failed",
        ] {
            assert_eq!(parse_summary(line), None, "{line}");
        }
        assert_eq!(
            parse_summary("12 passed, 3 failed"),
            Some(Summary {
                passed: 12,
                failed: 3
            })
        );
    }

    #[test]
    fn the_last_summary_counts() {
        let report =
            parse_log("1 passed, 0 failed\ntest a ... ok\ntest b ... ok\n2 passed, 0 failed\n");
        assert_eq!(
            report.summary,
            Some(Summary {
                passed: 2,
                failed: 0
            })
        );
    }

    #[test]
    fn only_test_lines_are_counted() {
        let log = "loading /bin/init ... ok\n\
                   testing ... ok\n\
                   test a ... ok\n\
                   test b ... ok (slow)\n\
                   1 passed, 0 failed\n";
        assert_eq!(parse_log(log).ok, 1);
    }

    #[test]
    fn test_names_are_read_from_failed_lines() {
        assert_eq!(test_name("test pipe ... FAILED (why)"), "pipe");
        assert_eq!(test_name("test odd"), "odd");
    }
}
