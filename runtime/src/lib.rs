//! runtime

pub mod export;
