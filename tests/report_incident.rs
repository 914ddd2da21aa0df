//! The incident report built from hand-made hits and context events: process lineage (Sysmon
//! GUIDs and 4688 pids with reuse), DNS of the processes that fired, 4104 reassembly, HTML and
//! Markdown escaping; and the context pass over real logs when ../shared is there.

mod report_common;

use evtxscan::report::incident::{self, context, lineage, model, scripts, ReportKind};
use report_common::*;
use std::path::Path;

fn basenames(nodes: &[lineage::ProcessNode]) -> Vec<String> {
    nodes
        .iter()
        .map(|n| n.image.rsplit('\\').next().unwrap_or("").to_string())
        .collect()
}

#[test]
fn sysmon_lineage_follows_process_guids_and_keeps_dns() {
    let fx = incident();
    let ctx = incident_context(&fx);
    let (lineages, more) = lineage::build(&fx.hits, &ctx, 10);
    assert_eq!(more, 0);
    assert_eq!(lineages.len(), 2, "{lineages:#?}");
    let ps = lineages.iter().find(|l| l.computer == "WKS01").unwrap();
    assert_eq!(
        basenames(&ps.ancestors),
        ["userinit.exe", "explorer.exe", "cmd.exe"]
    );
    assert!(
        ps.ancestors[0].origin.is_empty(),
        "userinit's creation is not in the logs"
    );
    assert_eq!(ps.ancestors[1].origin, "Sysmon 1 #100");
    assert_eq!(ps.process.pid, Some(3000));
    assert_eq!(ps.process.guid.as_deref(), Some("{p0}"));
    assert_eq!(basenames(&ps.children), ["whoami.exe"]);
    let queries: Vec<&str> = ps.dns.iter().map(|d| d.query.as_str()).collect();
    assert_eq!(queries, ["c2.evil.example"]);
    assert_eq!(ps.dns[0].results, "::ffff:203.0.113.7;");
    assert_eq!(ps.hits.len(), 1, "the VSS copy of the hit was folded");
}

#[test]
fn security_lineage_uses_pids_on_the_same_computer_before_reuse() {
    let fx = incident();
    let ctx = incident_context(&fx);
    let (lineages, _) = lineage::build(&fx.hits, &ctx, 10);
    let net = lineages.iter().find(|l| l.computer == "WKS02").unwrap();
    assert_eq!(basenames(std::slice::from_ref(&net.process)), ["net.exe"]);
    assert_eq!(net.process.pid, Some(0x200));
    assert_eq!(net.process.user, "CORP\\bob");
    // cmd.exe had pid 0x100 before net.exe started; notepad.exe reused it later, and decoy.exe
    // had it on another computer.
    assert_eq!(basenames(&net.ancestors), ["", "cmd.exe"]);
    assert_eq!(net.ancestors[0].pid, Some(0x50));
    assert_eq!(net.ancestors[1].origin, "4688 #10");
}

#[test]
fn lineage_without_gathered_context_uses_the_hit_itself() {
    let fx = incident();
    let (lineages, _) = lineage::build(&fx.hits, &incident::IncidentContext::default(), 10);
    let ps = lineages.iter().find(|l| l.computer == "WKS01").unwrap();
    assert!(ps.process.command_line.contains("-enc SQBFAFgA"));
    assert_eq!(ps.process.pid, Some(3000));
    assert!(ps.ancestors.iter().all(|a| a.origin.is_empty()));
}

#[test]
fn script_blocks_are_reassembled_in_order_once() {
    let fx = incident();
    let ctx = incident_context(&fx);
    assert_eq!(
        ctx.fragments
            .iter()
            .filter(|f| &*f.script_id == "{sb-1}")
            .count(),
        3,
        "the VSS copy of part 2 is folded"
    );
    assert!(
        ctx.fragments.iter().all(|f| &*f.script_id != "{sb-2}"),
        "only script blocks that fired"
    );
    let (list, unresolved) = scripts::build(&fx.hits, &ctx, 10);
    assert_eq!(unresolved, 0);
    assert_eq!(list.len(), 1);
    let s = &list[0];
    assert_eq!(
        (s.total, s.parts.clone(), s.missing.clone()),
        (3, vec![1, 2, 3], vec![])
    );
    assert_eq!(
        s.text,
        format!("$a = 'first';\n$b = \"{XSS}\";\nInvoke-Expression $a$b # ```end")
    );
}

#[test]
fn missing_script_parts_are_marked() {
    let mk = |n: u32, text: &str| context::ScriptFragment {
        computer: "H".into(),
        script_id: "{id}".into(),
        number: n,
        total: 4,
        text: text.into(),
        path: "".into(),
        time: t("2024-01-01T00:00:00Z"),
        record_id: n as u64,
    };
    let (a, c) = (mk(1, "A"), mk(3, "C"));
    let s = scripts::assemble("H", "{id}", &[&c, &a], t("2024-01-01T00:00:00Z"));
    assert_eq!(s.missing, [2, 4]);
    assert_eq!(
        s.text,
        "A\n<# evtxscan: part(s) 2..2 of 4 missing #>\nC\n<# evtxscan: part(s) 4..4 of 4 missing #>\n"
    );
}

#[test]
fn context_keeps_only_what_the_hits_need() {
    let fx = incident();
    let ctx = incident_context(&fx);
    let computers: std::collections::BTreeSet<&str> =
        ctx.processes.iter().map(|p| &*p.computer).collect();
    assert_eq!(computers, ["WKS01", "WKS02"].into());
    assert_eq!(
        ctx.processes.len(),
        5 + 1 + 3,
        "5 Sysmon + 1 4688 on WKS01, 3 on WKS02"
    );
    assert_eq!(ctx.dns.len(), 1, "only the DNS of the process that fired");
    assert!(ctx.notes.is_empty());
}

fn html() -> String {
    let fx = incident();
    let ctx = incident_context(&fx);
    incident::render(ReportKind::Html, &report_context(&fx), &ctx)
}

fn section<'a>(page: &'a str, id: &str) -> &'a str {
    let start = page
        .find(&format!("<section id=\"{id}\""))
        .unwrap_or_else(|| panic!("section {id}"));
    let end = page[start..].find("</section>").map(|e| start + e).unwrap();
    &page[start..end]
}

#[test]
fn html_report_is_self_contained_and_escaped() {
    let page = html();
    assert_eq!(
        page.matches("<script").count(),
        2,
        "only the report's own scripts"
    );
    assert!(!page.contains(XSS));
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(page.contains("Content-Security-Policy"));
    assert!(!page.contains(" src="), "nothing is loaded");
    assert!(!page.contains("href=\"http"), "no links out");
    for url in page.match_indices("http") {
        let rest = &page[url.0..];
        assert!(
            rest.starts_with("http-equiv") || rest.starts_with("http://www.w3.org/2000/svg"),
            "{}",
            &rest[..40.min(rest.len())]
        );
    }
    assert!(page.contains(r#"<span id="hit-count">4</span>"#));
    assert!(page.contains(r#"<span id="host-count">3</span>"#));
    assert!(page.contains(r#"<td class="num" id="level-critical">1</td>"#));
    assert!(page.contains("<svg class=\"chart\""));
}

#[test]
fn html_report_sections_hold_the_evidence() {
    let page = html();
    let overview = section(&page, "overview");
    let (exec, cred, disc) = (
        overview.find(">execution<").unwrap(),
        overview.find(">credential-access<").unwrap(),
        overview.find(">discovery<").unwrap(),
    );
    assert!(exec < cred && cred < disc, "tactics in kill-chain order");
    let detections = section(&page, "detections");
    let order: Vec<usize> = [
        "Failed Logon Burst",
        "Encoded PowerShell",
        "Suspicious Script Block",
        "Net Recon",
    ]
    .iter()
    .map(|t| detections.find(t).unwrap_or_else(|| panic!("{t}")))
    .collect();
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "most severe rule first"
    );
    assert!(detections.contains("also in VSS1/Microsoft-Windows-Sysmon%4Operational.evtx"));
    assert!(detections.contains("×5"));
    let processes = section(&page, "processes");
    let at = |s: &str| {
        processes
            .find(s)
            .unwrap_or_else(|| panic!("{s} in lineage"))
    };
    assert!(at("userinit.exe") < at("explorer.exe"));
    assert!(at("explorer.exe") < at("cmd.exe /c start ps"));
    assert!(at("cmd.exe /c start ps") < at("node fired"));
    assert!(at("node fired") < at("whoami /all"));
    assert!(processes.contains("c2.evil.example"));
    assert!(!processes.contains("benign.example.org"));
    assert!(!processes.contains("decoy"));
    assert!(
        !processes.contains("notepad"),
        "neither explorer's other child nor the pid reuse"
    );
    let scripts = section(&page, "scripts");
    assert!(scripts.contains("3 of 3 parts"));
    assert!(scripts.contains("$a = &#39;first&#39;;\n$b = &quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot;;\nInvoke-Expression"));
    assert!(!scripts.contains("Get-Date"));
    let files = section(&page, "files");
    assert!(files.contains("WKS02/damaged.evtx"));
    assert!(files.contains("chunk 1: records CRC32 mismatch"));
}

#[test]
fn markdown_report_escapes_tables_and_fences_scripts() {
    let fx = incident();
    let ctx = incident_context(&fx);
    let md = incident::render(ReportKind::Markdown, &report_context(&fx), &ctx);
    assert!(md.contains("Net Recon \\| \\`whoami\\`"));
    let unescaped_pipes = |line: &str| {
        let b = line.as_bytes();
        (0..b.len())
            .filter(|&i| b[i] == b'|' && (i == 0 || b[i - 1] != b'\\'))
            .count()
    };
    let mut rows = 0;
    for block in md.split("\n\n") {
        let lines: Vec<&str> = block.lines().filter(|l| l.starts_with('|')).collect();
        if let Some(head) = lines.first() {
            let want = unescaped_pipes(head);
            for l in &lines {
                assert_eq!(
                    unescaped_pipes(l),
                    want,
                    "table row breaks its columns: {l}"
                );
                rows += 1;
            }
        }
    }
    assert!(rows > 10);
    assert!(md.contains("````powershell\n$a = 'first';\n$b = \"<script>alert(1)</script>\";\nInvoke-Expression $a$b # ```end\n````"),
        "script verbatim inside a fence longer than its backtick runs:\n{md}");
    let before_fence = md.split("````powershell").next().unwrap();
    let b = before_fence.as_bytes();
    let raw_tags = (0..b.len())
        .filter(|&i| b[i] == b'<' && (i == 0 || b[i - 1] != b'\\'))
        .count();
    assert_eq!(raw_tags, 0, "no raw HTML from events outside code blocks");
    assert!(before_fence.contains("\\<script\\>alert(1)\\</script\\>"));
    assert!(md.contains(
        "**C:\\\\Windows\\\\System32\\\\WindowsPowerShell\\\\v1.0\\\\powershell.exe** ⟵ fired"
    ));
}

#[test]
fn report_kind_follows_the_extension() {
    assert_eq!(
        ReportKind::for_path(Path::new("r.MD")),
        ReportKind::Markdown
    );
    assert_eq!(ReportKind::for_path(Path::new("r.html")), ReportKind::Html);
    assert_eq!(ReportKind::for_path(Path::new("report")), ReportKind::Html);
}

#[test]
fn report_file_is_written_whole() {
    let fx = incident();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.md");
    incident::write_with(&path, &report_context(&fx), &incident_context(&fx)).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("# Incident report"));
    let model = model::build(&report_context(&fx), &incident_context(&fx));
    assert_eq!(model.overview.hits, 4);
    assert_eq!(model.overview.folded_copies, 1);
    assert_eq!(model.rules.len(), 4);
}

/// Past the limit of hits a report lists, it lists the most severe, says so in its overview,
/// and still counts every hit.
#[test]
fn report_lists_the_most_severe_hits_and_says_how_many_of_all() {
    let mut fx = incident();
    fx.timeline = evtxscan::collect::SortedHits::from(fx.hits.clone()).with_most_severe_limit(2);
    let ctx = report_context(&fx);
    let model = model::build(&ctx, &incident_context(&fx));
    assert_eq!(model.overview.hits, 4, "the overview counts every hit");
    assert_eq!(model.overview.shown, 2);
    assert_eq!(model.hits.len(), 2);
    let top = fx.hits.iter().map(|h| h.rule.level).max().unwrap();
    assert!(model.hits.iter().any(|h| h.rule.level == top));
    assert!(model.hits.windows(2).all(|w| w[0].time() <= w[1].time()));
    let listed: usize = model.rules.iter().map(|g| g.hits.len()).sum();
    assert_eq!(listed, 2, "detections list the shown hits only");
    let counted: usize = model.rules.iter().map(|g| g.total).sum();
    assert_eq!(counted, 2, "each listed rule has one hit in all");
    assert!(
        model
            .notes
            .iter()
            .any(|n| n
                == "2 more rules fired whose hits are not listed (less severe than those listed)"),
        "{:?}",
        model.notes
    );
    let md = incident::render(ReportKind::Markdown, &ctx, &incident_context(&fx));
    assert!(md.contains("**2 of 4 hits are shown**"), "{md}");
    let html = incident::render(ReportKind::Html, &ctx, &incident_context(&fx));
    assert!(html.contains(r#"<span class="warn">2 of 4 hits are shown</span>"#));
    // Under the limit nothing is said.
    fx.timeline = evtxscan::collect::SortedHits::from(fx.hits.clone());
    let md = incident::render(
        ReportKind::Markdown,
        &report_context(&fx),
        &incident_context(&fx),
    );
    assert!(!md.contains("hits are shown"));
}

/// The context pass on real logs: a Sysmon 1 event whose parent is in the same file gets that
/// parent in its lineage, read back from the file by `context::gather`.
#[test]
fn context_pass_reads_real_logs() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/evtx/attack-samples");
    let file = shared.join("Execution/sysmon_1_11_rundll32_cpl_ostap.evtx");
    if !file.exists() {
        println!("skipped: {} not found", file.display());
        return;
    }
    let log = evtxscan::discover::LogFile {
        size: std::fs::metadata(&file).unwrap().len(),
        path: file.clone(),
    };
    let events = std::sync::Mutex::new(Vec::new());
    let sink = |batch: Vec<evtxscan::event::Event>| events.lock().unwrap().extend(batch);
    evtxscan::read::read_log(&log, &Default::default(), &Default::default(), &sink);
    let events = events.into_inner().unwrap();
    let sysmon1: Vec<_> = events.iter().filter(|e| e.event_id == 1).collect();
    let child = sysmon1
        .iter()
        .find(|c| {
            let pg = c.get_str("ParentProcessGuid").unwrap_or_default();
            sysmon1
                .iter()
                .any(|p| p.get_str("ProcessGuid").unwrap_or_default() == pg)
        })
        .expect("a Sysmon 1 event with its parent in the file");
    let parent_guid = child.get_str("ParentProcessGuid").unwrap().into_owned();
    let r = rule("x", "X", evtxscan::rules::Level::High, &[], &[]);
    let hits = vec![hit(&r, child)];
    let mut logs = vec![log];
    let security = shared.join("Lateral Movement/LM_ScheduledTask_ATSVC_target_host.evtx");
    if let Ok(m) = std::fs::metadata(&security) {
        logs.push(evtxscan::discover::LogFile {
            size: m.len(),
            path: security,
        });
    }
    let ctx = context::gather(&logs, &hits);
    let (lineages, _) = lineage::build(&hits, &ctx, 10);
    assert_eq!(lineages.len(), 1);
    let l = &lineages[0];
    assert_eq!(l.process.origin, format!("Sysmon 1 #{}", child.record_id));
    assert!(
        l.ancestors
            .iter()
            .any(|a| a.guid.as_deref() == Some(parent_guid.as_str()) && !a.origin.is_empty()),
        "parent {parent_guid} found in the file: {l:#?}"
    );
    assert!(ctx.processes.iter().all(|p| *p.computer == *child.computer));
}

#[test]
fn long_rules_are_cut_with_a_note() {
    let r = rule("many", "Many", evtxscan::rules::Level::Low, &[], &[]);
    let hits: Vec<_> = (0..350u64)
        .map(|i| {
            let ev = Ev::new(
                "a.evtx",
                "Security",
                4625,
                "DC1",
                i + 1,
                "2024-01-01T00:00:00Z",
            );
            hit(&r, &ev.event)
        })
        .collect();
    let result = scan_result(&["a.evtx"], &[]);
    let rules = rule_objects(&[&r]);
    let ctx = evtxscan::report::ReportContext {
        rules: &rules,
        result: &result,
        hits: &evtxscan::collect::SortedHits::from(hits.to_vec()),
        rules_rejected: 0,
        verdicts: &[],
    };
    let none = incident::IncidentContext::default();
    let page = incident::render(ReportKind::Html, &ctx, &none);
    assert_eq!(page.matches("<tr class=\"ev\">").count(), 300);
    assert!(page.contains("50 more hits of this rule are in the timeline outputs"));
    let md = incident::render(ReportKind::Markdown, &ctx, &none);
    assert!(md.contains("300 more hits in the timeline outputs."));
}

#[test]
fn aggregates_over_process_creations_get_lineage() {
    let mut fx = incident();
    let events = fx.events.clone();
    let creations: Vec<&evtxscan::event::Event> = events
        .iter()
        .filter(|e| e.event_id == 1 && (e.record_id == 101 || e.record_id == 103))
        .collect();
    let r = rule(
        "stats",
        "Shells per parent",
        evtxscan::rules::Level::Medium,
        &[],
        &[],
    );
    fx.hits
        .push(aggregate(&r, &creations, &[("ParentImage", "x")]));
    let ctx = incident_context(&fx);
    let (lineages, more) = lineage::build(&fx.hits, &ctx, 10);
    assert_eq!(more, 0);
    let n = fx.hits.len() - 1;
    let of_aggregate: Vec<&str> = lineages
        .iter()
        .filter(|l| l.hits.contains(&n))
        .map(|l| l.process.command_line.as_str())
        .collect();
    assert_eq!(of_aggregate, ["cmd.exe /c start ps", "whoami /all"]);
    let who = lineages
        .iter()
        .find(|l| l.process.command_line == "whoami /all")
        .unwrap();
    assert_eq!(
        basenames(&who.ancestors),
        ["userinit.exe", "explorer.exe", "cmd.exe", "powershell.exe"]
    );
}
