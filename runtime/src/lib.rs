//! runtime

pub mod redact;
