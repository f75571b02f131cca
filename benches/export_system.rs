//! Export path throughput with the system allocator (glibc malloc on Linux); `export` runs the
//! same cases on mimalloc.
//!
//! Run both: `cargo bench --bench export --bench export_system`.

mod cases;
mod export_common;

fn main() {
    export_common::main("system (glibc malloc on Linux)");
}
