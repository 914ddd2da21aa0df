//! Parser and evaluator behaviour of the SPL engine on hand-built events.

#[path = "spl_helpers.rs"]
mod helpers;

use helpers::*;

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
