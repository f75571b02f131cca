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
}

impl InstalledTracer {
    fn new(provider: &SdkTracerProvider, sampler: Option<&Sampler>) -> Self {
        InstalledTracer {
            tracer: tracer_for(provider),
            sampler: sampler.filter(|s| s.is_standard()).cloned(),
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
    install_destination(provider, None)
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
    install_destination(provider, Some(sampler))
}

fn install_destination(
    provider: &SdkTracerProvider,
    sampler: Option<&Sampler>,
) -> Result<(), AlreadySet<SdkTracerProvider>> {
    let mut installed = false;
    GLOBAL_TRACER.get_or_init(|| {
        installed = true;
        InstalledTracer::new(provider, sampler)
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
    scoped_destination(provider, None)
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
    scoped_destination(provider, Some(sampler))
}

fn scoped_destination(provider: &SdkTracerProvider, sampler: Option<&Sampler>) -> Context {
    SCOPES_EXIST.store(true, Ordering::Release);
    Context::current().with_value(ScopedTracer(Arc::new(InstalledTracer::new(
        provider, sampler,
    ))))
}

/// The tracer for a span about to start under `parent`: the scoped one, else the global one.
pub(crate) enum TracerRef<'a> {
    Scoped(&'a InstalledTracer),
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
