//! The timeline outputs parsed back: CSV (csv crate), JSON and JSONL (serde_json), the terminal
//! table, the Navigator layer; sorting by TimeCreated in UTC, deduplication across copies,
//! spreadsheet and terminal safety, atomic writes.

mod report_common;

use evtxscan::hit::Hit;
use evtxscan::report::filter::HitFilter;
use evtxscan::report::Format;
use evtxscan::report::{atomic, navigator, table, timeline};
use evtxscan::rules::Level;
use report_common::*;
use serde_json::Value;

const FORMULA: &str = "=cmd|' /C calc'!A0";
const ANSI: &str = "evil\u{1b}[2J\u{1b}[31mred\u{7}";

/// Three hits out of time order: the record header times disagree with TimeCreated, and one
/// TimeCreated was given with an offset.
fn sample_hits() -> Vec<Hit> {
    let r1 = rule(
        "r-1",
        "Encoded PowerShell",
        Level::High,
        &["T1059.001"],
        &["execution"],
    );
    let r2 = rule(
        "r-2",
        "Suspicious DNS",
        Level::Medium,
        &["T1071.004"],
        &["command-and-control"],
    );
    let late = sysmon1(
        "logs/Sysmon.evtx",
        "WKS01",
        30,
        "2024-03-01T10:00:05.1234567Z",
        "{g3}",
        "{g1}",
        300,
        100,
        "C:\\Windows\\System32\\cmd.exe",
        FORMULA,
    )
    .header_time("2024-03-01T09:00:00Z");
    let early = sysmon1(
        "logs/Sysmon.evtx",
        "WKS01",
        10,
        "2024-03-01T11:00:01+02:00",
        "{g2}",
        "{g1}",
        200,
        100,
        "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
        ANSI,
    )
    .header_time("2024-03-02T00:00:00Z");
    let dns = Ev::new(
        "logs/Sysmon.evtx",
        SYSMON,
        22,
        "WKS02",
        20,
        "2024-03-01T09:30:00Z",
    )
    .f("QueryName", "evil.example.com")
    .f("Image", "C:\\x.exe")
    .f("ProcessGuid", "{g9}");
    vec![
        hit(&r1, &late.event),
        hit(&r1, &early.event),
        hit(&r2, &dns.event),
    ]
}

fn prepared() -> Vec<Hit> {
    timeline::prepare(sample_hits(), &HitFilter::default())
}

fn render(format: Format, hits: &[Hit], timesketch: bool) -> String {
    let mut out = Vec::new();
    timeline::write(&mut out, format, hits, timesketch).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn timeline_is_sorted_by_time_created_in_utc() {
    let hits = prepared();
    let times: Vec<String> = hits
        .iter()
        .map(|h| evtxscan::report::utc(h.time()))
        .collect();
    assert_eq!(
        times,
        [
            "2024-03-01T09:00:01.0000000Z",
            "2024-03-01T09:30:00.0000000Z",
            "2024-03-01T10:00:05.1234567Z"
        ]
    );
    let records: Vec<u64> = hits.iter().map(|h| h.event.record_id).collect();
    assert_eq!(records, [10, 20, 30]);
}

#[test]
fn csv_has_fixed_columns_one_line_per_hit_and_is_spreadsheet_safe() {
    let hits = prepared();
    let text = render(Format::Csv, &hits, false);
    assert_eq!(
        text.lines().count(),
        1 + hits.len(),
        "one physical line per row:\n{text}"
    );
    assert!(!text.contains('\u{1b}'), "raw ESC in CSV");
    assert!(!text.contains('\u{7}'), "raw BEL in CSV");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        header,
        [
            "timestamp",
            "level",
            "rule_title",
            "rule_id",
            "engine",
            "status",
            "techniques",
            "tactics",
            "computer",
            "channel",
            "provider",
            "event_id",
            "record_id",
            "user",
            "image",
            "command_line",
            "parent_image",
            "parent_command_line",
            "query_name",
            "script_block_text",
            "kind",
            "count",
            "first_time",
            "last_time",
            "by",
            "records",
            "source",
            "also_in",
            "fields"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    let col = |row: &csv::StringRecord, name: &str| {
        row.get(header.iter().position(|h| h == name).unwrap())
            .unwrap()
            .to_string()
    };
    assert_eq!(col(&rows[0], "timestamp"), "2024-03-01T09:00:01.0000000Z");
    assert_eq!(col(&rows[0], "rule_id"), "r-1");
    assert_eq!(col(&rows[0], "level"), "high");
    assert_eq!(col(&rows[0], "techniques"), "T1059.001");
    assert_eq!(col(&rows[0], "record_id"), "10");
    assert_eq!(
        col(&rows[0], "image"),
        "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"
    );
    assert_eq!(
        col(&rows[0], "command_line"),
        "evil\\x1b[2J\\x1b[31mred\\x07"
    );
    assert_eq!(col(&rows[0], "user"), "CORP\\alice");
    assert_eq!(col(&rows[0], "kind"), "event");
    assert_eq!(col(&rows[1], "query_name"), "evil.example.com");
    assert_eq!(col(&rows[1], "computer"), "WKS02");
    assert_eq!(col(&rows[2], "command_line"), format!("'{FORMULA}"));
    assert!(col(&rows[2], "fields").contains(&format!("CommandLine={FORMULA}")));
    assert!(
        col(&rows[2], "fields")
            .starts_with("Image=C:\\Windows\\System32\\cmd.exe ¦ CommandLine==cmd"),
        "{}",
        col(&rows[2], "fields")
    );
    for row in &rows {
        for cell in row.iter() {
            assert!(
                !matches!(
                    cell.chars().next(),
                    Some('=' | '+' | '-' | '@' | '\t' | '\r')
                ),
                "cell starts a formula: {cell:?}"
            );
        }
    }
}

#[test]
fn csv_escapes_line_breaks_inside_values() {
    let r = rule("r-3", "Script", Level::Low, &[], &[]);
    let ev = Ev::new(
        "a.evtx",
        POWERSHELL,
        4104,
        "WKS01",
        1,
        "2024-01-01T00:00:00Z",
    )
    .f("ScriptBlockText", "line1\r\nline2\tend\n-x")
    .f("ScriptBlockId", "{id}");
    let text = render(Format::Csv, &[hit(&r, &ev.event)], false);
    assert_eq!(text.lines().count(), 2, "{text}");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let row = reader.records().next().unwrap().unwrap();
    assert!(row.iter().any(|c| c == "line1\\r\\nline2\\tend\\n-x"));
}

#[test]
fn json_and_jsonl_keep_values_intact() {
    let hits = prepared();
    let jsonl = render(Format::Jsonl, &hits, false);
    let objects: Vec<Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let array: Vec<Value> = serde_json::from_str(&render(Format::Json, &hits, false)).unwrap();
    assert_eq!(objects, array);
    assert_eq!(objects.len(), 3);
    let first = &objects[0];
    assert_eq!(first["schema"], evtxscan::hit::SCHEMA_VERSION);
    assert_eq!(first["timestamp"], "2024-03-01T09:00:01.0000000Z");
    assert_eq!(first["event_time"], "2024-03-01T09:00:01.0000000Z");
    assert_eq!(first["kind"], "event");
    assert_eq!(first["engine"], "sigma");
    assert_eq!(first["rule_id"], "r-1");
    assert_eq!(first["tactics"], serde_json::json!(["execution"]));
    assert_eq!(first["event_id"], 1);
    assert_eq!(first["record_id"], 10);
    assert_eq!(first["source"], "logs/Sysmon.evtx");
    assert_eq!(
        first["fields"]["CommandLine"], ANSI,
        "JSON keeps the value as logged"
    );
    assert_eq!(objects[2]["fields"]["CommandLine"], FORMULA);
    assert!(first.get("count").is_none());
    assert!(first.get("message").is_none());
}

#[test]
fn empty_json_array_is_valid() {
    let v: Vec<Value> = serde_json::from_str(&render(Format::Json, &[], false)).unwrap();
    assert!(v.is_empty());
}

#[test]
fn aggregates_carry_count_times_group_and_records() {
    let r = rule("agg", "Many DNS", Level::Medium, &[], &[]);
    let a = Ev::new("s.evtx", SYSMON, 22, "WKS01", 5, "2024-01-01T00:00:10Z")
        .f("QueryName", "a.example");
    let b = Ev::new("s.evtx", SYSMON, 22, "WKS01", 9, "2024-01-01T00:05:00Z")
        .f("QueryName", "b.example");
    let h = aggregate(&r, &[&a.event, &b.event], &[("Image", "C:\\x.exe")]);
    let jsonl = render(Format::Jsonl, std::slice::from_ref(&h), true);
    let v: Value = serde_json::from_str(jsonl.trim()).unwrap();
    assert_eq!(v["kind"], "aggregate");
    assert_eq!(v["count"], 2);
    assert_eq!(v["first_time"], "2024-01-01T00:00:10.0000000Z");
    assert_eq!(v["last_time"], "2024-01-01T00:05:00.0000000Z");
    assert_eq!(v["by"]["Image"], "C:\\x.exe");
    assert_eq!(v["records"][1]["record_id"], 9);
    assert_eq!(v["records"][1]["timestamp"], "2024-01-01T00:05:00.0000000Z");
    assert_eq!(v["datetime"], "2024-01-01T00:00:10.0000000Z");
    // Timesketch sorts by `timestamp`: epoch microseconds, an integer.
    assert_eq!(v["timestamp"], serde_json::json!(1_704_067_210_000_000_i64));
    assert_eq!(v["timestamp_desc"], "Event Time");
    assert!(v["message"]
        .as_str()
        .unwrap()
        .starts_with("[medium] Many DNS @ WKS01: count=2"));
    let csv_text = render(Format::Csv, &[h], true);
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        &header[header.len() - 3..],
        ["message", "datetime", "timestamp_desc"]
    );
    let row = reader.records().next().unwrap().unwrap();
    let col = |name: &str| {
        row.get(header.iter().position(|h| h == name).unwrap())
            .unwrap()
            .to_string()
    };
    assert_eq!(col("timestamp"), "1704067210000000");
    assert_eq!(col("datetime"), "2024-01-01T00:00:10.0000000Z");
    assert_eq!(col("kind"), "aggregate");
    assert_eq!(col("count"), "2");
    assert_eq!(col("by"), "Image=C:\\x.exe");
    assert_eq!(col("records"), "s.evtx#5 | s.evtx#9");
    assert_eq!(col("last_time"), "2024-01-01T00:05:00.0000000Z");
}

#[test]
fn timesketch_timestamp_is_integer_microseconds_and_plain_output_keeps_text() {
    let r = rule("r", "Rule", Level::High, &[], &[]);
    let ev = Ev::new(
        "s.evtx",
        SYSMON,
        1,
        "WKS01",
        7,
        "2019-03-18T22:15:49.6458894Z",
    );
    let hits = [hit(&r, &ev.event)];
    let ts: Value = serde_json::from_str(render(Format::Jsonl, &hits, true).trim()).unwrap();
    assert_eq!(ts["timestamp"].as_i64(), Some(1_552_947_349_645_889));
    assert_eq!(ts["datetime"], "2019-03-18T22:15:49.6458894Z");
    let array: Vec<Value> = serde_json::from_str(&render(Format::Json, &hits, true)).unwrap();
    assert_eq!(array[0]["timestamp"].as_i64(), Some(1_552_947_349_645_889));
    let plain: Value = serde_json::from_str(render(Format::Jsonl, &hits, false).trim()).unwrap();
    assert_eq!(plain["timestamp"], "2019-03-18T22:15:49.6458894Z");
    assert!(plain.get("datetime").is_none());
    let csv_text = render(Format::Csv, &hits, false);
    let row = csv_text.lines().nth(1).unwrap();
    assert!(row.starts_with("2019-03-18T22:15:49.6458894Z,"), "{row}");
}

#[test]
fn copies_of_a_record_are_reported_once_with_every_source() {
    let r = rule("r-1", "Encoded PowerShell", Level::High, &[], &[]);
    let other = rule("r-2", "Other", Level::Low, &[], &[]);
    let ev = sysmon1(
        "C/Sysmon.evtx",
        "WKS01",
        7,
        "2024-01-01T00:00:00Z",
        "{a}",
        "{b}",
        1,
        2,
        "C:\\p.exe",
        "p -enc AAAA",
    );
    let vss = ev.copy_in("VSS1/Sysmon.evtx");
    let twice = ev.copy_in("B/Sysmon.evtx");
    let next_record = sysmon1(
        "C/Sysmon.evtx",
        "WKS01",
        8,
        "2024-01-01T00:00:00Z",
        "{a}",
        "{b}",
        1,
        2,
        "C:\\p.exe",
        "p -enc AAAA",
    );
    let other_host = sysmon1(
        "C/Sysmon.evtx",
        "WKS02",
        7,
        "2024-01-01T00:00:00Z",
        "{a}",
        "{b}",
        1,
        2,
        "C:\\p.exe",
        "p -enc AAAA",
    );
    let hits = vec![
        hit(&r, &vss),
        hit(&r, &ev.event),
        hit(&r, &twice),
        hit(&r, &ev.event),
        hit(&other, &ev.event),
        hit(&r, &next_record.event),
        hit(&r, &other_host.event),
    ];
    let out = timeline::prepare(hits, &HitFilter::default());
    assert_eq!(out.len(), 4, "{out:#?}");
    let main = out
        .iter()
        .find(|h| h.rule.id == "r-1" && h.event.record_id == 7 && &*h.event.computer == "WKS01")
        .unwrap();
    assert_eq!(main.event.source.display(), "B/Sysmon.evtx");
    let also: Vec<String> = main.also_in.iter().map(|s| s.display()).collect();
    assert_eq!(also, ["C/Sysmon.evtx", "VSS1/Sysmon.evtx"]);
    let v: Value =
        serde_json::from_str(render(Format::Jsonl, std::slice::from_ref(main), false).trim())
            .unwrap();
    assert_eq!(
        v["also_in"],
        serde_json::json!(["C/Sysmon.evtx", "VSS1/Sysmon.evtx"])
    );
    for h in out.iter().filter(|h| !std::ptr::eq(*h, main)) {
        assert!(h.also_in.is_empty(), "{h:?}");
    }
}

#[test]
fn table_never_prints_control_characters_from_events() {
    let hits = prepared();
    let mut plain = Vec::new();
    table::write(&mut plain, &hits, false).unwrap();
    let plain = String::from_utf8(plain).unwrap();
    assert!(
        !plain.chars().any(|c| c.is_control() && c != '\n'),
        "{plain:?}"
    );
    assert!(plain.contains("evil\\x1b[2J\\x1b[31mred\\x07"));
    assert_eq!(plain.lines().count(), 4);
    assert!(plain.lines().next().unwrap().starts_with("TIME (UTC)"));
    let mut colored = Vec::new();
    table::write(&mut colored, &hits, true).unwrap();
    let colored = String::from_utf8(colored).unwrap();
    // The only escapes are the level colours: strip them and the plain table remains.
    let stripped = regex::Regex::new("\u{1b}\\[[0-9;]*m")
        .unwrap()
        .replace_all(&colored, "");
    assert_eq!(stripped, plain);
    assert_eq!(colored.matches('\u{1b}').count(), 2 * hits.len());
}

#[test]
fn navigator_layer_scores_techniques() {
    let hits = prepared();
    let layer = navigator::layer(&hits);
    assert_eq!(layer["domain"], "enterprise-attack");
    assert_eq!(layer["versions"]["layer"], "4.5");
    let techniques = layer["techniques"].as_array().unwrap();
    let find = |id: &str| techniques.iter().find(|t| t["techniqueID"] == id).cloned();
    assert_eq!(find("T1059.001").unwrap()["score"], 2);
    assert_eq!(find("T1071.004").unwrap()["score"], 1);
    assert_eq!(find("T1059").unwrap()["showSubtechniques"], true);
    assert_eq!(layer["gradient"]["maxValue"], 2);
    let mut out = Vec::new();
    navigator::write(&mut out, &hits).unwrap();
    let back: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(back, layer);
}

#[test]
fn failed_output_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("hits.csv");
    let hits = prepared();
    let result = atomic::write_file(&target, |w| {
        timeline::write(w, Format::Csv, &hits, false)?;
        Err(std::io::Error::other("disk full"))
    });
    assert!(result.is_err());
    assert!(!target.exists());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    atomic::write_file(&target, |w| timeline::write(w, Format::Csv, &hits, false)).unwrap();
    assert_eq!(std::fs::read_to_string(&target).unwrap().lines().count(), 4);
}
