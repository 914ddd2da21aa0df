//! Renders a generated incident report in headless Chromium: the page's scripts must run without
//! error (the report sets `body[data-ok="1"]` at the end, and records script errors and
//! Content-Security-Policy violations in `body[data-errors]`), and the key numbers and host names
//! must be on the rendered page. Saves a screenshot under target/ and prints its path.
//! Passes with a message when /usr/bin/chromium is not installed.

mod report_common;

use evtxscan::report::incident::{self, ReportKind};
use report_common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CHROMIUM: &str = "/usr/bin/chromium";

/// Run Chromium headless with `args` on `page`; returns its standard output.
fn chromium(profile: &Path, page: &Path, args: &[String]) -> String {
    let out_path = profile.join("stdout.txt");
    let out = std::fs::File::create(&out_path).unwrap();
    let mut child = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
        ])
        .arg(format!(
            "--user-data-dir={}",
            profile.join("profile").display()
        ))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .stdout(Stdio::from(out))
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromium");
    // Guard against a browser that never exits (not a timing assertion: the output is checked).
    let started = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if started.elapsed() > Duration::from_secs(180) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not exit");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    std::fs::read_to_string(out_path).unwrap()
}

fn body_tag(dom: &str) -> &str {
    let start = dom.find("<body").expect("a body in the DOM");
    let end = dom[start..].find('>').unwrap() + start;
    &dom[start..=end]
}

fn out_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser-report");
    std::fs::create_dir_all(&dir).unwrap();
    dir.canonicalize().unwrap()
}

#[test]
fn report_renders_in_chromium_without_script_errors() {
    if !Path::new(CHROMIUM).exists() {
        println!("skipped: {CHROMIUM} is not installed (apt-get install chromium)");
        return;
    }
    let fx = incident();
    let ctx = incident_context(&fx);
    let html = incident::render(ReportKind::Html, &report_context(&fx), &ctx);
    let dir = out_dir();
    let page = dir.join("report.html");
    std::fs::write(&page, &html).unwrap();
    let tmp = tempfile::tempdir().unwrap();

    let dom = chromium(tmp.path(), &page, &["--dump-dom".to_string()]);
    let body = body_tag(&dom);
    assert!(
        body.contains(r#"data-ok="1""#),
        "the report's script did not finish: {body}"
    );
    assert!(
        !body.contains("data-errors"),
        "script errors: {body}\n{}",
        dom.split("js-errors").nth(1).unwrap_or("")
    );
    assert!(dom.contains(r#"<span id="hit-count">4</span>"#));
    assert!(dom.contains(r#"<span id="host-count">3</span>"#));
    for host in ["WKS01", "WKS02", "DC01"] {
        assert!(
            dom.contains(&format!(r#"<td class="host">{host}</td>"#)),
            "host {host}"
        );
    }
    assert!(
        dom.contains(r#"<span id="rules-shown">4</span>"#),
        "the filter script ran"
    );
    assert!(dom.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));

    let shot = dir.join("report.png");
    let _ = std::fs::remove_file(&shot);
    chromium(
        tmp.path(),
        &page,
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1400,4200".to_string(),
        ],
    );
    let png = std::fs::read(&shot).expect("a screenshot");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
    println!("screenshot: {}", shot.display());
    println!("report: {}", page.display());
}

/// The error trap itself works: a report whose script fails is seen as failing.
#[test]
fn a_failing_script_is_detected() {
    if !Path::new(CHROMIUM).exists() {
        println!("skipped: {CHROMIUM} is not installed");
        return;
    }
    let fx = incident();
    let html = incident::render(
        ReportKind::Html,
        &report_context(&fx),
        &incident_context(&fx),
    );
    let broken = html.replacen(
        "apply();\n  document.body.dataset.ok",
        "noSuchFunction();\n  document.body.dataset.ok",
        1,
    );
    assert_ne!(broken, html);
    let dir = out_dir();
    let page = dir.join("broken.html");
    std::fs::write(&page, broken).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dom = chromium(tmp.path(), &page, &["--dump-dom".to_string()]);
    let body = body_tag(&dom);
    assert!(!body.contains(r#"data-ok="1""#), "{body}");
    assert!(body.contains(r#"data-errors="1""#), "{body}");
    assert!(dom.contains("noSuchFunction"));
}

/// The report of a real scan: attack-samples with the SigmaHQ rules (skipped without
/// ../shared or Chromium). The first screen holds the overview and the chart of hits over time.
#[test]
fn attack_samples_report_renders_with_overview_and_timeline_chart() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if !Path::new(CHROMIUM).exists() || !root.join("evtx/attack-samples").is_dir() {
        println!("skipped: needs {CHROMIUM} and ../shared/corpus");
        return;
    }
    let dir = out_dir();
    let page = dir.join("attack-samples.html");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_evtxscan"))
        .arg("scan")
        .arg(root.join("evtx/attack-samples"))
        .arg("--rules")
        .arg(root.join("sigma/rules/windows"))
        .args(["--quiet", "--format", "jsonl", "-o"])
        .arg(dir.join("attack-samples.jsonl"))
        .arg("--report")
        .arg(&page)
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(1 | 3)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let hits = std::fs::read_to_string(dir.join("attack-samples.jsonl"))
        .unwrap()
        .lines()
        .count();
    assert!(hits > 1000, "hits: {hits}");
    let tmp = tempfile::tempdir().unwrap();
    let dom = chromium(tmp.path(), &page, &["--dump-dom".to_string()]);
    let body = body_tag(&dom);
    assert!(
        body.contains(r#"data-ok="1""#),
        "the report's script did not finish: {body}"
    );
    assert!(!body.contains("data-errors"), "script errors: {body}");
    assert!(
        dom.contains(&format!(r#"<span id="hit-count">{hits}</span>"#)),
        "hit count on the page"
    );
    let overview = dom.find(r#"<section id="overview""#).expect("overview");
    let chart = dom
        .find(r#"aria-label="Hits over time (UTC)""#)
        .expect("timeline chart");
    let levels = dom.find("Hits by level").expect("levels");
    assert!(
        overview < chart && chart < levels,
        "the chart is in the overview, above the fold"
    );
    let shot = dir.join("attack-samples.png");
    let _ = std::fs::remove_file(&shot);
    chromium(
        tmp.path(),
        &page,
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1400,1100".to_string(),
        ],
    );
    assert!(std::fs::read(&shot)
        .expect("a screenshot")
        .starts_with(b"\x89PNG\r\n\x1a\n"));
    println!("screenshot: {}", shot.display());
}
