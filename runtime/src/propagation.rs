//! W3C trace context and baggage across HTTP hops, so one user request is one trace across
//! services (feature `http`; the tower layer needs feature `tower`).
//!
//! - incoming: [`extract`] a [`Context`] from request headers, or wrap the service in
//!   [`TraceContextLayer`] (axum, hyper, tonic) so each request future runs with it current;
//! - outgoing: [`inject_headers`] the current context into a request's headers (reqwest:
//!   `request.headers_mut()`), or [`inject`] a given one.
//!
//! ```
//! use llmscope::propagation::{extract, inject};
//! use opentelemetry::trace::TraceContextExt as _;
//!
//! let mut headers = http::HeaderMap::new();
//! headers.insert(
//!     "traceparent",
//!     "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".parse().unwrap(),
//! );
//! let cx = extract(&headers);
//! assert_eq!(cx.span().span_context().trace_id().to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
//!
//! let mut outgoing = http::HeaderMap::new();
//! inject(&cx, &mut outgoing);
//! assert_eq!(outgoing["traceparent"], "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
//! ```

use http::header::{HeaderName, HeaderValue};
use http::HeaderMap;
use opentelemetry::propagation::{
    Extractor, Injector, TextMapCompositePropagator, TextMapPropagator,
};
use opentelemetry::Context;
use opentelemetry_sdk::propagation::{BaggagePropagator, TraceContextPropagator};

fn propagator() -> TextMapCompositePropagator {
    TextMapCompositePropagator::new(vec![
        Box::new(TraceContextPropagator::new()),
        Box::new(BaggagePropagator::new()),
    ])
}

struct HeaderExtractor<'a>(&'a HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(HeaderName::as_str).collect()
    }
}

struct HeaderInjector<'a>(&'a mut HeaderMap);

impl Injector for HeaderInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(key.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            self.0.insert(name, value);
        }
    }
}

/// The context carried by `traceparent`/`tracestate` and `baggage` headers, on top of the
/// current context (no or invalid headers: the current context unchanged).
pub fn extract(headers: &HeaderMap) -> Context {
    propagator().extract_with_context(&Context::current(), &HeaderExtractor(headers))
}

/// Writes `cx`'s span context (`traceparent`, `tracestate`) and baggage into `headers`.
pub fn inject(cx: &Context, headers: &mut HeaderMap) {
    propagator().inject_context(cx, &mut HeaderInjector(headers));
}

/// Writes the current context into `headers`: call it on an outgoing request
/// (`inject_headers(request.headers_mut())` with reqwest) inside the span that makes it.
pub fn inject_headers(headers: &mut HeaderMap) {
    inject(&Context::current(), headers);
}

#[cfg(feature = "tower")]
#[cfg_attr(docsrs, doc(cfg(feature = "tower")))]
pub use self::tower::{TraceContextLayer, TraceContextService};

#[cfg(feature = "tower")]
mod tower {
    use std::task::{Context as TaskContext, Poll};

    use opentelemetry::context::{FutureExt as _, WithContext};

    /// A tower layer that extracts the W3C context of each incoming request and makes it
    /// current while the inner service handles it, so spans created for the request
    /// (`#[llm_call]`, `tracing` with the OpenTelemetry layer) join the caller's trace.
    ///
    /// ```
    /// use llmscope::propagation::TraceContextLayer;
    /// use tower_layer::Layer as _;
    ///
    /// # #[derive(Clone)] struct App;
    /// // axum: `Router::new().route(..).layer(TraceContextLayer::new())`
    /// let service = TraceContextLayer::new().layer(App);
    /// # let _ = service;
    /// ```
    #[derive(Debug, Clone, Copy, Default)]
    pub struct TraceContextLayer {
        _private: (),
    }

    impl TraceContextLayer {
        /// The layer.
        pub fn new() -> Self {
            TraceContextLayer { _private: () }
        }
    }

    impl<S> tower_layer::Layer<S> for TraceContextLayer {
        type Service = TraceContextService<S>;

        fn layer(&self, inner: S) -> Self::Service {
            TraceContextService { inner }
        }
    }

    /// The service made by [`TraceContextLayer`].
    #[derive(Debug, Clone)]
    pub struct TraceContextService<S> {
        inner: S,
    }

    impl<S, B> tower_service::Service<http::Request<B>> for TraceContextService<S>
    where
        S: tower_service::Service<http::Request<B>>,
    {
        type Response = S::Response;
        type Error = S::Error;
        type Future = WithContext<S::Future>;

        fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), Self::Error>> {
            self.inner.poll_ready(cx)
        }

        fn call(&mut self, request: http::Request<B>) -> Self::Future {
            let cx = super::extract(request.headers());
            // The inner service may start work in `call` itself: make the context current
            // for it too, then for every poll of the future.
            let future = {
                let _guard = cx.clone().attach();
                self.inner.call(request)
            };
            future.with_context(cx)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::baggage::BaggageExt as _;
    use opentelemetry::trace::{Span as _, TraceContextExt as _, Tracer as _, TracerProvider as _};
    use opentelemetry_sdk::trace::SdkTracerProvider;

    const TRACEPARENT: &str = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    #[test]
    fn extract_reads_traceparent_and_baggage() {
        let mut headers = HeaderMap::new();
        headers.insert("traceparent", TRACEPARENT.parse().unwrap());
        headers.insert("baggage", "user.id=u-42,feature=search".parse().unwrap());
        let cx = extract(&headers);
        let span = cx.span();
        let sc = span.span_context();
        assert!(sc.is_remote());
        assert!(sc.is_sampled());
        assert_eq!(
            sc.trace_id().to_string(),
            "0af7651916cd43dd8448eb211c80319c"
        );
        assert_eq!(sc.span_id().to_string(), "b7ad6b7169203331");
        assert_eq!(
            cx.baggage().get("user.id").map(|v| v.as_str().to_owned()),
            Some("u-42".to_owned())
        );
        assert_eq!(
            cx.baggage().get("feature").map(|v| v.as_str().to_owned()),
            Some("search".to_owned())
        );
    }

    #[test]
    fn malformed_traceparent_gives_no_remote_span() {
        let mut headers = HeaderMap::new();
        headers.insert("traceparent", "00-zz-b7ad6b7169203331-01".parse().unwrap());
        assert!(!extract(&headers).span().span_context().is_valid());
    }

    #[test]
    fn a_child_span_continues_the_remote_trace_and_injects_itself() {
        let provider = SdkTracerProvider::builder().build();
        let tracer = provider.tracer("test");
        let mut incoming = HeaderMap::new();
        incoming.insert("traceparent", TRACEPARENT.parse().unwrap());
        let parent = extract(&incoming);
        let span = tracer.start_with_context("handle", &parent);
        let span_id = span.span_context().span_id();
        let cx = parent.with_span(span);
        let _guard = cx.attach();
        let mut outgoing = HeaderMap::new();
        inject_headers(&mut outgoing);
        assert_eq!(
            outgoing["traceparent"].to_str().unwrap(),
            format!("00-0af7651916cd43dd8448eb211c80319c-{span_id}-01")
        );
    }

    #[cfg(feature = "tower")]
    #[test]
    fn the_layer_makes_the_request_context_current_for_the_handler() {
        use std::convert::Infallible;
        use std::future::Future;
        use std::pin::Pin;
        use std::task::{Context as TaskContext, Poll};
        use tower_layer::Layer as _;
        use tower_service::Service as _;

        #[derive(Clone)]
        struct Handler;
        impl tower_service::Service<http::Request<()>> for Handler {
            type Response = String;
            type Error = Infallible;
            type Future = Pin<Box<dyn Future<Output = Result<String, Infallible>> + Send>>;
            fn poll_ready(&mut self, _: &mut TaskContext<'_>) -> Poll<Result<(), Infallible>> {
                Poll::Ready(Ok(()))
            }
            fn call(&mut self, _: http::Request<()>) -> Self::Future {
                Box::pin(async {
                    std::future::ready(()).await;
                    Ok(Context::current()
                        .span()
                        .span_context()
                        .trace_id()
                        .to_string())
                })
            }
        }

        let mut service = TraceContextLayer::new().layer(Handler);
        let request = http::Request::builder()
            .header("traceparent", TRACEPARENT)
            .body(())
            .unwrap();
        let future = service.call(request);
        // Outside the future, nothing is current.
        assert!(!Context::current().span().span_context().is_valid());
        let trace_id = crate::export::block_on_for_tests(future).unwrap();
        assert_eq!(trace_id, "0af7651916cd43dd8448eb211c80319c");
    }
}
