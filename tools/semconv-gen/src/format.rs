//! Running `rustfmt` over generated code, so the committed files pass `cargo fmt --check`.

use std::env;
use std::ffi::OsString;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::Error;

/// Formats `source` with `rustfmt` (the `RUSTFMT` environment variable, else `rustfmt` on the
/// path), edition 2021, with the configuration found from `workspace_root`.
pub(crate) fn rustfmt(workspace_root: &Path, source: &str) -> Result<String, Error> {
    let program = env::var_os("RUSTFMT").unwrap_or_else(|| OsString::from("rustfmt"));
    let mut child = Command::new(&program)
        .args(["--edition", "2021"])
        .current_dir(workspace_root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|err| Error::Rustfmt {
            message: format!(
                "cannot run `{}`: {err}; install it with `rustup component add rustfmt`",
                program.to_string_lossy()
            ),
        })?;
    // Writing all input before reading output is fine: rustfmt reads stdin to the end first.
    let written = child
        .stdin
        .take()
        .map(|mut stdin| stdin.write_all(source.as_bytes()));
    let output = child.wait_with_output().map_err(|err| Error::Rustfmt {
        message: format!("`rustfmt` did not finish: {err}"),
    })?;
    if let Some(Err(err)) = written {
        return Err(Error::Rustfmt {
            message: format!("cannot pass the generated code to `rustfmt`: {err}"),
        });
    }
    if !output.status.success() {
        return Err(Error::Rustfmt {
            message: format!(
                "`rustfmt` rejected the generated code ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            ),
        });
    }
    String::from_utf8(output.stdout).map_err(|err| Error::Rustfmt {
        message: format!("`rustfmt` printed invalid utf-8: {err}"),
    })
}
