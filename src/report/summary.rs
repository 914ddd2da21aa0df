//! The summary on standard error, the `--stats` timings, and the coverage JSON.

use super::ReportContext;
use crate::scan::ScanResult;
use crate::util::sanitize::for_terminal;
use std::collections::BTreeMap;
use std::io::Write;

/// Files scanned/skipped/damaged (per-file chunk and record counts for the damaged ones),
/// records, rules loaded/rejected, hits per level, rule and computer; level names coloured with
/// `color`.
pub fn write(w: &mut dyn Write, ctx: &ReportContext<'_>, color: bool) -> std::io::Result<()> {
    let r = ctx.result;
    let damaged: Vec<_> = r.files.iter().filter(|f| f.is_damaged()).collect();
    writeln!(w, "── summary ──")?;
    writeln!(
        w,
        "files: {} event logs scanned ({:.1} MB), {} skipped (not EVTX or unreadable), {} damaged, {} missing paths",
        r.files.len(),
        r.discovery.total_bytes() as f64 / 1e6,
        r.discovery.skipped.len(),
        damaged.len(),
        r.discovery.missing.len()
    )?;
    let failed: u64 = r.files.iter().map(|f| f.records_failed).sum();
    let recovered: u64 = r.files.iter().map(|f| f.records_recovered).sum();
    writeln!(
        w,
        "records: {} read, {} unreadable, {} carved; {:.2} s",
        r.records(),
        failed,
        recovered,
        r.elapsed.as_secs_f64()
    )?;
    writeln!(
        w,
        "rules: {} loaded, {} rejected",
        ctx.rules.len(),
        ctx.rules_rejected
    )?;
    for f in &damaged {
        let row = super::damaged::damaged_row(f);
        let [ok, bad, unreadable, zeroed, truncated, read, failed] = row.counts;
        write!(
            w,
            "  damaged: {}: chunks ok {ok} damaged {bad} unreadable {unreadable} zeroed {zeroed} truncated {truncated}; records read {read} failed {failed}",
            for_terminal(&row.path),
        )?;
        for p in &row.problems {
            write!(w, "; {}", for_terminal(p))?;
        }
        writeln!(w)?;
    }
    for p in &r.discovery.missing {
        writeln!(w, "  missing: {}", for_terminal(&p.to_string_lossy()))?;
    }
    let mut by_level: BTreeMap<_, u64> = BTreeMap::new();
    let mut by_rule: BTreeMap<(std::cmp::Reverse<crate::rules::Level>, String), u64> =
        BTreeMap::new();
    let mut by_computer: BTreeMap<String, u64> = BTreeMap::new();
    let mut folded = 0usize;
    let mut total = 0usize;
    for h in ctx.hits.iter() {
        total += 1;
        *by_level.entry(std::cmp::Reverse(h.rule.level)).or_default() += 1;
        *by_rule
            .entry((std::cmp::Reverse(h.rule.level), h.rule.title.clone()))
            .or_default() += 1;
        *by_computer.entry(h.event.computer.to_string()).or_default() += 1;
        folded += h.also_in.len();
    }
    write!(w, "hits: {total}")?;
    if folded > 0 {
        write!(
            w,
            " ({folded} more copies of the same records in other files were folded into them)"
        )?;
    }
    writeln!(w)?;
    for (l, n) in &by_level {
        let name = format!("{:<13}", l.0.as_str());
        writeln!(w, "  {} {n}", paint(l.0, &name, color))?;
    }
    if !by_rule.is_empty() {
        writeln!(w, "hits per rule:")?;
        let mut rules: Vec<_> = by_rule.into_iter().collect();
        rules.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        for ((level, t), n) in rules.iter().take(TOP) {
            writeln!(
                w,
                "  {n:>7}  {}  {}",
                paint(level.0, &format!("{:<13}", level.0.as_str()), color),
                for_terminal(t)
            )?;
        }
        if rules.len() > TOP {
            writeln!(w, "  … and {} more rules", rules.len() - TOP)?;
        }
        writeln!(w, "hits per computer:")?;
        let mut computers: Vec<_> = by_computer.into_iter().collect();
        computers.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        for (c, n) in computers.iter().take(TOP) {
            writeln!(w, "  {n:>7}  {}", for_terminal(c))?;
        }
        if computers.len() > TOP {
            writeln!(w, "  … and {} more computers", computers.len() - TOP)?;
        }
    }
    Ok(())
}

/// Most rules and computers listed in the summary.
const TOP: usize = 30;

/// A level name in its colour when `color`.
fn paint(level: crate::rules::Level, text: &str, color: bool) -> String {
    if color {
        super::table::paint(level, text)
    } else {
        text.to_string()
    }
}

/// Per-file and per-rule time (`--stats`), slowest first.
pub fn write_stats(w: &mut dyn Write, ctx: &ReportContext<'_>) -> std::io::Result<()> {
    let r = ctx.result;
    let mut files: Vec<_> = r.files.iter().zip(&r.file_millis).collect();
    files.sort_by(|a, b| b.1.cmp(a.1));
    writeln!(w, "slowest files (ms, records):")?;
    for (f, ms) in files.iter().take(15) {
        writeln!(
            w,
            "  {ms:>8}  {:>9}  {}",
            f.records_read,
            for_terminal(&f.path.to_string_lossy())
        )?;
    }
    let mut rules = r.rule_timings.clone();
    rules.sort_by_key(|t| std::cmp::Reverse(t.nanos));
    writeln!(w, "slowest rules (ms, events checked):")?;
    for t in rules.iter().take(25) {
        let title = ctx
            .rules
            .get(t.rule)
            .map(|r| r.info().title.clone())
            .unwrap_or_default();
        writeln!(
            w,
            "  {:>8.1}  {:>9}  {}",
            t.nanos as f64 / 1e6,
            t.checked,
            for_terminal(&title)
        )?;
    }
    Ok(())
}

/// The per-file coverage as JSON: one object per file with chunk and record counts.
pub fn write_coverage_json(w: &mut dyn Write, r: &ScanResult) -> std::io::Result<()> {
    let files: Vec<_> = r
        .files
        .iter()
        .map(|f| {
            let mut v = serde_json::to_value(f).unwrap_or_default();
            v["chunks"] = serde_json::to_value(f.chunk_counts()).unwrap_or_default();
            v["damaged"] = serde_json::Value::Bool(f.is_damaged());
            v
        })
        .collect();
    let skipped: Vec<_> = r
        .discovery
        .skipped
        .iter()
        .map(|s| serde_json::json!({"path": s.path.to_string_lossy(), "reason": s.reason}))
        .collect();
    let doc = serde_json::json!({
        "files": files,
        "skipped": skipped,
        "missing": r.discovery.missing.iter().map(|p| p.to_string_lossy()).collect::<Vec<_>>(),
        "partial": r.is_partial(),
    });
    serde_json::to_writer_pretty(&mut *w, &doc)?;
    w.write_all(b"\n")
}
