//! End-to-end checks of the scan on the shared corpus (skipped when ../shared is absent):
//! every file read, damaged files reported with their coverage, a partial exit code, and
//! discovery by content (a copy renamed `foo.dat` is still scanned).

use std::path::{Path, PathBuf};
use std::process::Command;

fn shared() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/evtx");
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!("skipped: ../shared/corpus/evtx not found");
        None
    }
}

fn evtxscan() -> Command {
    Command::new(env!("CARGO_BIN_EXE_evtxscan"))
}

#[test]
fn corpus_is_read_whole_and_damage_is_reported() {
    let Some(corpus) = shared() else { return };
    let dir = tempfile::tempdir().unwrap();
    let coverage = dir.path().join("coverage.json");
    let out = evtxscan()
        .arg("scan")
        .arg(&corpus)
        .args(["--quiet", "--format", "jsonl", "-o"])
        .arg(dir.path().join("hits.jsonl"))
        .arg("--coverage")
        .arg(&coverage)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "a corpus with damaged files is a partial scan; stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&coverage).unwrap()).unwrap();
    let files = doc["files"].as_array().unwrap();
    assert_eq!(files.len(), 300, "every EVTX file of the corpus is scanned");
    let records: u64 = files
        .iter()
        .map(|f| f["records_read"].as_u64().unwrap())
        .sum();
    // The evtx crate's own record iterator reads 26,818 records from these files.
    assert!(records >= 26_818, "records read: {records}");
    let by_name = |name: &str| {
        files
            .iter()
            .find(|f| f["path"].as_str().unwrap().ends_with(name))
            .unwrap_or_else(|| panic!("{name} not in coverage"))
    };
    let bad_magic = by_name("sample_with_a_bad_chunk_magic.evtx");
    assert_eq!(bad_magic["damaged"], true);
    assert!(bad_magic["records_read"].as_u64().unwrap() >= 300);
    assert!(
        bad_magic["chunks"]["unreadable"].as_u64().unwrap()
            + bad_magic["chunks"]["damaged"].as_u64().unwrap()
            >= 1
    );
    let intact = files
        .iter()
        .find(|f| f["path"].as_str().unwrap().contains("attack-samples") && f["damaged"] == false)
        .expect("intact files are reported intact");
    assert_eq!(intact["records_failed"], 0);
    assert_eq!(doc["partial"], true);
}

#[test]
fn a_log_renamed_to_dat_is_still_scanned() {
    let Some(corpus) = shared() else { return };
    let src = corpus.join("attack-samples/Lateral Movement/LM_WMI_4624_4688_TargetHost.evtx");
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(&src, dir.path().join("foo.dat")).unwrap();
    std::fs::write(dir.path().join("readme.txt"), "not a log").unwrap();
    let coverage = dir.path().join("out").join("coverage.json");
    std::fs::create_dir_all(coverage.parent().unwrap()).unwrap();
    let out = evtxscan()
        .arg("scan")
        .arg(dir.path().join("foo.dat"))
        .arg(dir.path().join("readme.txt"))
        .args(["--quiet", "--coverage"])
        .arg(&coverage)
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "clean scan; stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&coverage).unwrap()).unwrap();
    assert_eq!(doc["files"].as_array().unwrap().len(), 1);
    assert!(doc["files"][0]["records_read"].as_u64().unwrap() > 0);
    assert_eq!(
        doc["skipped"].as_array().unwrap().len(),
        1,
        "readme.txt is skipped, not an error"
    );
}
