//! Round trips: what the writer writes, the `evtx` crate and the normalizer read back exactly.

use super::*;
use crate::event::{normalize_xml, Event, Source};
use evtx::{EvtxChunkData, EvtxFileHeader, EvtxParser, ParserSettings};
use jiff::Timestamp;
use std::io::Cursor;
use std::sync::Arc;

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn write_all(events: &[EventSpec]) -> (Vec<u8>, WriteSummary) {
    let mut w = EvtxWriter::new(Cursor::new(Vec::new())).unwrap();
    for e in events {
        w.write(e).unwrap();
    }
    let (out, summary) = w.finish().unwrap();
    (out.into_inner(), summary)
}

/// Every record through the evtx crate's XML rendering and `normalize_xml`.
fn read_back(bytes: Vec<u8>) -> Vec<Event> {
    let settings = ParserSettings::new()
        .num_threads(1)
        .validate_checksums(true);
    let mut parser = EvtxParser::from_buffer(bytes)
        .unwrap()
        .with_configuration(settings);
    let source = Arc::new(Source {
        path: "roundtrip.evtx".into(),
    });
    parser
        .records()
        .map(|r| {
            let r = r.unwrap();
            normalize_xml(&r.data, &source, r.event_record_id, r.timestamp, false).unwrap()
        })
        .collect()
}

fn sysmon_1(computer: &str, image: &str, command_line: &str) -> EventSpec {
    let mut e = EventSpec::new(
        "Microsoft-Windows-Sysmon",
        "Microsoft-Windows-Sysmon/Operational",
        1,
        computer,
        ts("2024-05-01T10:00:00.1234567Z"),
    )
    .data("RuleName", "")
    .data("UtcTime", "2024-05-01 10:00:00.123")
    .data("ProcessGuid", "{A98268C1-1A2B-6632-0000-0010ABCD1234}")
    .data("ProcessId", "4242")
    .data("Image", image)
    .data("CommandLine", command_line)
    .data("User", "CORP\\bob");
    e.provider_guid = Some("{5770385F-C22A-43E0-BF4C-06F5698FFBD9}".parse().unwrap());
    e.version = 5;
    e.task = 1;
    e.process_id = 3044;
    e.thread_id = 4004;
    e.user_sid = Some("S-1-5-18".parse().unwrap());
    e
}

fn data(ev: &Event) -> Vec<(String, String)> {
    ev.data
        .iter()
        .map(|f| (f.name.to_string(), f.value.to_string()))
        .collect()
}

fn expected(spec: &EventSpec) -> Vec<(String, String)> {
    match &spec.payload {
        Payload::None => vec![],
        Payload::EventData(fields) => fields
            .iter()
            .map(|(n, v)| (n.clone().unwrap_or_else(|| "Data".into()), v.clone()))
            .collect(),
        Payload::UserData(u) => u.fields.clone(),
    }
}

fn system(ev: &Event, name: &str) -> Option<String> {
    ev.system
        .iter()
        .find(|f| &*f.name == name)
        .map(|f| f.value.to_string())
}

fn tricky_events() -> Vec<EventSpec> {
    let mut odd = sysmon_1(
        "WS-ÄÖÜ.corp.example",
        "C:\\Users\\bob\\Downloads\\plink.exe",
        "plink.exe -R 8080:127.0.0.1:80 <user>&\"x\" 'y' ",
    );
    odd.header_time = Some(ts("2024-05-01T04:00:00Z"));
    if let Payload::EventData(fields) = &mut odd.payload {
        fields.push((
            Some("Trailing".into()),
            "value with trailing spaces   ".into(),
        ));
        fields.push((Some("Leading".into()), "   leading".into()));
        fields.push((Some("Unicode".into()), "日本語 – ünïcødé 🚀".into()));
        fields.push((
            Some("Multi".into()),
            "line one\r\nline two\n\ttabbed".into(),
        ));
        fields.push((Some("Escape".into()), "\u{1b}[31mred\u{1b}[0m".into()));
        fields.push((Some("Csv".into()), "=cmd|' /C calc'!A0".into()));
        fields.push((Some("Empty".into()), String::new()));
        fields.push((Some("Amp & <Name>".into()), "v".into()));
    }

    let mut unnamed = EventSpec::new(
        "Service Control Manager",
        "System",
        7045,
        "SRV01",
        ts("2024-05-01T11:00:00Z"),
    )
    .unnamed_data("first")
    .unnamed_data("")
    .unnamed_data("third & last");
    unnamed.provider_guid = Some("{555908D1-A6D7-4695-8E1E-26931D2012F4}".parse().unwrap());
    unnamed.event_source_name = Some("Service Control Manager".into());
    unnamed.qualifiers = Some(16384);
    unnamed.keywords = 0x8080_0000_0000_0000;

    let mut user = EventSpec::new(
        "Microsoft-Windows-Eventlog",
        "Security",
        1102,
        "DC01.corp.example",
        ts("2024-05-01T12:00:00.0000001Z"),
    );
    user.provider_guid = Some("{FC65DDD8-D6EF-4962-83D5-6E5CFE9CE148}".parse().unwrap());
    user.level = 4;
    user.task = 104;
    user.keywords = 0x4020_0000_0000_0000;
    user.activity_id = Some("{11111111-2222-3333-4444-555555555555}".parse().unwrap());
    user.payload = Payload::UserData(UserData {
        element: "LogFileCleared".into(),
        xmlns: Some("http://manifests.microsoft.com/win/2004/08/windows/eventlog".into()),
        fields: vec![
            ("SubjectUserSid".into(), "S-1-5-21-1-2-3-500".into()),
            ("SubjectUserName".into(), "admin ".into()),
            ("SubjectDomainName".into(), "CORP".into()),
            ("SubjectLogonId".into(), "0x3e7".into()),
            ("BackupPath".into(), String::new()),
        ],
    });

    let bare = EventSpec::new("Bare", "Application", 0, "", ts("1601-01-02T00:00:00Z"));
    vec![
        sysmon_1(
            "WS01",
            "C:\\Windows\\System32\\cmd.exe",
            "cmd.exe /c whoami",
        ),
        odd,
        unnamed,
        user,
        bare,
        sysmon_1(
            "WS02",
            "C:\\Tools\\socat.exe",
            "socat.exe tcp-l:80 tcp:10.0.0.1:8080",
        ),
    ]
}

#[test]
fn every_value_round_trips() {
    let specs = tricky_events();
    let (bytes, summary) = write_all(&specs);
    assert_eq!(summary.records, specs.len() as u64);
    assert_eq!(summary.chunks, 1);
    assert_eq!(bytes.len() as u64, summary.bytes);
    let events = read_back(bytes);
    assert_eq!(events.len(), specs.len());
    for (i, (spec, ev)) in specs.iter().zip(&events).enumerate() {
        let id = i as u64 + 1;
        assert_eq!(ev.record_id, id);
        assert_eq!(&*ev.provider, spec.provider);
        assert_eq!(&*ev.channel, spec.channel);
        assert_eq!(ev.event_id, u32::from(spec.event_id));
        assert_eq!(&*ev.computer, spec.computer);
        assert_eq!(ev.level, spec.level);
        assert_eq!(ev.time, spec.time);
        assert_eq!(ev.header_time, spec.record_time());
        let sid = spec.user_sid.as_ref().map(|_| ());
        assert_eq!(ev.user_id.is_empty(), sid.is_none(), "record {id}");
        let mut want = expected(spec);
        for (_, value) in &mut want {
            // evtx's XML renderer writes characters XML forbids (ESC here) as `_`; the JSON
            // renderer keeps them (see `json_rendering_parses`).
            *value = value.replace('\u{1b}', "_");
        }
        assert_eq!(data(ev), want, "record {id}");
        assert_eq!(system(ev, "Version"), Some(spec.version.to_string()));
        assert_eq!(system(ev, "Task"), Some(spec.task.to_string()));
        assert_eq!(system(ev, "Opcode"), Some(spec.opcode.to_string()));
        assert_eq!(
            system(ev, "Keywords"),
            Some(format!("{:#x}", spec.keywords))
        );
        assert_eq!(
            system(ev, "Execution_ProcessID"),
            Some(spec.process_id.to_string())
        );
        assert_eq!(
            system(ev, "Execution_ThreadID"),
            Some(spec.thread_id.to_string())
        );
        assert_eq!(
            system(ev, "Provider_Guid"),
            spec.provider_guid
                .map(|g| g.to_string().to_ascii_lowercase())
        );
        assert_eq!(
            system(ev, "Provider_EventSourceName"),
            spec.event_source_name.clone()
        );
        assert_eq!(
            system(ev, "EventID_Qualifiers"),
            spec.qualifiers.map(|q| q.to_string())
        );
        assert_eq!(
            system(ev, "Correlation_ActivityID"),
            spec.activity_id.map(|g| g.to_string().to_ascii_lowercase())
        );
    }
    assert_eq!(&*events[0].user_id, "S-1-5-18");
    assert_eq!(
        events[1].header_time.to_string(),
        "2024-05-01T04:00:00Z",
        "the record header keeps its own time"
    );
    assert_eq!(events[1].time.to_string(), "2024-05-01T10:00:00.1234567Z");
}

#[test]
fn json_rendering_parses() {
    let (bytes, _) = write_all(&tricky_events());
    let mut parser = EvtxParser::from_buffer(bytes).unwrap();
    let mut n = 0;
    for r in parser.records_json() {
        let r = r.unwrap();
        let v: serde_json::Value = serde_json::from_str(&r.data).unwrap();
        assert!(v["Event"]["System"]["EventRecordID"].is_u64());
        n += 1;
    }
    assert_eq!(n, 6);
    let mut parser = EvtxParser::from_buffer(write_all(&tricky_events()).0).unwrap();
    let mut records = parser.records_json();
    let first: serde_json::Value =
        serde_json::from_str(&records.next().unwrap().unwrap().data).unwrap();
    assert_eq!(
        first["Event"]["EventData"]["Image"],
        "C:\\Windows\\System32\\cmd.exe"
    );
    assert_eq!(first["Event"]["System"]["EventID"], 1);
    let second: serde_json::Value =
        serde_json::from_str(&records.next().unwrap().unwrap().data).unwrap();
    let data = &second["Event"]["EventData"];
    assert_eq!(data["Escape"], "\u{1b}[31mred\u{1b}[0m");
    assert_eq!(data["Trailing"], "value with trailing spaces   ");
    assert_eq!(data["Unicode"], "日本語 – ünïcødé 🚀");
    assert_eq!(data["Empty"], "");
}

/// Check the file header and every chunk's CRC32s and counts; returns the record ids per chunk.
fn check_structure(bytes: &[u8]) -> Vec<(u64, u64)> {
    let header = EvtxFileHeader::from_bytes(&bytes[..FILE_HEADER_BLOCK]).unwrap();
    assert!(header.validate_checksum());
    assert_eq!((header.major_version, header.minor_version), (3, 1));
    assert_eq!(header.header_block_size, 4096);
    assert!(header.flags.is_empty());
    let chunks = (bytes.len() - FILE_HEADER_BLOCK) / CHUNK_SIZE;
    assert_eq!(bytes.len(), FILE_HEADER_BLOCK + chunks * CHUNK_SIZE);
    assert_eq!(usize::from(header.chunk_count), chunks);
    let mut ranges = Vec::new();
    for n in 0..chunks {
        let start = FILE_HEADER_BLOCK + n * CHUNK_SIZE;
        let raw = bytes[start..start + CHUNK_SIZE].to_vec();
        let mut chunk = EvtxChunkData::new(raw, true).expect("valid CRC32s");
        assert!(chunk.validate_checksum());
        let (first, last) = (
            chunk.header.first_event_record_id,
            chunk.header.last_event_record_id,
        );
        let settings = Arc::new(ParserSettings::new());
        let parsed = chunk.parse(settings).unwrap();
        let mut parsed = parsed;
        let ids: Vec<u64> = parsed.iter().map(|r| r.unwrap().event_record_id).collect();
        assert_eq!(ids, (first..=last).collect::<Vec<_>>());
        ranges.push((first, last));
    }
    assert_eq!(header.next_record_id, ranges.last().map_or(1, |r| r.1 + 1));
    ranges
}

#[test]
fn chunk_and_file_crcs_validate() {
    let (bytes, _) = write_all(&tricky_events());
    assert_eq!(check_structure(&bytes), vec![(1, 6)]);
}

#[test]
fn templates_and_names_are_defined_once_per_chunk() {
    let specs: Vec<EventSpec> = (0..20)
        .map(|i| sysmon_1("WS01", "C:\\x.exe", &format!("x.exe {i}")))
        .collect();
    let (bytes, _) = write_all(&specs);
    let chunk = &bytes[FILE_HEADER_BLOCK..FILE_HEADER_BLOCK + CHUNK_SIZE];
    let utf16 = |s: &str| -> Vec<u8> { s.encode_utf16().flat_map(u16::to_le_bytes).collect() };
    let count = |needle: &[u8]| chunk.windows(needle.len()).filter(|w| *w == needle).count();
    assert_eq!(count(&utf16("EventData")), 1);
    assert_eq!(count(&utf16("ProcessGuid")), 1);
    assert_eq!(count(&utf16("x.exe 7")), 1);
    // The first record carries both definitions; the others only values.
    let size = |at: usize| u32::from_le_bytes(chunk[at + 4..at + 8].try_into().unwrap()) as usize;
    let first = size(512);
    let second = size(512 + first);
    assert!(second * 2 < first, "{first} vs {second}");
    // Names are hashed into buckets; templates into theirs.
    let table = |at: usize, n: usize| {
        (0..n)
            .filter(|i| {
                u32::from_le_bytes(chunk[at + 4 * i..at + 4 * i + 4].try_into().unwrap()) != 0
            })
            .count()
    };
    assert!(table(128, 64) > 10);
    assert_eq!(table(384, 32), 2);
}

#[test]
fn many_records_span_chunks() {
    let mut w = EvtxWriter::new(Cursor::new(Vec::new())).unwrap();
    let mut n = 0u64;
    while w.bytes_so_far() < 5 * 1024 * 1024 {
        let computer = format!("WS{:02}", n % 7);
        let spec = sysmon_1(
            &computer,
            "C:\\Windows\\System32\\svchost.exe",
            &"k".repeat((n % 300) as usize),
        );
        assert_eq!(w.write(&spec).unwrap(), n + 1);
        n += 1;
    }
    let (out, summary) = w.finish().unwrap();
    let bytes = out.into_inner();
    assert_eq!(summary.records, n);
    assert!(summary.chunks >= 80, "{summary:?}");
    let ranges = check_structure(&bytes);
    assert_eq!(ranges.len() as u64, summary.chunks);
    for pair in ranges.windows(2) {
        assert_eq!(pair[0].1 + 1, pair[1].0, "ids continue across chunks");
    }
    let events = read_back(bytes);
    assert_eq!(events.len() as u64, n);
    assert!(events
        .iter()
        .enumerate()
        .all(|(i, e)| e.record_id == i as u64 + 1));
    assert_eq!(
        events[1234].get_str("CommandLine").unwrap(),
        "k".repeat(1234 % 300)
    );
}

#[test]
fn read_log_reports_no_damage() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.evtx");
    let specs = tricky_events();
    write_file(&path, &specs).unwrap();
    let log = crate::discover::LogFile {
        size: std::fs::metadata(&path).unwrap().len(),
        path,
    };
    let seen = std::sync::Mutex::new(Vec::new());
    let report = crate::read::read_log(
        &log,
        &crate::read::ReadOptions::default(),
        &crate::read::FileControl::default(),
        &|events| seen.lock().unwrap().extend(events),
    );
    assert_eq!(report.chunks, vec![crate::read::ChunkState::Ok]);
    assert!(!report.dirty && !report.truncated);
    assert_eq!(seen.into_inner().unwrap().len(), specs.len());
}

#[test]
fn oversized_values_are_refused() {
    let mut w = EvtxWriter::new(Cursor::new(Vec::new())).unwrap();
    let huge = sysmon_1("WS01", "C:\\x.exe", &"a".repeat(40_000));
    assert!(matches!(
        w.write(&huge),
        Err(WriteError::ValueTooLong { units: 40_000, .. })
    ));
    let mut big = sysmon_1("WS01", "C:\\x.exe", "");
    for i in 0..3 {
        big = big.data(&format!("Big{i}"), &"b".repeat(30_000));
    }
    assert!(matches!(
        w.write(&big),
        Err(WriteError::RecordTooLarge { record_id: 1 })
    ));
    let mut bad = EventSpec::new("P", "C", 1, "H", ts("2024-01-01T00:00:00Z"));
    bad.payload = Payload::UserData(UserData {
        element: "Bad Name".into(),
        xmlns: None,
        fields: vec![],
    });
    assert!(matches!(w.write(&bad), Err(WriteError::BadElementName(_))));
    // The writer still works after refusals, and ids were not used up.
    assert_eq!(w.write(&sysmon_1("WS01", "C:\\x.exe", "ok")).unwrap(), 1);
    let (out, _) = w.finish().unwrap();
    let events = read_back(out.into_inner());
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].get_str("CommandLine").unwrap(), "ok");
}

#[test]
fn empty_writer_gives_a_header_only_file() {
    let (bytes, summary) = write_all(&[]);
    assert_eq!(bytes.len(), FILE_HEADER_BLOCK);
    assert_eq!(summary.chunks, 0);
    let header = EvtxFileHeader::from_bytes(&bytes).unwrap();
    assert!(header.validate_checksum());
    assert_eq!(header.next_record_id, 1);
}

#[test]
fn hash_tables_chain_every_name_and_template() {
    let (bytes, _) = write_all(&tricky_events());
    let chunk = &bytes[FILE_HEADER_BLOCK..FILE_HEADER_BLOCK + CHUNK_SIZE];
    let u32_at = |at: usize| u32::from_le_bytes(chunk[at..at + 4].try_into().unwrap());
    let u16_at = |at: usize| u16::from_le_bytes(chunk[at..at + 2].try_into().unwrap());
    let mut names = Vec::new();
    for bucket in 0..64 {
        let mut offset = u32_at(128 + 4 * bucket) as usize;
        while offset != 0 {
            let (next, stored, len) = (u32_at(offset), u16_at(offset + 4), u16_at(offset + 6));
            let units: Vec<u16> = (0..len as usize)
                .map(|i| u16_at(offset + 8 + 2 * i))
                .collect();
            let hash = name_hash(units.iter().copied());
            assert_eq!(hash as u16, stored);
            assert_eq!(hash as usize % 64, bucket);
            assert!(
                next == 0 || (next as usize) < offset,
                "chains link to older names"
            );
            names.push(String::from_utf16(&units).unwrap());
            offset = next as usize;
        }
    }
    names.sort();
    let unique = names.len();
    names.dedup();
    assert_eq!(names.len(), unique, "each name is written once per chunk");
    for expected in [
        "Event",
        "System",
        "Provider",
        "EventData",
        "Data",
        "Name",
        "UserData",
        "LogFileCleared",
        "SubjectUserName",
        "Computer",
        "Security",
        "xmlns",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} in {names:?}"
        );
    }
    let mut templates = 0;
    for bucket in 0..32 {
        let mut offset = u32_at(384 + 4 * bucket) as usize;
        while offset != 0 {
            let guid: [u8; 16] = chunk[offset + 4..offset + 20].try_into().unwrap();
            assert_eq!(template_bucket(&guid), bucket);
            // The definition body starts with a fragment header.
            assert_eq!(&chunk[offset + 24..offset + 28], &[0x0f, 1, 1, 0]);
            templates += 1;
            offset = u32_at(offset) as usize;
        }
    }
    // System templates for six computers, three EventData shapes, one UserData shape.
    assert_eq!(templates, 6 + 3 + 1);
}
