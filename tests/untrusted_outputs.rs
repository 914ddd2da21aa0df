//! Outputs are safe to open: attacker-controlled text (event values, evidence file names, rule
//! titles and reasons) never reaches a terminal as control sequences, nor a spreadsheet as a
//! formula. The sanitizers themselves (src/util/sanitize.rs), `dump`, `rules check` and the
//! scan's timelines (JSON, CSV, terminal table) are tested end to end here.

#[path = "damaged_support/fixtures.rs"]
mod fixtures;
#[path = "damaged_support/sources.rs"]
mod sources;

use evtxscan::util::sanitize::{for_csv, for_terminal};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(300);

/// Characters a terminal would act on: C0 (but for the line break the test allows), DEL, C1,
/// and the bidi overrides/isolates that reorder what is shown.
fn is_dangerous(c: char) -> bool {
    let u = c as u32;
    (u < 0x20 && c != '\n')
        || (0x7f..=0x9f).contains(&u)
        || matches!(u, 0x202a..=0x202e | 0x2066..=0x2069)
}

#[test]
fn terminal_text_has_no_control_characters_left() {
    let mut every: String = (0u32..0x20)
        .chain(0x7f..0xa0)
        .filter_map(char::from_u32)
        .collect();
    every.push_str("\u{202a}\u{202b}\u{202c}\u{202d}\u{202e}\u{2066}\u{2067}\u{2068}\u{2069}");
    let safe = for_terminal(&every);
    assert!(
        !safe.chars().any(|c| is_dangerous(c) || c == '\n'),
        "{safe:?}"
    );
    // Each one is still visible, so an analyst sees that it was there.
    assert_eq!(for_terminal("\u{1b}]0;owned\u{7}"), "\\x1b]0;owned\\x07");
    assert_eq!(for_terminal("evil\u{202e}txt.exe"), "evil\\u{202e}txt.exe");
    assert_eq!(for_terminal("a\u{8}\u{8}b"), "a\\x08\\x08b");
    assert_eq!(for_terminal("ünïcödé ✓ 日本"), "ünïcödé ✓ 日本");
}

#[test]
fn csv_cells_never_start_a_formula_nor_break_a_line() {
    for (raw, want) in [
        (
            "=HYPERLINK(\"http://x\",\"y\")",
            "'=HYPERLINK(\"http://x\",\"y\")",
        ),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-1+1", "'-1+1"),
        ("@SUM(1,1)", "'@SUM(1,1)"),
        ("\t=1", "'\\t=1"),
        ("\r=1", "'\\r=1"),
        ("a\n=1+1", "a\\n=1+1"),
        ("a\r\n@x", "a\\r\\n@x"),
        ("", ""),
        ("C:\\Windows\\cmd.exe", "C:\\Windows\\cmd.exe"),
        ("1=1", "1=1"),
    ] {
        assert_eq!(for_csv(raw), want, "{raw:?}");
        let cell = for_csv(raw);
        assert!(!cell.contains('\n') && !cell.contains('\r'));
        assert!(!matches!(
            cell.chars().next(),
            Some('=' | '+' | '-' | '@' | '\t' | '\r')
        ));
    }
}

/// Overwrite, in place, every UTF-16LE copy of `from` in `bytes` with `to` (same length).
fn replace_utf16(bytes: &mut [u8], from: &str, to: &str) -> usize {
    let enc = |s: &str| -> Vec<u8> { s.encode_utf16().flat_map(u16::to_le_bytes).collect() };
    let (from, to) = (enc(from), enc(to));
    assert_eq!(from.len(), to.len());
    let mut n = 0;
    let mut i = 0;
    while i + from.len() <= bytes.len() {
        if bytes[i..i + from.len()] == from[..] {
            bytes[i..i + from.len()].copy_from_slice(&to);
            n += 1;
            i += from.len();
        } else {
            i += 1;
        }
    }
    n
}

/// `dump` of a log whose Computer value holds an escape sequence, in a file whose name holds
/// another: the JSON escapes the value, the warning on standard error escapes the name.
#[cfg(unix)]
#[test]
fn dump_escapes_hostile_values_and_file_names() {
    let Some(log) = fixtures::small_logs(1).pop() else {
        println!("skipped: needs a one-chunk EVTX log in samples/ or ../shared/corpus/evtx");
        return;
    };
    let computer = {
        let size = std::fs::metadata(&log).unwrap().len();
        let first = std::sync::Mutex::new(String::new());
        evtxscan::read::read_log(
            &evtxscan::discover::LogFile {
                path: log.clone(),
                size,
            },
            &Default::default(),
            &Default::default(),
            &|events| {
                if let Some(e) = events.first() {
                    *first.lock().unwrap() = e.computer.to_string();
                }
            },
        );
        first.into_inner().unwrap()
    };
    if computer.chars().count() < 5 {
        println!("skipped: computer name {computer:?} too short to overwrite");
        return;
    }
    let mut bytes = std::fs::read(&log).unwrap();
    let head: String = computer.chars().take(4).collect();
    assert!(
        replace_utf16(&mut bytes, &head, "\u{1b}[2J") > 0,
        "computer name not found as UTF-16"
    );
    // A cut-off second chunk: the file is reported partly unreadable.
    let piece = bytes[4096..4096 + 1000].to_vec();
    bytes.extend_from_slice(&piece);
    let dir = tempfile::tempdir().unwrap();
    let name = "evil\u{1b}]0;pwned\u{7}\u{1b}[31m.evtx";
    std::fs::write(dir.path().join(name), &bytes).unwrap();
    let mut cmd = Command::new(fixtures::binary());
    cmd.arg("dump").arg(dir.path());
    let out = fixtures::run_command(cmd, LIMIT);
    assert_eq!(out.status.code(), Some(evtxscan::cli::EXIT_PARTIAL));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stdout.lines().count() > 0,
        "the readable records are dumped"
    );
    // What becomes of the ESC itself (kept, escaped by JSON) is checked on a committed sample by
    // `escape_in_a_value_survives_into_json_and_is_neutralized_elsewhere`.
    assert!(stdout.contains("[2J"), "the altered value is dumped");
    assert!(!stdout.contains('\u{1b}'), "no raw ESC in the JSON lines");
    assert!(stderr.contains("partly unreadable"), "{stderr}");
    assert!(
        stderr.contains("evil\\x1b]0;pwned\\x07\\x1b[31m.evtx"),
        "{stderr}"
    );
    assert!(!stderr.chars().any(is_dangerous), "{stderr:?}");
}

/// `rules check` lists rejected rules by path, title and reason: a file name and a title with
/// control sequences and line breaks stay on their line, escaped.
#[cfg(unix)]
#[test]
fn rules_check_escapes_hostile_names_and_titles() {
    let dir = tempfile::tempdir().unwrap();
    let names = [
        "a\u{1b}[2Jb.yml",
        "line\nbreak.yml",
        "rtl\u{202e}lmy.exe.yml",
        "c1\u{9b}31m.yml",
    ];
    for name in names {
        std::fs::write(
            dir.path().join(name),
            "title: \"Evil \\e]0;title\\a \\u202e\\n=cmd\"\nlogsource:\n    product: windows\ndetection:\n    s:\n        Image: x\n    condition: s and\n",
        )
        .unwrap();
    }
    let mut cmd = Command::new(fixtures::binary());
    cmd.args(["rules", "check"]).arg(dir.path());
    let out = fixtures::run_command(cmd, LIMIT);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        out.status.code(),
        Some(evtxscan::cli::EXIT_PARTIAL),
        "{stdout}"
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines.len(),
        names.len() + 1,
        "one line per rule and a total: {stdout:?}"
    );
    for line in &lines[..names.len()] {
        assert!(line.starts_with("rejected\t"), "{line:?}");
        assert!(
            !line.chars().any(|c| is_dangerous(c) && c != '\t'),
            "{line:?}"
        );
    }
    assert!(stdout.contains("a\\x1b[2Jb.yml") && stdout.contains("line\\nbreak.yml"));
    assert!(stdout.contains("rtl\\u{202e}lmy.exe.yml") && stdout.contains("c1\\u{009b}31m.yml"));
}

/// The committed Sysmon sample's record 20: socat, with a command line that would turn a
/// terminal red (`ESC[31m`); a bundled rule fires on it.
const SYSMON_SAMPLE: &str = "samples/Microsoft-Windows-Sysmon%4Operational.evtx";
const SOCAT_RECORD: u64 = 20;
const SOCAT_COMMAND_LINE: &str =
    "socat.exe TCP-LISTEN:8443,fork TCP:10.20.30.40:443 \u{1b}[31mALL CLEAR\u{1b}[0m";
const TUNNELING_RULE: &str = "c75309a3-59f8-4a8d-9c2c-4c927ad50555";

/// Run the binary on the Sysmon sample; its standard output.
fn run_on_sysmon_sample(args: &[&str]) -> String {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join(SYSMON_SAMPLE);
    let mut cmd = Command::new(fixtures::binary());
    cmd.args(args).arg(&sample);
    let out = fixtures::run_command(cmd, LIMIT);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{args:?}: {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A control character in an event value is evidence: JSON outputs keep it (escaped as JSON
/// escapes it), while CSV cells and the terminal table show it as a visible `\x1b`.
#[test]
fn escape_in_a_value_survives_into_json_and_is_neutralized_elsewhere() {
    // dump: the JSON line of the record holds the real command line.
    let dump = run_on_sysmon_sample(&["dump"]);
    assert!(!dump.contains('\u{1b}'), "no raw ESC in the JSON lines");
    let record: serde_json::Value = dump
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|e| e["record_id"] == SOCAT_RECORD)
        .expect("record 20 is dumped");
    assert_eq!(record["data"]["CommandLine"], SOCAT_COMMAND_LINE);

    // The JSON timeline: the hit on the record carries the real command line.
    let json = run_on_sysmon_sample(&["scan", "--quiet", "--format", "jsonl"]);
    assert!(!json.contains('\u{1b}'), "no raw ESC in the JSON timeline");
    assert!(json.contains("\\u001b[31mALL CLEAR\\u001b[0m"), "{json}");
    let hit: serde_json::Value = json
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|h| h["record_id"] == SOCAT_RECORD && h["rule_id"] == TUNNELING_RULE)
        .expect("the tunneling rule fires on record 20");
    assert_eq!(hit["fields"]["CommandLine"], SOCAT_COMMAND_LINE);

    // CSV: the cell shows the ESC as `\x1b`.
    let csv_text = run_on_sysmon_sample(&["scan", "--quiet", "--format", "csv"]);
    assert!(!csv_text.contains('\u{1b}'), "no raw ESC in the CSV");
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (rule, record, command_line) = (
        column("rule_id"),
        column("record_id"),
        column("command_line"),
    );
    let row = reader
        .records()
        .map(Result::unwrap)
        .find(|r| r.get(rule) == Some(TUNNELING_RULE) && r.get(record) == Some("20"))
        .expect("the CSV row of the hit on record 20");
    assert_eq!(
        row.get(command_line),
        Some("socat.exe TCP-LISTEN:8443,fork TCP:10.20.30.40:443 \\x1b[31mALL CLEAR\\x1b[0m")
    );
    assert_eq!(
        row.get(command_line),
        Some(for_csv(SOCAT_COMMAND_LINE).as_str())
    );

    // The terminal table: the ESC is shown, never sent.
    let table = run_on_sysmon_sample(&["scan", "--quiet", "--format", "table"]);
    assert!(!table.chars().any(is_dangerous), "{table:?}");
    assert!(
        table.lines().any(|l| l.contains("#20")
            && l.contains("socat.exe TCP-LISTEN:8443,fork TCP:10.20.30.40:443 \\x1b[31mALL CLEAR")),
        "{table}"
    );
}
