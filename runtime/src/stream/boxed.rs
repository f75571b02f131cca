//! Streams behind a type the macros cannot see through (`returns = stream`): a provider
//! client's alias such as `type ChatStream = Pin<Box<dyn Stream<Item = …> + Send>>`. The
//! recorded stream is boxed again as the same type; a type that is not a boxed stream has no
//! [`BoxedStream`] impl, which is the error the user sees, at their return type.

use std::pin::Pin;

use futures::Stream;

use super::record::StreamRecord;
use super::wrapper::{RecordedStream, StreamStart};
use crate::private::{Call, Site};

/// How a boxed stream reads its items: a function pointer, not the closure's own type, so that
/// a type that is not a boxed stream is reported once, at the user's return type (the stream
/// is boxed, so its polls are dynamic calls already).
pub type ReadFn<T> = fn(&T, &mut StreamRecord) -> bool;

/// A boxed stream type that a recorded stream can be handed back as (**not public API**, may
/// change in any release: the macros call it for `returns = stream`).
#[diagnostic::on_unimplemented(
    message = "`returns = stream` needs a boxed stream, and `{Self}` is not one",
    label = "not `Pin<Box<dyn Stream<Item = …> + …>>`",
    note = "`#[llm_call(returns = stream)]` hands back the recorded stream boxed as the return type: \
            write `Pin<Box<dyn Stream<Item = …> + Send>>` (or `BoxStream<'_, …>`, or an alias of \
            either), or return `impl Stream<Item = …>` to keep a concrete stream type"
)]
pub trait BoxedStream: Sized {
    /// The items of the stream.
    type Item;

    /// [`RecordedStream::record`] around `self`, boxed as `Self`.
    fn record_boxed(
        self,
        call: Call,
        site: &'static Site,
        function: &'static str,
        started: Option<StreamStart>,
        read: ReadFn<Self::Item>,
        reads_usage: bool,
    ) -> Self;
}

/// [`BoxedStream::record_boxed`], called with the return type named (`record_boxed::<T>`), so
/// a type that is not a boxed stream is reported once, at that name.
#[inline]
pub fn record_boxed<B: BoxedStream>(
    stream: B,
    call: Call,
    site: &'static Site,
    function: &'static str,
    started: Option<StreamStart>,
    read: ReadFn<B::Item>,
    reads_usage: bool,
) -> B {
    stream.record_boxed(call, site, function, started, read, reads_usage)
}

macro_rules! boxed_stream {
    ($($bounds:tt)*) => {
        impl<'a, T: 'a> BoxedStream for Pin<Box<dyn Stream<Item = T> $($bounds)* + 'a>> {
            type Item = T;

            #[inline]
            fn record_boxed(
                self,
                call: Call,
                site: &'static Site,
                function: &'static str,
                started: Option<StreamStart>,
                read: ReadFn<T>,
                reads_usage: bool,
            ) -> Self {
                Box::pin(RecordedStream::record(
                    self,
                    call,
                    site,
                    function,
                    started,
                    read,
                    reads_usage,
                ))
            }
        }
    };
}

boxed_stream!();
boxed_stream!(+ Send);
boxed_stream!(+ Send + Sync);
boxed_stream!(+ Unpin);
boxed_stream!(+ Send + Unpin);
boxed_stream!(+ Send + Sync + Unpin);
