//! A burst of 1M real `#[llm_call]` calls through the `init()` pipeline, on the system
//! allocator (glibc malloc on Linux); `burst` runs it with mimalloc.
//!
//! Run both: `cargo bench --bench burst --bench burst_system`.

mod burst_common;
mod cases;
mod common;

fn main() {
    burst_common::main("system");
}
