//! A burst of 1M real `#[llm_call]` calls through the `init()` pipeline, with mimalloc as the
//! global allocator; `burst_system` runs it on the system allocator.
//!
//! Run both: `cargo bench --bench burst --bench burst_system`. `BURST_QUEUE=16384` runs them
//! with that export queue capacity instead of the default 32,768.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod burst_common;
mod cases;
mod common;

fn main() {
    burst_common::main("mimalloc");
}
