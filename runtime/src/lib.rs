//! runtime

pub mod pricing;
