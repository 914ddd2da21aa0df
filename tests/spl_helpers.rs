//! Shared helpers for the SPL tests: hand-built events and running rules over them.
#![allow(dead_code)]

use evtxscan::event::{Event, Field, Source};
use evtxscan::hit::Hit;
use evtxscan::rules::loader::{load_files, RuleFile};
use evtxscan::rules::{LoadOptions, Rule, RuleStatus};
use std::path::PathBuf;
use std::sync::Arc;

/// Sysmon channel.
pub const SYSMON: &str = "Microsoft-Windows-Sysmon/Operational";

/// Build an event.
pub fn event(channel: &str, id: u32, record: u64, time: &str, data: &[(&str, &str)]) -> Event {
    let t = time.parse().expect("time");
    Event {
        source: Arc::new(Source {
            path: PathBuf::from("test.evtx"),
        }),
        record_id: record,
        time: t,
        header_time: t,
        provider: "Test-Provider".into(),
        channel: channel.into(),
        event_id: id,
        computer: "WS01.corp.local".into(),
        user_id: "S-1-5-18".into(),
        level: 4,
        recovered: false,
        data: data
            .iter()
            .map(|(k, v)| Field {
                name: (*k).into(),
                value: (*v).into(),
            })
            .collect(),
        system: Vec::new(),
    }
}

/// A Sysmon DNS query event.
pub fn dns(record: u64, time: &str, image: &str, query: &str) -> Event {
    event(
        SYSMON,
        22,
        record,
        time,
        &[
            ("RuleName", "-"),
            ("ProcessGuid", "{AAAAAAAA-0000-0000-0000-000000000001}"),
            ("ProcessId", "4242"),
            ("QueryName", query),
            ("QueryStatus", "0"),
            ("QueryResults", "::ffff:1.2.3.4;"),
            ("Image", image),
        ],
    )
}

/// Compile rule files given as (name, text); macros and lookups may be among them.
pub fn compile(files: &[(&str, &str)]) -> Vec<Arc<dyn Rule>> {
    let files = files
        .iter()
        .map(|(n, t)| RuleFile {
            path: PathBuf::from(n),
            text: t.to_string(),
        })
        .collect();
    let report = load_files(files, &LoadOptions::default(), Vec::new());
    for v in &report.verdicts {
        assert_eq!(
            v.status,
            RuleStatus::Loaded,
            "{}: {}",
            v.path.display(),
            v.reason
        );
    }
    report.rules
}

/// Compile a detection from its search alone (plus extra macro/lookup files).
pub fn rule_of(search: &str, extra: &[(&str, &str)]) -> Arc<dyn Rule> {
    let yaml = format!(
        "name: Test Rule\nid: test-1\ntype: TTP\nstatus: production\nsearch: {}\ntags:\n  risk_score: 50\n",
        serde_json::to_string(search).expect("json")
    );
    let mut files = vec![("test_rule.yml", yaml.as_str())];
    files.extend_from_slice(extra);
    let mut rules = compile(&files);
    assert_eq!(rules.len(), 1);
    rules.remove(0)
}

/// Offer events to a rule (respecting its scope) and finish.
pub fn run(rule: &Arc<dyn Rule>, events: &[Event]) -> Vec<Hit> {
    let matches = events
        .iter()
        .filter(|e| rule.scope().admits(e))
        .filter_map(|e| rule.check(e))
        .collect();
    rule.finish(matches)
}

/// A hit's field by name.
pub fn field<'a>(hit: &'a Hit, name: &str) -> Option<&'a str> {
    hit.fields
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// A helper for the SPL tests.
pub fn proc1(
    record: u64,
    time: &str,
    image: &str,
    cmd: &str,
    parent: &str,
) -> evtxscan::event::Event {
    event(
        SYSMON,
        1,
        record,
        time,
        &[
            ("ProcessGuid", "{11111111-0000-0000-0000-000000000001}"),
            ("ProcessId", "2296"),
            ("Image", image),
            ("OriginalFileName", "Cmd.Exe"),
            ("CommandLine", cmd),
            ("CurrentDirectory", "C:\\Users\\bob\\"),
            ("User", "CORP\\bob"),
            ("IntegrityLevel", "High"),
            ("Hashes", "SHA1=AB,MD5=CD,SHA256=EF,IMPHASH=01"),
            (
                "ParentProcessGuid",
                "{11111111-0000-0000-0000-000000000000}",
            ),
            ("ParentProcessId", "1000"),
            ("ParentImage", parent),
            ("ParentCommandLine", "\"C:\\Windows\\explorer.exe\""),
        ],
    )
}

/// A helper for the SPL tests.
pub fn sec4688(record: u64, time: &str, image: &str, cmd: &str) -> evtxscan::event::Event {
    event(
        "Security",
        4688,
        record,
        time,
        &[
            ("SubjectUserSid", "S-1-5-21-1-2-3-1001"),
            ("SubjectUserName", "alice"),
            ("SubjectDomainName", "CORP"),
            ("SubjectLogonId", "0x3e7"),
            ("NewProcessId", "0xf84"),
            ("NewProcessName", image),
            ("TokenElevationType", "%%1936"),
            ("ProcessId", "0xb2c"),
            ("CommandLine", cmd),
            ("TargetUserSid", "S-1-0-0"),
            ("TargetUserName", "-"),
            ("TargetDomainName", "-"),
            ("TargetLogonId", "0x0"),
            ("ParentProcessName", "C:\\Windows\\System32\\cmd.exe"),
            ("MandatoryLabel", "S-1-16-12288"),
        ],
    )
}

/// A helper for the SPL tests.
pub fn records(hits: &[evtxscan::hit::Hit]) -> Vec<u64> {
    let mut ids: Vec<u64> = hits
        .iter()
        .flat_map(|h| match &h.aggregate {
            Some(a) => a.records.iter().map(|r| r.record_id).collect(),
            None => vec![h.event.record_id],
        })
        .collect();
    ids.sort();
    ids
}

/// A helper for the SPL tests.
pub fn reg13(
    record: u64,
    time: &str,
    guid: &str,
    target: &str,
    details: &str,
) -> evtxscan::event::Event {
    event(
        SYSMON,
        13,
        record,
        time,
        &[
            ("EventType", "SetValue"),
            ("ProcessGuid", guid),
            ("ProcessId", "2296"),
            ("Image", "C:\\Windows\\System32\\cmd.exe"),
            ("TargetObject", target),
            ("Details", details),
        ],
    )
}
