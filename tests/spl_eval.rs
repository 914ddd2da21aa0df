//! Parser and evaluator behaviour of the SPL engine on hand-built events.

#[path = "spl_helpers.rs"]
mod helpers;

use helpers::*;

fn proc1(record: u64, time: &str, image: &str, cmd: &str, parent: &str) -> evtxscan::event::Event {
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

fn sec4688(record: u64, time: &str, image: &str, cmd: &str) -> evtxscan::event::Event {
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

fn records(hits: &[evtxscan::hit::Hit]) -> Vec<u64> {
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

#[test]
fn or_binds_tighter_than_implicit_and() {
    let e1 = event(
        SYSMON,
        1,
        1,
        "2024-01-01T00:00:00Z",
        &[("A", "1"), ("B", "2")],
    );
    let e2 = event(
        SYSMON,
        1,
        2,
        "2024-01-01T00:00:01Z",
        &[("A", "9"), ("C", "3")],
    );
    let e3 = event(
        SYSMON,
        1,
        3,
        "2024-01-01T00:00:02Z",
        &[("A", "1"), ("C", "3")],
    );
    // A=1 AND (B=2 OR C=3): e1 and e3, not e2 (it would match if OR were looser).
    let rule = rule_of("`sysmon` A=1 B=2 OR C=3", &[]);
    assert_eq!(
        records(&run(&rule, &[e1.clone(), e2.clone(), e3.clone()])),
        vec![1, 3]
    );
    let rule = rule_of("`sysmon` A=1 AND B=2 OR C=3", &[]);
    assert_eq!(
        records(&run(&rule, &[e1.clone(), e2.clone(), e3.clone()])),
        vec![1, 3]
    );
    let rule = rule_of("`sysmon` (A=1 B=2) OR C=3", &[]);
    assert_eq!(records(&run(&rule, &[e1, e2, e3])), vec![1, 2, 3]);
}

#[test]
fn in_lists_take_wildcards_and_ignore_case() {
    let rule = rule_of(
        "`sysmon` EventCode=1 process_name IN (\"CMD.exe\", \"power*.exe\", \"*shell*\")",
        &[],
    );
    let evs = [
        proc1(
            1,
            "2024-01-01T00:00:00Z",
            "C:\\Windows\\System32\\cmd.exe",
            "cmd",
            "x.exe",
        ),
        proc1(
            2,
            "2024-01-01T00:00:01Z",
            "C:\\w\\PowerShell.EXE",
            "ps",
            "x.exe",
        ),
        proc1(
            3,
            "2024-01-01T00:00:02Z",
            "C:\\w\\notepad.exe",
            "np",
            "x.exe",
        ),
        proc1(
            4,
            "2024-01-01T00:00:03Z",
            "C:\\w\\myshellx.exe",
            "s",
            "x.exe",
        ),
        proc1(5, "2024-01-01T00:00:04Z", "C:\\w\\xcmd.exe", "s", "x.exe"),
    ];
    assert_eq!(records(&run(&rule, &evs)), vec![1, 2, 4]);
}

#[test]
fn not_equal_requires_the_field_but_not_does_not() {
    let with = event(SYSMON, 1, 1, "2024-01-01T00:00:00Z", &[("Tag", "a")]);
    let other = event(SYSMON, 1, 2, "2024-01-01T00:00:00Z", &[("Tag", "b")]);
    let without = event(SYSMON, 1, 3, "2024-01-01T00:00:00Z", &[("Other", "x")]);
    let evs = [with, other, without];
    assert_eq!(
        records(&run(&rule_of("`sysmon` Tag!=a", &[]), &evs)),
        vec![2]
    );
    assert_eq!(
        records(&run(&rule_of("`sysmon` NOT Tag=a", &[]), &evs)),
        vec![2, 3]
    );
    assert_eq!(
        records(&run(&rule_of("`sysmon` Tag=*", &[]), &evs)),
        vec![1, 2]
    );
    assert_eq!(
        records(&run(&rule_of("`sysmon` NOT Tag IN (\"A\")", &[]), &evs)),
        vec![2, 3]
    );
}

#[test]
fn stats_count_min_max_by_over_several_events() {
    let rule = rule_of(
        "`sysmon` EventCode=1 | stats count min(_time) as firstTime max(_time) as lastTime values(CommandLine) as cmds dc(CommandLine) as n by process_name User",
        &[],
    );
    let evs = [
        proc1(
            1,
            "2024-01-01T00:00:10Z",
            "C:\\w\\cmd.exe",
            "cmd /c b",
            "x.exe",
        ),
        proc1(
            2,
            "2024-01-01T00:00:00Z",
            "C:\\w\\cmd.exe",
            "cmd /c a",
            "x.exe",
        ),
        proc1(
            3,
            "2024-01-01T00:00:05Z",
            "C:\\w\\cmd.exe",
            "cmd /c a",
            "x.exe",
        ),
        proc1(
            4,
            "2024-01-01T00:00:07Z",
            "C:\\w\\net.exe",
            "net use",
            "x.exe",
        ),
    ];
    // Reverse the input order: matches may arrive in any order.
    let mut rev = evs.to_vec();
    rev.reverse();
    let hits = run(&rule, &rev);
    assert_eq!(hits.len(), 2);
    let cmd = &hits[0];
    assert_eq!(field(cmd, "process_name"), Some("cmd.exe"));
    assert_eq!(field(cmd, "User"), Some("CORP\\bob"));
    assert_eq!(field(cmd, "count"), Some("3"));
    assert_eq!(field(cmd, "n"), Some("2"));
    assert_eq!(field(cmd, "cmds"), Some("cmd /c a\ncmd /c b"));
    let first = 1_704_067_200.0;
    assert_eq!(field(cmd, "firstTime"), Some(first.to_string().as_str()));
    assert_eq!(
        field(cmd, "lastTime"),
        Some((first + 10.0).to_string().as_str())
    );
    let agg = cmd.aggregate.as_ref().unwrap();
    assert_eq!(agg.count, 3);
    assert_eq!(
        agg.records.iter().map(|r| r.record_id).collect::<Vec<_>>(),
        vec![2, 3, 1]
    );
    assert_eq!(cmd.event.record_id, 2);
    assert_eq!(field(&hits[1], "process_name"), Some("net.exe"));
    assert_eq!(field(&hits[1], "count"), Some("1"));
    // A null by-field drops the event from raw stats.
    let rule = rule_of("`sysmon` | stats count by NoSuchField", &[]);
    assert!(run(&rule, &evs).is_empty());
}

#[test]
fn rename_with_wildcards_and_macro_arguments() {
    let macro_yaml =
        "name: pick(2)\narguments:\n- field\n- value\ndefinition: '$field$=\"$value$\"'\n";
    let rule = rule_of(
        "`sysmon` `pick(process_name, cmd.exe)` | stats count by process_name process_path | rename process_* as proc_* | rename count as n",
        &[("pick.yml", macro_yaml)],
    );
    let evs = [
        proc1(1, "2024-01-01T00:00:00Z", "C:\\w\\cmd.exe", "cmd", "x.exe"),
        proc1(2, "2024-01-01T00:00:00Z", "C:\\w\\net.exe", "net", "x.exe"),
    ];
    let hits = run(&rule, &evs);
    assert_eq!(hits.len(), 1);
    assert_eq!(field(&hits[0], "proc_name"), Some("cmd.exe"));
    assert_eq!(field(&hits[0], "proc_path"), Some("C:\\w\\cmd.exe"));
    assert_eq!(field(&hits[0], "process_name"), None);
    assert_eq!(field(&hits[0], "n"), Some("1"));
    let by = &hits[0].aggregate.as_ref().unwrap().by;
    assert_eq!(by[0], ("proc_name".to_string(), "cmd.exe".to_string()));
}

#[test]
fn eval_functions_and_where() {
    let rule = rule_of(
        "`sysmon` EventCode=1 | eval lower_name=lower(process_name), len=len(process_name), \
         kind=case(match(process_name, \"^cmd\"), \"shell\", true(), \"other\"), \
         flag=if(like(CommandLine, \"%/c%\"), \"yes\", \"no\"), \
         parts=split(CommandLine, \" \"), nparts=mvcount(parts), last=mvindex(parts, -1), \
         first3=substr(process_name, 1, 3), both=coalesce(NoField, User), \
         cleaned=replace(CommandLine, \"(/c)\", \"[\\1]\"), r=round(2.567, 1), t=trim(\"  x  \"), \
         isin=if(in(process_name, \"CMD.exe\", \"cmd.exe\"), 1, 0), up=upper(\"a\"), \
         missing=if(isnull(NoField) AND isnotnull(User), \"ok\", \"bad\") \
         | where len > 5 AND nparts >= 3",
        &[],
    );
    let evs = [
        proc1(
            1,
            "2024-01-01T00:00:00Z",
            "C:\\w\\CMD.exe",
            "cmd /c whoami",
            "x.exe",
        ),
        proc1(2, "2024-01-01T00:00:00Z", "C:\\w\\a.exe", "a /c b", "x.exe"),
    ];
    let hits = run(&rule, &evs);
    assert_eq!(
        hits.len(),
        1,
        "{:?}",
        hits.iter().map(|h| &h.fields).collect::<Vec<_>>()
    );
    let h = &hits[0];
    assert!(h.aggregate.is_none());
    assert_eq!(field(h, "lower_name"), Some("cmd.exe"));
    assert_eq!(field(h, "len"), Some("7"));
    // match() is case-sensitive: "CMD.exe" does not match ^cmd.
    assert_eq!(field(h, "kind"), Some("other"));
    assert_eq!(field(h, "flag"), Some("yes"));
    assert_eq!(field(h, "nparts"), Some("3"));
    assert_eq!(field(h, "last"), Some("whoami"));
    assert_eq!(field(h, "first3"), Some("CMD"));
    assert_eq!(field(h, "both"), Some("CORP\\bob"));
    assert_eq!(field(h, "cleaned"), Some("cmd [/c] whoami"));
    assert_eq!(field(h, "r"), Some("2.6"));
    assert_eq!(field(h, "t"), Some("x"));
    assert_eq!(field(h, "isin"), Some("1"));
    assert_eq!(field(h, "up"), Some("A"));
    assert_eq!(field(h, "missing"), Some("ok"));
    // The event's own fields are there too.
    assert_eq!(field(h, "Image"), Some("C:\\w\\CMD.exe"));
}

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
fn unsupported_commands_are_rejected_by_name() {
    use evtxscan::rules::loader::{load_files, RuleFile};
    use evtxscan::rules::{LoadOptions, RuleStatus};
    let cases = [
        (
            "`sysmon` | transaction dest maxpause=5m",
            "unsupported command `transaction`",
        ),
        (
            "`sysmon` | eval x=sha512(y)",
            "unsupported function `sha512`",
        ),
        (
            "`sysmon` | stats count by x | `undefined_thing`",
            "undefined macro `undefined_thing`",
        ),
        (
            "| tstats count from datamodel=Web by Web.dest",
            "datamodel `Web`",
        ),
        ("`sysmon` [| inputlookup x]", "subsearch"),
    ];
    for (search, reason) in cases {
        let yaml = format!(
            "name: T\nid: t\nsearch: {}\n",
            serde_json::to_string(search).unwrap()
        );
        let report = load_files(
            vec![RuleFile {
                path: "t.yml".into(),
                text: yaml,
            }],
            &LoadOptions::default(),
            Vec::new(),
        );
        assert_eq!(report.rules.len(), 0, "{search}");
        assert_eq!(report.verdicts[0].status, RuleStatus::Rejected);
        assert!(
            report.verdicts[0].reason.contains(reason),
            "{search}: {}",
            report.verdicts[0].reason
        );
    }
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
fn hostile_searches_fail_cleanly() {
    use evtxscan::rules::loader::{load_files, RuleFile};
    use evtxscan::rules::{LoadOptions, RuleStatus};
    let deep_not = format!("`sysmon` {}A=1", "NOT ".repeat(10_000));
    let deep_paren = format!("`sysmon` {}A=1{}", "(".repeat(10_000), ")".repeat(10_000));
    let long_chain = format!("`sysmon` | eval x={}1", "1+".repeat(50_000));
    let deep_eval = format!(
        "`sysmon` | eval x={}1{}",
        "(".repeat(10_000),
        ")".repeat(10_000)
    );
    let macro_bomb = "name: bomb\ndefinition: '`bomb` `bomb`'\n";
    for search in [
        deep_not,
        deep_paren,
        long_chain,
        deep_eval,
        "`bomb`".to_string(),
    ] {
        let yaml = format!(
            "name: T\nid: t\nsearch: {}\n",
            serde_json::to_string(&search).unwrap()
        );
        let report = load_files(
            vec![
                RuleFile {
                    path: "t.yml".into(),
                    text: yaml,
                },
                RuleFile {
                    path: "bomb.yml".into(),
                    text: macro_bomb.into(),
                },
            ],
            &LoadOptions::default(),
            Vec::new(),
        );
        let v = report
            .verdicts
            .iter()
            .find(|v| v.path.ends_with("t.yml"))
            .unwrap();
        assert_eq!(v.status, RuleStatus::Rejected, "{}", &search[..40]);
    }
}

#[test]
fn time_spans_group_and_needles_name_literals() {
    let rule = rule_of(
        "| tstats `security_content_summariesonly` count from datamodel=Endpoint.Processes \
         where Processes.process_name IN (\"net.exe\", \"net1.exe\") by _time span=1h Processes.dest \
         | `drop_dm_object_name(Processes)` | where count >= 2",
        &[],
    );
    let needles: Vec<String> = rule
        .needles()
        .unwrap()
        .into_iter()
        .map(|n| n.needle)
        .collect();
    assert_eq!(needles, vec!["net.exe", "net1.exe"]);
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
    // Numbers and transformed fields never give needles.
    assert!(rule_of("`sysmon` EventCode=1 process_id=42", &[])
        .needles()
        .is_none());
}

fn reg13(
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
