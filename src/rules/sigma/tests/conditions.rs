//! Condition forms, missing fields, limits, and rule-level rejections.

use super::support::*;

fn ev(img: &str, cl: &str) -> crate::event::Event {
    sysmon1(&[("Image", img), ("CommandLine", cl)])
}

#[test]
fn not_of_a_missing_field_is_true() {
    // The event has no ParentImage at all: the filter is false, so `not filter` is true.
    let r = proc_rule(
        "    sel:\n        Image|endswith: '\\x.exe'\n    filter:\n        ParentImage|endswith: '\\explorer.exe'\n    condition: sel and not filter\n",
    );
    assert!(fires(&r, &ev(r"C:\x.exe", "")));
    let with_parent = sysmon1(&[("Image", r"C:\x.exe"), ("ParentImage", r"C:\explorer.exe")]);
    assert!(!fires(&r, &with_parent));
}

#[test]
fn not_one_of_and_all_of_patterns() {
    let r = proc_rule(
        "    selection_img:\n        Image|endswith: '\\x.exe'\n    selection_cli:\n        CommandLine|contains: 'go'\n    filter_main_a:\n        CommandLine|contains: 'safe'\n    filter_optional_b:\n        CommandLine|contains: 'test'\n    condition: all of selection_* and not 1 of filter_*\n",
    );
    assert!(fires(&r, &ev(r"C:\x.exe", "go now")));
    assert!(!fires(&r, &ev(r"C:\x.exe", "go safe")));
    assert!(!fires(&r, &ev(r"C:\x.exe", "go test")));
    assert!(!fires(&r, &ev(r"C:\y.exe", "go now")));
}

#[test]
fn them_excludes_underscore_identifiers() {
    let r = proc_rule(
        "    a:\n        Image|endswith: '\\x.exe'\n    _helper:\n        CommandLine|contains: 'never'\n    condition: all of them\n",
    );
    assert!(fires(&r, &ev(r"C:\x.exe", "anything")));
    let r = proc_rule(
        "    a:\n        Image|endswith: '\\x.exe'\n    b:\n        CommandLine|contains: 'go'\n    condition: 1 of them\n",
    );
    assert!(fires(&r, &ev(r"C:\y.exe", "go")));
    assert!(!fires(&r, &ev(r"C:\y.exe", "stop")));
}

#[test]
fn n_of_and_parentheses_and_condition_lists() {
    let r = proc_rule(
        "    s1:\n        CommandLine|contains: 'a1'\n    s2:\n        CommandLine|contains: 'b2'\n    s3:\n        CommandLine|contains: 'c3'\n    condition: 2 of s*\n",
    );
    assert!(fires(&r, &ev("x", "a1 c3")));
    assert!(!fires(&r, &ev("x", "a1 zz")));
    let r = proc_rule(
        "    s1:\n        CommandLine|contains: 'a1'\n    s2:\n        CommandLine|contains: 'b2'\n    s3:\n        CommandLine|contains: 'c3'\n    condition: s1 and (s2 or s3)\n",
    );
    assert!(fires(&r, &ev("x", "a1 c3")));
    assert!(!fires(&r, &ev("x", "b2 c3")));
    let r = proc_rule(
        "    s1:\n        CommandLine|contains: 'a1'\n    s2:\n        CommandLine|contains: 'b2'\n    condition:\n        - s1\n        - s2\n",
    );
    assert!(fires(&r, &ev("x", "b2")));
    assert!(!fires(&r, &ev("x", "c3")));
}

#[test]
fn explicit_event_id_still_applies() {
    let r = rule(&with_detection(
        "service: security",
        "    sel:\n        EventID: 1102\n    condition: sel\n",
    ));
    // 1102 is written by the Eventlog provider into the Security channel.
    assert!(fires(
        &r,
        &event("Security", "Microsoft-Windows-Eventlog", 1102, &[])
    ));
    assert!(!fires(
        &r,
        &event("Security", "Microsoft-Windows-Eventlog", 1100, &[])
    ));
    assert!(!fires(
        &r,
        &event("System", "Microsoft-Windows-Eventlog", 1102, &[])
    ));
}

#[test]
fn system_fields_and_guids() {
    let r = rule(&with_detection(
        "service: security",
        "    sel:\n        EventID: 4719\n        Provider_Name: 'Microsoft-Windows-Security-Auditing'\n        SubcategoryGuid: '{0CCE9210-69AE-11D9-BED3-505054503030}'\n    condition: sel\n",
    ));
    let e = event(
        "Security",
        "Microsoft-Windows-Security-Auditing",
        4719,
        &[("SubcategoryGuid", "{0cce9210-69ae-11d9-bed3-505054503030}")],
    );
    assert!(fires(&r, &e));
}

#[test]
fn rejections_name_the_problem() {
    let r = rejection(&with_detection(
        "category: process_creation",
        "    sel:\n        Image: x\n    condition: sel and missing\n",
    ));
    assert!(r.contains("`missing`"), "{r}");
    let r = rejection(&with_detection(
        "category: process_creation",
        "    sel:\n        Image: x\n    condition: sel | count() > 5\n",
    ));
    assert!(r.contains("aggregation"), "{r}");
    let r = rejection(&with_detection(
        "category: no_such_category",
        "    sel:\n        Image: x\n    condition: sel\n",
    ));
    assert!(r.contains("no_such_category"), "{r}");
    let r = rejection(&with_detection(
        "category: process_creation",
        "    sel:\n        Image: x\n",
    ));
    assert!(r.contains("no condition"), "{r}");
}

#[test]
fn deep_conditions_end_in_an_error_not_a_crash() {
    let cond = format!("{}sel{}", "(".repeat(2000), ")".repeat(2000));
    let text = with_detection(
        "category: process_creation",
        &format!("    sel:\n        Image: x\n    condition: '{cond}'\n"),
    );
    assert!(rejection(&text).contains("deeper"));
}

#[test]
fn one_verdict_per_document_and_yaml_errors() {
    let two = format!(
        "{}---\n{}",
        with_detection(
            "category: process_creation",
            "    s:\n        Image: x\n    condition: s\n"
        ),
        with_detection(
            "category: nope",
            "    s:\n        Image: x\n    condition: s\n"
        ),
    );
    let (rules, verdicts) = load(&two);
    assert_eq!(rules.len(), 1);
    assert_eq!(verdicts.len(), 2);
    let (rules, verdicts) = load("title: x\ndetection: [unclosed\n");
    assert!(rules.is_empty());
    assert_eq!(verdicts.len(), 1);
    assert!(verdicts[0].reason.contains("YAML"));
}

#[test]
fn spaced_field_names_answer_to_sigma_names() {
    let r = rule(&with_detection(
        "service: windefend",
        "    sel:\n        ThreatName|endswith: 'EICAR_Test_File'\n        SourceName: 'Real-Time Protection'\n    condition: sel\n",
    ));
    let e = event(
        "Microsoft-Windows-Windows Defender/Operational",
        "Microsoft-Windows-Windows Defender",
        1119,
        &[
            ("Threat Name", "Tool:Win32/EICAR_Test_File"),
            ("Source Name", "Real-Time Protection"),
        ],
    );
    assert!(fires(&r, &e));
}

#[test]
fn yaml_alias_bombs_and_deep_nesting_are_bounded() {
    let mut bomb = String::from(
        "title: bomb\nlogsource: {product: windows}\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n",
    );
    for i in 1..12 {
        let prev = i - 1;
        bomb.push_str(&format!(
            "a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
        ));
    }
    bomb.push_str("detection:\n    sel:\n        Image: *a11\n    condition: sel\n");
    let (rules, verdicts) = load(&bomb);
    assert!(rules.is_empty());
    assert_eq!(verdicts.len(), 1);
    let deep = format!(
        "title: deep\nlogsource: {{product: windows}}\ndetection:\n    sel: {}x{}\n    condition: sel\n",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let (rules, verdicts) = load(&deep);
    assert!(rules.is_empty());
    assert_eq!(verdicts.len(), 1);
}
