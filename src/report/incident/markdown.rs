//! The Markdown incident report, for tickets: the same sections as the HTML report, shorter.
//! Every value from an event goes through [`for_markdown`](crate::util::sanitize::for_markdown) (`|`, backticks, `<`, control
//! characters...), scripts into fenced blocks longer than any backtick run they contain.

use super::lineage::{Lineage, ProcessNode};
use super::model::{Report, LEVELS_DESC};
use crate::report::damaged::{damaged_row, COUNT_COLUMNS};
use crate::report::utc;
use crate::util::sanitize::{for_markdown as md, markdown_code_block, truncate_chars};
use std::fmt::Write as _;

/// Most event rows per rule.
pub const MAX_ROWS_PER_RULE: usize = 50;
/// Most event rows in the whole document.
pub const MAX_ROWS_TOTAL: usize = 2_000;
/// Most lineages shown.
const MAX_LINEAGES: usize = 50;
/// Most scripts shown.
const MAX_SCRIPTS: usize = 30;
/// Most characters of a script shown.
const MAX_SCRIPT_CHARS: usize = 20_000;
/// Most characters of a field value in a table.
const MAX_CELL_CHARS: usize = 300;

/// The whole document.
pub fn render(r: &Report<'_>) -> String {
    let mut s = String::new();
    let o = &r.overview;
    let _ = writeln!(s, "# Incident report\n");
    let span = match (o.first, o.last) {
        (Some(a), Some(b)) => format!("from {} to {} (UTC)", utc(a), utc(b)),
        _ => "no hits".into(),
    };
    let _ = writeln!(
        s,
        "**{} hits** on **{} hosts**, {}. {} event logs ({} damaged), {} records, {} rules run, {} rejected. Written by evtxscan {} at {}.\n",
        o.hits,
        o.hosts.len(),
        span,
        o.files_scanned,
        r.damaged.len(),
        o.records,
        o.rules_loaded,
        o.rules_rejected,
        env!("CARGO_PKG_VERSION"),
        utc(r.generated)
    );
    overview(&mut s, r);
    detections(&mut s, r);
    lineages(&mut s, r);
    scripts(&mut s, r);
    files(&mut s, r);
    if !r.notes.is_empty() {
        let _ = writeln!(s, "## Notes\n");
        for n in &r.notes {
            let _ = writeln!(s, "- {}", md(n));
        }
        s.push('\n');
    }
    s
}

fn overview(s: &mut String, r: &Report<'_>) {
    let o = &r.overview;
    let _ = writeln!(s, "## Overview\n");
    if o.shown < o.hits {
        let _ = writeln!(
            s,
            "**{} of {} hits are shown** in this report (the most severe, then the earliest); the counts below are of every hit, and the timeline outputs (CSV/JSON) list them all.\n",
            o.shown, o.hits
        );
    }
    let _ = writeln!(
        s,
        "| {} |\n|{}",
        LEVELS_DESC.map(|l| l.as_str()).join(" | "),
        " ---: |".repeat(5)
    );
    let _ = writeln!(
        s,
        "| {} |\n",
        LEVELS_DESC
            .map(|l| o.levels[l as usize].to_string())
            .join(" | ")
    );
    let _ = writeln!(
        s,
        "| computer | hits | first hit (UTC) | last hit (UTC) |\n| --- | ---: | --- | --- |"
    );
    for h in &o.hosts {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} |",
            md(&h.name),
            h.hits,
            utc(h.first),
            utc(h.last)
        );
    }
    s.push('\n');
    if !o.tactics.is_empty() {
        let _ = writeln!(s, "| ATT&CK tactic | hits |\n| --- | ---: |");
        for (t, n) in &o.tactics {
            let _ = writeln!(s, "| {} | {} |", md(t), n);
        }
        s.push('\n');
    }
}

fn detections(s: &mut String, r: &Report<'_>) {
    let _ = writeln!(s, "## Detections by rule\n");
    let mut budget = MAX_ROWS_TOTAL;
    for g in &r.rules {
        let rows = MAX_ROWS_PER_RULE.min(budget);
        budget -= rows.min(g.hits.len());
        let rule = g.rule;
        let _ = writeln!(
            s,
            "### [{}] {}\n\n{} hits on {} · {} – {} · id `{}` · {} · techniques {}\n",
            rule.level.as_str(),
            md(&rule.title),
            g.total,
            md(&g.hosts.iter().cloned().collect::<Vec<_>>().join(", ")),
            utc(g.first),
            utc(g.last),
            rule.id.replace('`', "'"),
            rule.engine.map(|x| x.as_str()).unwrap_or("?"),
            md(&rule.techniques.join(", "))
        );
        let _ = writeln!(
            s,
            "| time (UTC) | computer | event | record | details |\n| --- | --- | ---: | ---: | --- |"
        );
        for &n in g.hits.iter().take(rows) {
            let Some(h) = r.hits.get(n) else { continue };
            let details = crate::report::columns::details(h);
            let record = match &h.aggregate {
                Some(a) => format!("×{}", a.count),
                None => h.event.record_id.to_string(),
            };
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} |",
                utc(h.time()),
                md(&h.event.computer),
                h.event.event_id,
                record,
                md(&truncate_chars(&details, MAX_CELL_CHARS))
            );
        }
        let listed = rows.min(g.hits.len());
        if g.total > listed {
            let _ = writeln!(
                s,
                "\n{} more hits in the timeline outputs.",
                g.total - listed
            );
        }
        s.push('\n');
    }
}

fn node_line(n: &ProcessNode, fired: bool) -> String {
    let mut parts: Vec<String> = Vec::new();
    let image = if n.image.is_empty() {
        "(image unknown)".to_string()
    } else {
        md(&n.image)
    };
    parts.push(if fired {
        format!("**{image}** ⟵ fired")
    } else {
        image
    });
    if let Some(pid) = n.pid {
        parts.push(format!("pid {pid}"));
    }
    if !n.user.is_empty() {
        parts.push(md(&n.user));
    }
    if let Some(t) = n.time {
        parts.push(utc(t));
    }
    if n.origin.is_empty() {
        parts.push("creation not in the logs".into());
    } else {
        parts.push(md(&n.origin));
    }
    let mut line = parts.join(" · ");
    if !n.command_line.is_empty() {
        line.push_str(" — ");
        line.push_str(&md(&truncate_chars(&n.command_line, 1000)));
    }
    line
}

fn lineage(s: &mut String, l: &Lineage) {
    let _ = writeln!(
        s,
        "### {} · {}\n",
        md(&l.computer),
        l.process.time.map(utc).unwrap_or_default()
    );
    let mut depth = 0;
    for a in &l.ancestors {
        let _ = writeln!(s, "{}- {}", "  ".repeat(depth), node_line(a, false));
        depth += 1;
    }
    let _ = writeln!(s, "{}- {}", "  ".repeat(depth), node_line(&l.process, true));
    for c in &l.children {
        let _ = writeln!(s, "{}- {}", "  ".repeat(depth + 1), node_line(c, false));
    }
    if l.children_more > 0 {
        let _ = writeln!(
            s,
            "{}- {} more children",
            "  ".repeat(depth + 1),
            l.children_more
        );
    }
    if !l.dns.is_empty() {
        let _ = writeln!(
            s,
            "\n| DNS query | time (UTC) | results |\n| --- | --- | --- |"
        );
        for d in &l.dns {
            let _ = writeln!(
                s,
                "| {} | {} | {} |",
                md(&d.query),
                utc(d.time),
                md(&truncate_chars(&d.results, MAX_CELL_CHARS))
            );
        }
    }
    s.push('\n');
}

fn lineages(s: &mut String, r: &Report<'_>) {
    if r.lineages.is_empty() {
        return;
    }
    let _ = writeln!(s, "## Process lineage\n");
    for l in r.lineages.iter().take(MAX_LINEAGES) {
        lineage(s, l);
    }
    let more = r.lineages.len().saturating_sub(MAX_LINEAGES) + r.lineages_more;
    if more > 0 {
        let _ = writeln!(s, "{more} more processes fired (see the HTML report).\n");
    }
}

fn scripts(s: &mut String, r: &Report<'_>) {
    if r.scripts.is_empty() {
        return;
    }
    let _ = writeln!(s, "## PowerShell script blocks\n");
    for sc in r.scripts.iter().take(MAX_SCRIPTS) {
        let _ = writeln!(
            s,
            "### {} · {} · ScriptBlockId {}\n\n{} of {} parts{}{}\n",
            md(&sc.computer),
            utc(sc.time),
            md(&sc.script_id),
            sc.parts.len(),
            sc.total,
            if sc.missing.is_empty() {
                String::new()
            } else {
                format!(
                    ", missing {}",
                    sc.missing
                        .iter()
                        .take(20)
                        .map(u32::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            },
            if sc.path.is_empty() {
                String::new()
            } else {
                format!(" · path {}", md(&sc.path))
            }
        );
        if !sc.text.is_empty() {
            s.push_str(&markdown_code_block(
                &truncate_chars(&sc.text, MAX_SCRIPT_CHARS),
                "powershell",
            ));
            s.push('\n');
        }
    }
}

fn files(s: &mut String, r: &Report<'_>) {
    if r.damaged.is_empty() {
        return;
    }
    let _ = writeln!(
        s,
        "## Damaged event logs\n\n| file | {} | problems |\n| --- |{} --- |",
        COUNT_COLUMNS.join(" | "),
        " ---: |".repeat(COUNT_COLUMNS.len())
    );
    for f in &r.damaged {
        let row = damaged_row(f);
        let counts: Vec<String> = row.counts.iter().map(u64::to_string).collect();
        let _ = writeln!(
            s,
            "| {} | {} | {} |",
            md(&row.path),
            counts.join(" | "),
            md(&row.problems.join("; "))
        );
    }
    s.push('\n');
}
