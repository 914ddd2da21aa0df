//! The HTML incident report: one self-contained file (inline CSS, SVG and script; a
//! Content-Security-Policy that forbids any network access), every value from an event escaped
//! with [`for_html`].

use super::assets;
use super::chart;
use super::html_evidence;
use super::model::{Report, RuleGroup, LEVELS_DESC};
use crate::hit::Hit;
use crate::report::utc;
use crate::rules::Level;
use crate::util::sanitize::{for_html, truncate_chars};
use std::fmt::Write as _;

/// Most event rows listed per rule.
pub const MAX_ROWS_PER_RULE: usize = 300;
/// Most event rows in the whole page (the timeline outputs have every hit).
pub const MAX_ROWS_TOTAL: usize = 20_000;
/// Most characters of one field value in a detection row.
const MAX_CELL_CHARS: usize = 2_000;
/// Most hosts drawn in the per-host chart.
const MAX_HOST_LANES: usize = 25;

pub(super) fn e(s: &str) -> std::borrow::Cow<'_, str> {
    for_html(s)
}

pub(super) fn badge(level: Level) -> String {
    format!(r#"<span class="lvl lvl-{0}">{0}</span>"#, level.as_str())
}

/// A random token for the script nonce (the standard library's hasher keys are random).
fn nonce() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut a = std::collections::hash_map::RandomState::new().build_hasher();
    a.write_u128(jiff::Timestamp::now().as_nanosecond() as u128);
    let mut b = std::collections::hash_map::RandomState::new().build_hasher();
    b.write_u64(a.finish());
    format!("{:016x}{:016x}", a.finish(), b.finish())
}

/// The whole page.
pub fn render(r: &Report<'_>) -> String {
    let nonce = nonce();
    let mut s = String::with_capacity(64 * 1024);
    let _ = write!(
        s,
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'nonce-{nonce}'; base-uri 'none'; form-action 'none'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="evtxscan {version}">
<title>Incident report: {hits} hits on {hosts} hosts</title>
<style>{css}</style>
<script nonce="{nonce}">{trap}</script>
</head><body>
"#,
        version = env!("CARGO_PKG_VERSION"),
        hits = r.overview.hits,
        hosts = r.overview.hosts.len(),
        css = assets::CSS,
        trap = assets::ERROR_TRAP_JS,
    );
    header(&mut s, r);
    s.push_str("<main>\n<pre id=\"js-errors\" hidden></pre>\n");
    overview(&mut s, r);
    timeline(&mut s, r);
    detections(&mut s, r);
    html_evidence::processes(&mut s, r);
    html_evidence::scripts(&mut s, r);
    html_evidence::files(&mut s, r);
    if !r.notes.is_empty() {
        s.push_str("<section id=\"notes\"><h2>Notes</h2><ul>");
        for n in &r.notes {
            let _ = write!(s, "<li>{}</li>", e(n));
        }
        s.push_str("</ul></section>\n");
    }
    let _ = write!(
        s,
        "</main>\n<footer>Written by evtxscan {} (output schema {}) at {}. All times are UTC. \
         Values are shown as logged; nothing on this page loads anything from the network.</footer>\n\
         <script nonce=\"{nonce}\">{}</script>\n</body></html>\n",
        env!("CARGO_PKG_VERSION"),
        crate::hit::SCHEMA_VERSION,
        utc(r.generated),
        assets::MAIN_JS
    );
    s
}

fn header(s: &mut String, r: &Report<'_>) {
    let o = &r.overview;
    let span = match (o.first, o.last) {
        (Some(a), Some(b)) => format!("between {} and {} (UTC)", utc(a), utc(b)),
        _ => "no hits".to_string(),
    };
    let _ = write!(
        s,
        r##"<header><h1>Incident report</h1><div class="sub"><span id="hit-count">{}</span> hits on <span id="host-count">{}</span> hosts {} · {} event logs, {} records scanned</div></header>
<nav><a href="#overview">Overview</a><a href="#timeline">Timeline</a><a href="#detections">Detections</a><a href="#processes">Processes</a><a href="#scripts">Scripts</a><a href="#files">Files</a></nav>
"##,
        o.hits,
        o.hosts.len(),
        e(&span),
        o.files_scanned,
        o.records
    );
}

fn overview(s: &mut String, r: &Report<'_>) {
    let o = &r.overview;
    s.push_str("<section id=\"overview\"><h2>Overview</h2><div class=\"cards\">");
    let mut card = |n: String, k: &str| {
        let _ = write!(
            s,
            r#"<div class="card"><div class="n">{}</div><div class="k">{}</div></div>"#,
            e(&n),
            k
        );
    };
    card(o.hits.to_string(), "hits");
    card(o.hosts.len().to_string(), "hosts");
    card(
        o.first
            .map(|t| t.strftime("%Y-%m-%d %H:%M:%S").to_string())
            .unwrap_or_else(|| "–".into()),
        "first hit (UTC)",
    );
    card(
        o.last
            .map(|t| t.strftime("%Y-%m-%d %H:%M:%S").to_string())
            .unwrap_or_else(|| "–".into()),
        "last hit (UTC)",
    );
    card(format!("{}", o.files_scanned), "event logs scanned");
    card(format!("{}", r.damaged.len()), "damaged logs");
    card(format!("{}", o.records), "records read");
    card(
        format!("{} / {}", o.rules_loaded, o.rules_rejected),
        "rules run / rejected",
    );
    s.push_str("</div>\n");
    if !r.damaged.is_empty() || o.files_skipped > 0 || o.paths_missing > 0 {
        let _ = write!(
            s,
            r##"<p class="note"><span class="warn">Partial scan:</span> {} damaged event logs, {} files skipped (not EVTX or unreadable), {} paths missing. See <a href="#files">Files</a>.</p>"##,
            r.damaged.len(),
            o.files_skipped,
            o.paths_missing
        );
    }
    if o.folded_copies > 0 {
        let _ = write!(
            s,
            "<p class=\"meta\">{} hits were found in more than one copy of a log and are listed once.</p>",
            o.folded_copies
        );
    }
    if o.shown < o.hits {
        let _ = write!(
            s,
            r#"<p class="note" id="hits-shown"><span class="warn">{} of {} hits are shown</span> in this report's charts, detections, processes and scripts: the most severe, then the earliest. The counts above are of every hit; the timeline outputs (CSV/JSON) list them all.</p>"#,
            o.shown, o.hits
        );
    }
    if !r.hits.is_empty() {
        // The chart of hits over time sits in the overview, so the first screen shows it.
        s.push_str("<h3>Hits over time</h3>");
        s.push_str(&chart::timeline_svg(r.hits));
    }
    s.push_str("<h3>Hits by level</h3><table class=\"levels\"><tr>");
    for l in LEVELS_DESC {
        let _ = write!(s, "<th>{}</th>", badge(l));
    }
    s.push_str("</tr><tr>");
    for l in LEVELS_DESC {
        let _ = write!(
            s,
            r#"<td class="num" id="level-{}">{}</td>"#,
            l.as_str(),
            o.levels[l as usize]
        );
    }
    s.push_str("</tr></table>\n<h3>Hosts</h3><table id=\"hosts\"><tr><th>computer</th><th class=\"num\">hits</th>");
    for l in LEVELS_DESC {
        let _ = write!(s, "<th class=\"num\">{}</th>", l.as_str());
    }
    s.push_str("<th>first hit (UTC)</th><th>last hit (UTC)</th></tr>");
    for h in &o.hosts {
        let _ = write!(
            s,
            "<tr><td class=\"host\">{}</td><td class=\"num\">{}</td>",
            e(&h.name),
            h.hits
        );
        for l in LEVELS_DESC {
            let _ = write!(s, "<td class=\"num\">{}</td>", h.levels[l as usize]);
        }
        let _ = write!(s, "<td>{}</td><td>{}</td></tr>", utc(h.first), utc(h.last));
    }
    s.push_str("</table>\n<h3>Hits by ATT&amp;CK tactic</h3><table id=\"tactics\">");
    let max = o.tactics.iter().map(|t| t.1).max().unwrap_or(1).max(1);
    for (t, n) in &o.tactics {
        let _ = write!(
            s,
            r#"<tr><td>{}</td><td class="num">{}</td><td><div class="bar"><span style="width:{:.1}%"></span></div></td></tr>"#,
            e(t),
            n,
            100.0 * *n as f64 / max as f64
        );
    }
    s.push_str("</table>\n");
    if !o.techniques.is_empty() {
        s.push_str("<h3>Top ATT&amp;CK techniques</h3><table><tr><th>technique</th><th class=\"num\">hits</th></tr>");
        for (t, n) in o.techniques.iter().take(20) {
            let _ = write!(
                s,
                "<tr><td class=\"mono\">{}</td><td class=\"num\">{}</td></tr>",
                e(t),
                n
            );
        }
        s.push_str("</table>\n");
    }
    s.push_str("</section>\n");
}

fn timeline(s: &mut String, r: &Report<'_>) {
    s.push_str("<section id=\"timeline\"><h2>Timeline</h2>");
    if r.hits.is_empty() {
        s.push_str("<p>No hits.</p></section>\n");
        return;
    }
    let hosts: Vec<String> = r
        .overview
        .hosts
        .iter()
        .take(MAX_HOST_LANES)
        .map(|h| h.name.clone())
        .collect();
    let _ = write!(
        s,
        "<h3>Hits per host{}</h3>",
        if r.overview.hosts.len() > MAX_HOST_LANES {
            format!(" (the {MAX_HOST_LANES} hosts with most hits)")
        } else {
            String::new()
        }
    );
    s.push_str(&chart::hosts_svg(r.hits, &hosts));
    s.push_str("</section>\n");
}

fn detections(s: &mut String, r: &Report<'_>) {
    let _ = write!(
        s,
        r#"<section id="detections"><h2>Detections by rule</h2>
<div class="tools"><input type="search" id="filter" placeholder="Filter: rule, host, command line, query…" aria-label="filter">"#
    );
    for l in LEVELS_DESC {
        let _ = write!(
            s,
            r#"<label><input type="checkbox" data-level="{0}" checked> {0}</label>"#,
            l.as_str()
        );
    }
    let _ = write!(
        s,
        r#"<button type="button" id="expand-all">expand all</button><button type="button" id="collapse-all">collapse all</button><span class="meta"><span id="rules-shown">{}</span> of {} rules shown</span></div>"#,
        r.rules.len(),
        r.rules.len()
    );
    let mut budget = MAX_ROWS_TOTAL;
    for g in &r.rules {
        let rows = MAX_ROWS_PER_RULE.min(budget);
        budget -= rows.min(g.hits.len());
        rule_group(s, r, g, rows);
    }
    s.push_str("</section>\n");
}

fn rule_group(s: &mut String, r: &Report<'_>, g: &RuleGroup<'_>, rows: usize) {
    let rule = g.rule;
    let _ = write!(
        s,
        r#"<details class="rule" data-level="{}" data-title="{}"{}><summary>{} <b>{}</b> · {} on {} · {} – {}</summary><div class="body">"#,
        rule.level.as_str(),
        e(&rule.title),
        if rule.level >= Level::High {
            " open"
        } else {
            ""
        },
        badge(rule.level),
        e(&rule.title),
        chart::plural(g.total as i64, "hit"),
        e(&g.hosts.iter().cloned().collect::<Vec<_>>().join(", ")),
        utc(g.first),
        utc(g.last),
    );
    let _ = write!(
        s,
        r#"<p class="meta">id <span class="mono">{}</span> · {} · status {} · techniques {} · tactics {} · <span class="mono">{}</span></p>"#,
        e(&rule.id),
        rule.engine.map(|x| x.as_str()).unwrap_or("?"),
        e(if rule.status.is_empty() {
            "–"
        } else {
            &rule.status
        }),
        e(&rule.techniques.join(", ")),
        e(&rule.tactics.join(", ")),
        e(&rule.path.to_string_lossy()),
    );
    if !rule.description.is_empty() {
        let _ = write!(s, "<p>{}</p>", e(&rule.description));
    }
    if !rule.falsepositives.is_empty() {
        let _ = write!(
            s,
            "<p class=\"meta\">False positives: {}</p>",
            e(&rule.falsepositives.join("; "))
        );
    }
    s.push_str("<table><tr><th>time (UTC)</th><th>computer</th><th>event</th><th>what happened</th><th>source</th></tr>");
    for &n in g.hits.iter().take(rows) {
        if let Some(h) = r.hits.get(n) {
            hit_row(s, h);
        }
    }
    s.push_str("</table>");
    let listed = rows.min(g.hits.len());
    if g.total > listed {
        let _ = write!(
            s,
            "<p class=\"meta\">{} more hits of this rule are in the timeline outputs (CSV/JSON).</p>",
            g.total - listed
        );
    }
    s.push_str("</div></details>\n");
}

fn hit_row(s: &mut String, h: &Hit) {
    let event = match &h.aggregate {
        Some(a) => format!(
            "{} ×{}<br><span class=\"meta\">{} – {}</span>",
            h.event.event_id,
            a.count,
            a.first_time.map(utc).unwrap_or_default(),
            a.last_time.map(utc).unwrap_or_default()
        ),
        None => format!(
            "{} <span class=\"meta\">#{}</span><br><span class=\"meta\">{}</span>",
            h.event.event_id,
            h.event.record_id,
            e(&h.event.channel)
        ),
    };
    let _ = write!(
        s,
        "<tr class=\"ev\"><td class=\"mono\">{}</td><td>{}</td><td>{}</td><td><div class=\"kv\">",
        utc(h.time()),
        e(&h.event.computer),
        event
    );
    if let Some(a) = &h.aggregate {
        for (k, v) in &a.by {
            kv(s, k, v);
        }
    }
    for (k, v) in &h.fields {
        kv(s, k, v);
    }
    s.push_str("</div></td><td class=\"meta\">");
    s.push_str(&e(&h.event.source.display()));
    for other in &h.also_in {
        let _ = write!(s, "<br>also in {}", e(&other.display()));
    }
    if let Some(a) = &h.aggregate {
        let ids: Vec<String> = a
            .records
            .iter()
            .take(20)
            .map(|r| format!("#{}", r.record_id))
            .collect();
        let _ = write!(
            s,
            "<br>records {}{}",
            ids.join(" "),
            if a.records.len() > 20 { " …" } else { "" }
        );
    }
    s.push_str("</td></tr>");
}

fn kv(s: &mut String, k: &str, v: &str) {
    if v.is_empty() {
        return;
    }
    let _ = write!(
        s,
        "<div><b>{}</b> <span class=\"mono\">{}</span></div>",
        e(k),
        e(&truncate_chars(v, MAX_CELL_CHARS))
    );
}

pub(super) fn rules_fired(r: &Report<'_>, hits: &[usize]) -> String {
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    for &n in hits {
        if let Some(h) = r.hits.get(n) {
            if seen.insert((std::cmp::Reverse(h.rule.level), h.rule.title.clone())) {
                out.push((h.rule.level, h.rule.title.clone()));
            }
        }
    }
    out.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    out.iter()
        .map(|(l, t)| format!("{} {}", badge(*l), e(t)))
        .collect::<Vec<_>>()
        .join(" ")
}
