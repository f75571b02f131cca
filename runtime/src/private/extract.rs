//! What the macros generate for `usage = path` and `output = path`: the value a function
//! receives (the `Ok` value of a `Result`, else the returned value, chosen on [`Dispatch`])
//! and the recording of usage and output read through such functions. Not public API.

use super::call::Call;
use super::dispatch::Dispatch;
use crate::capture::Content;
use crate::usage::{Usage, UsageData};

/// The `Ok` value of a returned `Result` (`None` for an `Err`).
pub trait OkValueOfResult<'a> {
    /// The `Ok` type.
    type Value: ?Sized;
    /// The `Ok` value, if the call succeeded.
    fn ok_value(self) -> Option<&'a Self::Value>;
}

impl<'a, T, E> OkValueOfResult<'a> for &&Dispatch<'a, Result<T, E>> {
    type Value = T;
    #[inline]
    fn ok_value(self) -> Option<&'a T> {
        self.0.as_ref().ok()
    }
}

/// Any other returned value, as it is.
pub trait OkValueOfPlain<'a> {
    /// The returned type.
    type Value: ?Sized;
    /// The returned value.
    fn ok_value(self) -> Option<&'a Self::Value>;
}

impl<'a, T: ?Sized> OkValueOfPlain<'a> for &Dispatch<'a, T> {
    type Value = T;
    #[inline]
    fn ok_value(self) -> Option<&'a T> {
        Some(self.0)
    }
}

/// Records the usage of `value` except its completion text (the `output = …` function gives
/// the output), and returns the first finish reason for the output messages.
pub fn record_usage_except_output<R: Usage + ?Sized>(call: &mut Call, value: &R) -> Option<String> {
    let mut usage = UsageData::default();
    value.record_usage(&mut usage);
    let finish = usage
        .finish_reasons()
        .first()
        .map(|reason| (*reason).to_owned());
    call.record_usage(&without_completion(&usage));
    finish
}

/// Captures `content` as the output messages (`gen_ai.output.messages`) as the policy allows.
pub fn capture_output<C: Content + ?Sized>(
    call: &mut Call,
    content: &C,
    finish_reason: Option<&str>,
) {
    call.capture_output(content, finish_reason);
}

/// A copy of `usage` without its completion text, in the inclusive token semantics the
/// getters return.
fn without_completion<'a>(usage: &UsageData<'a>) -> UsageData<'a> {
    let mut copy = UsageData::default();
    type Setter<'a> = fn(&mut UsageData<'a>, u64);
    let counts: [(Option<u64>, Setter<'a>); 6] = [
        (usage.input_tokens(), UsageData::set_input_tokens),
        (usage.output_tokens(), UsageData::set_output_tokens),
        (usage.cache_read_tokens(), UsageData::set_cache_read_tokens),
        (
            usage.cache_write_tokens(),
            UsageData::set_cache_write_tokens,
        ),
        (
            usage.cache_write_1h_tokens(),
            UsageData::set_cache_write_1h_tokens,
        ),
        (usage.reasoning_tokens(), UsageData::set_reasoning_tokens),
    ];
    for (count, set) in counts {
        if let Some(count) = count {
            set(&mut copy, count);
        }
    }
    if let Some(model) = usage.response_model() {
        copy.set_response_model(model);
    }
    if let Some(id) = usage.response_id() {
        copy.set_response_id(id);
    }
    if let Some(tier) = usage.service_tier() {
        copy.set_service_tier(tier);
    }
    for reason in usage.finish_reasons() {
        copy.push_finish_reason(reason);
    }
    copy
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_copy_keeps_inclusive_counts_and_drops_the_completion() {
        let mut usage = UsageData::default();
        usage.set_input_tokens(247);
        usage.set_cache_read_tokens(8000);
        usage.set_cache_write_tokens(1500);
        usage.set_input_excludes_cache(true);
        usage.push_completion("the answer");
        usage.push_finish_reason("end_turn");
        let copy = without_completion(&usage);
        assert_eq!(copy.input_tokens(), Some(9747));
        assert_eq!(copy.cache_read_tokens(), Some(8000));
        assert!(copy.completion().is_empty());
        assert_eq!(copy.finish_reasons(), ["end_turn"]);
    }
}
