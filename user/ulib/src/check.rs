//! Assertions for test programs: [`check!`](crate::check!),
//! [`check_eq!`](crate::check_eq!) and [`check_ne!`](crate::check_ne!),
//! [`check_ok!`](crate::check_ok!), which unwraps a `Result`, and [`fail!`](crate::fail!) for
//! a failure found some other way.
//!
//! On failure they print `check failed: <what>: left=<l> right=<r> at <file>:<line>` (just
//! `check failed: <what> at <file>:<line>` for `check!` and `fail!`, and
//! `check failed: <what>: <error> at <file>:<line>` for `check_ok!`) to stderr and exit with
//! status 1, so a test runner sees a plain failing exit rather than a panic. `<what>` takes
//! format arguments like `println!`.

use core::fmt::{Arguments, Debug, Display};

/// Exit status of a failed check.
pub const FAILURE_STATUS: i32 = 1;

/// Reports a failed [`check!`](crate::check!) or [`fail!`](crate::fail!) and exits.
#[cold]
pub fn fail(what: Arguments<'_>, file: &str, line: u32) -> ! {
    crate::eprintln!("check failed: {what} at {file}:{line}");
    crate::process::exit(FAILURE_STATUS)
}

/// Reports a failed [`check_eq!`](crate::check_eq!) or [`check_ne!`](crate::check_ne!)
/// and exits.
#[cold]
pub fn fail_compare<L: Debug + ?Sized, R: Debug + ?Sized>(
    left: &L,
    right: &R,
    what: Arguments<'_>,
    file: &str,
    line: u32,
) -> ! {
    crate::eprintln!("check failed: {what}: left={left:?} right={right:?} at {file}:{line}");
    crate::process::exit(FAILURE_STATUS)
}

/// Reports a failed [`check_ok!`](crate::check_ok!) and exits.
#[cold]
pub fn fail_error<E: Display + ?Sized>(error: &E, what: Arguments<'_>, file: &str, line: u32) -> ! {
    crate::eprintln!("check failed: {what}: {error} at {file}:{line}");
    crate::process::exit(FAILURE_STATUS)
}

/// `check!(condition, "what {}", args..)`: exits with status 1 unless `condition` holds.
#[macro_export]
macro_rules! check {
    ($condition:expr, $($what:tt)+) => {
        if !$condition {
            $crate::fail!($($what)+)
        }
    };
}

/// `fail!("what {}", args..)`: reports a failed check and exits with status 1 (an expression
/// of type `!`).
#[macro_export]
macro_rules! fail {
    ($($what:tt)+) => {
        $crate::check::fail(format_args!($($what)+), file!(), line!())
    };
}

/// `check_eq!(left, right, "what {}", args..)`: exits with status 1 unless `left == right`.
#[macro_export]
macro_rules! check_eq {
    ($left:expr, $right:expr, $($what:tt)+) => {
        match (&$left, &$right) {
            (left, right) => {
                if !(*left == *right) {
                    $crate::check::fail_compare(
                        left,
                        right,
                        format_args!($($what)+),
                        file!(),
                        line!(),
                    )
                }
            }
        }
    };
}

/// `check_ne!(left, right, "what {}", args..)`: exits with status 1 if `left == right`.
#[macro_export]
macro_rules! check_ne {
    ($left:expr, $right:expr, $($what:tt)+) => {
        match (&$left, &$right) {
            (left, right) => {
                if *left == *right {
                    $crate::check::fail_compare(
                        left,
                        right,
                        format_args!($($what)+),
                        file!(),
                        line!(),
                    )
                }
            }
        }
    };
}

/// `check_ok!(result, "what {}", args..)`: the value inside `Ok`, or, for an `Err`, exits with
/// status 1 after printing the error (with `Display`).
#[macro_export]
macro_rules! check_ok {
    ($result:expr, $($what:tt)+) => {
        match $result {
            Ok(value) => value,
            Err(error) => {
                $crate::check::fail_error(&error, format_args!($($what)+), file!(), line!())
            }
        }
    };
}
