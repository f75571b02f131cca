//! The HTML report opened in headless Chromium: the page's script runs without an error, the
//! console stays silent, and the page makes no request but for itself (checked in Chromium's
//! network log, with a control page that does make one). Screenshots of the dashboard and of a
//! waterfall are taken; `LLMSCOPE_BLESS=1` copies them to `docs/` (shown in the README).
//!
//! Needs `/usr/bin/chromium` (`.ci/run` installs it). Without it the test is skipped, except
//! when `CI` is set: then it fails, so CI cannot pass without running it.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::{crate_dir, fixture, stdout_of};

const CHROMIUM: &str = "/usr/bin/chromium";

fn chromium_available() -> bool {
    if Path::new(CHROMIUM).exists() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "`{CHROMIUM}` is missing and CI is set: .ci/run installs it (apt-get install chromium)"
    );
    eprintln!("skipped: `{CHROMIUM}` is not installed (apt-get install chromium)");
    false
}

/// What one headless Chromium run left behind.
struct Run {
    stdout: String,
    stderr: String,
    net_log: serde_json::Value,
}

/// Opens `url` in a fresh profile with `extra` flags; every name lookup fails, so a request
/// to the network could not succeed even if one were made.
fn chromium(dir: &Path, name: &str, url: &str, extra: &[&str]) -> Run {
    let profile = dir.join(format!("profile-{name}"));
    let net_log = dir.join(format!("net-{name}.json"));
    let output = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
            "--host-resolver-rules=MAP * ~NOTFOUND",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--log-net-log={}", net_log.display()))
        .args(extra)
        .arg(url)
        .current_dir(dir)
        .output()
        .expect("chromium runs");
    assert!(
        output.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let log = std::fs::read_to_string(&net_log).expect("chromium wrote its network log");
    Run {
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        net_log: serde_json::from_str(&log).expect("the network log is JSON"),
    }
}

/// URLs the page (not the browser itself) asked for: requests whose network isolation key is
/// the `file://` page (the navigation to the page itself is not one of them). Chromium's own
/// background requests carry a `null` key.
fn page_requests(run: &Run) -> Vec<String> {
    let mut urls: Vec<String> = run.net_log["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|event| {
            let params = &event["params"];
            let key = params["network_isolation_key"].as_str()?;
            key.contains("file://")
                .then(|| params["url"].as_str().map(str::to_owned))
                .flatten()
        })
        .collect();
    urls.sort();
    urls.dedup();
    urls
}

fn console_lines(run: &Run) -> Vec<&str> {
    run.stderr
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .collect()
}

fn file_url(path: &Path, fragment: &str) -> String {
    format!("file://{}{fragment}", path.display())
}

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("llmscope-cli-browser-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn the_checks_catch_a_page_that_errs_and_fetches() {
    if !chromium_available() {
        return;
    }
    let dir = temp_dir().join("control");
    std::fs::create_dir_all(&dir).unwrap();
    let page = dir.join("bad.html");
    std::fs::write(
        &page,
        r#"<html><body><img src="http://example.invalid/x.png"><script>console.error("bad"); missing();</script></body></html>"#,
    )
    .unwrap();
    let run = chromium(&dir, "control", &file_url(&page, ""), &["--dump-dom"]);
    assert!(page_requests(&run)
        .iter()
        .any(|u| u == "http://example.invalid/x.png"));
    assert_eq!(console_lines(&run).len(), 2, "{}", run.stderr);
}

#[test]
fn the_report_runs_clean_offline_and_is_screenshotted() {
    if !chromium_available() {
        return;
    }
    let dir = temp_dir().join("report");
    std::fs::create_dir_all(&dir).unwrap();
    let html = dir.join("report.html");
    stdout_of(
        &[
            "report",
            &fixture("diff-before.jsonl"),
            "-o",
            html.to_str().unwrap(),
        ],
        0,
    );
    let text = std::fs::read_to_string(&html).unwrap();
    // Nothing in the file could load anything: no URL, no src/href, no CSS url() or @import.
    for forbidden in [
        "http:", "https:", "src=", "href=", "url(", "@import", "//cdn",
    ] {
        assert!(
            !text.contains(forbidden),
            "the report contains `{forbidden}`"
        );
    }

    let dom = chromium(&dir, "dom", &file_url(&html, ""), &["--dump-dom"]);
    assert!(
        dom.stdout.contains("<body data-ready=\"1\""),
        "the report's script did not finish"
    );
    assert!(
        !dom.stdout.contains("data-errors=\""),
        "a script error was reported"
    );
    assert!(
        console_lines(&dom).is_empty(),
        "console output: {:?}",
        console_lines(&dom)
    );
    assert_eq!(
        page_requests(&dom),
        Vec::<String>::new(),
        "the page made requests"
    );

    let shots = [
        ("dashboard", "", "1280,1100", "cli-report-dashboard.png"),
        (
            "waterfall",
            "#only-waterfall",
            "1280,760",
            "cli-report-waterfall.png",
        ),
    ];
    for (name, fragment, size, doc) in shots {
        let png = dir.join(format!("{name}.png"));
        let run = chromium(
            &dir,
            name,
            &file_url(&html, fragment),
            &[
                &format!("--window-size={size}"),
                &format!("--screenshot={}", png.display()),
            ],
        );
        assert!(
            console_lines(&run).is_empty(),
            "{name}: {:?}",
            console_lines(&run)
        );
        assert_eq!(page_requests(&run), Vec::<String>::new(), "{name}");
        let bytes = std::fs::read(&png).expect("screenshot written");
        assert!(
            bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.len() > 20_000,
            "{name}: {} bytes",
            bytes.len()
        );
        if std::env::var_os("LLMSCOPE_BLESS").is_some() {
            std::fs::copy(&png, crate_dir().join("../docs").join(doc))
                .expect("docs screenshot copied");
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
