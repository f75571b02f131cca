//! Running a bench's cases each in a fresh child process (this executable again), so that each
//! case's peak RSS is its own: shared by the `export` and `burst` benches.

use std::process::Command;

/// The peak resident set of this process so far (`VmHWM`), in KiB; 0 where `/proc` has none.
pub(crate) fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// When this process is a child started by [`run_each`] (the environment variable `case_var`
/// names its case), or was started with `--list` (by `cargo bench`'s discovery): runs the case
/// with `run_case` if there is one, and returns true — the caller has nothing left to do.
pub(crate) fn child(case_var: &str, run_case: impl FnOnce(&str)) -> bool {
    if let Ok(case) = std::env::var(case_var) {
        run_case(&case);
        return true;
    }
    std::env::args().any(|a| a == "--list")
}

/// Runs each case in a child process: this executable again, with `case_var` naming the case.
pub(crate) fn run_each(case_var: &str, cases: &[&str]) {
    let exe = std::env::current_exe().expect("bench executable");
    for case in cases {
        let status = Command::new(&exe)
            .env(case_var, case)
            .status()
            .expect("run a bench case");
        assert!(status.success(), "case {case} failed");
    }
}
