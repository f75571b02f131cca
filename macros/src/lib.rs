//! macros

mod registry;
#[cfg(test)]
mod registry_tests;
mod suggest;
