//! The subcommands.

pub(crate) mod costs;
pub(crate) mod diff;
pub(crate) mod latency;
pub(crate) mod report;
pub(crate) mod show;
pub(crate) mod traces;
