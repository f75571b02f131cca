//! Where the macros' spans go: a process-wide tracer, or one scoped to a [`Context`].

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use opentelemetry::trace::TracerProvider as _;
use opentelemetry::Context;
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};

use crate::already_set::AlreadySet;
use crate::sampling::Sampler;

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
    /// was not built with [`Sampler::configure`]): its spans are then built when they start.
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

/// Set once any scoped provider has been created: until then (and with no global install) an
/// annotated call returns at the first check, without touching the current context.
static SCOPES_EXIST: AtomicBool = AtomicBool::new(false);

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

/// Makes `provider` the destination of every span created by `#[llm_call]`,
/// `#[rag_stage]` and `#[agent_step]` in this process.
///
/// Until a provider is installed (or one is made current with [`scoped`]), the
/// annotated functions run unchanged and create nothing: no span, no attribute, no
/// allocation. Install once, at startup; `llmscope::init()` does it for you.
///
/// # Errors
///
/// Returns [`AlreadySet`] (with a clone of `provider`) if a provider was already installed;
/// the first one stays.
///
/// # Examples
///
/// ```
/// use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
///
/// let exporter = InMemorySpanExporter::default();
/// let provider = SdkTracerProvider::builder().with_simple_exporter(exporter).build();
/// llmscope::install(&provider).expect("first install");
/// assert!(llmscope::install(&provider).is_err());
/// ```
pub fn install(provider: &SdkTracerProvider) -> Result<(), AlreadySet<SdkTracerProvider>> {
    install_destination(provider, None, false)
}

/// [`install`], telling llmscope the sampler `provider` was built with
/// ([`Sampler::configure`]), so that it decides first and a call the sampler drops builds
/// nothing at all: no span name, no attribute, no SDK span (see [`crate::sampling`]).
///
/// A call llmscope keeps is built as usual and the provider's sampler decides again on the
/// same inputs; had the provider another sampler, a call is recorded only when both keep it.
/// Build the provider with [`Sampler::configure`]: without its id generator, a new trace that
/// llmscope keeps at ratio `r` gets another trace id from the SDK, on which a ratio sampler
/// decides again (`r²` overall).
/// [`init`](crate::init) calls this with the sampler it configured.
///
/// # Errors
///
/// Returns [`AlreadySet`] (with a clone of `provider`) if a provider was already installed;
/// the first one stays.
///
/// # Examples
///
/// ```
/// use llmscope::sampling::Sampler;
/// use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
///
/// let sampler = Sampler::trace_id_ratio(0.05).parent_based();
/// let provider = sampler
///     .configure(SdkTracerProvider::builder())
///     .with_simple_exporter(InMemorySpanExporter::default())
///     .build();
/// llmscope::install_with_sampler(&provider, &sampler).expect("first install");
/// ```
pub fn install_with_sampler(
    provider: &SdkTracerProvider,
    sampler: &Sampler,
) -> Result<(), AlreadySet<SdkTracerProvider>> {
    install_destination(provider, Some(sampler), false)
}

/// [`install_with_sampler`], with every recorded call processed on llmscope's processing
/// thread instead of the caller's: see [`scoped_deferred`] for what that changes.
/// [`init`](crate::init) installs its provider this way.
///
/// # Errors
///
/// Returns [`AlreadySet`] (with a clone of `provider`) if a provider was already installed;
/// the first one stays.
pub fn install_deferred(
    provider: &SdkTracerProvider,
    sampler: &Sampler,
) -> Result<(), AlreadySet<SdkTracerProvider>> {
    install_destination(provider, Some(sampler), true)
}

fn install_destination(
    provider: &SdkTracerProvider,
    sampler: Option<&Sampler>,
    deferred: bool,
) -> Result<(), AlreadySet<SdkTracerProvider>> {
    let mut installed = false;
    GLOBAL_TRACER.get_or_init(|| {
        installed = true;
        InstalledTracer::new(provider, sampler, deferred)
    });
    if installed {
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
/// (`opentelemetry::context::FutureExt::with_current_context`).
///
/// # Examples
///
/// ```
/// use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
///
/// let exporter = InMemorySpanExporter::default();
/// let provider = SdkTracerProvider::builder().with_simple_exporter(exporter.clone()).build();
///
/// let _guard = llmscope::scoped(&provider).attach();
/// // every annotated call on this thread now records into `exporter`
/// ```
pub fn scoped(provider: &SdkTracerProvider) -> Context {
    scoped_destination(provider, None, false)
}

/// [`scoped`], telling llmscope the sampler `provider` was built with, as
/// [`install_with_sampler`] does for the process-wide provider.
///
/// # Examples
///
/// ```
/// use llmscope::sampling::Sampler;
/// use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
///
/// let sampler = Sampler::always_off();
/// let provider = sampler
///     .configure(SdkTracerProvider::builder())
///     .with_simple_exporter(InMemorySpanExporter::default())
///     .build();
/// let _guard = llmscope::scoped_with_sampler(&provider, &sampler).attach();
/// // annotated calls on this thread are dropped before anything is built
/// ```
pub fn scoped_with_sampler(provider: &SdkTracerProvider, sampler: &Sampler) -> Context {
    scoped_destination(provider, Some(sampler), false)
}

/// [`scoped_with_sampler`], with the processing of every recorded call moved off the caller's
/// thread: when a call ends, its record (what it recorded, copied, and its timestamps) is
/// queued for llmscope's processing thread, which redacts the application's attribute values,
/// prices the call, names the span and hands the finished span to `provider` (whose span
/// processors and exporters therefore run there, never on the caller's thread).
///
/// Spans reach the provider a little later: call [`flush_processing`](crate::flush_processing)
/// before reading an in-memory exporter or calling `provider.force_flush()` (the
/// [`TelemetryGuard`](crate::TelemetryGuard) of [`init`](crate::init) does it in `flush` and
/// `shutdown`). When the processing queue is full the caller processes its own call, so no
/// call is lost. `provider` must be built with [`Sampler::configure`].
///
/// # Examples
///
/// ```
/// use llmscope::sampling::Sampler;
/// use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
///
/// let sampler = Sampler::default_sampler();
/// let exporter = InMemorySpanExporter::default();
/// let provider = sampler
///     .configure(SdkTracerProvider::builder())
///     .with_simple_exporter(exporter.clone())
///     .build();
/// let _guard = llmscope::scoped_deferred(&provider, &sampler).attach();
/// // … annotated calls …
/// llmscope::flush_processing();
/// ```
pub fn scoped_deferred(provider: &SdkTracerProvider, sampler: &Sampler) -> Context {
    scoped_destination(provider, Some(sampler), true)
}

fn scoped_destination(
    provider: &SdkTracerProvider,
    sampler: Option<&Sampler>,
    deferred: bool,
) -> Context {
    SCOPES_EXIST.store(true, Ordering::Release);
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
    GLOBAL_TRACER.get().is_some() || SCOPES_EXIST.load(Ordering::Acquire)
}

#[inline]
pub(crate) fn resolve(parent: &Context) -> Option<TracerRef<'_>> {
    if let Some(scoped) = parent.get::<ScopedTracer>() {
        return Some(TracerRef::Scoped(&scoped.0));
    }
    GLOBAL_TRACER.get().map(TracerRef::Global)
}
