//! Export path throughput with mimalloc as the global allocator (the setup BENCHMARKS.md
//! recommends for high span rates); `export_system` runs the same cases on the system allocator.
//!
//! Run both: `cargo bench --bench export --bench export_system`.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod cases;
mod export_common;

fn main() {
    export_common::main("mimalloc");
}
