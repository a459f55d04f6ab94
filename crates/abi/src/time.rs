//! Time in the Linux riscv64 ABI: the clock ids of `clock_gettime` and friends and the
//! 64-bit time structs (`timespec`, `timeval`, `itimerval`, `tms`).
//!
//! Invariants:
//! - `time_t`, `suseconds_t` and `clock_t` are 64-bit on riscv64, so every struct here is a
//!   run of `i64`s with no padding.
//! - A normalized [`Timespec`] has `0 <= tv_nsec < 1_000_000_000` (a [`Timeval`] likewise
//!   for `tv_usec < 1_000_000`); the checked conversions reject anything else, and negative
//!   times, instead of wrapping.

use crate::wire::abi_struct;

/// Wall-clock time, settable.
pub const CLOCK_REALTIME: i32 = 0;
/// Time since boot that never jumps, excluding suspend.
pub const CLOCK_MONOTONIC: i32 = 1;
/// CPU time consumed by the calling process.
pub const CLOCK_PROCESS_CPUTIME_ID: i32 = 2;
/// CPU time consumed by the calling thread.
pub const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
/// Monotonic time not slewed by NTP.
pub const CLOCK_MONOTONIC_RAW: i32 = 4;
/// Cheaper, tick-granular [`CLOCK_REALTIME`].
pub const CLOCK_REALTIME_COARSE: i32 = 5;
/// Cheaper, tick-granular [`CLOCK_MONOTONIC`].
pub const CLOCK_MONOTONIC_COARSE: i32 = 6;
/// Monotonic time including time spent suspended.
pub const CLOCK_BOOTTIME: i32 = 7;

/// `clock_nanosleep` flag: the request is an absolute time, not an interval.
pub const TIMER_ABSTIME: i32 = 1;

/// Nanoseconds in one second.
pub const NANOS_PER_SEC: u64 = 1_000_000_000;
/// Microseconds in one second.
pub const MICROS_PER_SEC: u64 = 1_000_000;

abi_struct! {
    /// `struct timespec`: seconds and nanoseconds.
    pub struct Timespec {
        /// Whole seconds.
        pub tv_sec: i64,
        /// Nanoseconds, `0..1_000_000_000` when normalized.
        pub tv_nsec: i64,
    }
}

abi_struct! {
    /// `struct timeval`: seconds and microseconds.
    pub struct Timeval {
        /// Whole seconds.
        pub tv_sec: i64,
        /// Microseconds, `0..1_000_000` when normalized.
        pub tv_usec: i64,
    }
}

abi_struct! {
    /// `struct itimerval` of `setitimer`/`getitimer`.
    pub struct Itimerval {
        /// Reload value after each expiry; zero for a one-shot timer.
        pub it_interval: Timeval,
        /// Time until the next expiry; zero disarms the timer.
        pub it_value: Timeval,
    }
}

abi_struct! {
    /// `struct tms` filled by `times`, in clock ticks.
    pub struct Tms {
        /// User CPU time of the caller.
        pub tms_utime: i64,
        /// System CPU time of the caller.
        pub tms_stime: i64,
        /// User CPU time of waited-for children.
        pub tms_cutime: i64,
        /// System CPU time of waited-for children.
        pub tms_cstime: i64,
    }
}

impl Timespec {
    /// The normalized timespec for `nanos` nanoseconds.
    pub const fn from_nanos(nanos: u64) -> Timespec {
        Timespec {
            tv_sec: (nanos / NANOS_PER_SEC) as i64,
            tv_nsec: (nanos % NANOS_PER_SEC) as i64,
        }
    }

    /// Total nanoseconds; `None` when negative, not normalized, or beyond `u64`.
    pub const fn to_nanos(&self) -> Option<u64> {
        if !self.is_normalized() {
            return None;
        }
        match (self.tv_sec as u64).checked_mul(NANOS_PER_SEC) {
            Some(whole) => whole.checked_add(self.tv_nsec as u64),
            None => None,
        }
    }

    /// `tv_sec >= 0` and `0 <= tv_nsec < 1e9`: the form syscalls accept.
    pub const fn is_normalized(&self) -> bool {
        self.tv_sec >= 0 && self.tv_nsec >= 0 && self.tv_nsec < NANOS_PER_SEC as i64
    }
}

impl Timeval {
    /// The normalized timeval for `micros` microseconds.
    pub const fn from_micros(micros: u64) -> Timeval {
        Timeval {
            tv_sec: (micros / MICROS_PER_SEC) as i64,
            tv_usec: (micros % MICROS_PER_SEC) as i64,
        }
    }

    /// Total microseconds; `None` when negative, not normalized, or beyond `u64`.
    pub const fn to_micros(&self) -> Option<u64> {
        if self.tv_sec < 0 || self.tv_usec < 0 || self.tv_usec >= MICROS_PER_SEC as i64 {
            return None;
        }
        match (self.tv_sec as u64).checked_mul(MICROS_PER_SEC) {
            Some(whole) => whole.checked_add(self.tv_usec as u64),
            None => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::{offset_of, size_of};

    #[test]
    fn layouts_match_linux() {
        assert_eq!((size_of::<Timespec>(), Timespec::SIZE), (16, 16));
        assert_eq!(offset_of!(Timespec, tv_nsec), 8);
        assert_eq!((size_of::<Timeval>(), Timeval::SIZE), (16, 16));
        assert_eq!(offset_of!(Timeval, tv_usec), 8);
        assert_eq!((size_of::<Itimerval>(), Itimerval::SIZE), (32, 32));
        assert_eq!(offset_of!(Itimerval, it_value), 16);
        assert_eq!((size_of::<Tms>(), Tms::SIZE), (32, 32));
        assert_eq!(offset_of!(Tms, tms_cstime), 24);
    }

    #[test]
    fn round_trips() {
        let time = Timespec {
            tv_sec: 1_700_000_000,
            tv_nsec: 999_999_999,
        };
        assert_eq!(Timespec::from_bytes(&time.to_bytes()), time);
        let timer = Itimerval {
            it_interval: Timeval::from_micros(250_000),
            it_value: Timeval::from_micros(3_000_001),
        };
        let image = timer.to_bytes();
        assert_eq!(image[16..24], 3i64.to_le_bytes());
        assert_eq!(Itimerval::from_bytes(&image), timer);
        let ticks = Tms {
            tms_utime: 1,
            tms_stime: 2,
            tms_cutime: 3,
            tms_cstime: -4,
        };
        assert_eq!(Tms::from_bytes(&ticks.to_bytes()), ticks);
    }

    #[test]
    fn nanosecond_conversions_are_checked() {
        let time = Timespec::from_nanos(5_000_000_123);
        assert_eq!((time.tv_sec, time.tv_nsec), (5, 123));
        assert_eq!(time.to_nanos(), Some(5_000_000_123));
        assert_eq!(Timespec::from_nanos(u64::MAX).to_nanos(), Some(u64::MAX));
        let bad_nanos = Timespec {
            tv_sec: 1,
            tv_nsec: 1_000_000_000,
        };
        assert_eq!(bad_nanos.to_nanos(), None);
        let negative = Timespec {
            tv_sec: -1,
            tv_nsec: 0,
        };
        assert_eq!(negative.to_nanos(), None);
        let too_far = Timespec {
            tv_sec: i64::MAX,
            tv_nsec: 0,
        };
        assert_eq!(too_far.to_nanos(), None);
    }

    #[test]
    fn microsecond_conversions_are_checked() {
        assert_eq!(Timeval::from_micros(1_500_000).to_micros(), Some(1_500_000));
        let bad = Timeval {
            tv_sec: 0,
            tv_usec: 1_000_000,
        };
        assert_eq!(bad.to_micros(), None);
    }
}
