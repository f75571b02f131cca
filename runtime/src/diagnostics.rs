//! llmscope's own diagnostics: failed exports, dropped spans, unknown models, setup fallbacks.
//!
//! They reach you with no setup: printed on stderr, one line each, at most one line per topic
//! every 10 seconds for warnings and errors (the next line says how many were held back, or
//! sums what happened meanwhile). A warning about one place in your code (a call site whose
//! streams carry no token usage) is printed once for that place instead, whatever else the
//! topic printed. An
//! application that installed its own global `tracing` subscriber gets them as `tracing` events
//! instead (target `llmscope`), so they land wherever its logs go.
//!
//! | variable | values | default |
//! |---|---|---|
//! | `OTEL_LOG_LEVEL` | `error`, `warn`, `info`, `debug` (as in other OpenTelemetry SDKs; `none` or `off` silences) | `warn` |
//! | `LLMSCOPE_DIAGNOSTICS` | `auto` (stderr unless the app set a global `tracing` subscriber), `stderr`, `tracing`, `off` | `auto` |
//!
//! `debug` shows what the pipeline does: the endpoint and protocol chosen, the queue and batch
//! sizes, and one line per export call. [`set_level`] and [`set_sink`] override the variables.
//!
//! # Examples
//!
//! ```
//! use llmscope::diagnostics::{self, Level, Sink};
//!
//! diagnostics::set_level(Some(Level::Debug)); // show each export
//! diagnostics::set_sink(Sink::Stderr);  // even though the app has a tracing subscriber
//! assert_eq!(diagnostics::level(), Some(Level::Debug));
//! ```

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::io::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How important a diagnostic is, as `OTEL_LOG_LEVEL` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Level {
    /// Something failed: spans were lost.
    Error = 1,
    /// Something may be wrong: a span lacks a cost, a fallback was taken.
    Warn = 2,
    /// What the pipeline was set up to do.
    Info = 3,
    /// Each export call.
    Debug = 4,
}

impl Level {
    fn name(self) -> &'static str {
        match self {
            Level::Error => "ERROR",
            Level::Warn => "WARN",
            Level::Info => "INFO",
            Level::Debug => "DEBUG",
        }
    }

    fn from_u8(value: u8) -> Option<Level> {
        match value {
            1 => Some(Level::Error),
            2 => Some(Level::Warn),
            3 => Some(Level::Info),
            4 => Some(Level::Debug),
            _ => None,
        }
    }
}

/// Where diagnostics go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Sink {
    /// stderr, unless the application installed a global `tracing` subscriber of its own.
    Auto = 1,
    /// Always stderr.
    Stderr = 2,
    /// Always `tracing` events (target `llmscope`), even with no subscriber to see them.
    Tracing = 3,
    /// Nowhere.
    Off = 4,
}

/// The variable that sets the level.
pub const LEVEL_VAR: &str = "OTEL_LOG_LEVEL";
/// The variable that sets the sink.
pub const SINK_VAR: &str = "LLMSCOPE_DIAGNOSTICS";

/// How often one topic may print a warning or an error.
const INTERVAL: Duration = Duration::from_secs(10);

/// 0: not read from the environment yet; 5: off; else a `Level`.
static LEVEL: AtomicU8 = AtomicU8::new(0);
const LEVEL_OFF: u8 = 5;
/// 0: not read yet; else a `Sink`.
static SINK: AtomicU8 = AtomicU8::new(0);
/// llmscope itself installed the global `tracing` subscriber (the OpenTelemetry layer only,
/// which prints nothing): diagnostics still go to stderr.
static OWN_SUBSCRIBER: AtomicBool = AtomicBool::new(false);

/// Sets the level, overriding `OTEL_LOG_LEVEL`; `None` silences every diagnostic.
pub fn set_level(level: Option<Level>) {
    LEVEL.store(level.map_or(LEVEL_OFF, |l| l as u8), Ordering::Relaxed);
}

/// Sets where diagnostics go, overriding `LLMSCOPE_DIAGNOSTICS`.
pub fn set_sink(sink: Sink) {
    SINK.store(sink as u8, Ordering::Relaxed);
}

/// The level in force (`None`: silenced).
pub fn level() -> Option<Level> {
    let mut value = LEVEL.load(Ordering::Relaxed);
    if value == 0 {
        value = match std::env::var(LEVEL_VAR) {
            Ok(v) => parse_level(&v).map_or(LEVEL_OFF, |l| l as u8),
            Err(_) => Level::Warn as u8,
        };
        // An explicit `set_level` that raced this read wins.
        let _ = LEVEL.compare_exchange(0, value, Ordering::Relaxed, Ordering::Relaxed);
        value = LEVEL.load(Ordering::Relaxed);
    }
    Level::from_u8(value)
}

/// Parses an `OTEL_LOG_LEVEL` value: `Some(None)` means silenced, `None` an invalid value.
pub(crate) fn parse_level_value(value: &str) -> Option<Option<Level>> {
    match value.trim().to_ascii_lowercase().as_str() {
        "error" => Some(Some(Level::Error)),
        "warn" | "warning" => Some(Some(Level::Warn)),
        "info" => Some(Some(Level::Info)),
        "debug" | "trace" => Some(Some(Level::Debug)),
        "none" | "off" => Some(None),
        _ => None,
    }
}

fn parse_level(value: &str) -> Option<Level> {
    // An unknown value keeps the default rather than silencing everything; `init()` reports
    // it as a setup error.
    parse_level_value(value).unwrap_or(Some(Level::Warn))
}

/// Parses an `LLMSCOPE_DIAGNOSTICS` value.
pub(crate) fn parse_sink(value: &str) -> Option<Sink> {
    match value.trim().to_ascii_lowercase().as_str() {
        "auto" => Some(Sink::Auto),
        "stderr" => Some(Sink::Stderr),
        "tracing" => Some(Sink::Tracing),
        "off" | "none" => Some(Sink::Off),
        _ => None,
    }
}

fn sink() -> Sink {
    match SINK.load(Ordering::Relaxed) {
        1 => Sink::Auto,
        2 => Sink::Stderr,
        3 => Sink::Tracing,
        4 => Sink::Off,
        _ => {
            let sink = std::env::var(SINK_VAR)
                .ok()
                .and_then(|v| parse_sink(&v))
                .unwrap_or(Sink::Auto);
            let _ = SINK.compare_exchange(0, sink as u8, Ordering::Relaxed, Ordering::Relaxed);
            sink
        }
    }
}

/// Marks the global `tracing` subscriber as llmscope's own (it prints nothing).
pub(crate) fn own_subscriber_installed() {
    OWN_SUBSCRIBER.store(true, Ordering::Relaxed);
}

/// Whether a diagnostic at `level` would be shown (skip building the message otherwise).
pub(crate) fn enabled(level: Level) -> bool {
    self::level().is_some_and(|max| level <= max) && sink() != Sink::Off
}

#[derive(Default)]
struct TopicState {
    last: Option<Instant>,
    held_back: u64,
}

static TOPICS: Mutex<Option<HashMap<&'static str, TopicState>>> = Mutex::new(None);

/// Emits one diagnostic. Warnings and errors are rate-limited per `topic`; info and debug
/// lines (asked for explicitly) are not.
pub(crate) fn emit(level: Level, topic: &'static str, message: fmt::Arguments<'_>) {
    if !enabled(level) {
        return;
    }
    let held_back = if level <= Level::Warn {
        let mut topics = TOPICS.lock().unwrap_or_else(|e| e.into_inner());
        match admit(&mut topics, topic) {
            Some(held_back) => held_back,
            None => return,
        }
    } else {
        0
    };
    write_line(level, topic, message, HeldBack(held_back));
}

/// Whether `topic` may print now: if so, marks it printed and returns how many messages it
/// held back since its last line; `None` when it printed less than [`INTERVAL`] ago (and
/// counts this one as held back).
fn admit(
    topics: &mut Option<HashMap<&'static str, TopicState>>,
    topic: &'static str,
) -> Option<u64> {
    let state = topics
        .get_or_insert_with(HashMap::new)
        .entry(topic)
        .or_default();
    if state.last.is_some_and(|at| at.elapsed() < INTERVAL) {
        state.held_back += 1;
        return None;
    }
    state.last = Some(Instant::now());
    Some(std::mem::take(&mut state.held_back))
}

/// The `(topic, key)` pairs [`emit_once`] has printed.
static ONCE: Mutex<Option<HashSet<(&'static str, usize)>>> = Mutex::new(None);

/// Emits a diagnostic about one place (`key`, e.g. a call site's address) the first time it is
/// reported for `topic`, and never again for that place; other places of the same topic get
/// their own line, whatever the topic's rate limit. The topic's rate limit does not count it.
pub(crate) fn emit_once(
    level: Level,
    topic: &'static str,
    key: usize,
    message: fmt::Arguments<'_>,
) {
    if !enabled(level) {
        return;
    }
    let first = ONCE
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get_or_insert_with(HashSet::new)
        .insert((topic, key));
    if first {
        write_line(level, topic, message, HeldBack(0));
    }
}

/// Counts summed between the lines of one rate-limited topic, so that a line says how much
/// happened since the previous one (spans dropped, attributes dropped) however many events were
/// held back. One per call site of [`diag_sum!`]; `N` counts per event.
#[derive(Debug)]
pub(crate) struct Tally<const N: usize> {
    counts: [AtomicU64; N],
}

impl<const N: usize> Tally<N> {
    /// No counts yet.
    pub(crate) const fn new() -> Self {
        Tally {
            counts: [const { AtomicU64::new(0) }; N],
        }
    }

    /// Adds `counts`; returns the sums since the topic's last line (taking them) when
    /// `topic` may print now and something was counted, else `None` (the counts wait for the
    /// next line). A thread that finds the topics locked leaves the printing to the holder.
    pub(crate) fn add(
        &self,
        level: Level,
        topic: &'static str,
        counts: [u64; N],
    ) -> Option<[u64; N]> {
        for (sum, count) in self.counts.iter().zip(counts) {
            if count != 0 {
                sum.fetch_add(count, Ordering::Relaxed);
            }
        }
        if !enabled(level)
            || self
                .counts
                .iter()
                .all(|sum| sum.load(Ordering::Relaxed) == 0)
        {
            return None;
        }
        let Ok(mut topics) = TOPICS.try_lock() else {
            return None;
        };
        // The sums say what the held-back events were: the line needs no count of them.
        admit(&mut topics, topic)?;
        Some(std::array::from_fn(|index| {
            self.counts[index].swap(0, Ordering::Relaxed)
        }))
    }
}

/// Writes one line to the sink in force.
fn write_line(level: Level, topic: &'static str, message: fmt::Arguments<'_>, suffix: HeldBack) {
    let to_tracing = match sink() {
        Sink::Off => return,
        Sink::Stderr => false,
        Sink::Tracing => true,
        Sink::Auto => {
            tracing::dispatcher::has_been_set() && !OWN_SUBSCRIBER.load(Ordering::Relaxed)
        }
    };
    if to_tracing {
        match level {
            Level::Error => tracing::error!(target: "llmscope", topic, "{message}{suffix}"),
            Level::Warn => tracing::warn!(target: "llmscope", topic, "{message}{suffix}"),
            Level::Info => tracing::info!(target: "llmscope", topic, "{message}{suffix}"),
            Level::Debug => tracing::debug!(target: "llmscope", topic, "{message}{suffix}"),
        }
    } else {
        // One write per line, so lines from several threads do not interleave.
        let line = format!("llmscope {} [{topic}] {message}{suffix}\n", level.name());
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    }
}

struct HeldBack(u64);

impl fmt::Display for HeldBack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            0 => Ok(()),
            1 => f.write_str(" (1 similar message held back)"),
            n => write!(f, " ({n} similar messages held back)"),
        }
    }
}

/// `diagnostics::warn!("topic", "format", args…)` and friends: a diagnostic whose message is
/// only formatted when it is shown.
macro_rules! diag {
    ($level:ident, $topic:expr, $($arg:tt)+) => {
        if $crate::diagnostics::enabled($crate::diagnostics::Level::$level) {
            $crate::diagnostics::emit(
                $crate::diagnostics::Level::$level,
                $topic,
                format_args!($($arg)+),
            );
        }
    };
}
pub(crate) use diag;

/// `diag_once!(Warn, "topic", key, "format", args…)`: a diagnostic about one place (`key`:
/// a `usize`, e.g. a call site's address) printed the first time that place reports it, never
/// held back by the topic's rate limit (see [`emit_once`]).
macro_rules! diag_once {
    ($level:ident, $topic:expr, $key:expr, $($arg:tt)+) => {
        if $crate::diagnostics::enabled($crate::diagnostics::Level::$level) {
            $crate::diagnostics::emit_once(
                $crate::diagnostics::Level::$level,
                $topic,
                $key,
                format_args!($($arg)+),
            );
        }
    };
}
pub(crate) use diag_once;

/// `diag_sum!(Warn, "topic", [name = count, …], "format naming {name}…", args…)`: adds the
/// counts of one event to this call site's sums and, when the topic may print (its rate
/// limit), prints a line with the sums since its previous line bound to the names. Events while
/// the topic is held back are summed into the next line, never lost from it.
macro_rules! diag_sum {
    ($level:ident, $topic:expr, [$($name:ident = $count:expr),+ $(,)?], $($arg:tt)+) => {{
        static TALLY: $crate::diagnostics::Tally<{ [$(stringify!($name)),+].len() }> =
            $crate::diagnostics::Tally::new();
        if let ::core::option::Option::Some([$($name),+]) =
            TALLY.add($crate::diagnostics::Level::$level, $topic, [$($count),+])
        {
            $crate::diagnostics::emit_summed(
                $crate::diagnostics::Level::$level,
                $topic,
                format_args!($($arg)+),
            );
        }
    }};
}
pub(crate) use diag_sum;

/// Prints a line [`Tally::add`] admitted (its sums are in the message).
pub(crate) fn emit_summed(level: Level, topic: &'static str, message: fmt::Arguments<'_>) {
    write_line(level, topic, message, HeldBack(0));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_parse_as_other_sdks_name_them() {
        assert_eq!(parse_level_value("ERROR"), Some(Some(Level::Error)));
        assert_eq!(parse_level_value(" warn "), Some(Some(Level::Warn)));
        assert_eq!(parse_level_value("info"), Some(Some(Level::Info)));
        assert_eq!(parse_level_value("debug"), Some(Some(Level::Debug)));
        assert_eq!(parse_level_value("none"), Some(None));
        assert_eq!(parse_level_value("loud"), None);
        assert!(Level::Error < Level::Debug);
    }

    #[test]
    fn sinks_parse() {
        assert_eq!(parse_sink("stderr"), Some(Sink::Stderr));
        assert_eq!(parse_sink("TRACING"), Some(Sink::Tracing));
        assert_eq!(parse_sink("off"), Some(Sink::Off));
        assert_eq!(parse_sink("auto"), Some(Sink::Auto));
        assert_eq!(parse_sink("file"), None);
    }

    #[test]
    fn held_back_counts_read_as_a_sentence() {
        assert_eq!(HeldBack(0).to_string(), "");
        assert_eq!(HeldBack(1).to_string(), " (1 similar message held back)");
        assert_eq!(HeldBack(7).to_string(), " (7 similar messages held back)");
    }

    /// Makes `topic`'s last line look older than the rate limit's interval.
    fn age_topic(topic: &'static str) {
        let mut topics = TOPICS.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(state) = topics.as_mut().and_then(|topics| topics.get_mut(topic)) {
            state.last = state.last.and_then(|at| at.checked_sub(INTERVAL));
        }
    }

    #[test]
    fn a_tally_carries_the_counts_of_held_back_events_into_the_next_line() {
        set_level(Some(Level::Warn));
        let topic = "test-tally";
        let tally = Tally::<2>::new();
        // The first event prints with its own counts.
        assert_eq!(tally.add(Level::Warn, topic, [1, 3]), Some([1, 3]));
        // Within the interval the topic is held back: the counts are summed, not lost.
        assert_eq!(tally.add(Level::Warn, topic, [1, 4]), None);
        assert_eq!(tally.add(Level::Warn, topic, [1, 5]), None);
        age_topic(topic);
        // The next line reports every event since the previous one: 3 events, 4 + 5 + 6.
        assert_eq!(tally.add(Level::Warn, topic, [1, 6]), Some([3, 15]));
        // Nothing counted since: no line, even once the interval has passed.
        age_topic(topic);
        assert_eq!(tally.add(Level::Warn, topic, [0, 0]), None);
    }
}
