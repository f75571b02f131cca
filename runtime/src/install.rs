//! Where the macros' spans go: a process-wide tracer, or one scoped to a [`Context`].

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use opentelemetry::trace::TracerProvider as _;
use opentelemetry::Context;
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};

use crate::already_set::AlreadySet;
use crate::sampling::{SampledProvider, Sampler};

/// The instrumentation scope name of every span llmscope creates.
pub const INSTRUMENTATION_NAME: &str = "llmscope";

static GLOBAL_TRACER: OnceLock<InstalledTracer> = OnceLock::new();

/// Where llmscope's spans go: the tracer, and the provider's sampler when llmscope knows it.
pub(crate) struct InstalledTracer {
    pub(crate) tracer: SdkTracer,
    /// A standard sampler llmscope decides itself before building a span.
    pub(crate) sampler: Option<Sampler>,
    /// Whether calls are processed and handed to the provider on llmscope's processing
    /// thread (`crate::private::processing`) rather than on the caller's when they end.
    pub(crate) deferred: bool,
    /// Cleared when the provider turned out not to take the span ids llmscope hands it (it
    /// was not built with [`Sampler::build`]): its spans are then built when they start.
    pub(crate) takes_ids: AtomicBool,
}

impl InstalledTracer {
    fn new(provider: &SdkTracerProvider, sampler: Option<&Sampler>, deferred: bool) -> Self {
        let sampler = sampler.filter(|s| s.is_standard()).cloned();
        InstalledTracer {
            tracer: tracer_for(provider),
            takes_ids: AtomicBool::new(sampler.is_some()),
            sampler,
            deferred,
        }
    }

    /// Whether a call kept by llmscope's own decision may be recorded without an SDK span
    /// until it ends (the provider takes the span id the call's children already carry).
    #[inline]
    pub(crate) fn builds_at_end(&self) -> bool {
        self.takes_ids.load(Ordering::Relaxed)
    }
}

/// A destination a call holds on to until its span is built: the scoped one shares its
/// allocation, the process-wide one is never freed.
#[derive(Clone)]
pub(crate) enum Destination {
    Scoped(Arc<InstalledTracer>),
    Global(&'static InstalledTracer),
}

impl std::ops::Deref for Destination {
    type Target = InstalledTracer;

    #[inline]
    fn deref(&self) -> &InstalledTracer {
        match self {
            Destination::Scoped(destination) => destination,
            Destination::Global(destination) => destination,
        }
    }
}

/// Set once a provider has been installed or any scoped provider created: until then an
/// annotated call returns at the first check (one load), without touching the current context.
/// Set after the global tracer is (its release pairs with [`any_provider`]'s acquire).
static ANY_PROVIDER: AtomicBool = AtomicBool::new(false);

/// A tracer carried in an OpenTelemetry [`Context`]; it takes precedence over the
/// process-wide one for every call made while that context is current.
#[derive(Clone)]
pub(crate) struct ScopedTracer(pub(crate) Arc<InstalledTracer>);

/// Builds the tracer llmscope uses from a provider.
pub(crate) fn tracer_for(provider: &SdkTracerProvider) -> SdkTracer {
    provider.tracer_with_scope(
        opentelemetry::InstrumentationScope::builder(INSTRUMENTATION_NAME)
            .with_version(env!("CARGO_PKG_VERSION"))
            .build(),
    )
}

/// What [`install`] and [`scoped`] accept: a tracer provider, with or without the sampler it
/// was built with.
///
/// - [`SampledProvider`] (from [`Sampler::build`], or
///   [`Telemetry::tracer_provider`](crate::Telemetry::tracer_provider)): llmscope knows the sampler and decides first, so a
///   call the sampler drops builds nothing (see [`crate::sampling`]). The sampler is given once,
///   when the provider is built.
/// - [`SdkTracerProvider`] built any other way: the SDK's sampler decides on the built span.
///
/// Sealed: these are the two kinds of destination.
pub trait SpanDestination: sealed::Sealed {
    /// The provider, its sampler when llmscope knows it, and whether calls are processed on
    /// llmscope's processing thread.
    #[doc(hidden)]
    fn parts(&self) -> (&SdkTracerProvider, Option<&Sampler>, bool);
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for opentelemetry_sdk::trace::SdkTracerProvider {}
    impl Sealed for crate::sampling::SampledProvider {}
}

impl SpanDestination for SdkTracerProvider {
    fn parts(&self) -> (&SdkTracerProvider, Option<&Sampler>, bool) {
        (self, None, false)
    }
}

impl SpanDestination for SampledProvider {
    fn parts(&self) -> (&SdkTracerProvider, Option<&Sampler>, bool) {
        (self.provider(), Some(self.sampler()), self.is_deferred())
    }
}

/// Makes `provider` the destination of every span created by `#[llm_call]`,
/// `#[rag_stage]`, `#[agent_step]` and `#[tool]` in this process.
///
/// Until a provider is installed (or one is made current with [`scoped`]), the
/// annotated functions run unchanged and create nothing: no span, no attribute, no
/// allocation. Install once, at startup; [`init`](crate::init) does it for you.
///
/// Which door is for whom: most applications call [`init`](crate::init) (or
/// [`Telemetry::builder`](crate::Telemetry::builder) to configure it in code) and never call
/// `install`. Applications that build their own `SdkTracerProvider` install it here, built
/// with [`Sampler::build`] so that llmscope knows its sampler (a plain provider works too; its
/// sampler then decides on the built span). Tests and multi-pipeline programs use [`scoped`].
///
/// # Errors
///
/// Returns [`AlreadySet`] (with a clone of the provider) if a provider was already installed;
/// the first one stays.
///
/// # Examples
///
/// ```
/// use llmscope::Sampler;
/// use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
///
/// // Keep 5 % of new traces; follow the caller's decision otherwise. The sampler is given once.
/// let provider = Sampler::trace_id_ratio(0.05).parent_based().build(
///     SdkTracerProvider::builder().with_simple_exporter(InMemorySpanExporter::default()),
/// );
/// llmscope::install(&provider).expect("first install");
/// assert!(llmscope::install(&provider).is_err());
/// ```
pub fn install(
    provider: &(impl SpanDestination + ?Sized),
) -> Result<(), AlreadySet<SdkTracerProvider>> {
    let (provider, sampler, deferred) = provider.parts();
    let mut installed = false;
    GLOBAL_TRACER.get_or_init(|| {
        installed = true;
        InstalledTracer::new(provider, sampler, deferred)
    });
    if installed {
        ANY_PROVIDER.store(true, Ordering::Release);
        Ok(())
    } else {
        Err(AlreadySet::new(
            provider.clone(),
            "tracer provider",
            "use `llmscope::scoped` to record into another provider for part of the program",
        ))
    }
}

/// Whether a process-wide provider has been installed with [`install`].
pub fn is_installed() -> bool {
    GLOBAL_TRACER.get().is_some()
}

/// Returns the current [`Context`] extended so that llmscope's spans created while it is
/// current go to `provider` instead of the process-wide one.
///
/// This is how tests keep a provider local to themselves, and how one process can send
/// part of its work to another pipeline. The scope follows the context: nested calls
/// inherit it; a `tokio::spawn`ed task inherits it only if the context is carried
/// (`opentelemetry::context::FutureExt::with_current_context`). As with [`install`], a
/// [`SampledProvider`] lets llmscope decide sampling first.
///
/// # Examples
///
/// ```
/// use llmscope::Sampler;
/// use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
///
/// let exporter = InMemorySpanExporter::default();
/// let provider = SdkTracerProvider::builder().with_simple_exporter(exporter.clone()).build();
/// let _guard = llmscope::scoped(&provider).attach();
/// // every annotated call on this thread now records into `exporter`
///
/// let off = Sampler::always_off().build(SdkTracerProvider::builder());
/// let _guard = llmscope::scoped(&off).attach();
/// // annotated calls on this thread are now dropped before anything is built
/// ```
pub fn scoped(provider: &(impl SpanDestination + ?Sized)) -> Context {
    let (provider, sampler, deferred) = provider.parts();
    ANY_PROVIDER.store(true, Ordering::Release);
    Context::current().with_value(ScopedTracer(Arc::new(InstalledTracer::new(
        provider, sampler, deferred,
    ))))
}

/// The tracer for a span about to start under `parent`: the scoped one, else the global one.
pub(crate) enum TracerRef<'a> {
    Scoped(&'a Arc<InstalledTracer>),
    Global(&'static InstalledTracer),
}

impl TracerRef<'_> {
    #[inline]
    fn destination(&self) -> &InstalledTracer {
        match self {
            TracerRef::Scoped(destination) => destination,
            TracerRef::Global(destination) => destination,
        }
    }

    #[inline]
    pub(crate) fn get(&self) -> &SdkTracer {
        &self.destination().tracer
    }

    /// The provider's sampler, when llmscope can decide it itself.
    #[inline]
    pub(crate) fn sampler(&self) -> Option<&Sampler> {
        self.destination().sampler.as_ref()
    }

    /// Whether a kept call may wait for its end to build its span (see
    /// [`InstalledTracer::builds_at_end`]).
    #[inline]
    pub(crate) fn builds_at_end(&self) -> bool {
        self.destination().builds_at_end()
    }

    /// Whether calls are processed on llmscope's processing thread (else on the caller's).
    #[inline]
    pub(crate) fn deferred(&self) -> bool {
        self.destination().deferred
    }

    /// The destination, held by a call until its span is built.
    #[inline]
    pub(crate) fn to_owned(&self) -> Destination {
        match self {
            TracerRef::Scoped(destination) => Destination::Scoped(Arc::clone(destination)),
            TracerRef::Global(destination) => Destination::Global(destination),
        }
    }
}

/// Whether any provider could receive spans: false means no span can be created at all.
#[inline]
pub(crate) fn any_provider() -> bool {
    ANY_PROVIDER.load(Ordering::Acquire)
}

#[inline]
pub(crate) fn resolve(parent: &Context) -> Option<TracerRef<'_>> {
    if let Some(scoped) = parent.get::<ScopedTracer>() {
        return Some(TracerRef::Scoped(&scoped.0));
    }
    GLOBAL_TRACER.get().map(TracerRef::Global)
}
