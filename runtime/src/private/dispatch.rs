//! Autoref dispatch on the returned value: one wrapper, [`Dispatch`], whose trait impls at
//! decreasing reference depth pick the richest behaviour the value's type allows (the macros
//! write `(&&&&Dispatch(&output)).record_outcome(…)`; method lookup takes the first impl that
//! applies). Error recording lives here; the stage traits ([`CaptureContent`](super::CaptureContent),
//! [`PromptLength`](super::PromptLength), [`IsFailure`](super::IsFailure),
//! [`ReadDecision`](super::ReadDecision)) are implemented on the same wrapper beside their concern.

use std::fmt;

use super::call::Call;
use crate::usage::ErrorType;

/// Wraps a value for autoref-based dispatch: `(&&Dispatch(&value)).method(…)` resolves to the
/// most specific impl the value's type satisfies.
#[derive(Debug)]
pub struct Dispatch<'a, T: ?Sized>(pub &'a T);

impl<T: ?Sized> Clone for Dispatch<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T: ?Sized> Copy for Dispatch<'_, T> {}

/// Records the error of a failed call, choosing the richest description the error type
/// offers: [`ErrorType`], then `Display`, then `Debug`, then only its type name.
pub trait RecordOutcome {
    /// Records the outcome on `call`.
    fn record_outcome(self, call: &mut Call);
}

fn type_name_of<E>() -> &'static str {
    std::any::type_name::<E>()
}

impl<T, E: ErrorType + fmt::Display> RecordOutcome for &&&&Dispatch<'_, Result<T, E>> {
    #[inline]
    fn record_outcome(self, call: &mut Call) {
        if let Err(error) = self.0 {
            call.record_error(error.error_type(), type_name_of::<E>(), Some(error));
            if let Some(retryable) = error.retryable() {
                call.set_retryable(retryable);
            }
        }
    }
}

impl<T, E: fmt::Display> RecordOutcome for &&&Dispatch<'_, Result<T, E>> {
    #[inline]
    fn record_outcome(self, call: &mut Call) {
        if let Err(error) = self.0 {
            call.record_error(type_name_of::<E>(), type_name_of::<E>(), Some(error));
        }
    }
}

struct DebugAsDisplay<'a, E>(&'a E);
impl<E: fmt::Debug> fmt::Display for DebugAsDisplay<'_, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.0, f)
    }
}

impl<T, E: fmt::Debug> RecordOutcome for &&Dispatch<'_, Result<T, E>> {
    #[inline]
    fn record_outcome(self, call: &mut Call) {
        if let Err(error) = self.0 {
            call.record_error(
                type_name_of::<E>(),
                type_name_of::<E>(),
                Some(&DebugAsDisplay(error)),
            );
        }
    }
}

impl<T, E> RecordOutcome for &Dispatch<'_, Result<T, E>> {
    #[inline]
    fn record_outcome(self, call: &mut Call) {
        if self.0.is_err() {
            call.record_error(type_name_of::<E>(), type_name_of::<E>(), None);
        }
    }
}

impl<T: ?Sized> RecordOutcome for Dispatch<'_, T> {
    #[inline]
    fn record_outcome(self, _call: &mut Call) {}
}
