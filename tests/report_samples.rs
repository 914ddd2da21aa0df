//! End to end on the bundled sample logs (`samples/`, written by `evtxscan samples`): the binary's
//! timeline, report and layer outputs parsed back and checked against `evtxscan dump`. The
//! samples are committed and the bundled rules fire on them, so both must be there.

use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_evtxscan");

fn samples() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let logs: Vec<PathBuf> = walkdir::WalkDir::new(&dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| {
            e.path()
                .extension()
                .is_some_and(|x| x.eq_ignore_ascii_case("evtx"))
        })
        .map(|e| e.into_path())
        .collect();
    assert!(!logs.is_empty(), "no .evtx files in {}", dir.display());
    logs
}

/// Run a scan with the bundled rules; its exit code.
fn scan(paths: &[PathBuf], extra: &[&str]) -> i32 {
    let out = Command::new(BIN)
        .arg("scan")
        .args(paths)
        .args(["--quiet"])
        .args(extra)
        .output()
        .unwrap();
    let code = out.status.code().unwrap_or(-1);
    assert!(
        matches!(code, 0 | 1 | 3),
        "exit {code}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    code
}

fn jsonl(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn sample_timelines_agree_with_the_events() {
    let logs = samples();
    let dir = tempfile::tempdir().unwrap();
    let (j, c, html, md, nav) = (
        dir.path().join("hits.jsonl"),
        dir.path().join("hits.csv"),
        dir.path().join("report.html"),
        dir.path().join("report.md"),
        dir.path().join("layer.json"),
    );
    let s = |p: &Path| p.to_string_lossy().into_owned();
    let code = scan(
        &logs,
        &[
            "--format",
            "jsonl",
            "--output",
            &s(&j),
            "--report",
            &s(&html),
            "--report",
            &s(&md),
            "--navigator",
            &s(&nav),
        ],
    );
    let hits = jsonl(&j);
    assert!(!hits.is_empty(), "the bundled rules fire on the samples");
    assert_eq!(code, evtxscan::cli::EXIT_HITS, "hits found");
    let times: Vec<&str> = hits
        .iter()
        .map(|h| h["timestamp"].as_str().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "sorted by time");
    assert!(
        times.iter().all(|t| t.ends_with('Z') && t.len() == 28),
        "{times:?}"
    );
    // Each single-event hit's time is its record's TimeCreated, as `dump` reads it.
    let dump = Command::new(BIN).arg("dump").args(&logs).output().unwrap();
    let mut created: HashMap<(String, u64), String> = HashMap::new();
    for line in String::from_utf8_lossy(&dump.stdout).lines() {
        let e: Value = serde_json::from_str(line).unwrap();
        created.insert(
            (
                e["source"].as_str().unwrap().to_string(),
                e["record_id"].as_u64().unwrap(),
            ),
            e["timestamp"].as_str().unwrap().to_string(),
        );
    }
    for h in hits.iter().filter(|h| h["kind"] == "event") {
        let key = (
            h["source"].as_str().unwrap().to_string(),
            h["record_id"].as_u64().unwrap(),
        );
        assert_eq!(
            Some(&h["timestamp"].as_str().unwrap().to_string()),
            created.get(&key),
            "{h}"
        );
    }
    // The CSV has the same hits in the same order.
    assert_eq!(
        scan(&logs, &["--format", "csv", "--output", &s(&c)]),
        evtxscan::cli::EXIT_HITS
    );
    let mut reader = csv::Reader::from_path(&c).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), hits.len());
    for (row, h) in rows.iter().zip(&hits) {
        assert_eq!(row.get(0), h["timestamp"].as_str());
        assert_eq!(
            row.get(12).map(str::to_string),
            Some(h["record_id"].to_string())
        );
    }
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains(&format!(r#"<span id="hit-count">{}</span>"#, hits.len())));
    let markdown = std::fs::read_to_string(&md).unwrap();
    assert!(markdown.starts_with("# Incident report"));
    let layer: Value = serde_json::from_str(&std::fs::read_to_string(&nav).unwrap()).unwrap();
    assert_eq!(layer["versions"]["layer"], "4.5");
}

#[test]
fn two_copies_of_the_samples_give_the_same_hits_once() {
    let logs = samples();
    let dir = tempfile::tempdir().unwrap();
    let mut copies = Vec::new();
    for (n, log) in logs.iter().enumerate() {
        for copy in ["A", "B"] {
            let d = dir.path().join(copy).join(n.to_string());
            std::fs::create_dir_all(&d).unwrap();
            let to = d.join(log.file_name().unwrap());
            std::fs::copy(log, &to).unwrap();
        }
    }
    copies.push(dir.path().join("A"));
    let once = dir.path().join("once.jsonl");
    scan(
        &copies,
        &["--format", "jsonl", "--output", &once.to_string_lossy()],
    );
    copies.push(dir.path().join("B"));
    let twice = dir.path().join("twice.jsonl");
    scan(
        &copies,
        &["--format", "jsonl", "--output", &twice.to_string_lossy()],
    );
    let (once, twice) = (jsonl(&once), jsonl(&twice));
    let events = |hits: &[Value]| hits.iter().filter(|h| h["kind"] == "event").count();
    assert!(events(&once) > 0, "the bundled rules fire on the samples");
    assert_eq!(events(&once), events(&twice), "copies are folded");
    for h in twice.iter().filter(|h| h["kind"] == "event") {
        let source = h["source"].as_str().unwrap();
        let also: Vec<&str> = h["also_in"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert!(source.contains("/A/"), "{source}");
        assert_eq!(also.len(), 1, "{h}");
        assert_eq!(also[0].replace("/B/", "/A/"), source);
    }
}
