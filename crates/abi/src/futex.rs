//! `futex(2)` operations and flags (Linux `uapi/linux/futex.h`).

/// Sleep if the word still holds the expected value (relative timeout).
pub const FUTEX_WAIT: u32 = 0;
/// Wake up to `val` waiters.
pub const FUTEX_WAKE: u32 = 1;
/// Wake up to `val` waiters, move up to `val2` others to the second word.
pub const FUTEX_REQUEUE: u32 = 3;
/// `FUTEX_REQUEUE` only if the first word still holds `val3`.
pub const FUTEX_CMP_REQUEUE: u32 = 4;
/// Like `FUTEX_WAIT` with a wake-up mask (`val3`) and an absolute timeout.
pub const FUTEX_WAIT_BITSET: u32 = 9;
/// Wake waiters whose mask shares a bit with `val3`.
pub const FUTEX_WAKE_BITSET: u32 = 10;
/// The word is private to the process (no shared mapping): a faster key.
pub const FUTEX_PRIVATE_FLAG: u32 = 128;
/// `FUTEX_WAIT_BITSET`'s timeout is on CLOCK_REALTIME (default CLOCK_MONOTONIC).
pub const FUTEX_CLOCK_REALTIME: u32 = 256;
/// The operation bits of the `op` argument.
pub const FUTEX_CMD_MASK: u32 = !(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
/// The mask that matches every waiter.
pub const FUTEX_BITSET_MATCH_ANY: u32 = u32::MAX;
