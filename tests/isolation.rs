//! Per-file isolation outside the scan itself: the incident report's context pass and `dump`
//! survive a reader that panics (simulated by the hidden test hook
//! `EVTXSCAN_TEST_STALL=panic:TEXT`, src/scan.rs), the context pass leaves out the files the scan
//! could not read, keeps only the records it needs, and bounds its memory in total.

#[path = "damaged_support/fixtures.rs"]
mod fixtures;
#[path = "damaged_support/sources.rs"]
mod sources;

use evtxscan::discover::LogFile;
use evtxscan::evtxgen::EventSpec;
use evtxscan::hit::{EventRef, Hit};
use evtxscan::read::FileReport;
use evtxscan::report::incident::context::{self, ContextCollector, ContextLimits, Wanted};
use evtxscan::rules::RuleInfo;
use fixtures::run_binary;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

const SYSMON: &str = "Microsoft-Windows-Sysmon/Operational";
/// Files whose name holds this panic in their reader (set for this whole test binary).
const PANIC_NAME: &str = "panic-hook";

fn set_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| std::env::set_var("EVTXSCAN_TEST_STALL", format!("panic:{PANIC_NAME}")));
}

/// A Sysmon process creation of `guid` on `computer`, child of `parent`.
fn creation(computer: &str, guid: &str, parent: &str, second: i64) -> EventSpec {
    let t = jiff::Timestamp::from_second(1_704_067_200 + second).unwrap();
    EventSpec::new("Microsoft-Windows-Sysmon", SYSMON, 1, computer, t)
        .data("ProcessGuid", guid)
        .data("ProcessId", &format!("{}", 100 + second))
        .data("Image", "C:\\Windows\\System32\\cmd.exe")
        .data("CommandLine", "cmd.exe /c whoami")
        .data("ParentProcessGuid", parent)
        .data("ParentProcessId", "4")
        .data("ParentImage", "C:\\Windows\\explorer.exe")
        .data("User", "CORP\\alice")
}

fn write_log(dir: &Path, name: &str, events: &[EventSpec]) -> LogFile {
    let path = dir.join(name);
    evtxscan::evtxgen::write_file(&path, events).unwrap();
    LogFile {
        size: std::fs::metadata(&path).unwrap().len(),
        path,
    }
}

/// A hit on the process creation of `guid` on `computer`.
fn hit_on(computer: &str, guid: &str, source: &Path) -> Hit {
    Hit {
        rule: Arc::new(RuleInfo {
            id: "r".into(),
            title: "Shell".into(),
            ..Default::default()
        }),
        event: EventRef {
            time: "2024-01-01T00:00:01Z".parse().unwrap(),
            computer: computer.into(),
            channel: SYSMON.into(),
            provider: "Microsoft-Windows-Sysmon".into(),
            event_id: 1,
            record_id: 1,
            source: Arc::new(evtxscan::event::Source {
                path: source.to_path_buf(),
            }),
        },
        fields: vec![("ProcessGuid".into(), guid.into())],
        aggregate: None,
        also_in: Vec::new(),
    }
}

fn guids(ctx: &evtxscan::report::incident::IncidentContext) -> Vec<String> {
    let mut g: Vec<String> = ctx
        .processes
        .iter()
        .filter_map(|p| p.guid.as_deref().map(str::to_string))
        .collect();
    g.sort();
    g
}

#[test]
fn context_pass_survives_a_reader_that_panics() {
    set_hook();
    let dir = tempfile::tempdir().unwrap();
    let bad = write_log(
        dir.path(),
        &format!("{PANIC_NAME}.evtx"),
        &[creation("WKS01", "{bad}", "{p0}", 1)],
    );
    let good = write_log(
        dir.path(),
        "good.evtx",
        &[creation("WKS01", "{good}", "{p0}", 2)],
    );
    let hits = [hit_on("WKS01", "{good}", &good.path)];
    let ctx = fixtures::bounded(Duration::from_secs(120), "the context pass", move || {
        context::gather(&[bad, good], &hits)
    });
    assert_eq!(guids(&ctx), ["{good}"]);
}

/// A scan result in which `failed` could not be read at all.
fn result_with_fatal(logs: &[LogFile], failed: &Path) -> evtxscan::scan::ScanResult {
    evtxscan::scan::ScanResult {
        discovery: evtxscan::discover::Discovery {
            logs: logs.to_vec(),
            skipped: Vec::new(),
            missing: Vec::new(),
        },
        files: logs
            .iter()
            .map(|l| {
                let mut r = FileReport::new(&l.path, l.size);
                r.records_read = 1;
                if l.path == failed {
                    r.records_read = 0;
                    r.fatal = Some("internal error while reading this file (panic)".into());
                }
                r
            })
            .collect(),
        hits: Default::default(),
        file_millis: Vec::new(),
        rule_timings: Vec::new(),
        elapsed: Duration::from_millis(1),
        lost_match_runs: 0,
    }
}

#[test]
fn context_pass_leaves_out_files_the_scan_could_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let broken = write_log(
        dir.path(),
        "broken.evtx",
        &[creation("WKS01", "{broken}", "{p0}", 1)],
    );
    let good = write_log(
        dir.path(),
        "good.evtx",
        &[creation("WKS01", "{good}", "{p0}", 2)],
    );
    let result = result_with_fatal(&[broken.clone(), good.clone()], &broken.path);
    let hits = [hit_on("WKS01", "{good}", &good.path)];
    let ctx = evtxscan::report::ReportContext {
        rules: &[],
        result: &result,
        hits: &evtxscan::collect::SortedHits::from(hits.to_vec()),
        rules_rejected: 0,
        verdicts: &[],
    };
    let gathered = evtxscan::report::incident::gather(&ctx);
    assert_eq!(guids(&gathered), ["{good}"]);
    assert!(
        gathered
            .notes
            .iter()
            .any(|n| n == "1 event logs the scan could not read were not read for context"),
        "{:?}",
        gathered.notes
    );
}

#[test]
fn context_records_are_filtered_before_normalization() {
    let wanted = Wanted::from_hits(&[hit_on("WKS01", "{g}", Path::new("s.evtx"))]);
    assert!(wanted.may_want(SYSMON, 1));
    assert!(wanted.may_want("Security", 4688));
    assert!(wanted.may_want(SYSMON, 22), "DNS of the process that fired");
    assert!(!wanted.may_want(SYSMON, 3));
    assert!(!wanted.may_want("Security", 4624));
    assert!(!wanted.may_want("Application", 1));
    assert!(
        !wanted.may_want("Microsoft-Windows-PowerShell/Operational", 4104),
        "no script block fired"
    );
    // The second pass looks for script fragments only.
    let scripts = Wanted {
        computers: ["WKS01".to_string()].into(),
        script_ids: [("WKS01".to_string(), "{s}".to_string())].into(),
        ..Wanted::default()
    };
    assert!(scripts.may_want("Microsoft-Windows-PowerShell/Operational", 4104));
    assert!(!scripts.may_want(SYSMON, 1));
    assert!(!scripts.may_want("Security", 4688));
}

#[test]
fn context_memory_is_capped_in_total_not_only_per_computer() {
    // Many computers, each far below the per-computer cap.
    let computers: Vec<String> = (0..50).map(|i| format!("HOST{i:02}")).collect();
    let dir = tempfile::tempdir().unwrap();
    let events: Vec<EventSpec> = computers
        .iter()
        .enumerate()
        .flat_map(|(c, host)| {
            (0..10)
                .map(move |p| creation(host, &format!("{{{c}-{p}}}"), "{p0}", (c * 10 + p) as i64))
        })
        .collect();
    let log = write_log(dir.path(), "many.evtx", &events);
    let hits: Vec<Hit> = computers
        .iter()
        .map(|c| hit_on(c, "{x}", &log.path))
        .collect();
    let limits = ContextLimits {
        record_bytes: 64 * 1024,
        ..ContextLimits::default()
    };
    let collector = ContextCollector::with_limits(Wanted::from_hits(&hits), limits);
    let all = std::sync::Mutex::new(Vec::new());
    evtxscan::read::read_log(
        &log,
        &evtxscan::read::ReadOptions::default(),
        &evtxscan::read::FileControl::default(),
        &|events| all.lock().unwrap().extend(events),
    );
    let all = all.into_inner().unwrap();
    assert_eq!(all.len(), 500);
    for chunk in all.chunks(7) {
        collector.offer(chunk);
    }
    let ctx = collector.finish();
    assert!(!ctx.processes.is_empty());
    assert!(ctx.processes.len() < 500, "{} kept", ctx.processes.len());
    let bytes: usize = ctx
        .processes
        .iter()
        .map(|p| std::mem::size_of_val(p) + p.command_line.len() + p.image.len())
        .sum();
    assert!(bytes <= 64 * 1024, "{bytes} bytes kept");
    assert!(
        ctx.notes
            .iter()
            .any(|n| n.contains("process creations not kept")),
        "{:?}",
        ctx.notes
    );
}

#[test]
fn dump_survives_a_reader_that_panics() {
    let dir = tempfile::tempdir().unwrap();
    write_log(
        dir.path(),
        &format!("{PANIC_NAME}.evtx"),
        &[creation("WKS01", "{bad}", "{p0}", 1)],
    );
    write_log(
        dir.path(),
        "good.evtx",
        &[
            creation("WKS01", "{good1}", "{p0}", 2),
            creation("WKS01", "{good2}", "{p0}", 3),
        ],
    );
    // Outputs never go into the evidence folder (it would be refused).
    let out_dir = tempfile::tempdir().unwrap();
    let out_file: PathBuf = out_dir.path().join("out.jsonl");
    let out = run_binary(
        &[
            OsStr::new("dump"),
            dir.path().as_os_str(),
            OsStr::new("-o"),
            out_file.as_os_str(),
        ],
        &[("EVTXSCAN_TEST_STALL", &format!("panic:{PANIC_NAME}"))],
        Duration::from_secs(120),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(evtxscan::cli::EXIT_PARTIAL),
        "{stderr}"
    );
    assert!(stderr.contains(PANIC_NAME), "{stderr}");
    let text = std::fs::read_to_string(&out_file).unwrap();
    let guids: Vec<String> = text
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["data"]["ProcessGuid"].as_str().unwrap().to_string()
        })
        .collect();
    let mut sorted = guids.clone();
    sorted.sort();
    assert_eq!(sorted, ["{good1}", "{good2}"]);
}
