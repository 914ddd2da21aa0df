//! `tstats` over the CIM datamodels (Processes, Network_Resolution, Registry), `join`, time
//! spans and needles, on hand-built events.

#[path = "spl_helpers.rs"]
mod helpers;

use helpers::*;

const TSTATS: &str = "| tstats `security_content_summariesonly` count min(_time) as firstTime max(_time) as lastTime \
from datamodel=Endpoint.Processes where Processes.process_name=whoami.exe OR Processes.original_file_name=whoami.exe \
by Processes.dest Processes.user Processes.parent_process_name Processes.process_name Processes.process \
Processes.process_id Processes.parent_process_id Processes.original_file_name Processes.process_integrity_level \
| `drop_dm_object_name(Processes)` | `security_content_ctime(firstTime)` | `security_content_ctime(lastTime)` \
| `system_user_discovery_with_whoami_filter`";

#[test]
fn tstats_processes_over_sysmon_1() {
    let rule = rule_of(TSTATS, &[]);
    let scope = &rule.scope().any_of;
    assert_eq!(scope.len(), 2);
    let evs = [
        proc1(
            7,
            "2024-02-02T12:00:00Z",
            "C:\\Windows\\System32\\whoami.exe",
            "whoami /all",
            "C:\\Windows\\System32\\cmd.exe",
        ),
        proc1(
            8,
            "2024-02-02T12:00:01Z",
            "C:\\Windows\\System32\\hostname.exe",
            "hostname",
            "C:\\Windows\\System32\\cmd.exe",
        ),
        // A DNS event never enters the Processes datamodel.
        dns(
            9,
            "2024-02-02T12:00:02Z",
            "C:\\Windows\\System32\\whoami.exe",
            "x",
        ),
    ];
    let hits = run(&rule, &evs);
    assert_eq!(hits.len(), 1);
    let h = &hits[0];
    assert_eq!(field(h, "dest"), Some("WS01.corp.local"));
    assert_eq!(field(h, "user"), Some("CORP\\bob"));
    assert_eq!(field(h, "parent_process_name"), Some("cmd.exe"));
    assert_eq!(field(h, "process_name"), Some("whoami.exe"));
    assert_eq!(field(h, "process"), Some("whoami /all"));
    assert_eq!(field(h, "process_id"), Some("2296"));
    assert_eq!(field(h, "parent_process_id"), Some("1000"));
    assert_eq!(field(h, "original_file_name"), Some("Cmd.Exe"));
    assert_eq!(field(h, "process_integrity_level"), Some("high"));
    assert_eq!(field(h, "firstTime"), Some("2024-02-02T12:00:00"));
    assert_eq!(h.aggregate.as_ref().unwrap().records[0].record_id, 7);
    let by: Vec<&str> = h
        .aggregate
        .as_ref()
        .unwrap()
        .by
        .iter()
        .map(|(n, _)| n.as_str())
        .collect();
    assert_eq!(by[0], "dest");
}

#[test]
fn tstats_processes_over_security_4688() {
    let rule = rule_of(TSTATS, &[]);
    let evs = [
        sec4688(
            21,
            "2024-02-02T12:00:00Z",
            "C:\\Windows\\System32\\whoami.exe",
            "whoami",
        ),
        sec4688(
            22,
            "2024-02-02T12:00:03Z",
            "C:\\Windows\\System32\\whoami.exe",
            "whoami",
        ),
        sec4688(
            23,
            "2024-02-02T12:00:04Z",
            "C:\\Windows\\System32\\net.exe",
            "net user",
        ),
    ];
    let hits = run(&rule, &evs);
    assert_eq!(hits.len(), 1);
    let h = &hits[0];
    assert_eq!(field(h, "count"), Some("2"));
    assert_eq!(field(h, "process_name"), Some("whoami.exe"));
    assert_eq!(field(h, "user"), Some("CORP\\alice"));
    assert_eq!(field(h, "parent_process_name"), Some("cmd.exe"));
    // Hex ids become decimal; fields 4688 lacks become the literal "null".
    assert_eq!(field(h, "process_id"), Some("3972"));
    assert_eq!(field(h, "parent_process_id"), Some("2860"));
    assert_eq!(field(h, "original_file_name"), Some("null"));
    assert_eq!(field(h, "process_integrity_level"), Some("high"));
    assert_eq!(field(h, "lastTime"), Some("2024-02-02T12:00:03"));
    let ids: Vec<u64> = h
        .aggregate
        .as_ref()
        .unwrap()
        .records
        .iter()
        .map(|r| r.record_id)
        .collect();
    assert_eq!(ids, vec![21, 22]);
}

#[test]
fn tstats_network_resolution_over_sysmon_22() {
    let rule = rule_of(
        "| tstats `security_content_summariesonly` count min(_time) as firstTime from datamodel=Network_Resolution \
         where DNS.query IN (\"*.ngrok.io\", \"ngrok.*.tunnel.com\") NOT DNS.record_type IN (\"PTR\") \
         by DNS.src DNS.query DNS.answer | `drop_dm_object_name(\"DNS\")` | eval qlen=len(query)",
        &[],
    );
    assert_eq!(rule.scope().any_of[0].event_ids, vec![22]);
    let evs = [
        dns(
            1,
            "2024-03-03T03:03:03Z",
            "C:\\x\\ngrok.exe",
            "abc.NGROK.io",
        ),
        dns(2, "2024-03-03T03:03:04Z", "C:\\x\\ngrok.exe", "ngrok.io"),
        proc1(
            3,
            "2024-03-03T03:03:05Z",
            "C:\\x\\ngrok.exe",
            "abc.ngrok.io",
            "x.exe",
        ),
    ];
    let hits = run(&rule, &evs);
    assert_eq!(hits.len(), 1);
    assert_eq!(field(&hits[0], "src"), Some("WS01.corp.local"));
    assert_eq!(field(&hits[0], "query"), Some("abc.NGROK.io"));
    assert_eq!(field(&hits[0], "answer"), Some("::ffff:1.2.3.4;"));
    assert_eq!(field(&hits[0], "qlen"), Some("12"));
}

#[test]
fn time_spans_group_and_needles_name_literals() {
    let rule = rule_of(
        "| tstats `security_content_summariesonly` count from datamodel=Endpoint.Processes \
         where Processes.process_name IN (\"net.exe\", \"net1.exe\") by _time span=1h Processes.dest \
         | `drop_dm_object_name(Processes)` | where count >= 2",
        &[],
    );
    // A CIM field's literals are looked for in the raw fields it is read from.
    let needles: Vec<(String, String)> = rule
        .needles()
        .unwrap()
        .into_iter()
        .map(|n| (n.field.unwrap_or_default(), n.needle))
        .collect();
    let pair = |f: &str, n: &str| (f.to_string(), n.to_string());
    assert_eq!(
        needles,
        vec![
            pair("Image", "net.exe"),
            pair("Image", "net1.exe"),
            pair("NewProcessName", "net.exe"),
            pair("NewProcessName", "net1.exe"),
        ]
    );
    let evs = [
        proc1(
            1,
            "2024-01-01T10:05:00Z",
            "C:\\w\\net.exe",
            "net user",
            "x.exe",
        ),
        proc1(
            2,
            "2024-01-01T10:55:00Z",
            "C:\\w\\NET1.exe",
            "net1 user",
            "x.exe",
        ),
        proc1(
            3,
            "2024-01-01T11:01:00Z",
            "C:\\w\\net.exe",
            "net view",
            "x.exe",
        ),
    ];
    let hits = run(&rule, &evs);
    assert_eq!(hits.len(), 1);
    assert_eq!(field(&hits[0], "_time"), Some("2024-01-01T10:00:00Z"));
    assert_eq!(field(&hits[0], "count"), Some("2"));
    let by = &hits[0].aggregate.as_ref().unwrap().by;
    assert_eq!(
        by[0],
        ("_time".to_string(), "2024-01-01T10:00:00Z".to_string())
    );
    assert_eq!(records(&hits), vec![1, 2]);
    // The pre-filter folds ASCII case only; SPL compares beyond it (`Ä` and `ä`).
    assert!(
        rule_of("`sysmon` EventCode=1 process_name=\"ÄBC.EXE\"", &[])
            .needles()
            .is_none()
    );
    // Numbers and transformed fields never give needles.
    assert!(rule_of("`sysmon` EventCode=1 process_id=42", &[])
        .needles()
        .is_none());
}

#[test]
fn join_processes_with_registry_subsearch() {
    let rule = rule_of(
        "| tstats `security_content_summariesonly` count min(_time) AS firstTime max(_time) AS lastTime \
         FROM datamodel=Endpoint.Processes BY _time span=1h Processes.process_name Processes.dest Processes.process_guid \
         | `drop_dm_object_name(Processes)` \
         | join process_guid [ | tstats `security_content_summariesonly` count FROM datamodel=Endpoint.Registry \
           WHERE (Registry.registry_path=\"*mscfile\\\\shell\\\\open\\\\command\\\\*\") \
           BY _time span=1h Registry.registry_path Registry.registry_key_name Registry.registry_value_name \
           Registry.registry_value_data Registry.process_guid | `drop_dm_object_name(Registry)`] \
         | fields firstTime lastTime dest process_name registry_path registry_key_name registry_value_name registry_value_data process_guid \
         | where isnotnull(registry_value_data)",
        &[],
    );
    let ids: Vec<Vec<u32>> = rule
        .scope()
        .any_of
        .iter()
        .map(|f| f.event_ids.clone())
        .collect();
    assert_eq!(ids, vec![vec![1], vec![4688], vec![12, 13, 14]]);
    let g1 = "{11111111-0000-0000-0000-00000000000A}";
    let mut p1 = proc1(
        1,
        "2024-01-01T10:00:00Z",
        "C:\\w\\eventvwr.exe",
        "eventvwr",
        "x.exe",
    );
    p1.data
        .iter_mut()
        .find(|f| &*f.name == "ProcessGuid")
        .unwrap()
        .value = g1.into();
    let p2 = proc1(
        2,
        "2024-01-01T10:01:00Z",
        "C:\\w\\other.exe",
        "other",
        "x.exe",
    );
    let target = "HKU\\S-1-5-21\\Software\\Classes\\mscfile\\shell\\open\\command\\(Default)";
    let evs = [
        p1,
        p2,
        reg13(3, "2024-01-01T10:00:05Z", g1, target, "C:\\evil.exe"),
        // Same key written by another process: no process row to join.
        reg13(
            4,
            "2024-01-01T10:00:06Z",
            "{22222222-0000-0000-0000-000000000000}",
            target,
            "x",
        ),
        // Another key by the same process: filtered out by the subsearch.
        reg13(
            5,
            "2024-01-01T10:00:07Z",
            g1,
            "HKLM\\Software\\Other\\v",
            "y",
        ),
    ];
    let hits = run(&rule, &evs);
    assert_eq!(
        hits.len(),
        1,
        "{:#?}",
        hits.iter().map(|h| &h.fields).collect::<Vec<_>>()
    );
    let h = &hits[0];
    assert_eq!(field(h, "process_name"), Some("eventvwr.exe"));
    assert_eq!(field(h, "registry_path"), Some(target));
    assert_eq!(field(h, "registry_key_name"), Some("command"));
    assert_eq!(field(h, "registry_value_name"), Some("(Default)"));
    assert_eq!(field(h, "registry_value_data"), Some("C:\\evil.exe"));
    assert_eq!(field(h, "process_guid"), Some(g1));
    // The hit stands for the process event and the registry event it joined.
    assert_eq!(records(&hits), vec![1, 3]);
}
