//! The one error of every process-wide setting that can be set only once: [`AlreadySet`].

use std::fmt;

/// A process-wide setting was already set; the first value stays and the rejected one comes
/// back in this error.
///
/// Returned by [`install`](crate::install) (`T` = the provider),
/// [`set_capture_policy`](crate::capture::set_capture_policy) (`T` = the policy) and
/// [`set_price_registry`](crate::set_price_registry) (`T` = the registry).
///
/// ```
/// use llmscope::pricing::PriceRegistry;
///
/// llmscope::set_price_registry(PriceRegistry::builder().build()).expect("first registry");
/// let error = llmscope::set_price_registry(PriceRegistry::builder().build()).unwrap_err();
/// assert!(error.to_string().starts_with("an llmscope price registry is already set"));
/// let _rejected: PriceRegistry = error.into_rejected();
/// ```
pub struct AlreadySet<T> {
    /// Boxed so that `Result<(), AlreadySet<T>>` stays small whatever `T` is.
    rejected: Box<T>,
    /// The setting, e.g. `price registry`.
    setting: &'static str,
    /// What to do instead.
    hint: &'static str,
}

impl<T> AlreadySet<T> {
    /// `rejected` was not set as the process's `setting` (e.g. `price registry`); `hint` says
    /// what to do instead.
    pub(crate) fn new(rejected: T, setting: &'static str, hint: &'static str) -> Self {
        AlreadySet {
            rejected: Box::new(rejected),
            setting,
            hint,
        }
    }

    /// The value that was not set.
    pub fn rejected(&self) -> &T {
        &self.rejected
    }

    /// Takes back the value that was not set.
    pub fn into_rejected(self) -> T {
        *self.rejected
    }
}

impl<T> fmt::Display for AlreadySet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "an llmscope {} is already set for this process; {}",
            self.setting, self.hint
        )
    }
}

impl<T> fmt::Debug for AlreadySet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AlreadySet")
            .field("setting", &self.setting)
            .finish_non_exhaustive()
    }
}

impl<T> std::error::Error for AlreadySet<T> {}
