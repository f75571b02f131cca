//! runtime

pub mod semconv;
