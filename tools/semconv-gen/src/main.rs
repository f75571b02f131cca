//! `cargo run -p llmscope-semconv-gen`: rewrites `macros/src/registry.rs` and
//! `runtime/src/semconv.rs` from the vendored semconv YAML.

use std::process::ExitCode;

fn main() -> ExitCode {
    let root = llmscope_semconv_gen::workspace_root();
    let result = llmscope_semconv_gen::generate(&root).and_then(|generated| {
        let changed = llmscope_semconv_gen::write(&root, &generated.files)?;
        Ok((generated, changed))
    });
    match result {
        Ok((generated, changed)) => {
            let counts = generated.counts;
            println!(
                "semconv v{}: {} attributes ({} deprecated, {} enums)",
                llmscope_semconv_gen::SEMCONV_VERSION,
                counts.attributes,
                counts.deprecated,
                counts.enums
            );
            for file in &generated.files {
                let state = if changed.contains(&file.path) {
                    "written"
                } else {
                    "unchanged"
                };
                println!("{state}: {}", file.path);
            }
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}
