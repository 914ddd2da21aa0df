//! The bundled seed detection (Suspicious Process DNS Query Known Abuse Web Services) on
//! hand-built Sysmon 22 events.

#[path = "spl_helpers.rs"]
mod helpers;

use evtxscan::rules::{load, EngineKind, Level, LoadOptions};
use helpers::*;
use std::path::Path;

const PS: &str = r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe";
const UPDATER: &str = r"C:\Users\Public\updater.exe";
const CHROME: &str = r"C:\Program Files\Google\Chrome\Application\chrome.exe";

#[test]
fn seed_detection_groups_and_filters_dns_queries() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("rules/splunk/suspicious_process_dns_query_known_abuse_web_services.yml");
    let report = load(&[path], &LoadOptions::default());
    assert_eq!(report.rejected(), 0, "{:?}", report.verdicts);
    assert_eq!(report.rules.len(), 1);
    let rule = &report.rules[0];
    assert_eq!(rule.info().engine, Some(EngineKind::Splunk));
    assert_eq!(rule.info().level, Level::High);
    assert_eq!(rule.info().techniques, vec!["T1059.005", "T1059"]);
    assert!(rule.aggregates());
    assert_eq!(rule.scope().any_of.len(), 1);
    assert_eq!(rule.scope().any_of[0].channels, vec![SYSMON]);
    assert_eq!(rule.scope().any_of[0].event_ids, vec![22]);

    let events = vec![
        dns(10, "2024-05-01T10:00:00Z", PS, "pastebin.com"),
        dns(11, "2024-05-01T10:05:00Z", PS, "pastebin.com"),
        dns(12, "2024-05-01T10:02:00Z", UPDATER, "cdn.discordapp.com"),
        dns(13, "2024-05-01T10:03:00Z", CHROME, "pastebin.com"),
        dns(14, "2024-05-01T10:04:00Z", UPDATER, "www.example.com"),
        // Same query from a process_name in the list but on another channel: out of scope.
        event(
            "Security",
            22,
            15,
            "2024-05-01T10:06:00Z",
            &[("Image", PS), ("QueryName", "pastebin.com")],
        ),
    ];
    let mut hits = run(rule, &events);
    hits.sort_by(|a, b| field(a, "Image").cmp(&field(b, "Image")));
    assert_eq!(
        hits.len(),
        2,
        "{:#?}",
        hits.iter().map(|h| &h.fields).collect::<Vec<_>>()
    );

    let updater = &hits[0];
    assert_eq!(field(updater, "Image"), Some(UPDATER));
    assert_eq!(field(updater, "QueryName"), Some("cdn.discordapp.com"));
    assert_eq!(field(updater, "process_name"), Some("updater.exe"));
    let agg = updater.aggregate.as_ref().unwrap();
    assert_eq!(agg.count, 1);
    assert_eq!(agg.records.len(), 1);
    assert_eq!(agg.records[0].record_id, 12);

    let ps = &hits[1];
    assert_eq!(field(ps, "Image"), Some(PS));
    assert_eq!(field(ps, "QueryName"), Some("pastebin.com"));
    assert_eq!(field(ps, "process_name"), Some("powershell.exe"));
    assert_eq!(field(ps, "QueryStatus"), Some("0"));
    assert_eq!(field(ps, "QueryResults"), Some("::ffff:1.2.3.4;"));
    // `rename Computer as dest`, and the ctime macro formats the stats times.
    assert_eq!(field(ps, "dest"), Some("WS01.corp.local"));
    assert_eq!(field(ps, "Computer"), None);
    assert_eq!(field(ps, "count"), Some("2"));
    assert_eq!(field(ps, "firstTime"), Some("2024-05-01T10:00:00"));
    assert_eq!(field(ps, "lastTime"), Some("2024-05-01T10:05:00"));
    let agg = ps.aggregate.as_ref().unwrap();
    assert_eq!(agg.count, 2);
    assert_eq!(agg.first_time.unwrap().to_string(), "2024-05-01T10:00:00Z");
    assert_eq!(agg.last_time.unwrap().to_string(), "2024-05-01T10:05:00Z");
    let ids: Vec<u64> = agg.records.iter().map(|r| r.record_id).collect();
    assert_eq!(ids, vec![10, 11]);
    assert_eq!(ps.event.record_id, 10);
    let by: Vec<&str> = agg.by.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        by,
        vec![
            "Image",
            "QueryName",
            "QueryStatus",
            "process_name",
            "QueryResults",
            "dest"
        ]
    );
    assert!(agg
        .by
        .contains(&("dest".to_string(), "WS01.corp.local".to_string())));
}
