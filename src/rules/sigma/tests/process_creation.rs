//! Security 4688 read under Sysmon names, log source scoping, and the bundled seed rules.

use super::support::*;
use crate::rules::{Needle, Rule};
use std::sync::Arc;

fn ev4688(extra: &[(&str, &str)]) -> crate::event::Event {
    let mut data = vec![
        ("SubjectUserSid", "S-1-5-21-1-2-3-1001"),
        ("SubjectUserName", "alice"),
        ("SubjectDomainName", "CORP"),
        ("SubjectLogonId", "0x3e7a1"),
        ("NewProcessId", "0x1a4"),
        ("NewProcessName", r"C:\Tools\plink.exe"),
        ("TokenElevationType", "%%1938"),
        ("ProcessId", "0xae8"),
        ("CommandLine", "plink.exe -R 8080:localhost:80 host"),
        ("TargetUserSid", "S-1-0-0"),
        ("TargetUserName", "-"),
        ("TargetDomainName", "-"),
        ("TargetLogonId", "0x0"),
        ("ParentProcessName", r"C:\Windows\explorer.exe"),
        ("MandatoryLabel", "S-1-16-12288"),
    ];
    for (k, v) in extra {
        data.retain(|(n, _)| n != k);
        data.push((k, v));
    }
    security4688(&data)
}

#[test]
fn sysmon_names_read_4688_fields() {
    let r = proc_rule(
        "    sel:\n        Image|endswith: '\\plink.exe'\n        ParentImage|endswith: '\\explorer.exe'\n        User: 'CORP\\alice'\n        ProcessId: 420\n        ParentProcessId: 2792\n        IntegrityLevel: High\n        LogonId: '0x3e7a1'\n        CommandLine|contains: ' -R '\n    condition: sel\n",
    );
    assert!(fires(&r, &ev4688(&[])));
    assert!(!fires(&r, &ev4688(&[("MandatoryLabel", "S-1-16-8192")])));
    assert!(!fires(&r, &ev4688(&[("NewProcessId", "0x1a5")])));
}

#[test]
fn target_account_and_service_accounts() {
    let r = proc_rule("    sel:\n        User|contains: 'AUTHORITY\\SYSTEM'\n    condition: sel\n");
    let system = ev4688(&[
        ("SubjectUserSid", "S-1-5-18"),
        ("SubjectUserName", "WS01$"),
        ("SubjectDomainName", "CORP"),
    ]);
    assert!(fires(&r, &system));
    let r = proc_rule("    sel:\n        User: 'CORP\\bob'\n    condition: sel\n");
    let runas = ev4688(&[
        ("TargetUserName", "bob"),
        ("TargetDomainName", "CORP"),
        ("TargetUserSid", "S-1-5-21-1-2-3-1002"),
    ]);
    assert!(fires(&r, &runas));
    assert!(!fires(&r, &ev4688(&[])));
}

#[test]
fn fields_4688_lacks_are_absent() {
    let r = proc_rule("    sel:\n        OriginalFileName: 'plink.exe'\n    condition: sel\n");
    // Even if some producer put such a name into a 4688 event, the view does not read it.
    assert!(!fires(&r, &ev4688(&[("OriginalFileName", "plink.exe")])));
    let r = proc_rule(
        "    sel:\n        Image|endswith: '\\plink.exe'\n    filter:\n        Hashes|contains: 'IMPHASH='\n    condition: sel and not filter\n",
    );
    assert!(fires(&r, &ev4688(&[])));
    let r = proc_rule("    sel:\n        OriginalFileName: null\n    condition: sel\n");
    assert!(fires(&r, &ev4688(&[])));
}

#[test]
fn the_4688_view_is_only_for_process_creation_rules() {
    let r = rule(&with_detection(
        "service: security",
        "    sel:\n        EventID: 4688\n        Image|endswith: '\\plink.exe'\n    condition: sel\n",
    ));
    assert!(!fires(&r, &ev4688(&[])));
    let r = rule(&with_detection(
        "service: security",
        "    sel:\n        EventID: 4688\n        NewProcessName|endswith: '\\plink.exe'\n    condition: sel\n",
    ));
    assert!(fires(&r, &ev4688(&[])));
}

#[test]
fn process_creation_scope() {
    let r = proc_rule("    sel:\n        CommandLine|contains: 'plink'\n    condition: sel\n");
    let line = [("CommandLine", "plink")];
    assert!(fires(&r, &sysmon1(&line)));
    assert!(fires(&r, &security4688(&line)));
    assert!(!fires(&r, &sysmon(3, &line)));
    assert!(!fires(&r, &event("Security", "x", 4689, &line)));
    assert!(!fires(&r, &event("System", "x", 4688, &line)));
}

fn seed(name: &str) -> Arc<dyn Rule> {
    let text = crate::rules::bundled::BUNDLED
        .iter()
        .find(|(n, _)| n.ends_with(name))
        .map(|(_, t)| *t)
        .expect("bundled seed rule");
    rule(text)
}

#[test]
fn seed_tunneling_rules_fire_on_sysmon_and_4688() {
    let tunnel = seed("proc_creation_tunneling_tools.yml");
    let dns = seed("proc_creation_dns_tunnel_tools.yml");
    let plink = r"C:\Tools\plink.exe";
    assert!(fires(&tunnel, &sysmon1(&[("Image", plink)])));
    assert!(fires(&tunnel, &ev4688(&[("NewProcessName", plink)])));
    let near = r"C:\Tools\plinkx.exe";
    assert!(!fires(&tunnel, &sysmon1(&[("Image", near)])));
    assert!(!fires(&tunnel, &ev4688(&[("NewProcessName", near)])));

    let iodine = r"C:\Users\a\iodine.exe";
    let dnscat = r"C:\Users\a\dnscat2-v0.07.exe";
    for img in [iodine, dnscat] {
        assert!(fires(&dns, &sysmon1(&[("Image", img)])), "{img}");
        assert!(fires(&dns, &ev4688(&[("NewProcessName", img)])), "{img}");
    }
    assert!(!fires(&dns, &sysmon1(&[("Image", r"C:\iodine.exe.bak")])));
    assert!(!fires(
        &dns,
        &ev4688(&[("NewProcessName", r"C:\dnscat.exe")])
    ));
}

#[test]
fn seed_dnscat_rule_is_4104_only() {
    let r = seed("powershell_dnscat2_execution.yml");
    let ps = "Microsoft-Windows-PowerShell/Operational";
    let text = [("ScriptBlockText", "Start-Dnscat2 -Domain x.example")];
    assert!(fires(
        &r,
        &event(ps, "Microsoft-Windows-PowerShell", 4104, &text)
    ));
    assert!(fires(
        &r,
        &event("PowerShellCore/Operational", "PowerShellCore", 4104, &text)
    ));
    assert!(!fires(
        &r,
        &event(ps, "Microsoft-Windows-PowerShell", 4103, &text)
    ));
    let payload = [("Payload", "Start-Dnscat2 -Domain x.example")];
    assert!(!fires(
        &r,
        &event(ps, "Microsoft-Windows-PowerShell", 4103, &payload)
    ));
    let info = r.info();
    assert_eq!(info.techniques, vec!["T1048", "T1059.001"]);
    assert_eq!(info.tactics, vec!["exfiltration", "execution"]);
    assert_eq!(info.level, crate::rules::Level::Critical);
}

#[test]
fn needles_are_required_literals() {
    let tunnel = seed("proc_creation_tunneling_tools.yml");
    let needles = tunnel.needles().expect("needles");
    // Image is read as NewProcessName on 4688: each needle names both fields.
    for field in ["Image", "NewProcessName"] {
        assert!(needles.contains(&Needle {
            field: Some(field.into()),
            needle: r"\plink.exe".into()
        }));
    }
    assert_eq!(needles.len(), 8);
    let r = rule(&with_detection(
        "service: security",
        "    sel:\n        ObjectName|contains: 'lsass'\n    filter:\n        SubjectUserName|endswith: '$'\n    condition: sel and not filter\n",
    ));
    assert_eq!(
        r.needles(),
        Some(vec![Needle {
            field: Some("ObjectName".into()),
            needle: "lsass".into()
        }])
    );
    let r = proc_rule("    sel:\n        User|contains: 'alice'\n    condition: sel\n");
    assert_eq!(r.needles(), None, "User is derived on 4688");
    let r = proc_rule(
        "    a:\n        CommandLine|contains: 'x1'\n    b:\n        CommandLine|re: '\\w+\\d'\n    condition: a or b\n",
    );
    assert_eq!(r.needles(), None, "a regex without a required literal");
    let r = proc_rule(
        "    a:\n        CommandLine|contains: 'x1'\n    b:\n        CommandLine|re: 'yz\\w'\n    condition: a or b\n",
    );
    let needles: Vec<String> = r
        .needles()
        .unwrap_or_default()
        .into_iter()
        .map(|n| n.needle)
        .collect();
    assert_eq!(
        needles,
        vec!["x1", "yz"],
        "a regex gives the literal its matches start with"
    );
}

#[test]
fn non_ascii_substrings_match_every_case_and_give_needles() {
    // Homoglyph rules list single Cyrillic letters: each is searched in both cases by the
    // substring automaton, and both spellings are needles.
    let r = proc_rule("    sel:\n        CommandLine|contains:\n            - 'а'\n            - 'е'\n    condition: sel\n");
    let mut needles: Vec<String> = r
        .needles()
        .expect("needles")
        .into_iter()
        .map(|n| n.needle)
        .collect();
    needles.sort();
    assert_eq!(needles, vec!["А", "Е", "а", "е"]);
    assert!(fires(
        &r,
        &sysmon1(&[("CommandLine", "powershell -ЕncodedCommand x")])
    ));
    assert!(fires(&r, &sysmon1(&[("CommandLine", "cmd /c dеl x")])));
    assert!(!fires(&r, &sysmon1(&[("CommandLine", "cmd /c del x")])));
    // Long lists keep their needles (emoji rules list ~100 values).
    let many: String = (0x1F400..0x1F460u32)
        .filter_map(char::from_u32)
        .map(|c| format!("            - '{c}'\n"))
        .collect();
    let r = proc_rule(&format!(
        "    sel:\n        CommandLine|contains:\n{many}    condition: sel\n"
    ));
    assert_eq!(r.needles().map(|n| n.len()), Some(0x60));
    assert!(fires(&r, &sysmon1(&[("CommandLine", "echo \u{1F40D}")])));
}
