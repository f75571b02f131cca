//! The clock a recorded stream reads once per chunk: cheap to read, converted to time once, at
//! the end.
//!
//! Invariants:
//! - [`ticks`] is monotonic on one machine and costs one instruction (`rdtsc`) where the CPU
//!   says its time-stamp counter is invariant (constant rate, running in every power state,
//!   the same on every core: CPUID leaf `0x8000_0007`, EDX bit 8); elsewhere it is nanoseconds
//!   since the first read in the process ([`Instant`] underneath, as before);
//! - ticks become time only through a [`Mark`] pair: a tick count and an [`Instant`] read
//!   together. The rate is measured between the first mark of the process and the mark taken
//!   when a stream ends, so the longer the process runs, the closer the rate; no fixed
//!   frequency is assumed. A `Duration` from ticks is therefore as accurate as [`Instant`]
//!   over the same interval, to within the two reads of a mark (tens of nanoseconds);
//! - converted durations saturate at zero: a counter read on another core a few cycles
//!   "earlier" never yields a negative gap.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// 0: not decided yet; 1: the time-stamp counter; 2: nanoseconds since [`origin`].
static SOURCE: AtomicU8 = AtomicU8::new(0);
const SOURCE_TSC: u8 = 1;
const SOURCE_NANOS: u8 = 2;

/// The first mark of the process: the origin of nanosecond ticks and of the rate measurement.
static ORIGIN: OnceLock<Mark> = OnceLock::new();

/// A tick count and the [`Instant`] it was read at.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Mark {
    instant: Instant,
    ticks: u64,
}

impl Mark {
    /// Reads both clocks now.
    pub(crate) fn now() -> Mark {
        origin();
        Mark {
            ticks: ticks(),
            instant: Instant::now(),
        }
    }

    /// The tick count of this mark.
    pub(crate) fn ticks(&self) -> u64 {
        self.ticks
    }
}

/// The first mark of the process.
fn origin() -> &'static Mark {
    ORIGIN.get_or_init(|| {
        let instant = Instant::now();
        // Nanosecond ticks count from this instant, so the origin's own count is 0.
        let ticks = if uses_tsc() { read_tsc() } else { 0 };
        Mark { instant, ticks }
    })
}

/// Whether the invariant time-stamp counter is the tick source (decided once).
fn uses_tsc() -> bool {
    match SOURCE.load(Ordering::Relaxed) {
        SOURCE_TSC => true,
        SOURCE_NANOS => false,
        _ => {
            let source = if invariant_tsc() {
                SOURCE_TSC
            } else {
                SOURCE_NANOS
            };
            SOURCE.store(source, Ordering::Relaxed);
            source == SOURCE_TSC
        }
    }
}

#[cfg(target_arch = "x86_64")]
fn invariant_tsc() -> bool {
    use std::arch::x86_64::__cpuid;
    // The highest extended leaf must reach 0x8000_0007 before that leaf means anything.
    __cpuid(0x8000_0000).eax >= 0x8000_0007 && __cpuid(0x8000_0007).edx & (1 << 8) != 0
}

#[cfg(not(target_arch = "x86_64"))]
fn invariant_tsc() -> bool {
    false
}

#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn read_tsc() -> u64 {
    // SAFETY: `rdtsc` exists on every x86_64 CPU and only reads a counter (no memory access,
    // no side effect); it is called only after CPUID said the counter is invariant.
    unsafe { std::arch::x86_64::_rdtsc() }
}

#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn read_tsc() -> u64 {
    unreachable!("the time-stamp counter is used on x86_64 only")
}

/// The current tick count (see the module's invariants).
#[inline]
pub(crate) fn ticks() -> u64 {
    if SOURCE.load(Ordering::Relaxed) == SOURCE_TSC {
        read_tsc()
    } else {
        slow_ticks()
    }
}

#[cold]
fn slow_ticks() -> u64 {
    if uses_tsc() {
        return read_tsc();
    }
    let nanos = origin().instant.elapsed().as_nanos();
    u64::try_from(nanos).unwrap_or(u64::MAX)
}

/// Converts tick counts to time, at the rate measured up to `end`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Scale {
    nanos_per_tick: f64,
}

impl Scale {
    /// The rate between the process's first mark and `end`.
    pub(crate) fn at(end: &Mark) -> Scale {
        if !uses_tsc() {
            return Scale {
                nanos_per_tick: 1.0,
            };
        }
        let origin = origin();
        let ticks = end.ticks.saturating_sub(origin.ticks);
        let nanos = end
            .instant
            .saturating_duration_since(origin.instant)
            .as_nanos() as f64;
        Scale {
            // No tick yet (two marks in the same cycle): any rate gives zero durations.
            nanos_per_tick: if ticks == 0 {
                1.0
            } else {
                nanos / ticks as f64
            },
        }
    }

    /// The time from tick count `from` to tick count `to` (zero if `to` is earlier).
    pub(crate) fn between(&self, from: u64, to: u64) -> Duration {
        let ticks = to.saturating_sub(from);
        Duration::from_nanos((ticks as f64 * self.nanos_per_tick).round() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_converted_at_the_measured_rate_match_instant_over_a_sleep() {
        let start = Mark::now();
        std::thread::sleep(Duration::from_millis(30));
        let middle = ticks();
        std::thread::sleep(Duration::from_millis(20));
        let end = Mark::now();
        let scale = Scale::at(&end);
        let measured = end.instant.duration_since(start.instant);
        let converted = scale.between(start.ticks(), end.ticks());
        let error = measured.as_secs_f64() - converted.as_secs_f64();
        // Within 1 % of what `Instant` measured over the same interval.
        assert!(
            error.abs() < measured.as_secs_f64() / 100.0,
            "{converted:?} from ticks vs {measured:?} from Instant"
        );
        let first = scale.between(start.ticks(), middle);
        assert!(
            first >= Duration::from_millis(30) && first < measured,
            "{first:?}"
        );
    }

    #[test]
    fn a_later_count_read_first_gives_zero_not_a_wrapped_duration() {
        let scale = Scale::at(&Mark::now());
        assert_eq!(scale.between(10, 5), Duration::ZERO);
    }
}
