//! Every value modifier and value form, through whole rules.

use super::support::*;

fn cmd(line: &str) -> crate::event::Event {
    sysmon1(&[
        ("Image", r"C:\Windows\System32\cmd.exe"),
        ("CommandLine", line),
    ])
}

#[test]
fn contains_startswith_endswith_and_case() {
    let r = proc_rule(
        "    sel:\n        Image|endswith: '\\cmd.exe'\n        CommandLine|startswith: 'cmd'\n        CommandLine|contains: 'WHOAMI'\n    condition: sel\n",
    );
    assert!(fires(&r, &cmd("CMD /c whoami /all")));
    assert!(!fires(&r, &cmd("powershell whoami")));
    assert!(!fires(&r, &cmd("cmd /c dir")));
}

#[test]
fn plain_values_are_equality_with_wildcards() {
    let r = proc_rule("    sel:\n        CommandLine: 'net* user ?dmin'\n    condition: sel\n");
    assert!(fires(&r, &cmd("NET.EXE user admin")));
    assert!(fires(&r, &cmd("net user Xdmin")));
    assert!(!fires(&r, &cmd("net user admin now")));
    assert!(!fires(&r, &cmd("x net user admin")));
}

#[test]
fn escaped_wildcards_are_literal() {
    let r = proc_rule("    sel:\n        CommandLine|contains: 'a\\*b\\?'\n    condition: sel\n");
    assert!(fires(&r, &cmd("echo a*b?")));
    assert!(!fires(&r, &cmd("echo axxb?")));
    assert!(!fires(&r, &cmd("echo a*bc")));
    // `\\*`: a literal backslash, then a wildcard.
    let r = proc_rule("    sel:\n        CommandLine: 'C:\\\\*'\n    condition: sel\n");
    assert!(fires(&r, &cmd(r"C:\anything")));
    assert!(!fires(&r, &cmd("C:anything")));
    // A doubled backslash stands for one: '\\\\srv\\' is `\\srv\`.
    let r = proc_rule(
        "    sel:\n        CommandLine|contains: '\\\\\\\\127.0.0.1\\\\'\n    condition: sel\n",
    );
    assert!(fires(&r, &cmd(r"copy \\127.0.0.1\c$ x")));
    assert!(!fires(&r, &cmd(r"copy \127.0.0.1c$ x")));
    assert!(!fires(&r, &cmd(r"copy 127.0.0.1\c$ x")));
}

#[test]
fn all_with_contains_needs_every_value() {
    let r = proc_rule(
        "    sel:\n        CommandLine|contains|all:\n            - ' -w hidden'\n            - ' -enc'\n    condition: sel\n",
    );
    assert!(fires(&r, &cmd("powershell -enc AAA -w hidden")));
    assert!(!fires(&r, &cmd("powershell -enc AAA")));
}

#[test]
fn windash_accepts_every_dash_variant() {
    let r = proc_rule(
        "    sel:\n        CommandLine|contains|windash: ' -exec bypass'\n    condition: sel\n",
    );
    for dash in ["-", "/", "\u{2013}", "\u{2014}", "\u{2015}"] {
        assert!(
            fires(&r, &cmd(&format!("powershell {dash}exec bypass"))),
            "{dash}"
        );
    }
    assert!(!fires(&r, &cmd("powershell +exec bypass")));
    let r =
        proc_rule("    sel:\n        CommandLine|endswith|windash: ' -s'\n    condition: sel\n");
    assert!(fires(&r, &cmd("x /s")));
}

#[test]
fn regex_with_flags() {
    let r = proc_rule("    sel:\n        CommandLine|re: '\\s-[Ee]nc\\s'\n    condition: sel\n");
    assert!(fires(&r, &cmd("powershell -Enc AA")));
    assert!(
        !fires(&r, &cmd("powershell -ENC AA")),
        "re is case-sensitive"
    );
    let r = proc_rule("    sel:\n        CommandLine|re|i: '\\s-enc\\s'\n    condition: sel\n");
    assert!(fires(&r, &cmd("powershell -ENC AA")));
    let r = proc_rule("    sel:\n        CommandLine|re|m: '^second$'\n    condition: sel\n");
    assert!(fires(&r, &cmd("first\nsecond\nthird")));
    let r = proc_rule("    sel:\n        CommandLine|re|s: 'a.b'\n    condition: sel\n");
    assert!(fires(&r, &cmd("a\nb")));
    let reason = rejection(&with_detection(
        "category: process_creation",
        "    sel:\n        CommandLine|re: '(unclosed'\n    condition: sel\n",
    ));
    assert!(
        reason.contains("regex") && reason.contains("(unclosed"),
        "{reason}"
    );
}

#[test]
fn base64_and_base64offset_with_utf16() {
    // "IEX" base64 is "SUVY".
    let r = proc_rule("    sel:\n        CommandLine|base64|contains: 'IEX'\n    condition: sel\n");
    assert!(fires(&r, &cmd("powershell -e SUVY")));
    let r = proc_rule(
        "    sel:\n        CommandLine|base64offset|contains: 'http://'\n    condition: sel\n",
    );
    use base64::Engine;
    let enc = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    for prefix in ["", "a", "ab"] {
        let line = format!("powershell -e {}", enc(&format!("{prefix}iwr http://x")));
        assert!(fires(&r, &cmd(&line)), "offset {}", prefix.len());
    }
    assert!(!fires(&r, &cmd(&enc("https only"))));
    let r = proc_rule(
        "    sel:\n        CommandLine|wide|base64offset|contains: 'IEX'\n    condition: sel\n",
    );
    let wide: Vec<u8> = "x IEX("
        .encode_utf16()
        .flat_map(|u| u.to_le_bytes())
        .collect();
    let line = base64::engine::general_purpose::STANDARD.encode(wide);
    assert!(fires(&r, &cmd(&line)));
    let reason = rejection(&with_detection(
        "category: process_creation",
        "    sel:\n        CommandLine|wide: 'x'\n    condition: sel\n",
    ));
    assert!(reason.contains("base64"), "{reason}");
}

#[test]
fn cidr_ipv4_and_ipv6() {
    let r = rule(&with_detection(
        "category: network_connection",
        "    sel:\n        DestinationIp|cidr:\n            - '10.0.0.0/8'\n            - 'fe80::/10'\n    condition: sel\n",
    ));
    let net = |ip: &str| sysmon(3, &[("DestinationIp", ip)]);
    assert!(fires(&r, &net("10.1.2.3")));
    assert!(fires(&r, &net("fe80::1c2a:3b4c")));
    assert!(fires(&r, &net("::ffff:10.9.9.9")));
    assert!(!fires(&r, &net("11.0.0.1")));
    assert!(!fires(&r, &net("2001:db8::1")));
    assert!(!fires(&r, &net("not an ip")));
}

#[test]
fn null_empty_and_exists() {
    let r = proc_rule("    sel:\n        Image|endswith: '.exe'\n        OriginalFileName: null\n    condition: sel\n");
    assert!(fires(&r, &sysmon1(&[("Image", "a.exe")])));
    assert!(!fires(
        &r,
        &sysmon1(&[("Image", "a.exe"), ("OriginalFileName", "")])
    ));
    let r = proc_rule("    sel:\n        OriginalFileName: ''\n    condition: sel\n");
    assert!(fires(&r, &sysmon1(&[("OriginalFileName", "")])));
    assert!(!fires(&r, &sysmon1(&[])));
    let r = proc_rule("    sel:\n        OriginalFileName|exists: true\n    condition: sel\n");
    assert!(fires(&r, &sysmon1(&[("OriginalFileName", "")])));
    assert!(!fires(&r, &sysmon1(&[])));
    let r = proc_rule("    sel:\n        OriginalFileName|exists: false\n    condition: sel\n");
    assert!(fires(&r, &sysmon1(&[])));
}

#[test]
fn cased_is_case_sensitive() {
    let r = proc_rule(
        "    sel:\n        CommandLine|cased|contains: 'FromBase64'\n    condition: sel\n",
    );
    assert!(fires(&r, &cmd("x FromBase64String")));
    assert!(!fires(&r, &cmd("x frombase64string")));
}

#[test]
fn numeric_values_and_comparisons() {
    let r = rule(&with_detection(
        "service: security",
        "    sel:\n        EventID: 4624\n        LogonType: 3\n    condition: sel\n",
    ));
    let logon = |t: &str| event("Security", "x", 4624, &[("LogonType", t)]);
    assert!(fires(&r, &logon("3")));
    assert!(!fires(&r, &logon("10")));
    let r = rule(&with_detection(
        "service: security",
        "    sel:\n        KeyLength|gte: 128\n        Port|lt: 1024\n    condition: sel\n",
    ));
    let ev = |k: &str, p: &str| event("Security", "x", 1, &[("KeyLength", k), ("Port", p)]);
    assert!(fires(&r, &ev("128", "80")));
    assert!(fires(&r, &ev("0x100", "1023")));
    assert!(!fires(&r, &ev("64", "80")));
    assert!(!fires(&r, &ev("256", "1024")));
    assert!(!fires(&r, &ev("x", "80")));
    let r = rule(&with_detection(
        "service: security",
        "    sel:\n        EventID|gt: 4600\n    condition: sel\n",
    ));
    assert!(fires(&r, &event("Security", "x", 4624, &[])));
    assert!(!fires(&r, &event("Security", "x", 1102, &[])));
}

#[test]
fn neq_excludes_the_values() {
    let r = rule(&with_detection(
        "service: security",
        "    sel:\n        LogonType|neq:\n            - 3\n            - 10\n    condition: sel\n",
    ));
    let logon = |t: &str| event("Security", "x", 4624, &[("LogonType", t)]);
    assert!(fires(&r, &logon("2")));
    assert!(!fires(&r, &logon("3")));
    assert!(!fires(&r, &logon("10")));
    assert!(!fires(&r, &event("Security", "x", 4624, &[])));
}

#[test]
fn fieldref_compares_two_fields() {
    let r = rule(&with_detection(
        "category: file_delete",
        "    sel:\n        TargetFilename|fieldref: Image\n    condition: sel\n",
    ));
    let del = |img: &str, tgt: &str| sysmon(23, &[("Image", img), ("TargetFilename", tgt)]);
    assert!(fires(&r, &del(r"C:\a\x.exe", r"c:\A\X.EXE")));
    assert!(!fires(&r, &del(r"C:\a\x.exe", r"C:\a\y.exe")));
    assert!(!fires(&r, &sysmon(23, &[("TargetFilename", "x")])));
    let r = rule(&with_detection(
        "category: file_delete",
        "    sel:\n        TargetFilename|fieldref|neq: Image\n    condition: sel\n",
    ));
    assert!(fires(&r, &del(r"C:\a\x.exe", r"C:\a\y.exe")));
    assert!(!fires(&r, &del(r"C:\a\x.exe", r"C:\a\x.exe")));
}

#[test]
fn expand_uses_placeholders_or_rejects() {
    let detection = "    sel:\n        Computer|expand: '%admin_hosts%'\n    condition: sel\n";
    let text = with_detection("service: security", detection);
    let reason = rejection(&text);
    assert!(reason.contains("%admin_hosts%"), "{reason}");
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("ph.yml");
    std::fs::write(&p, "admin_hosts:\n  - 'ADM*'\n  - 'WS01.corp.local'\n").unwrap();
    let opts = crate::rules::loader::LoadOptions {
        placeholders: Some(p),
        ..Default::default()
    };
    let (rules, verdicts) = load_with(&text, &opts);
    assert_eq!(rules.len(), 1, "{verdicts:?}");
    assert!(fires(&rules[0], &event("Security", "x", 1, &[])));
    let other = std::fs::write(dir.path().join("ph.yml"), "other: [x]\n");
    other.unwrap();
    let (rules, verdicts) = load_with(&text, &opts);
    assert!(rules.is_empty());
    assert!(verdicts[0].reason.contains("not in the placeholder file"));
}

#[test]
fn time_parts() {
    let r = rule(&with_detection(
        "service: security",
        "    sel:\n        TimeCreated|hour|gte: 9\n        TimeCreated|hour|lt: 11\n    condition: sel\n",
    ));
    assert!(
        fires(&r, &event("Security", "x", 1, &[])),
        "the test events are at 10:00"
    );
    let r = rule(&with_detection(
        "service: security",
        "    sel:\n        TimeCreated|year: 2023\n    condition: sel\n",
    ));
    assert!(!fires(&r, &event("Security", "x", 1, &[])));
}

#[test]
fn keywords_search_every_value() {
    let r = rule(&with_detection(
        "service: system",
        "    keywords:\n        - 'mimikatz'\n        - 'sekurlsa::'\n    condition: keywords\n",
    ));
    assert!(fires(
        &r,
        &event("System", "x", 7045, &[("ImagePath", "C:\\mimikatz.exe")])
    ));
    assert!(fires(
        &r,
        &event(
            "System",
            "x",
            7045,
            &[("Data", "run SEKURLSA::logonpasswords")]
        )
    ));
    assert!(!fires(
        &r,
        &event("System", "x", 7045, &[("ImagePath", "svc.exe")])
    ));
    let r = rule(&with_detection(
        "service: system",
        "    keywords:\n        '|all':\n            - 'alpha'\n            - 'beta'\n    condition: keywords\n",
    ));
    assert!(fires(
        &r,
        &event("System", "x", 1, &[("A", "alpha"), ("B", "xbetax")])
    ));
    assert!(!fires(&r, &event("System", "x", 1, &[("A", "alpha")])));
}

#[test]
fn lists_or_maps_and_list_of_maps() {
    let r = proc_rule(
        "    sel:\n        - Image|endswith: '\\a.exe'\n          CommandLine|contains: 'x'\n        - Image|endswith:\n            - '\\b.exe'\n            - '\\c.exe'\n    condition: sel\n",
    );
    let ev = |img: &str, cl: &str| sysmon1(&[("Image", img), ("CommandLine", cl)]);
    assert!(fires(&r, &ev(r"C:\a.exe", "x")));
    assert!(!fires(&r, &ev(r"C:\a.exe", "y")));
    assert!(fires(&r, &ev(r"C:\c.exe", "y")));
    assert!(!fires(&r, &ev(r"C:\d.exe", "x")));
}

#[test]
fn multi_valued_data_fields() {
    let r = rule(&with_detection(
        "category: ps_classic_start",
        "    sel:\n        Data|contains|all:\n            - 'HostName=ConsoleHost'\n            - 'EngineVersion=2.'\n    condition: sel\n",
    ));
    let ev = event(
        "Windows PowerShell",
        "PowerShell",
        400,
        &[
            ("Data", "Available"),
            ("Data", "None"),
            (
                "Data",
                "NewEngineState=Available HostName=ConsoleHost EngineVersion=2.0",
            ),
        ],
    );
    assert!(fires(&r, &ev));
}

#[test]
fn unknown_modifiers_and_bad_values_are_rejected_with_the_reason() {
    let reason = rejection(&with_detection(
        "category: process_creation",
        "    sel:\n        Image|sounds_like: 'x'\n    condition: sel\n",
    ));
    assert!(reason.contains("`sounds_like`"), "{reason}");
    let reason = rejection(&with_detection(
        "category: process_creation",
        "    sel:\n        Image|cidr: 'x'\n    condition: sel\n",
    ));
    assert!(reason.contains("CIDR"), "{reason}");
}
