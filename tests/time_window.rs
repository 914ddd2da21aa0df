//! `--from/--to` select events before detection: a Sigma correlation counts only the events
//! inside the window, and a group that has events on both sides of `--from` still fires on the
//! ones inside it.

#[path = "damaged_support/fixtures.rs"]
mod fixtures;
#[path = "damaged_support/sources.rs"]
mod sources;

use evtxscan::evtxgen::EventSpec;
use fixtures::run_binary;
use serde_json::Value;
use std::ffi::OsStr;
use std::time::Duration;

const RULES: &str = "title: Failed logon
id: 33333333-0000-0000-0000-000000000001
name: failed_logon
logsource:
    product: windows
    service: security
detection:
    sel:
        EventID: 4625
    condition: sel
level: low
---
title: Brute force
id: 33333333-0000-0000-0000-000000000002
level: high
correlation:
    type: event_count
    rules:
        - failed_logon
    group-by:
        - IpAddress
    timespan: 1h
    condition:
        gte: 3
";

/// A failed logon from `ip` at 2024-01-01T10:MM:00Z.
fn failed_logon(ip: &str, minute: i64) -> EventSpec {
    let t = jiff::Timestamp::from_second(1_704_103_200 + minute * 60).unwrap();
    EventSpec::new(
        "Microsoft-Windows-Security-Auditing",
        "Security",
        4625,
        "DC01",
        t,
    )
    .data("TargetUserName", "admin")
    .data("IpAddress", ip)
}

#[test]
fn correlations_count_only_events_inside_the_window() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    std::fs::write(rules.join("brute.yml"), RULES).unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    // The window is [10:10, 10:40).
    let events = [
        // A: one before the window, three inside: fires on the three inside.
        failed_logon("10.0.0.1", 5),
        failed_logon("10.0.0.1", 11),
        failed_logon("10.0.0.1", 12),
        failed_logon("10.0.0.1", 13),
        // B: two before the window, one inside: three in all, but only one inside.
        failed_logon("10.0.0.2", 1),
        failed_logon("10.0.0.2", 2),
        failed_logon("10.0.0.2", 20),
        // C: three inside, one after: fires with three, not four.
        failed_logon("10.0.0.3", 30),
        failed_logon("10.0.0.3", 31),
        failed_logon("10.0.0.3", 32),
        failed_logon("10.0.0.3", 45),
    ];
    evtxscan::evtxgen::write_file(&logs.join("Security.evtx"), &events).unwrap();
    let out = run_binary(
        &[
            OsStr::new("scan"),
            logs.as_os_str(),
            OsStr::new("--rules"),
            rules.as_os_str(),
            OsStr::new("--from"),
            OsStr::new("2024-01-01T10:10:00Z"),
            OsStr::new("--to"),
            OsStr::new("2024-01-01T10:40:00Z"),
            OsStr::new("--format"),
            OsStr::new("jsonl"),
            OsStr::new("--quiet"),
        ],
        &[],
        Duration::from_secs(120),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let mut groups: Vec<(String, u64, String)> = stdout
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["rule_title"] == "Brute force")
        .map(|v| {
            (
                v["by"]["IpAddress"].as_str().unwrap_or("").to_string(),
                v["count"].as_u64().unwrap_or(0),
                v["first_time"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    groups.sort();
    assert_eq!(
        groups,
        [
            (
                "10.0.0.1".to_string(),
                3,
                "2024-01-01T10:11:00.0000000Z".to_string()
            ),
            (
                "10.0.0.3".to_string(),
                3,
                "2024-01-01T10:30:00.0000000Z".to_string()
            ),
        ],
        "stdout: {stdout}\nstderr: {stderr}"
    );
    assert_eq!(
        out.status.code(),
        Some(evtxscan::cli::EXIT_HITS),
        "{stderr}"
    );
}
