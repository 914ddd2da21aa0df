//! Hand-made rules, events, hits and scan results for the report tests (the engines and the
//! EVTX writer are built elsewhere; these tests exercise the outputs alone).
#![allow(dead_code)]

use evtxscan::discover::{Discovery, LogFile};
use evtxscan::event::{Event, Field, Source};
use evtxscan::hit::{Aggregate, EventRef, Hit};
use evtxscan::read::FileReport;
use evtxscan::rules::{EngineKind, EventMatch, Level, Rule, RuleInfo, Scope};
use evtxscan::scan::ScanResult;
use jiff::Timestamp;
use std::path::PathBuf;
use std::sync::Arc;

pub const SYSMON: &str = "Microsoft-Windows-Sysmon/Operational";
pub const POWERSHELL: &str = "Microsoft-Windows-PowerShell/Operational";

/// A time from RFC 3339 text.
pub fn t(s: &str) -> Timestamp {
    s.parse().expect("test time")
}

/// A rule's metadata.
pub fn rule(
    id: &str,
    title: &str,
    level: Level,
    techniques: &[&str],
    tactics: &[&str],
) -> Arc<RuleInfo> {
    Arc::new(RuleInfo {
        id: id.into(),
        title: title.into(),
        level,
        status: "stable".into(),
        engine: Some(EngineKind::Sigma),
        techniques: techniques.iter().map(|s| s.to_string()).collect(),
        tactics: tactics.iter().map(|s| s.to_string()).collect(),
        description: format!("test rule {title}"),
        path: PathBuf::from(format!("rules/{id}.yml")),
        ..RuleInfo::default()
    })
}

/// An event builder.
pub struct Ev {
    pub event: Event,
}

impl Ev {
    /// An event of `channel`/`event_id` on `computer` at `time`, read from `source`.
    pub fn new(
        source: &str,
        channel: &str,
        event_id: u32,
        computer: &str,
        record_id: u64,
        time: &str,
    ) -> Ev {
        let time = t(time);
        Ev {
            event: Event {
                source: Arc::new(Source {
                    path: PathBuf::from(source),
                }),
                record_id,
                time,
                header_time: time,
                provider: if channel == SYSMON {
                    "Microsoft-Windows-Sysmon".into()
                } else {
                    "Test".into()
                },
                channel: channel.into(),
                event_id,
                computer: computer.into(),
                user_id: "".into(),
                level: 4,
                recovered: false,
                data: Vec::new(),
                system: Vec::new(),
            },
        }
    }

    /// Add a data field.
    pub fn f(mut self, name: &str, value: &str) -> Ev {
        self.event.data.push(Field {
            name: name.into(),
            value: value.into(),
        });
        self
    }

    /// Set the record header time (which differs from TimeCreated).
    pub fn header_time(mut self, time: &str) -> Ev {
        self.event.header_time = t(time);
        self
    }

    /// The same event read from another file.
    pub fn copy_in(&self, source: &str) -> Event {
        let mut e = self.event.clone();
        e.source = Arc::new(Source {
            path: PathBuf::from(source),
        });
        e
    }
}

/// A Sysmon 1 process creation.
#[allow(clippy::too_many_arguments)]
pub fn sysmon1(
    source: &str,
    computer: &str,
    record: u64,
    time: &str,
    guid: &str,
    parent_guid: &str,
    pid: u64,
    ppid: u64,
    image: &str,
    cmd: &str,
) -> Ev {
    Ev::new(source, SYSMON, 1, computer, record, time)
        .f("ProcessGuid", guid)
        .f("ProcessId", &pid.to_string())
        .f("Image", image)
        .f("CommandLine", cmd)
        .f("User", "CORP\\alice")
        .f("ParentProcessGuid", parent_guid)
        .f("ParentProcessId", &ppid.to_string())
        .f("ParentImage", "")
        .f("ParentCommandLine", "")
}

/// A hit of `rule` on `event`, as a Sigma engine makes it.
pub fn hit(rule: &Arc<RuleInfo>, event: &Event) -> Hit {
    Hit::from_match(rule, EventMatch::of(event))
}

/// An aggregate hit over `events`.
pub fn aggregate(rule: &Arc<RuleInfo>, events: &[&Event], by: &[(&str, &str)]) -> Hit {
    let first = events.iter().map(|e| e.time).min().expect("events");
    let last = events.iter().map(|e| e.time).max().expect("events");
    let mut h = hit(rule, events[0]);
    h.fields = by
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    h.aggregate = Some(Aggregate {
        count: events.len() as u64,
        first_time: Some(first),
        last_time: Some(last),
        by: by
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        records: events.iter().map(|e| EventRef::of(e)).collect(),
        records_omitted: 0,
    });
    h
}

/// A rule object for `ReportContext::rules`.
pub struct FixedRule {
    pub info: Arc<RuleInfo>,
    pub scope: Scope,
}

impl Rule for FixedRule {
    fn info(&self) -> &Arc<RuleInfo> {
        &self.info
    }
    fn scope(&self) -> &Scope {
        &self.scope
    }
    fn check(&self, _event: &Event) -> Option<EventMatch> {
        None
    }
}

/// Rule objects for rule infos.
pub fn rule_objects(infos: &[&Arc<RuleInfo>]) -> Vec<Arc<dyn Rule>> {
    infos
        .iter()
        .map(|i| {
            Arc::new(FixedRule {
                info: Arc::clone(i),
                scope: Scope::everything(),
            }) as Arc<dyn Rule>
        })
        .collect()
}

/// A scan result over `files` (all intact except the `damaged` ones).
pub fn scan_result(files: &[&str], damaged: &[&str]) -> ScanResult {
    let reports = files
        .iter()
        .chain(damaged.iter())
        .map(|p| {
            let mut r = FileReport::new(&PathBuf::from(p), 69_632);
            r.records_read = 100;
            if damaged.contains(p) {
                r.records_failed = 7;
                r.chunks = vec![
                    evtxscan::read::ChunkState::Ok,
                    evtxscan::read::ChunkState::Damaged,
                ];
                r.note("chunk 1: records CRC32 mismatch".into());
            } else {
                r.chunks = vec![evtxscan::read::ChunkState::Ok];
            }
            r
        })
        .collect();
    ScanResult {
        discovery: Discovery {
            logs: files
                .iter()
                .chain(damaged.iter())
                .map(|p| LogFile {
                    path: PathBuf::from(p),
                    size: 69_632,
                })
                .collect(),
            skipped: Vec::new(),
            missing: Vec::new(),
        },
        files: reports,
        hits: Default::default(),
        file_millis: Vec::new(),
        rule_timings: Vec::new(),
        elapsed: std::time::Duration::from_millis(5),
        lost_match_runs: 0,
    }
}

/// The incident fixture: hits, the events the report's context pass would see, the scan result
/// and the rules.
pub struct Incident {
    pub hits: Vec<Hit>,
    /// The same hits as a scan's timeline (what a `ReportContext` reads).
    pub timeline: evtxscan::collect::SortedHits,
    pub events: Vec<Event>,
    pub result: ScanResult,
    pub rules: Vec<Arc<dyn Rule>>,
}

/// A value an attacker would put in a command line.
pub const XSS: &str = "<script>alert(1)</script>";

/// Three hosts: WKS01 (Sysmon: explorer → cmd → powershell (fired) → whoami, DNS of powershell,
/// a script block in three parts, one copied twice), WKS02 (4688 with pid reuse), DC01 (an
/// aggregate of failed logons).
pub fn incident() -> Incident {
    let ps_rule = rule(
        "r-ps",
        "Encoded PowerShell",
        Level::High,
        &["T1059.001"],
        &["execution"],
    );
    let script_rule = rule(
        "r-sb",
        "Suspicious Script Block",
        Level::Medium,
        &["T1059.001"],
        &["execution"],
    );
    let net_rule = rule(
        "r-net",
        "Net Recon | `whoami`",
        Level::Low,
        &["T1087"],
        &["discovery"],
    );
    let brute = rule(
        "r-brute",
        "Failed Logon Burst",
        Level::Critical,
        &["T1110"],
        &["credential-access"],
    );
    let sysmon = "C/Windows/System32/winevt/Logs/Microsoft-Windows-Sysmon%4Operational.evtx";
    let ps_log = "C/Windows/System32/winevt/Logs/Microsoft-Windows-PowerShell%4Operational.evtx";
    let security = "WKS02/Security.evtx";
    let dc = "DC01/Security.evtx";
    let explorer = sysmon1(
        sysmon,
        "WKS01",
        100,
        "2024-05-01T08:00:00Z",
        "{e0}",
        "{u0}",
        1000,
        900,
        "C:\\Windows\\explorer.exe",
        "C:\\Windows\\Explorer.EXE",
    )
    .f("ParentImage", "C:\\Windows\\System32\\userinit.exe");
    let mut explorer = explorer;
    explorer
        .event
        .data
        .retain(|f| !(f.name.as_ref() == "ParentImage" && f.value.is_empty()));
    let cmd = sysmon1(
        sysmon,
        "WKS01",
        101,
        "2024-05-01T08:10:00Z",
        "{c0}",
        "{e0}",
        2000,
        1000,
        "C:\\Windows\\System32\\cmd.exe",
        "cmd.exe /c start ps",
    );
    let ps_cmd = format!("powershell.exe -enc SQBFAFgA {XSS} | more `x`");
    let ps = sysmon1(
        sysmon,
        "WKS01",
        102,
        "2024-05-01T08:11:00Z",
        "{p0}",
        "{c0}",
        3000,
        2000,
        "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
        &ps_cmd,
    );
    let whoami = sysmon1(
        sysmon,
        "WKS01",
        103,
        "2024-05-01T08:12:00Z",
        "{w0}",
        "{p0}",
        4000,
        3000,
        "C:\\Windows\\System32\\whoami.exe",
        "whoami /all",
    );
    let unrelated = sysmon1(
        sysmon,
        "WKS01",
        104,
        "2024-05-01T08:13:00Z",
        "{x0}",
        "{e0}",
        5000,
        1000,
        "C:\\Windows\\notepad.exe",
        "notepad",
    );
    let dns = Ev::new(sysmon, SYSMON, 22, "WKS01", 105, "2024-05-01T08:11:30Z")
        .f("ProcessGuid", "{p0}")
        .f("ProcessId", "3000")
        .f("QueryName", "c2.evil.example")
        .f("QueryStatus", "0")
        .f("QueryResults", "::ffff:203.0.113.7;")
        .f(
            "Image",
            "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
        );
    let other_dns = Ev::new(sysmon, SYSMON, 22, "WKS01", 106, "2024-05-01T08:11:40Z")
        .f("ProcessGuid", "{x0}")
        .f("QueryName", "benign.example.org");
    let part = |n: u32, rec: u64, text: &str| {
        Ev::new(
            ps_log,
            POWERSHELL,
            4104,
            "WKS01",
            rec,
            "2024-05-01T08:11:05Z",
        )
        .f("MessageNumber", &n.to_string())
        .f("MessageTotal", "3")
        .f("ScriptBlockText", text)
        .f("ScriptBlockId", "{sb-1}")
        .f("Path", "")
    };
    let p1 = part(1, 200, "$a = 'first';\n");
    let p2 = part(2, 201, &format!("$b = \"{XSS}\";\n"));
    let p3 = part(3, 202, "Invoke-Expression $a$b # ```end");
    let p2_copy = p2.copy_in("VSS1/Microsoft-Windows-PowerShell%4Operational.evtx");
    let other_script = Ev::new(
        ps_log,
        POWERSHELL,
        4104,
        "WKS01",
        203,
        "2024-05-01T08:11:06Z",
    )
    .f("MessageNumber", "1")
    .f("MessageTotal", "1")
    .f("ScriptBlockText", "Get-Date")
    .f("ScriptBlockId", "{sb-2}");
    let sec =
        |rec: u64, time: &str, pid: &str, ppid: &str, image: &str, cmd: &str, computer: &str| {
            Ev::new(security, "Security", 4688, computer, rec, time)
                .f("SubjectUserName", "bob")
                .f("SubjectDomainName", "CORP")
                .f("NewProcessId", pid)
                .f("NewProcessName", image)
                .f("ProcessId", ppid)
                .f("CommandLine", cmd)
                .f("TargetUserName", "-")
        };
    let first_cmd = sec(
        10,
        "2024-05-01T09:00:00Z",
        "0x100",
        "0x50",
        "C:\\Windows\\System32\\cmd.exe",
        "cmd.exe /k",
        "WKS02",
    );
    let decoy_other_host = sec(
        11,
        "2024-05-01T09:00:30Z",
        "0x100",
        "0x50",
        "C:\\decoy.exe",
        "decoy",
        "WKS01",
    );
    let net = sec(
        12,
        "2024-05-01T09:01:00Z",
        "0x200",
        "0x100",
        "C:\\Windows\\System32\\net.exe",
        "net group \"domain admins\" /domain",
        "WKS02",
    );
    let reuse = sec(
        13,
        "2024-05-01T09:05:00Z",
        "0x100",
        "0x60",
        "C:\\Windows\\notepad.exe",
        "notepad",
        "WKS02",
    );
    let failed: Vec<Event> = (0..5u64)
        .map(|i| {
            Ev::new(
                dc,
                "Security",
                4625,
                "DC01",
                500 + i,
                &format!("2024-05-01T07:5{i}:00Z"),
            )
            .f("TargetUserName", "administrator")
            .f("IpAddress", "198.51.100.9")
            .event
        })
        .collect();
    let failed_refs: Vec<&Event> = failed.iter().collect();
    let hits = vec![
        hit(&ps_rule, &ps.event),
        hit(
            &ps_rule,
            &ps.copy_in("VSS1/Microsoft-Windows-Sysmon%4Operational.evtx"),
        ),
        hit(&script_rule, &p2.event),
        hit(&net_rule, &net.event),
        aggregate(
            &brute,
            &failed_refs,
            &[
                ("TargetUserName", "administrator"),
                ("IpAddress", "198.51.100.9"),
            ],
        ),
    ];
    let mut events = vec![
        explorer.event,
        cmd.event,
        ps.event,
        whoami.event,
        unrelated.event,
        dns.event,
        other_dns.event,
        p3.event,
        p2_copy,
        p1.event,
        p2.event,
        other_script.event,
        first_cmd.event,
        decoy_other_host.event,
        net.event,
        reuse.event,
    ];
    events.extend(failed);
    let hits =
        evtxscan::report::timeline::prepare(hits, &evtxscan::report::filter::HitFilter::default());
    Incident {
        timeline: evtxscan::collect::SortedHits::from(hits.clone()),
        hits,
        events,
        result: scan_result(&[sysmon, ps_log, security, dc], &["WKS02/damaged.evtx"]),
        rules: rule_objects(&[&ps_rule, &script_rule, &net_rule, &brute]),
    }
}

/// The incident context of the fixture, gathered as the second pass would.
pub fn incident_context(i: &Incident) -> evtxscan::report::incident::IncidentContext {
    use evtxscan::report::incident::context::{ContextCollector, Wanted};
    let collector = ContextCollector::new(Wanted::from_hits(&i.hits));
    for chunk in i.events.chunks(3) {
        collector.offer(chunk);
    }
    collector.finish()
}

/// The report context of the fixture.
pub fn report_context(i: &Incident) -> evtxscan::report::ReportContext<'_> {
    evtxscan::report::ReportContext {
        rules: &i.rules,
        result: &i.result,
        hits: &i.timeline,
        rules_rejected: 1,
        verdicts: &[],
    }
}
