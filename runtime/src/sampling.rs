//! Head sampling that llmscope decides itself, before it builds anything for a call.
//!
//! A provider's sampler runs inside the SDK, after the span's name and its sampling-relevant
//! attributes exist: a call the sampler drops still costs ~500 ns. When llmscope knows the
//! sampler (an [`init`](crate::init)ed provider, or one built with [`Sampler::build`] and given
//! to [`install`](crate::install) / [`scoped`](crate::scoped)), it asks it first and a dropped call
//! builds nothing: no name, no attribute, no SDK span, only an unsampled span context so the
//! call's children are dropped with it (see `BENCHMARKS.md` for the figures).

use std::cell::Cell;
use std::fmt;

use opentelemetry::trace::{Link, SpanContext, SpanId, SpanKind, TraceContextExt, TraceId};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::trace::{
    IdGenerator, RandomIdGenerator, Sampler as SdkSampler, SamplingDecision, SamplingResult,
    SdkTracerProvider, ShouldSample, TracerProviderBuilder,
};

/// An OpenTelemetry head sampler that llmscope can evaluate before it builds a span.
///
/// The standard samplers of the specification (the values of `OTEL_TRACES_SAMPLER`) are
/// decided by llmscope itself, on the same inputs the SDK would use (the parent's span
/// context and the trace id), with the same algorithm as the SDK's
/// [`TraceIdRatioBased`](opentelemetry_sdk::trace::Sampler::TraceIdRatioBased); any other
/// sampler ([`Sampler::custom`]) is left to the SDK.
///
/// Build the provider with it ([`Sampler::build`]) and install that; [`init`](crate::init) does
/// both.
///
/// # Examples
///
/// ```
/// use llmscope::sampling::Sampler;
/// use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
///
/// // Keep 10 % of the traces that start here; follow the caller's decision otherwise.
/// let provider = Sampler::trace_id_ratio(0.1).parent_based().build(
///     SdkTracerProvider::builder().with_simple_exporter(InMemorySpanExporter::default()),
/// );
/// llmscope::install(&provider).unwrap();
/// ```
#[derive(Clone)]
pub struct Sampler {
    kind: Kind,
}

#[derive(Clone)]
enum Kind {
    Standard { root: Root, parent_based: bool },
    Custom(Box<dyn ShouldSample>),
}

#[derive(Clone, Copy, PartialEq)]
enum Root {
    AlwaysOn,
    AlwaysOff,
    /// The ratio, and the bound the low 63 bits of a trace id are compared with.
    Ratio(f64, u64),
}

/// A tracer provider built by [`Sampler::build`], together with its sampler.
///
/// It dereferences to the [`SdkTracerProvider`] (for `tracer(…)`, `force_flush()`,
/// `shutdown()`), and [`install`](crate::install) / [`scoped`](crate::scoped) take it so that
/// llmscope decides sampling before it builds anything.
#[derive(Clone, Debug)]
pub struct SampledProvider {
    provider: SdkTracerProvider,
    sampler: Sampler,
    deferred: bool,
}

impl SampledProvider {
    /// The tracer provider.
    pub fn provider(&self) -> &SdkTracerProvider {
        &self.provider
    }

    /// The sampler the provider was built with.
    pub fn sampler(&self) -> &Sampler {
        &self.sampler
    }

    /// The same provider with the processing of every recorded call moved off the caller's
    /// thread: when a call ends, its record (what it recorded, copied, and its timestamps) is
    /// queued for llmscope's processing thread, which redacts the application's attribute
    /// values, prices the call, names the span and hands the finished span to the provider
    /// (whose span processors and exporters therefore run there, never on the caller's
    /// thread). [`init`](crate::init) sets its provider up this way.
    ///
    /// Spans reach the provider a little later: call
    /// [`flush_processing`](crate::flush_processing) before reading an in-memory exporter or
    /// calling `provider.force_flush()` (the [`Telemetry`](crate::Telemetry) of
    /// [`init`](crate::init) does it in `flush` and `shutdown`). When the processing queue is
    /// full the caller processes its own call, so no call is lost.
    ///
    /// ```
    /// use llmscope::Sampler;
    /// use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
    ///
    /// let exporter = InMemorySpanExporter::default();
    /// let provider = Sampler::default_sampler()
    ///     .build(SdkTracerProvider::builder().with_simple_exporter(exporter.clone()))
    ///     .deferred();
    /// let _guard = llmscope::scoped(&provider).attach();
    /// // … annotated calls …
    /// llmscope::flush_processing();
    /// ```
    pub fn deferred(mut self) -> Self {
        self.deferred = true;
        self
    }

    /// Whether recorded calls are processed on llmscope's processing thread
    /// ([`deferred`](Self::deferred)).
    pub fn is_deferred(&self) -> bool {
        self.deferred
    }

    /// The tracer provider, for code that takes one by value.
    pub fn into_provider(self) -> SdkTracerProvider {
        self.provider
    }
}

impl std::ops::Deref for SampledProvider {
    type Target = SdkTracerProvider;

    fn deref(&self) -> &SdkTracerProvider {
        &self.provider
    }
}

/// What llmscope knows before building a span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Early {
    /// Dropped: build nothing; for a new trace, the trace id the decision was made on.
    Drop(Option<TraceId>),
    /// Kept; for a new trace, the trace id the decision was made on (the provider must use it).
    Keep(Option<TraceId>),
    /// The sampler is not one llmscope can evaluate: the SDK decides.
    Unknown,
}

impl Sampler {
    /// Records every span (`always_on`).
    pub fn always_on() -> Self {
        Self::standard(Root::AlwaysOn)
    }

    /// Records no span (`always_off`).
    pub fn always_off() -> Self {
        Self::standard(Root::AlwaysOff)
    }

    /// Records the share `ratio` of traces, decided on the trace id (`traceidratio`): every
    /// service that samples with the same ratio keeps the same traces. Values outside
    /// `0.0..=1.0` are clamped.
    pub fn trace_id_ratio(ratio: f64) -> Self {
        let ratio = if ratio.is_nan() {
            0.0
        } else {
            ratio.clamp(0.0, 1.0)
        };
        // The SDK's `TraceIdRatioBased` bound, so both decide alike on any trace id.
        let bound = (ratio * (1u64 << 63) as f64) as u64;
        Self::standard(Root::Ratio(ratio, bound))
    }

    /// Follows the parent's decision when there is a valid parent (local or remote), and
    /// decides as `self` for the root of a new trace (`parentbased_*`).
    pub fn parent_based(self) -> Self {
        match self.kind {
            Kind::Standard { root, .. } => Sampler {
                kind: Kind::Standard {
                    root,
                    parent_based: true,
                },
            },
            Kind::Custom(custom) => Self::custom(SdkSampler::ParentBased(custom)),
        }
    }

    /// Any other sampler: the SDK evaluates it when the span is built, with the span's name
    /// and sampling-relevant attributes, so a dropped call costs what the SDK's path costs.
    pub fn custom(sampler: impl ShouldSample + 'static) -> Self {
        Sampler {
            kind: Kind::Custom(Box::new(sampler)),
        }
    }

    /// The default of OpenTelemetry SDKs: `parentbased_always_on`.
    pub fn default_sampler() -> Self {
        Self::always_on().parent_based()
    }

    fn standard(root: Root) -> Self {
        Sampler {
            kind: Kind::Standard {
                root,
                parent_based: false,
            },
        }
    }

    /// Whether llmscope decides this sampler itself (every sampler but [`Sampler::custom`]).
    pub fn is_standard(&self) -> bool {
        matches!(self.kind, Kind::Standard { .. })
    }

    /// Builds the provider with this sampler and returns it together with the sampler, ready
    /// for [`install`](crate::install) or [`scoped`](crate::scoped): the sampler is given once.
    ///
    /// The provider also gets an id generator that lets it use the trace id llmscope made its
    /// decision on (so a trace kept at ratio `r` is kept with probability `r`, not `r²`, and its
    /// id satisfies the ratio as other services expect). Spans that do not come from llmscope get
    /// random ids as usual. A sampler already set on `builder` is replaced.
    ///
    /// ```
    /// use llmscope::Sampler;
    /// use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
    ///
    /// let provider = Sampler::trace_id_ratio(0.1).parent_based().build(
    ///     SdkTracerProvider::builder().with_simple_exporter(InMemorySpanExporter::default()),
    /// );
    /// let _guard = llmscope::scoped(&provider).attach();
    /// ```
    pub fn build(&self, builder: TracerProviderBuilder) -> SampledProvider {
        SampledProvider {
            provider: self.configure(builder).build(),
            sampler: self.clone(),
            deferred: false,
        }
    }

    /// Sets this sampler and the hand-off id generator on a provider builder.
    pub(crate) fn configure(&self, builder: TracerProviderBuilder) -> TracerProviderBuilder {
        builder
            .with_sampler(self.clone())
            .with_id_generator(HandoffIds)
    }

    /// The decision for a span about to start under `parent`, made before anything is built.
    #[inline]
    pub(crate) fn early(&self, parent: &Context) -> Early {
        let Kind::Standard { root, parent_based } = &self.kind else {
            return Early::Unknown;
        };
        let span = parent.span();
        let parent_span = span.span_context();
        if parent_span.is_valid() {
            return if keeps_child(*root, *parent_based, parent_span) {
                Early::Keep(None)
            } else {
                Early::Drop(None)
            };
        }
        match root {
            Root::AlwaysOn => Early::Keep(None),
            Root::AlwaysOff => Early::Drop(None),
            Root::Ratio(_, bound) => {
                // The SDK's generator: this may become the id of a recorded trace.
                let trace_id = RandomIdGenerator::default().new_trace_id();
                if ratio_keeps(*bound, trace_id) {
                    Early::Keep(Some(trace_id))
                } else {
                    Early::Drop(Some(trace_id))
                }
            }
        }
    }
}

impl Default for Sampler {
    fn default() -> Self {
        Self::default_sampler()
    }
}

/// The SDK's `TraceIdRatioBased` test: the low 64 bits of the id, shifted right by one.
#[inline]
fn ratio_keeps(bound: u64, trace_id: TraceId) -> bool {
    let low = u64::from_be_bytes(
        trace_id.to_bytes()[8..]
            .try_into()
            .expect("a trace id has 16 bytes"),
    );
    (low >> 1) < bound
}

impl From<SdkSampler> for Sampler {
    /// `AlwaysOn`, `AlwaysOff` and `TraceIdRatioBased` become standard samplers llmscope
    /// decides itself; any other (`ParentBased` hides its delegate) stays with the SDK.
    fn from(sampler: SdkSampler) -> Self {
        match sampler {
            SdkSampler::AlwaysOn => Self::always_on(),
            SdkSampler::AlwaysOff => Self::always_off(),
            SdkSampler::TraceIdRatioBased(ratio) => Self::trace_id_ratio(ratio),
            other => Self::custom(other),
        }
    }
}

impl fmt::Debug for Sampler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Standard { root, parent_based } => {
                let root = match root {
                    Root::AlwaysOn => "always_on".to_owned(),
                    Root::AlwaysOff => "always_off".to_owned(),
                    Root::Ratio(ratio, _) => format!("traceidratio({ratio})"),
                };
                if *parent_based {
                    write!(f, "Sampler(parentbased_{root})")
                } else {
                    write!(f, "Sampler({root})")
                }
            }
            Kind::Custom(custom) => write!(f, "Sampler(custom {custom:?})"),
        }
    }
}

impl PartialEq for Sampler {
    /// Standard samplers compare by configuration; custom ones are never equal.
    fn eq(&self, other: &Self) -> bool {
        match (&self.kind, &other.kind) {
            (
                Kind::Standard { root, parent_based },
                Kind::Standard {
                    root: other_root,
                    parent_based: other_parent_based,
                },
            ) => root == other_root && parent_based == other_parent_based,
            _ => false,
        }
    }
}

impl ShouldSample for Sampler {
    fn should_sample(
        &self,
        parent_context: Option<&Context>,
        trace_id: TraceId,
        name: &str,
        span_kind: &SpanKind,
        attributes: &[KeyValue],
        links: &[Link],
    ) -> SamplingResult {
        let (root, parent_based) = match &self.kind {
            Kind::Standard { root, parent_based } => (*root, *parent_based),
            Kind::Custom(custom) => {
                return custom.should_sample(
                    parent_context,
                    trace_id,
                    name,
                    span_kind,
                    attributes,
                    links,
                )
            }
        };
        let span = parent_context.map(TraceContextExt::span);
        let parent = span
            .as_ref()
            .map(|span| span.span_context())
            .filter(|parent| parent.is_valid());
        let keep = match parent {
            Some(parent) => keeps_child(root, parent_based, parent),
            None => keeps_root(root, trace_id),
        };
        SamplingResult {
            decision: if keep {
                SamplingDecision::RecordAndSample
            } else {
                SamplingDecision::Drop
            },
            attributes: Vec::new(),
            trace_state: parent
                .map(|parent| parent.trace_state().clone())
                .unwrap_or_default(),
        }
    }
}

/// The decision for a span under a valid parent (its trace id is the parent's).
#[inline]
fn keeps_child(root: Root, parent_based: bool, parent: &SpanContext) -> bool {
    if parent_based {
        parent.is_sampled()
    } else {
        keeps_root(root, parent.trace_id())
    }
}

/// The decision of the root sampler on `trace_id`.
#[inline]
fn keeps_root(root: Root, trace_id: TraceId) -> bool {
    match root {
        Root::AlwaysOn => true,
        Root::AlwaysOff => false,
        Root::Ratio(_, bound) => ratio_keeps(bound, trace_id),
    }
}

thread_local! {
    /// The trace id llmscope decided a new trace on, for the span it is building now.
    static HANDOFF: Cell<Option<TraceId>> = const { Cell::new(None) };
    /// The span id a call recorded with (its children already carry it as their parent), for
    /// the span built for it when it ends.
    static SPAN_HANDOFF: Cell<Option<SpanId>> = const { Cell::new(None) };
}

/// Hands `trace_id` (for a new trace) and `span_id` to the id generator of a provider built by
/// [`Sampler::build`] for the span built by `build`, and withdraws both afterwards. Returns what
/// `build` returned and whether the provider took the span id (false: the provider was not
/// built with [`Sampler::build`], and the span got an id of the SDK's own).
pub(crate) fn with_ids<T>(
    trace_id: Option<TraceId>,
    span_id: SpanId,
    build: impl FnOnce() -> T,
) -> (T, bool) {
    /// Withdraws the span id on the way out, also when a span processor's `on_start` panics.
    struct Withdraw;
    impl Drop for Withdraw {
        fn drop(&mut self) {
            SPAN_HANDOFF.with(|cell| cell.set(None));
        }
    }
    SPAN_HANDOFF.with(|cell| cell.set(Some(span_id)));
    let withdraw = Withdraw;
    let built = with_trace_id(trace_id, build);
    let taken = SPAN_HANDOFF.with(|cell| cell.get().is_none());
    drop(withdraw);
    (built, taken)
}

/// Hands `trace_id` to the id generator of a provider built by [`Sampler::build`] for the span built
/// by `build`, and withdraws it afterwards whether or not the SDK took it.
#[inline]
pub(crate) fn with_trace_id<T>(trace_id: Option<TraceId>, build: impl FnOnce() -> T) -> T {
    let Some(trace_id) = trace_id else {
        return build();
    };
    /// Withdraws the id on the way out, also when a span processor's `on_start` panics.
    struct Withdraw;
    impl Drop for Withdraw {
        fn drop(&mut self) {
            HANDOFF.with(|cell| cell.set(None));
        }
    }
    HANDOFF.with(|cell| cell.set(Some(trace_id)));
    let _withdraw = Withdraw;
    build()
}

/// Random ids, except the trace id llmscope already decided a new trace on.
#[derive(Debug, Clone, Copy, Default)]
struct HandoffIds;

impl IdGenerator for HandoffIds {
    fn new_trace_id(&self) -> TraceId {
        HANDOFF
            .with(Cell::take)
            .unwrap_or_else(|| RandomIdGenerator::default().new_trace_id())
    }

    fn new_span_id(&self) -> SpanId {
        if let Some(span_id) = SPAN_HANDOFF.with(Cell::take) {
            return span_id;
        }
        RandomIdGenerator::default().new_span_id()
    }
}

thread_local! {
    /// The state of this thread's id sequence (0: not seeded yet).
    static ID_STATE: Cell<u64> = const { Cell::new(0) };
}

/// The next number of this thread's SplitMix64 sequence, seeded from the SDK's random id
/// generator: ids for the unsampled context of a dropped call, which no exported span carries,
/// at a fraction of the cost of the SDK generator's per-call thread-local RNG handle.
#[inline]
fn next_random() -> u64 {
    ID_STATE.with(|state| {
        let mut seed = state.get();
        if seed == 0 {
            seed = u64::from_be_bytes(RandomIdGenerator::default().new_span_id().to_bytes());
        }
        seed = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        state.set(seed);
        let mut z = seed;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    })
}

/// A fresh span id, for the unsampled span context of a call dropped early.
#[inline]
pub(crate) fn new_span_id() -> SpanId {
    SpanId::from(next_random().max(1))
}

/// A fresh trace id for the unsampled root of a call dropped early.
#[inline]
pub(crate) fn new_trace_id() -> TraceId {
    TraceId::from((u128::from(next_random()) << 64 | u128::from(next_random())).max(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::trace::{TraceFlags, TraceState};

    fn parents() -> Vec<Option<SpanContext>> {
        let ids = RandomIdGenerator::default();
        let mut parents = vec![None];
        for remote in [false, true] {
            for sampled in [false, true] {
                parents.push(Some(SpanContext::new(
                    ids.new_trace_id(),
                    ids.new_span_id(),
                    if sampled {
                        TraceFlags::SAMPLED
                    } else {
                        TraceFlags::default()
                    },
                    remote,
                    TraceState::NONE,
                )));
            }
        }
        parents
    }

    /// Every standard sampler decides exactly as the SDK's own, on the same inputs.
    #[test]
    fn decisions_match_the_sdk_samplers() {
        let ratios = [0.0, 0.01, 0.25, 0.5, 0.9, 1.0];
        let mut cases: Vec<(Sampler, SdkSampler)> = vec![
            (Sampler::always_on(), SdkSampler::AlwaysOn),
            (Sampler::always_off(), SdkSampler::AlwaysOff),
            (
                Sampler::always_on().parent_based(),
                SdkSampler::ParentBased(Box::new(SdkSampler::AlwaysOn)),
            ),
            (
                Sampler::always_off().parent_based(),
                SdkSampler::ParentBased(Box::new(SdkSampler::AlwaysOff)),
            ),
        ];
        for ratio in ratios {
            cases.push((
                Sampler::trace_id_ratio(ratio),
                SdkSampler::TraceIdRatioBased(ratio),
            ));
            cases.push((
                Sampler::trace_id_ratio(ratio).parent_based(),
                SdkSampler::ParentBased(Box::new(SdkSampler::TraceIdRatioBased(ratio))),
            ));
        }
        let ids = RandomIdGenerator::default();
        let mut kept = 0;
        for (ours, sdk) in &cases {
            for parent in parents() {
                let cx = match &parent {
                    Some(parent) => Context::new().with_remote_span_context(parent.clone()),
                    None => Context::new(),
                };
                for _ in 0..2_000 {
                    let trace_id = parent
                        .as_ref()
                        .map_or_else(|| ids.new_trace_id(), SpanContext::trace_id);
                    let decide = |sampler: &dyn ShouldSample| {
                        sampler
                            .should_sample(
                                Some(&cx),
                                trace_id,
                                "chat gpt-4o",
                                &SpanKind::Client,
                                &[],
                                &[],
                            )
                            .decision
                    };
                    let expected = decide(sdk);
                    assert_eq!(
                        decide(ours),
                        expected,
                        "{ours:?} vs {sdk:?}, parent {parent:?}"
                    );
                    if expected == SamplingDecision::RecordAndSample {
                        kept += 1;
                    }
                    // The early decision agrees too (for a new trace, on its own trace id).
                    // The early decision agrees too: on the same trace id, or for a new
                    // trace on the one it drew (which the provider then uses).
                    let on = |id: TraceId| {
                        sdk.should_sample(Some(&cx), id, "chat gpt-4o", &SpanKind::Client, &[], &[])
                            .decision
                    };
                    match ours.early(&cx) {
                        Early::Drop(None) => assert_eq!(expected, SamplingDecision::Drop),
                        Early::Drop(Some(id)) => assert_eq!(on(id), SamplingDecision::Drop),
                        Early::Keep(None) => {
                            assert_eq!(expected, SamplingDecision::RecordAndSample, "{ours:?}")
                        }
                        Early::Keep(Some(id)) => {
                            assert_eq!(on(id), SamplingDecision::RecordAndSample, "{ours:?}")
                        }
                        Early::Unknown => panic!("{ours:?} is standard"),
                    }
                }
            }
        }
        assert!(kept > 0);
    }

    #[test]
    fn sdk_samplers_convert_to_the_standard_ones_they_are() {
        assert_eq!(Sampler::from(SdkSampler::AlwaysOff), Sampler::always_off());
        assert_eq!(
            Sampler::from(SdkSampler::TraceIdRatioBased(0.3)),
            Sampler::trace_id_ratio(0.3)
        );
        let hidden = Sampler::from(SdkSampler::ParentBased(Box::new(SdkSampler::AlwaysOn)));
        assert!(!hidden.is_standard());
        assert_eq!(
            hidden.early(&Context::new()),
            Early::Unknown,
            "a custom sampler is left to the SDK"
        );
    }

    #[test]
    fn out_of_range_ratios_are_clamped() {
        assert_eq!(Sampler::trace_id_ratio(7.0), Sampler::trace_id_ratio(1.0));
        assert_eq!(Sampler::trace_id_ratio(-1.0), Sampler::trace_id_ratio(0.0));
        assert_eq!(
            Sampler::trace_id_ratio(f64::NAN),
            Sampler::trace_id_ratio(0.0)
        );
        assert_eq!(
            format!("{:?}", Sampler::trace_id_ratio(0.25).parent_based()),
            "Sampler(parentbased_traceidratio(0.25))"
        );
    }

    #[test]
    fn ids_of_dropped_calls_are_valid_and_distinct() {
        let mut spans = std::collections::HashSet::new();
        let mut traces = std::collections::HashSet::new();
        for _ in 0..10_000 {
            let span = new_span_id();
            let trace = new_trace_id();
            assert_ne!(span, SpanId::INVALID);
            assert_ne!(trace, TraceId::INVALID);
            assert!(spans.insert(span) && traces.insert(trace));
        }
        // Another thread has its own sequence.
        let other = std::thread::spawn(|| (0..10_000).map(|_| new_trace_id()).collect::<Vec<_>>())
            .join()
            .unwrap();
        assert!(other.iter().all(|id| !traces.contains(id)));
    }

    #[test]
    fn the_handed_off_trace_id_is_used_once() {
        let id = TraceId::from(0x1234_u128);
        let first = with_trace_id(Some(id), || HandoffIds.new_trace_id());
        assert_eq!(first, id);
        // Withdrawn even when the provider did not take it, and when building panicked.
        with_trace_id(Some(id), || ());
        assert_ne!(HandoffIds.new_trace_id(), id);
        let panicked = std::panic::catch_unwind(|| with_trace_id(Some(id), || panic!("on_start")));
        assert!(panicked.is_err());
        assert_ne!(HandoffIds.new_trace_id(), id);
    }
}
