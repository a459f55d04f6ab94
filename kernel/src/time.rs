//! Time: the timer tick on every hart (concept K4) and the clocks behind `clock_gettime`.
//!
//! Each hart programs its own SBI timer `HZ` times a second; the interrupt counts a tick and
//! re-arms it. Monotonic time is the `time` CSR scaled by the device tree's timebase; wall
//! time adds the goldfish RTC's reading taken at boot.

use crate::devicetree::BootInfo;
use core::sync::atomic::{AtomicU64, Ordering};
use hal::MAX_HARTS;
use hal::mmio::Mmio;

/// Timer interrupts per second on each hart.
pub const HZ: u64 = 100;

static TIMEBASE_HZ: AtomicU64 = AtomicU64::new(10_000_000);
static BOOT_REALTIME_NS: AtomicU64 = AtomicU64::new(0);
static TICKS: [AtomicU64; MAX_HARTS] = [const { AtomicU64::new(0) }; MAX_HARTS];

/// Reads the timebase and the wall clock.
pub fn init(info: &BootInfo) {
    TIMEBASE_HZ.store(info.timebase_hz.max(1), Ordering::Relaxed);
    if let Some(rtc) = info.rtc.and_then(|(base, size)| Mmio::new(base, size)) {
        // Goldfish RTC: reading TIME_LOW (offset 0) latches TIME_HIGH (offset 4).
        let low = rtc.read_u32(0) as u64;
        let high = rtc.read_u32(4) as u64;
        let now = (high << 32) | low;
        BOOT_REALTIME_NS.store(now.saturating_sub(monotonic_ns()), Ordering::Relaxed);
    }
}

/// Converts `time` CSR ticks to nanoseconds.
pub fn ticks_to_ns(ticks: u64) -> u64 {
    (ticks as u128 * 1_000_000_000 / TIMEBASE_HZ.load(Ordering::Relaxed) as u128) as u64
}

fn ns_to_ticks(ns: u64) -> u64 {
    (ns as u128 * TIMEBASE_HZ.load(Ordering::Relaxed) as u128 / 1_000_000_000) as u64
}

/// Nanoseconds since the machine started.
pub fn monotonic_ns() -> u64 {
    ticks_to_ns(hal::cpu::read_time())
}

/// Nanoseconds since the Unix epoch.
pub fn realtime_ns() -> u64 {
    BOOT_REALTIME_NS.load(Ordering::Relaxed) + monotonic_ns()
}

fn arm_timer() {
    let interval = ns_to_ticks(1_000_000_000 / HZ);
    hal::sbi::set_timer(hal::cpu::read_time() + interval);
}

/// Starts this hart's tick.
pub fn init_hart() {
    arm_timer();
}

/// The timer interrupt: count the tick, arm the next one, wake sleepers whose time has
/// come, and charge the running process (which may be preempted).
pub fn on_timer_interrupt() {
    TICKS[hal::cpu::hart_id()].fetch_add(1, Ordering::Relaxed);
    arm_timer();
    let now = monotonic_ns();
    crate::proc::lifecycle::SLEEPERS.wake_up_to(now);
    crate::proc::signal::expire_timers(now);
    crate::fs::poll::expire(now);
    crate::proc::futex::expire(now);
    crate::ipc::sem::expire(now);
    crate::proc::sched::tick();
}

/// Scheduler ticks since boot (the monotonic clock in units of 1/HZ s).
pub fn ticks() -> u64 {
    monotonic_ns() / (1_000_000_000 / HZ)
}

/// Timer interrupts taken so far on `hart`.
pub fn timer_interrupts(hart: usize) -> u64 {
    TICKS.get(hart).map_or(0, |t| t.load(Ordering::Relaxed))
}

/// 64 bits mixed from the clock (for AT_RANDOM; not cryptographic).
pub fn random_u64() -> u64 {
    static STATE: AtomicU64 = AtomicU64::new(0x9e37_79b9_7f4a_7c15);
    let seed = STATE.fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed) ^ hal::cpu::read_time();
    // splitmix64 finaliser
    let mut z = seed;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}
