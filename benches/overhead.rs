//! Overhead benchmark (written below).
fn main() {}
