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
pub use self::tower::{RouteOf, TraceContextFuture, TraceContextLayer, TraceContextService};

#[cfg(feature = "tower")]
mod tower {
    use std::borrow::Cow;
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context as TaskContext, Poll};

    use opentelemetry::context::{FutureExt as _, WithContext};
    use opentelemetry::trace::{SpanKind, Status, TraceContextExt as _, Tracer as _};
    use opentelemetry::{Context, KeyValue};

    use crate::keys::{
        ERROR_TYPE, HTTP_REQUEST_METHOD, HTTP_RESPONSE_STATUS_CODE, HTTP_ROUTE, URL_PATH,
    };

    /// Reads the matched route template (`/users/{id}`) from a request's extensions, where the
    /// router put it; with axum:
    /// `|extensions| extensions.get::<MatchedPath>().map(MatchedPath::as_str)`.
    pub type RouteOf = fn(&http::Extensions) -> Option<&str>;

    /// A tower layer that extracts the W3C context of each incoming request and makes it
    /// current while the inner service handles it, so spans created for the request
    /// (`#[llm_call]`, `tracing` with the OpenTelemetry layer) join the caller's trace.
    ///
    /// With [`with_server_span`](Self::with_server_span) it also records the request as a
    /// SERVER span (HTTP semantic conventions) under the caller's span, parent of every span
    /// made while handling it, in the pipeline llmscope's spans go to (`llmscope::init()`,
    /// [`install`](crate::install), or a [`scoped`](crate::scoped) context current when the
    /// request arrives):
    ///
    /// | | |
    /// |---|---|
    /// | name | `{method} {route}` (`POST /chat`), or `{method}` with no route |
    /// | `http.request.method` | `POST`; `_OTHER` for a non-standard method (name `HTTP`) |
    /// | `url.path` | the request path |
    /// | `http.route` | the route from [`with_route`](Self::with_route), if any |
    /// | `http.response.status_code` | the response status |
    /// | status, `error.type` | error for a 5xx response (`error.type` = the code) or an error of the inner service (its type name) |
    ///
    /// With no pipeline installed it creates no span and only carries the context.
    ///
    /// ```
    /// use llmscope::propagation::TraceContextLayer;
    /// use tower_layer::Layer as _;
    ///
    /// # #[derive(Clone)] struct App;
    /// // axum: `Router::new().route(..).layer(layer)`, with
    /// // `.with_route(|e| e.get::<MatchedPath>().map(MatchedPath::as_str))`
    /// let layer = TraceContextLayer::new().with_server_span();
    /// let service = layer.layer(App);
    /// # let _ = service;
    /// ```
    #[derive(Debug, Clone, Copy, Default)]
    pub struct TraceContextLayer {
        server_span: bool,
        route: Option<RouteOf>,
    }

    impl TraceContextLayer {
        /// The layer: the request's context current in the handler, no span of its own.
        pub fn new() -> Self {
            TraceContextLayer::default()
        }

        /// Records each request as a SERVER span, parent of the spans made while handling it.
        pub fn with_server_span(mut self) -> Self {
            self.server_span = true;
            self
        }

        /// How the server span learns the matched route (`http.route`, and its name).
        pub fn with_route(mut self, route: RouteOf) -> Self {
            self.route = Some(route);
            self
        }
    }

    impl<S> tower_layer::Layer<S> for TraceContextLayer {
        type Service = TraceContextService<S>;

        fn layer(&self, inner: S) -> Self::Service {
            TraceContextService {
                inner,
                config: *self,
            }
        }
    }

    /// The service made by [`TraceContextLayer`].
    #[derive(Debug, Clone)]
    pub struct TraceContextService<S> {
        inner: S,
        config: TraceContextLayer,
    }

    /// The standard methods by name; any other is `_OTHER` (HTTP semantic conventions).
    fn method_name(method: &http::Method) -> Option<&'static str> {
        Some(match *method {
            http::Method::GET => "GET",
            http::Method::POST => "POST",
            http::Method::PUT => "PUT",
            http::Method::DELETE => "DELETE",
            http::Method::PATCH => "PATCH",
            http::Method::HEAD => "HEAD",
            http::Method::OPTIONS => "OPTIONS",
            http::Method::CONNECT => "CONNECT",
            http::Method::TRACE => "TRACE",
            _ => return None,
        })
    }

    impl TraceContextLayer {
        /// The SERVER span for `request` under `parent`, when a pipeline receives spans.
        fn server_span<B>(&self, parent: &Context, request: &http::Request<B>) -> Option<Context> {
            if !self.server_span || !crate::install::any_provider() {
                return None;
            }
            let tracer = crate::install::resolve(parent)?;
            let method = method_name(request.method());
            let route = self.route.and_then(|route| route(request.extensions()));
            let name: Cow<'static, str> = match (method, route) {
                (Some(method), Some(route)) => format!("{method} {route}").into(),
                (Some(method), None) => method.into(),
                (None, Some(route)) => format!("HTTP {route}").into(),
                (None, None) => "HTTP".into(),
            };
            let mut attributes = Vec::with_capacity(5);
            attributes.push(KeyValue::new(
                HTTP_REQUEST_METHOD,
                method.unwrap_or("_OTHER"),
            ));
            attributes.push(KeyValue::new(URL_PATH, request.uri().path().to_owned()));
            if let Some(route) = route {
                attributes.push(KeyValue::new(HTTP_ROUTE, route.to_owned()));
            }
            let span = tracer
                .get()
                .span_builder(name)
                .with_kind(SpanKind::Server)
                .with_attributes(attributes)
                .start_with_context(tracer.get(), parent);
            Some(parent.with_span(span))
        }
    }

    impl<S, B, R> tower_service::Service<http::Request<B>> for TraceContextService<S>
    where
        S: tower_service::Service<http::Request<B>, Response = http::Response<R>>,
    {
        type Response = S::Response;
        type Error = S::Error;
        type Future = TraceContextFuture<S::Future>;

        fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), Self::Error>> {
            self.inner.poll_ready(cx)
        }

        fn call(&mut self, request: http::Request<B>) -> Self::Future {
            let parent = super::extract(request.headers());
            let server = self.config.server_span(&parent, &request);
            let cx = server.clone().unwrap_or(parent);
            // The inner service may start work in `call` itself: make the context current
            // for it too, then for every poll of the future.
            let future = {
                let _guard = cx.clone().attach();
                self.inner.call(request)
            };
            TraceContextFuture {
                inner: Box::pin(future.with_context(cx)),
                server,
            }
        }
    }

    /// The response future of [`TraceContextService`]: the inner service's, run with the
    /// request's context current; it ends the server span with the response.
    pub struct TraceContextFuture<F> {
        inner: Pin<Box<WithContext<F>>>,
        /// The context holding the server span, until the response.
        server: Option<Context>,
    }

    impl<F> std::fmt::Debug for TraceContextFuture<F> {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("TraceContextFuture")
                .field("server_span", &self.server.is_some())
                .finish_non_exhaustive()
        }
    }

    impl<F, R, E> Future for TraceContextFuture<F>
    where
        F: Future<Output = Result<http::Response<R>, E>>,
    {
        type Output = F::Output;

        fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<F::Output> {
            let output = std::task::ready!(self.inner.as_mut().poll(cx));
            if let Some(server) = self.server.take() {
                let span = server.span();
                match &output {
                    Ok(response) => {
                        let status = response.status();
                        span.set_attribute(KeyValue::new(
                            HTTP_RESPONSE_STATUS_CODE,
                            i64::from(status.as_u16()),
                        ));
                        // Server spans: only 5xx is an error (HTTP semantic conventions).
                        if status.is_server_error() {
                            span.set_attribute(KeyValue::new(
                                ERROR_TYPE,
                                status.as_str().to_owned(),
                            ));
                            span.set_status(Status::error(""));
                        }
                    }
                    Err(_) => {
                        span.set_attribute(KeyValue::new(ERROR_TYPE, std::any::type_name::<E>()));
                        span.set_status(Status::error(""));
                    }
                }
                span.end();
            }
            Poll::Ready(output)
        }
    }

    impl<F> Drop for TraceContextFuture<F> {
        fn drop(&mut self) {
            // Dropped before the response (the client went away): the span still ends.
            if let Some(server) = self.server.take() {
                server.span().end();
            }
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
        type Reply = http::Response<String>;
        impl tower_service::Service<http::Request<()>> for Handler {
            type Response = Reply;
            type Error = Infallible;
            type Future = Pin<Box<dyn Future<Output = Result<Reply, Infallible>> + Send>>;
            fn poll_ready(&mut self, _: &mut TaskContext<'_>) -> Poll<Result<(), Infallible>> {
                Poll::Ready(Ok(()))
            }
            fn call(&mut self, _: http::Request<()>) -> Self::Future {
                Box::pin(async {
                    std::future::ready(()).await;
                    Ok(http::Response::new(
                        Context::current()
                            .span()
                            .span_context()
                            .trace_id()
                            .to_string(),
                    ))
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
        assert_eq!(trace_id.body(), "0af7651916cd43dd8448eb211c80319c");
    }

    #[cfg(feature = "tower")]
    #[test]
    fn the_server_span_marks_an_unknown_method_and_a_failed_service() {
        use std::future::Future;
        use std::pin::Pin;
        use std::task::{Context as TaskContext, Poll};
        use tower_layer::Layer as _;
        use tower_service::Service as _;

        #[derive(Debug)]
        struct Refused;
        #[derive(Clone)]
        struct Failing;
        impl tower_service::Service<http::Request<()>> for Failing {
            type Response = http::Response<()>;
            type Error = Refused;
            type Future = Pin<Box<dyn Future<Output = Result<http::Response<()>, Refused>>>>;
            fn poll_ready(&mut self, _: &mut TaskContext<'_>) -> Poll<Result<(), Refused>> {
                Poll::Ready(Ok(()))
            }
            fn call(&mut self, _: http::Request<()>) -> Self::Future {
                Box::pin(async { Err(Refused) })
            }
        }

        let exporter = opentelemetry_sdk::trace::InMemorySpanExporter::default();
        let provider = SdkTracerProvider::builder()
            .with_simple_exporter(exporter.clone())
            .build();
        let mut service = TraceContextLayer::new()
            .with_server_span()
            .with_route(|_| Some("/cache/{key}"))
            .layer(Failing);
        let request = http::Request::builder()
            .method("PURGE")
            .uri("/cache/42")
            .header("traceparent", TRACEPARENT)
            .body(())
            .unwrap();
        let future = {
            let _scope = crate::scoped(&provider).attach();
            service.call(request)
        };
        assert!(crate::export::block_on_for_tests(future).is_err());

        let spans = exporter.get_finished_spans().unwrap();
        assert_eq!(spans.len(), 1);
        let span = &spans[0];
        assert_eq!(span.name, "HTTP /cache/{key}");
        assert_eq!(span.span_kind, opentelemetry::trace::SpanKind::Server);
        assert_eq!(
            span.span_context.trace_id().to_string(),
            "0af7651916cd43dd8448eb211c80319c"
        );
        let value = |key: &str| {
            span.attributes
                .iter()
                .find(|kv| kv.key.as_str() == key)
                .map(|kv| kv.value.to_string())
        };
        assert_eq!(value("http.request.method").as_deref(), Some("_OTHER"));
        assert_eq!(value("url.path").as_deref(), Some("/cache/42"));
        assert_eq!(value("http.route").as_deref(), Some("/cache/{key}"));
        assert!(value("error.type").unwrap().ends_with("Refused"));
        assert_eq!(value("http.response.status_code"), None);
        assert!(matches!(
            span.status,
            opentelemetry::trace::Status::Error { .. }
        ));
    }
}
