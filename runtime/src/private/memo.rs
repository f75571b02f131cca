//! The application's short strings as the processing thread exports them, remembered per
//! thread.
//!
//! An application records the same values call after call: a model name, a feature, a
//! prompt template's hash, a user's hash, a tenant. Redaction is a pure function of the policy
//! and the text, and scanning a short string costs ~2,000 instructions (its digits and hex runs
//! wake the numeric and entropy matchers); copying it into the thread's own memory costs an
//! allocation, which the export thread then frees across threads. So a value seen a second
//! time gets an entry here, is not scanned again while it stays, and its exported form is one
//! shared allocation of this thread's that every span holding it points to. A value seen once
//! (a response id) gets no entry: it is handled as it comes and evicts nothing.
//!
//! Invariants:
//! - the result is exactly [`capture::bound_redacted`]'s for the same policy and text (or the
//!   text itself, unredacted, when asked for a copy): a hit is a whole-text match with an entry
//!   made under the same policy and for the same use (the entry's text is compared, not only
//!   its hash);
//! - bounded: [`SLOTS`] entries per thread, each a text of at most [`MAX_BYTES`] and its
//!   exported form (at most ~16 KB a thread, allocated on the first use); longer texts are
//!   handled each time and never remembered;
//! - what is kept is the unredacted text, only to compare with; it never leaves the thread;
//! - an exported form that keeps coming back ([`HOT`] hits of one entry) is copied once into
//!   memory that is never freed, and spans then hold a `&'static str` to it: no reference count
//!   for the processing thread to raise and the export thread to lower on every span (on a
//!   shared cache line, for a value every span repeats), nothing to free. Bounded for the whole
//!   process: at most [`INTERN_BUDGET`] bytes are ever set aside this way (each text counted
//!   with its entry in the list that keeps it reachable); past it the shared allocation
//!   serves. Only exported forms (redacted, or values that are not redacted) are kept so.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use opentelemetry::StringValue;

use crate::capture::{self, CapturePolicy};

/// Entries per thread (a power of two: the slot is the hash's top bits).
const SLOTS: usize = 64;

/// The longest text remembered, in bytes: identifiers and hashes, not content.
const MAX_BYTES: usize = 128;

/// Hits of one entry after which its exported form is kept for the life of the process.
const HOT: u8 = 8;

/// The most bytes of exported forms kept for the life of the process, over every thread and
/// policy: identifiers that repeat (models, features, finish reasons, tenants), not every
/// hash the application ever records.
const INTERN_BUDGET: usize = 64 * 1024;

struct Entry {
    text: Box<str>,
    /// Made for [`exported`] with `redact` set (else a plain copy).
    redacted: bool,
    /// Hits since the entry was made, or since the budget last had no room for it; at
    /// [`HOT`] its exported form is kept (or the count starts again).
    hits: u8,
    /// What spans get: the redacted text, or the text itself, in an allocation of this
    /// thread's that they share…
    out: Arc<str>,
    /// …or kept for the life of the process, once it is (see [`INTERN_BUDGET`]).
    kept: Option<&'static str>,
}

impl Entry {
    /// The exported form for one more span, and whether it is kept for good (from the
    /// [`HOT`]th hit on, when the budget allows).
    #[inline]
    fn hit(&mut self) -> (StringValue, Option<&'static str>) {
        if let Some(kept) = self.kept {
            return (StringValue::from(kept), Some(kept));
        }
        self.hits += 1;
        if self.hits >= HOT {
            self.hits = 0;
            self.kept = keep(&self.out);
            if let Some(kept) = self.kept {
                return (StringValue::from(kept), Some(kept));
            }
        }
        (StringValue::from(Arc::clone(&self.out)), None)
    }
}

/// `text` copied into memory never freed, if the process's budget has room for it.
#[cold]
#[inline(never)]
fn keep(text: &str) -> Option<&'static str> {
    kept_texts().keep(text, INTERN_BUDGET)
}

/// The texts kept for the life of the process, locked.
fn kept_texts() -> std::sync::MutexGuard<'static, Kept> {
    KEPT.lock().unwrap_or_else(|poison| poison.into_inner())
}

/// Every text kept for the life of the process.
static KEPT: Mutex<Kept> = Mutex::new(Kept {
    texts: None,
    bytes: 0,
});

/// Texts kept for the life of the process: found again rather than copied twice, and
/// reachable, so that leak checkers (valgrind, LeakSanitizer) do not report them.
struct Kept {
    texts: Option<HashSet<&'static str>>,
    /// What they take: each text's length and about its entry in `texts`.
    bytes: usize,
}

impl Kept {
    /// The copy of `text` kept already, if there is one.
    fn find(&self, text: &str) -> Option<&'static str> {
        self.texts.as_ref()?.get(text).copied()
    }

    /// `text`: the copy kept already, else a new one if it fits within `budget` bytes.
    fn keep(&mut self, text: &str, budget: usize) -> Option<&'static str> {
        if let Some(kept) = self.find(text) {
            return Some(kept);
        }
        let texts = self.texts.get_or_insert_with(HashSet::new);
        let bytes = self
            .bytes
            .checked_add(text.len() + std::mem::size_of::<&str>())
            .filter(|&bytes| bytes <= budget)?;
        let kept: &'static str = Box::leak(Box::from(text));
        texts.insert(kept);
        self.bytes = bytes;
        Some(kept)
    }
}

struct Memo {
    /// The address of the policy the entries were made under: policies here are `'static`,
    /// never freed, so an address names one policy for the life of the process.
    policy: usize,
    slots: Vec<Option<Entry>>,
    /// Per slot, the hash of the last text seen there without getting an entry: a text gets
    /// one the second time it is seen, so that a text seen once (a response id) neither costs
    /// an entry nor evicts one that repeats.
    once: [u64; SLOTS],
}

thread_local! {
    /// The buffer a span's name is written into before it is looked up, and the last name
    /// found kept ([`span_name`]).
    static NAME: RefCell<Names> = const {
        RefCell::new(Names {
            buffer: String::new(),
            operation: "",
            model: String::new(),
            kept: None,
        })
    };
    static MEMO: RefCell<Memo> = const {
        RefCell::new(Memo {
            policy: 0,
            slots: Vec::new(),
            once: [0; SLOTS],
        })
    };
}

/// `text` as a span of this thread's exports it: redacted and bounded as
/// [`capture::bound_redacted`] does it under `policy` when `redact` is set, else copied. A short
/// text seen before is the same shared allocation.
#[inline]
pub(super) fn exported(policy: &'static CapturePolicy, text: &str, redact: bool) -> StringValue {
    exported_form(policy, text, redact).0
}

thread_local! {
    /// The last two texts [`shared`] found kept for the life of the process (a call's request
    /// and response models, most often): plain values, compared by content.
    static LAST_KEPT: Cell<[&'static str; 2]> = const { Cell::new(["", ""]) };
}

/// [`exported`] for a copy (no redaction): a text among the last two this thread found kept
/// is answered by comparing it with them, without hashing it or looking the memo up. Only for
/// copies: a kept copy equals its text, which a redacted form need not.
#[inline]
pub(super) fn shared(policy: &'static CapturePolicy, text: &str) -> StringValue {
    let last = LAST_KEPT.try_with(Cell::get).unwrap_or(["", ""]);
    if let Some(kept) = last.into_iter().find(|kept| *kept == text) {
        return StringValue::from(kept);
    }
    let (out, kept) = exported_form(policy, text, false);
    if let Some(kept) = kept {
        let _ = LAST_KEPT.try_with(|cell| cell.set([kept, last[0]]));
    }
    out
}

/// [`exported`], and the form kept for the life of the process, once it is. The kept form
/// is answered inline (most texts of a steady application are kept), in registers: returned
/// through memory by a call, the caller's copy of it into a span's attribute stalled.
#[inline(always)]
fn exported_form(
    policy: &'static CapturePolicy,
    text: &str,
    redact: bool,
) -> (StringValue, Option<&'static str>) {
    if text.len() > MAX_BYTES {
        return exported_form_full(policy, text, redact, None);
    }
    let hash = hash_of(text, redact);
    if let Some(kept) = kept_form(policy, text, redact, slot_in(hash)) {
        return (StringValue::from(kept), Some(kept));
    }
    exported_form_full(policy, text, redact, Some(hash))
}

/// The form of `text` (for a use, `redact`, in memo slot `slot`) kept for the life of the
/// process, when this thread's memo holds it under `policy`.
#[inline]
fn kept_form(
    policy: &'static CapturePolicy,
    text: &str,
    redact: bool,
    slot: usize,
) -> Option<&'static str> {
    MEMO.try_with(|memo| {
        let memo = memo.try_borrow().ok()?;
        if memo.policy != policy as *const CapturePolicy as usize {
            return None;
        }
        let entry = memo.slots.get(slot)?.as_ref()?;
        let kept = entry.kept?;
        (entry.redacted == redact && *entry.text == *text).then_some(kept)
    })
    .ok()
    .flatten()
}

/// [`exported_form`] when the text is not kept: looked up, remembered, redacted or copied.
/// `hash` is [`hash_of`] the text, `None` for a text too long to remember.
#[inline(never)]
fn exported_form_full(
    policy: &'static CapturePolicy,
    text: &str,
    redact: bool,
    hash: Option<u64>,
) -> (StringValue, Option<&'static str>) {
    let make = |text: &str| -> Arc<str> {
        if redact {
            match capture::bound_redacted(policy, text) {
                Cow::Owned(clean) => Arc::from(clean),
                Cow::Borrowed(text) => Arc::from(text),
            }
        } else {
            Arc::from(text)
        }
    };
    let Some(hash) = hash else {
        return (StringValue::from(make(text)), None);
    };
    let slot = slot_in(hash);
    MEMO.try_with(|memo| {
        let mut memo = memo.borrow_mut();
        let identity = policy as *const CapturePolicy as usize;
        if memo.policy != identity || memo.slots.is_empty() {
            memo.policy = identity;
            memo.slots.clear();
            memo.slots.resize_with(SLOTS, || None);
            memo.once = [0; SLOTS];
        }
        if let Some(entry) = &mut memo.slots[slot] {
            if entry.redacted == redact && *entry.text == *text {
                return entry.hit();
            }
        }
        let out = make(text);
        if memo.once[slot] != hash {
            // Seen once: remembered only if it comes back (a response id never does), and
            // the entry in the slot stays.
            memo.once[slot] = hash;
            return (StringValue::from(out), None);
        }
        memo.slots[slot] = Some(Entry {
            text: text.into(),
            redacted: redact,
            hits: 0,
            out: Arc::clone(&out),
            kept: None,
        });
        (StringValue::from(out), None)
    })
    // The thread is exiting: no remembering.
    .unwrap_or_else(|_| (StringValue::from(make(text)), None))
}

/// `text` redacted and bounded as [`capture::bound_redacted`] does it under `policy`: `None`
/// when that leaves it unchanged (the caller's own text serves), else the new text (a short one
/// shared, as [`exported`]); also the text itself when it is kept for the life of the process
/// (then the span holds no allocation of the caller's).
pub(super) fn bound_redacted(policy: &'static CapturePolicy, text: &str) -> Option<StringValue> {
    if text.len() > MAX_BYTES {
        return changed(capture::bound_redacted(policy, text)).map(StringValue::from);
    }
    let (out, kept) = exported_form(policy, text, true);
    (kept.is_some() || out.as_str() != text).then_some(out)
}

/// A thread's span names: the buffer one is written into, and the last one found kept with
/// the operation and model it was made of (a call of the same site and model, as most are,
/// takes it without writing or looking anything up).
struct Names {
    buffer: String,
    operation: &'static str,
    model: String,
    kept: Option<&'static str>,
}

/// The name `{operation} {model}` of a span: borrowed from the copy kept for the life of the
/// process once the name keeps coming back (see [`HOT`]), else made anew.
pub(super) fn span_name(
    policy: &'static CapturePolicy,
    operation: &'static str,
    model: &str,
) -> Cow<'static, str> {
    if operation.len() + 1 + model.len() > MAX_BYTES {
        return Cow::Owned(format!("{operation} {model}"));
    }
    // Written into this thread's buffer: no allocation, and no check that the bytes are text
    // (they are: two texts and a space).
    NAME.try_with(|names| {
        let names = &mut *names.borrow_mut();
        if let Some(kept) = names.kept {
            // The same operation (its text, where the site keeps it) and the same model.
            if std::ptr::eq(names.operation, operation) && names.model == model {
                return Cow::Borrowed(kept);
            }
        }
        names.buffer.clear();
        names.buffer.extend([operation, " ", model]);
        match exported_form(policy, &names.buffer, false) {
            (_, Some(kept)) => {
                names.operation = operation;
                names.model.clear();
                names.model.push_str(model);
                names.kept = Some(kept);
                Cow::Borrowed(kept)
            }
            (_, None) => Cow::Owned(names.buffer.as_str().to_owned()),
        }
    })
    // The thread is exiting: no remembering.
    .unwrap_or_else(|_| Cow::Owned(format!("{operation} {model}")))
}

fn changed(redacted: Cow<'_, str>) -> Option<String> {
    match redacted {
        Cow::Owned(text) => Some(text),
        Cow::Borrowed(_) => None,
    }
}

/// The slot of `text` for a use (`redact`).
#[cfg(test)]
fn slot_of(text: &str, redact: bool) -> usize {
    slot_in(hash_of(text, redact))
}

/// The slot of a text whose hash is `hash`: its top bits.
#[inline]
fn slot_in(hash: u64) -> usize {
    (hash >> (64 - SLOTS.trailing_zeros())) as usize
}

/// A multiplicative hash of `text`'s 8-byte words, its length and the use (`redact`).
#[inline]
fn hash_of(text: &str, redact: bool) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let bytes = text.as_bytes();
    let mut hash = ((bytes.len() as u64) << 1 | u64::from(redact)).wrapping_mul(K);
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        let word = u64::from_le_bytes(word.try_into().expect("8 bytes"));
        hash = (hash.rotate_left(5) ^ word).wrapping_mul(K);
    }
    // The tail: the last 8 bytes read again (overlapping the last word) when there are 8,
    // else byte by byte; no call to copy a slice of unknown length.
    let tail = match bytes.len() {
        0 => 0,
        len if len >= 8 => u64::from_le_bytes(bytes[len - 8..].try_into().expect("8 bytes")),
        _ => words
            .remainder()
            .iter()
            .fold(0, |tail, &byte| tail << 8 | u64::from(byte)),
    };
    (hash.rotate_left(5) ^ tail).wrapping_mul(K)
}

/// What the calling thread knows of a text it recorded lately: whether it is kept for the life
/// of the process, and when to look again if not.
#[derive(Clone, Copy)]
struct Seen {
    /// [`hash_of`] the text (for a copy, `redact` unset).
    hash: u64,
    /// Times it came back since it was last looked for in [`KEPT`].
    misses: u16,
    /// Times it must come back before the next look: [`HOT`], doubled after each look that
    /// finds nothing, up to [`MAX_WAIT`].
    wait: u16,
    /// The kept copy, once found.
    kept: Option<&'static str>,
}

const UNSEEN: Seen = Seen {
    hash: 0,
    misses: 0,
    wait: HOT as u16,
    kept: None,
};

/// The most a text that is never kept makes its thread wait between two looks: one lock of
/// [`KEPT`] in this many of its calls.
const MAX_WAIT: u16 = 4096;

thread_local! {
    /// The calling threads' side of the kept texts: plain values (no destructor, no lazy
    /// initialisation), one per slot.
    static SEEN: [Cell<Seen>; SLOTS] = const { [const { Cell::new(UNSEEN) }; SLOTS] };
    /// Whether this thread made a call processed on llmscope's processing thread: only such a
    /// thread looks for its texts among the kept ones. A thread that processes its own calls
    /// gets the kept forms from [`MEMO`] when it redacts, and would only pay for the look.
    static DEFERS: Cell<bool> = const { Cell::new(false) };
}

/// Notes that this thread made a call processed on llmscope's processing thread.
#[inline]
pub(super) fn defers() {
    let _ = DEFERS.try_with(|defers| defers.set(true));
}

/// A text the application records at run time (an attribute value, the response's model or
/// id) as the record holds it: the copy kept for the life of the process when there is one —
/// nothing allocated, no reference count —, else a new shared allocation. Texts are only
/// looked for, never kept, here: what is kept are exported forms ([`HOT`]), so a text found
/// is byte for byte the application's own (a secret is kept only in its redacted form, which
/// differs from it, and is never found for it). Only on a thread whose calls are deferred
/// ([`defers`]).
#[inline]
pub(super) fn recorded(text: &str) -> StringValue {
    if text.len() <= MAX_BYTES && DEFERS.try_with(Cell::get).unwrap_or(false) {
        if let Some(kept) = find_kept(text) {
            return StringValue::from(kept);
        }
    }
    StringValue::from(Arc::<str>::from(text))
}

/// The copy of `text` (at most [`MAX_BYTES`]) kept for the life of the process, when this
/// thread has found it; looked for in [`KEPT`] (a lock) only when the text came back
/// [`Seen::wait`] times since.
fn find_kept(text: &str) -> Option<&'static str> {
    let hash = hash_of(text, false);
    SEEN.try_with(|seen| {
        let cell = &seen[slot_in(hash)];
        let mut seen = cell.get();
        if seen.hash != hash {
            cell.set(Seen {
                hash,
                misses: 1,
                ..UNSEEN
            });
            return None;
        }
        if let Some(kept) = seen.kept {
            if kept == text {
                return Some(kept);
            }
        }
        seen.misses += 1;
        let found = if seen.misses >= seen.wait {
            seen.misses = 0;
            seen.kept = look_up(text);
            if seen.kept.is_none() {
                seen.wait = seen.wait.saturating_mul(2).min(MAX_WAIT);
            }
            seen.kept
        } else {
            None
        };
        cell.set(seen);
        found
    })
    .ok()
    .flatten()
}

/// The copy of `text` kept for the life of the process, if there is one.
#[cold]
#[inline(never)]
fn look_up(text: &str) -> Option<&'static str> {
    kept_texts().find(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The call (counting from 0) from which a text that keeps coming back is kept for good:
    /// its first sighting makes no entry, its second does, and [`HOT`] hits follow.
    const KEPT_FROM: usize = HOT as usize + 1;

    fn policy() -> &'static CapturePolicy {
        Box::leak(Box::new(
            CapturePolicy::from_lookup(|_| None).expect("the default policy"),
        ))
    }

    fn direct(policy: &CapturePolicy, text: &str) -> Option<String> {
        changed(capture::bound_redacted(policy, text))
    }

    /// [`bound_redacted`]'s answer as text, when it differs from `text` (a kept text that
    /// redaction left unchanged is handed back as well).
    fn redacted(policy: &'static CapturePolicy, text: &str) -> Option<String> {
        bound_redacted(policy, text)
            .map(String::from)
            .filter(|out| out != text)
    }

    #[test]
    fn remembered_results_equal_redaction_for_repeated_secrets_and_clean_texts() {
        let policy = policy();
        let texts = [
            "summarise_thread",
            "key sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcd",
            "mail alice@example.com",
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "card 4111 1111 1111 1111",
            "",
            "é — ünïcödé",
        ];
        for round in 0..3 {
            for text in texts {
                assert_eq!(
                    redacted(policy, text),
                    direct(policy, text),
                    "round {round}: {text:?}"
                );
            }
        }
        // The secrets were redacted, on every round (a remembered result is the redacted one).
        let key = redacted(policy, texts[1]).expect("redacted");
        assert!(!key.contains("sk-proj-"), "{key}");
        let mail = redacted(policy, texts[2]).expect("redacted");
        assert!(!mail.contains("alice@example.com"), "{mail}");
    }

    #[test]
    fn texts_sharing_a_slot_each_get_their_own_result() {
        let policy = policy();
        // More distinct texts than slots: every slot is reused, some by a secret after a clean
        // text and the other way round.
        let texts: Vec<String> = (0..4 * SLOTS)
            .map(|index| {
                if index % 2 == 0 {
                    format!("feature_{index}")
                } else {
                    format!("user {index} alice{index}@example.com")
                }
            })
            .collect();
        for _ in 0..2 {
            for text in &texts {
                assert_eq!(redacted(policy, text), direct(policy, text), "{text}");
            }
        }
    }

    #[test]
    fn a_text_seen_again_is_the_same_allocation_and_a_copy_is_not_redacted() {
        let policy = policy();
        let text = "mail carol@example.com";
        // Seen once: redacted, not remembered; seen again: remembered, and shared from then on.
        let once = exported(policy, text, true);
        let first = exported(policy, text, true);
        let again = exported(policy, text, true);
        assert_eq!(once.as_str(), first.as_str());
        assert_ne!(
            once.as_str().as_ptr(),
            first.as_str().as_ptr(),
            "not remembered"
        );
        assert_eq!(first.as_str(), direct(policy, text).expect("redacted"));
        assert_eq!(first.as_str().as_ptr(), again.as_str().as_ptr(), "shared");
        // Asked for a copy (a value that is not redacted), the same text is itself, from an
        // entry of its own.
        let copy = exported(policy, text, false);
        assert_eq!(copy.as_str(), text);
        assert_eq!(exported(policy, text, true).as_str(), first.as_str());
        exported(policy, "gpt-4o", false);
        let model = exported(policy, "gpt-4o", false);
        assert_eq!(
            model.as_str().as_ptr(),
            exported(policy, "gpt-4o", false).as_str().as_ptr()
        );
    }

    #[test]
    fn texts_seen_once_evict_no_entry_that_repeats() {
        let policy = policy();
        let feature = "feature-that-repeats";
        exported(policy, feature, false);
        let remembered = exported(policy, feature, false);
        // Response ids: each seen once, in every slot several times over.
        for index in 0..4 * SLOTS {
            let id = format!("chatcmpl-{index:016x}");
            assert_eq!(exported(policy, &id, false).as_str(), id);
        }
        assert_eq!(
            exported(policy, feature, false).as_str().as_ptr(),
            remembered.as_str().as_ptr(),
            "the entry stayed"
        );
    }

    /// Whether the entry for `text` (`redact` use) holds its exported form for good.
    fn kept(text: &str, redact: bool) -> bool {
        MEMO.with(|memo| {
            memo.borrow().slots[slot_of(text, redact)]
                .as_ref()
                .is_some_and(|entry| *entry.text == *text && entry.kept.is_some())
        })
    }

    #[test]
    fn a_text_that_keeps_coming_back_is_kept_for_good_and_still_redacted() {
        let policy = policy();
        let text = "tenant dave@example.com";
        let expected = direct(policy, text).expect("redacted");
        let mut seen = Vec::new();
        for call in 0..=KEPT_FROM + 3 {
            let out = exported(policy, text, true);
            assert_eq!(out.as_str(), expected, "call {call}");
            assert_eq!(kept(text, true), call >= KEPT_FROM, "call {call}");
            seen.push(out);
        }
        // From the HOT-th hit on, every span holds the one kept copy.
        let kept_at = seen[KEPT_FROM].as_str().as_ptr();
        assert!(seen[KEPT_FROM..]
            .iter()
            .all(|out| out.as_str().as_ptr() == kept_at));
        let kept_texts = KEPT.lock().unwrap();
        assert!(kept_texts
            .texts
            .as_ref()
            .is_some_and(|texts| texts.contains(expected.as_str())));
        drop(kept_texts);
        // A copy (a value that is not redacted) is kept apart, as itself.
        for _ in 0..=KEPT_FROM {
            assert_eq!(exported(policy, text, false).as_str(), text);
        }
        assert!(kept(text, false));
        assert_eq!(exported(policy, text, true).as_str(), expected);
        // A clean text the caller redacts on its own thread: its own copy serves until the
        // text is kept, then the kept one does (the span holds none of the caller's memory).
        let clean = "summarise_thread";
        for call in 0..=KEPT_FROM + 1 {
            let out = bound_redacted(policy, clean);
            assert_eq!(out.is_some(), call >= KEPT_FROM, "call {call}");
            assert!(out.is_none_or(|out| out.as_str() == clean));
        }
    }

    #[test]
    fn a_recorded_text_the_process_keeps_is_not_copied_and_a_secret_never_is_found() {
        let policy = policy();
        // Kept as exported: a model (a copy) and a secret (its redacted form).
        let model = "gpt-4o-recorded";
        let secret = "key sk-proj-ZyXwVuTsRqPoNmLkJiHgFeDcBa9876543210zyxw";
        let mut kept_model = None;
        let mut kept_secret = None;
        for _ in 0..=KEPT_FROM {
            kept_model = Some(exported_form(policy, model, false).1);
            kept_secret = Some(exported_form(policy, secret, true).1);
        }
        let kept_model = kept_model.flatten().expect("kept after HOT hits");
        let kept_secret = kept_secret.flatten().expect("kept after HOT hits");
        assert_ne!(kept_secret, secret, "only the redacted form is kept");
        // A thread whose calls are processed where they are made does not look.
        for _ in 0..=2 * HOT {
            assert_ne!(recorded(model).as_str().as_ptr(), kept_model.as_ptr());
        }
        defers();
        // The calling thread looks for a text once it came back HOT times: from then on the
        // record holds the kept copy, byte for byte the application's text.
        for call in 1..=usize::from(HOT) + 2 {
            let out = recorded(model);
            assert_eq!(out.as_str(), model, "call {call}");
            let found = out.as_str().as_ptr() == kept_model.as_ptr();
            assert_eq!(found, call >= usize::from(HOT), "call {call}");
        }
        // The secret is never found: the record holds its own copy of it (redacted later, when
        // the call is processed), never the kept redacted text or the raw one in kept memory.
        for call in 0..4 * usize::from(MAX_WAIT / 64) {
            let out = recorded(secret);
            assert_eq!(out.as_str(), secret, "call {call}");
            assert_ne!(out.as_str().as_ptr(), kept_secret.as_ptr(), "call {call}");
        }
        assert!(!KEPT
            .lock()
            .unwrap()
            .texts
            .as_ref()
            .is_some_and(|texts| texts.contains(secret)));
        // Long texts, texts sharing a slot, texts never kept: each keeps its own value.
        let long = "m".repeat(MAX_BYTES + 1);
        let others: Vec<String> = (0..2 * SLOTS)
            .map(|index| format!("model-{index}"))
            .collect();
        for _ in 0..=HOT {
            assert_eq!(recorded(&long).as_str(), long);
            for other in &others {
                assert_eq!(recorded(other).as_str(), other.as_str());
            }
        }
        assert_eq!(recorded(model).as_str(), model);
    }

    #[test]
    fn what_is_kept_for_good_stays_within_the_budget() {
        let entry = std::mem::size_of::<&str>();
        let budget = 6 + 4 + 2 * entry;
        let mut kept = Kept {
            texts: None,
            bytes: 0,
        };
        let model = kept.keep("gpt-4o", budget).expect("room");
        assert_eq!(model, "gpt-4o");
        assert_eq!(kept.keep("stop", budget), Some("stop"));
        // A text kept once is found again, not copied twice (and takes no more room).
        let again = kept.keep(&String::from("gpt-4o"), budget).expect("found");
        assert_eq!(again.as_ptr(), model.as_ptr());
        // The budget is spent: nothing more, however short (an empty text takes its entry).
        assert_eq!(kept.keep("", budget), None);
        assert_eq!(kept.bytes, budget);
        let mut near = Kept {
            texts: None,
            bytes: usize::MAX - 1,
        };
        assert_eq!(near.keep("ab", usize::MAX), None, "no overflow");
    }

    #[test]
    fn a_span_name_that_keeps_coming_back_is_borrowed() {
        let policy = policy();
        for model in ["gpt-4o-2024-08-06", "modèle-ü-模型"] {
            for call in 0..=KEPT_FROM + 1 {
                let name = span_name(policy, "chat", model);
                assert_eq!(name, format!("chat {model}"), "call {call}");
                assert_eq!(
                    matches!(name, Cow::Borrowed(_)),
                    call >= KEPT_FROM,
                    "call {call}"
                );
            }
        }
        // Kept names, asked in turns with another operation and a model of the same length:
        // each answer is its own operation's and model's (the last one kept is not reused for
        // another).
        let other = String::from("gpt-4o-2024-11-20");
        for _ in 0..=KEPT_FROM {
            for (operation, model) in [
                ("chat", "gpt-4o-2024-08-06"),
                ("text_completion", "gpt-4o-2024-08-06"),
                ("chat", other.as_str()),
                ("chat", "modèle-ü-模型"),
            ] {
                assert_eq!(
                    span_name(policy, operation, model),
                    format!("{operation} {model}")
                );
            }
        }
        // Too long to remember: made each time.
        let long = "m".repeat(MAX_BYTES);
        for _ in 0..=HOT {
            let name = span_name(policy, "chat", &long);
            assert_eq!(name, format!("chat {long}"));
            assert!(matches!(name, Cow::Owned(_)));
        }
    }

    #[test]
    fn a_shared_copy_is_the_text_in_any_order_and_kept_ones_are_not_copied() {
        let policy = policy();
        let long = "m".repeat(MAX_BYTES + 1);
        // More texts than the two remembered, one a prefix of another, an empty one and one too
        // long to keep, asked in turns until every short one is kept.
        let texts = [
            "gpt-4o",
            "gpt-4o-2024-08-06",
            "gemini-2.5-pro",
            "",
            "modèle-ü-模型",
            long.as_str(),
        ];
        let short = &texts[..5];
        let mut slots: Vec<usize> = short.iter().map(|text| slot_of(text, false)).collect();
        slots.sort_unstable();
        slots.dedup();
        assert_eq!(slots.len(), short.len(), "the texts share no memo slot");
        for round in 0..=KEPT_FROM + 2 {
            for text in texts {
                let out = shared(policy, text);
                assert_eq!(out.as_str(), text, "round {round}");
                if round > KEPT_FROM && text.len() <= MAX_BYTES && !text.is_empty() {
                    let kept = find_kept(text).or_else(|| look_up(text));
                    assert_eq!(
                        kept.map(str::as_ptr),
                        Some(out.as_str().as_ptr()),
                        "round {round}: {text:?} is the kept copy"
                    );
                }
            }
        }
    }

    #[test]
    fn long_texts_are_redacted_every_time_and_not_kept() {
        let policy = policy();
        let long = format!("{} alice@example.com", "x".repeat(MAX_BYTES));
        assert_eq!(redacted(policy, &long), direct(policy, &long));
        MEMO.with(|memo| {
            let memo = memo.borrow();
            assert!(memo
                .slots
                .iter()
                .flatten()
                .all(|entry| entry.text.len() <= MAX_BYTES));
        });
    }

    #[test]
    fn another_policy_starts_afresh() {
        let first = policy();
        let second = policy();
        let text = "mail bob@example.com";
        assert_eq!(redacted(first, text), direct(first, text));
        assert_eq!(redacted(second, text), direct(second, text));
        MEMO.with(|memo| {
            assert_eq!(
                memo.borrow().policy,
                second as *const CapturePolicy as usize
            );
        });
    }
}
