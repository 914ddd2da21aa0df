//! The evidence sections of the HTML report: process lineage with DNS queries, reassembled
//! script blocks, and the files scanned. Every value from an event goes through
//! [`super::html::e`] (HTML escaping).

use super::html::{e, rules_fired};
use super::lineage::{Lineage, ProcessNode};
use super::model::Report;
use super::scripts::Script;
use crate::report::damaged::{damaged_row, COUNT_COLUMNS};
use crate::report::utc;
use std::fmt::Write as _;

/// Most files listed.
const MAX_FILES_LISTED: usize = 2_000;

/// The process lineage section.
pub(super) fn processes(s: &mut String, r: &Report<'_>) {
    s.push_str("<section id=\"processes\"><h2>Process lineage</h2>");
    if r.lineages.is_empty() {
        s.push_str("<p>No process-creation hits (Sysmon 1, Security 4688).</p></section>\n");
        return;
    }
    s.push_str("<p class=\"meta\">Each process a rule fired on, with its ancestors (from Sysmon ProcessGuid/ParentProcessGuid, or 4688 process ids on the same computer), its children and its DNS queries (Sysmon 22).</p>");
    for l in &r.lineages {
        lineage(s, r, l);
    }
    if r.lineages_more > 0 {
        let _ = write!(
            s,
            "<p class=\"note\">{} more processes fired; see the timeline outputs.</p>",
            r.lineages_more
        );
    }
    s.push_str("</section>\n");
}

fn basename(path: &str) -> &str {
    path.rsplit(['\\', '/']).next().unwrap_or(path)
}

fn node(s: &mut String, n: &ProcessNode, fired: bool) {
    let class = if fired {
        "node fired"
    } else if n.origin.is_empty() {
        "node missing"
    } else {
        "node"
    };
    let name = if n.image.is_empty() {
        "(image unknown)"
    } else {
        basename(&n.image)
    };
    let _ = write!(
        s,
        "<div class=\"{class}\"><span class=\"img\">{}</span>",
        e(name)
    );
    let mut meta: Vec<String> = Vec::new();
    if let Some(pid) = n.pid {
        meta.push(format!("pid {pid}"));
    }
    if !n.user.is_empty() {
        meta.push(e(&n.user).into_owned());
    }
    if let Some(t) = n.time {
        meta.push(utc(t));
    }
    if n.origin.is_empty() {
        meta.push("creation not in the logs".into());
    } else {
        meta.push(e(&n.origin).into_owned());
    }
    let _ = write!(s, " <span class=\"meta\">{}</span>", meta.join(" · "));
    if !n.image.is_empty() && n.image != name {
        let _ = write!(s, "<div class=\"meta mono\">{}</div>", e(&n.image));
    }
    if !n.command_line.is_empty() {
        let _ = write!(s, "<div class=\"cmd\">{}</div>", e(&n.command_line));
    }
    s.push_str("</div>");
}

fn lineage(s: &mut String, r: &Report<'_>, l: &Lineage) {
    let p = &l.process;
    let _ = write!(
        s,
        r#"<details class="lineage" open><summary><span class="mono">{}</span> · <b>{}</b> · {} · {}</summary><div class="body"><ul class="tree">"#,
        p.time.map(utc).unwrap_or_default(),
        e(&l.computer),
        e(basename(&p.image)),
        rules_fired(r, &l.hits)
    );
    for a in &l.ancestors {
        s.push_str("<li>");
        node(s, a, false);
        s.push_str("<ul>");
    }
    s.push_str("<li>");
    node(s, p, true);
    if !l.children.is_empty() {
        s.push_str("<ul>");
        for c in &l.children {
            s.push_str("<li>");
            node(s, c, false);
            s.push_str("</li>");
        }
        if l.children_more > 0 {
            let _ = write!(
                s,
                "<li class=\"meta\">{} more children</li>",
                l.children_more
            );
        }
        s.push_str("</ul>");
    }
    s.push_str("</li>");
    for _ in &l.ancestors {
        s.push_str("</ul></li>");
    }
    s.push_str("</ul>");
    if !l.dns.is_empty() {
        s.push_str("<h3>DNS queries of this process</h3><table class=\"dns\"><tr><th>time (UTC)</th><th>query</th><th>status</th><th>results</th></tr>");
        for d in &l.dns {
            let _ = write!(
                s,
                "<tr><td class=\"mono\">{}</td><td class=\"mono\">{}</td><td>{}</td><td class=\"mono\">{}</td></tr>",
                utc(d.time),
                e(&d.query),
                e(&d.status),
                e(&d.results)
            );
        }
        s.push_str("</table>");
        if l.dns_more > 0 {
            let _ = write!(s, "<p class=\"meta\">{} more DNS queries.</p>", l.dns_more);
        }
    }
    s.push_str("</div></details>\n");
}

/// The script block section.
pub(super) fn scripts(s: &mut String, r: &Report<'_>) {
    s.push_str("<section id=\"scripts\"><h2>PowerShell script blocks</h2>");
    if r.scripts.is_empty() && r.scripts_unresolved == 0 {
        s.push_str("<p>No script block (4104) hits.</p></section>\n");
        return;
    }
    s.push_str("<p class=\"meta\">Each script block a rule fired on, reassembled from its 4104 fragments (ScriptBlockId, MessageNumber of MessageTotal).</p>");
    for sc in &r.scripts {
        script(s, r, sc);
    }
    if r.scripts_unresolved > 0 {
        let _ = write!(
            s,
            "<p class=\"note\">{} script block hits could not be tied to their fragments.</p>",
            r.scripts_unresolved
        );
    }
    s.push_str("</section>\n");
}

fn script(s: &mut String, r: &Report<'_>, sc: &Script) {
    let parts = if sc.total == 0 {
        "fragments not found in the logs".to_string()
    } else if sc.missing.is_empty() {
        format!("{} of {} parts", sc.parts.len(), sc.total)
    } else {
        format!(
            "{} of {} parts, missing {}",
            sc.parts.len(),
            sc.total,
            sc.missing
                .iter()
                .take(20)
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let _ = write!(
        s,
        r#"<details class="script" open><summary><span class="mono">{}</span> · <b>{}</b> · {} · {}</summary><div class="body"><p class="meta">ScriptBlockId <span class="mono">{}</span>{}</p>"#,
        utc(sc.time),
        e(&sc.computer),
        e(&parts),
        rules_fired(r, &sc.hits),
        e(&sc.script_id),
        if sc.path.is_empty() {
            String::new()
        } else {
            format!(" · path <span class=\"mono\">{}</span>", e(&sc.path))
        }
    );
    if !sc.text.is_empty() {
        let _ = write!(
            s,
            "<pre class=\"script\"><code>{}</code></pre>",
            e(&sc.text)
        );
    }
    if sc.cut_chars > 0 {
        let _ = write!(
            s,
            "<p class=\"meta\">{} more characters not shown.</p>",
            sc.cut_chars
        );
    }
    s.push_str("</div></details>\n");
}

/// The files section.
pub(super) fn files(s: &mut String, r: &Report<'_>) {
    let o = &r.overview;
    let _ = write!(
        s,
        "<section id=\"files\"><h2>Files</h2><p>{} event logs scanned ({:.1} MB, {} records), {} damaged, {} files skipped, {} paths missing.</p>",
        o.files_scanned,
        o.bytes as f64 / 1e6,
        o.records,
        r.damaged.len(),
        o.files_skipped,
        o.paths_missing
    );
    if !r.damaged.is_empty() {
        s.push_str("<h3>Damaged event logs</h3><table id=\"damaged\"><tr><th>file</th>");
        for name in COUNT_COLUMNS {
            let _ = write!(s, "<th class=\"num\">{name}</th>");
        }
        s.push_str("<th>problems</th></tr>");
        for f in &r.damaged {
            let row = damaged_row(f);
            let _ = write!(s, "<tr><td class=\"mono\">{}</td>", e(&row.path));
            for n in row.counts {
                let _ = write!(s, "<td class=\"num\">{n}</td>");
            }
            let _ = write!(
                s,
                "<td class=\"meta\">{}</td></tr>",
                e(&row.problems.join("; "))
            );
        }
        s.push_str("</table>");
    }
    s.push_str("<details><summary>Every event log scanned</summary><div class=\"body\"><table><tr><th>file</th><th class=\"num\">bytes</th><th class=\"num\">records</th><th>first event (UTC)</th><th>last event (UTC)</th><th>state</th></tr>");
    for f in r.files.iter().take(MAX_FILES_LISTED) {
        let _ = write!(
            s,
            "<tr><td class=\"mono\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            e(&f.path.to_string_lossy()),
            f.size,
            f.records_read,
            f.first_time.map(utc).unwrap_or_default(),
            f.last_time.map(utc).unwrap_or_default(),
            if f.is_damaged() { "<span class=\"warn\">damaged</span>" } else { "ok" }
        );
    }
    s.push_str("</table>");
    if r.files.len() > MAX_FILES_LISTED {
        let _ = write!(
            s,
            "<p class=\"meta\">{} more files.</p>",
            r.files.len() - MAX_FILES_LISTED
        );
    }
    s.push_str("</div></details></section>\n");
}
