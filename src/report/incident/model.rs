//! What the incident report says, computed once and rendered as HTML or Markdown: the overview
//! (hosts, time span, hits by level and ATT&CK tactic, files), the detections grouped by rule,
//! the process lineages and the reassembled scripts.

use super::context::IncidentContext;
use super::lineage::{self, Lineage};
use super::scripts::{self, Script};
use crate::hit::Hit;
use crate::read::FileReport;
use crate::report::ReportContext;
use crate::rules::{Level, RuleInfo};
use jiff::Timestamp;
use std::collections::{BTreeMap, BTreeSet};

/// Most process lineages in a report.
pub const MAX_LINEAGES: usize = 300;
/// Most scripts in a report.
pub const MAX_SCRIPTS: usize = 200;

/// Levels from most to least severe.
pub const LEVELS_DESC: [Level; 5] = [
    Level::Critical,
    Level::High,
    Level::Medium,
    Level::Low,
    Level::Informational,
];

/// Hits per level, indexed by `Level as usize`.
pub type LevelCounts = [u64; 5];

/// One computer's hits.
#[derive(Debug, Clone)]
pub struct HostRow {
    /// Computer name.
    pub name: String,
    /// Hits.
    pub hits: u64,
    /// Hits per level.
    pub levels: LevelCounts,
    /// First hit time.
    pub first: Timestamp,
    /// Last hit time.
    pub last: Timestamp,
}

/// The overview numbers.
#[derive(Debug, Clone, Default)]
pub struct Overview {
    /// Hits.
    pub hits: usize,
    /// Hits the report lists (the most severe when there are too many to list; see
    /// [`crate::collect::SortedHits::most_severe`]); the counts of the overview are of all hits.
    pub shown: usize,
    /// Computers with hits, most hits first.
    pub hosts: Vec<HostRow>,
    /// First hit time.
    pub first: Option<Timestamp>,
    /// Last hit time (an aggregate's last time counts).
    pub last: Option<Timestamp>,
    /// Hits per level.
    pub levels: LevelCounts,
    /// Hits per tactic, kill-chain order, then other tactics, then `(none)`.
    pub tactics: Vec<(String, u64)>,
    /// Hits per technique, most first.
    pub techniques: Vec<(String, u64)>,
    /// Hits seen in more than one copy of a log (folded).
    pub folded_copies: usize,
    /// Logs scanned.
    pub files_scanned: usize,
    /// Bytes scanned.
    pub bytes: u64,
    /// Files skipped (not EVTX, unreadable).
    pub files_skipped: usize,
    /// Paths that did not exist.
    pub paths_missing: usize,
    /// Records read.
    pub records: u64,
    /// Rules that ran.
    pub rules_loaded: usize,
    /// Rules rejected at load.
    pub rules_rejected: usize,
}

/// The hits of one rule.
#[derive(Debug, Clone)]
pub struct RuleGroup<'a> {
    /// The rule.
    pub rule: &'a RuleInfo,
    /// Its hits the report lists (indexes into the report's hits), in time order.
    pub hits: Vec<usize>,
    /// All its hits, listed or not.
    pub total: usize,
    /// Computers it fired on.
    pub hosts: BTreeSet<String>,
    /// First hit time.
    pub first: Timestamp,
    /// Last hit time.
    pub last: Timestamp,
}

/// Everything the incident report shows.
pub struct Report<'a> {
    /// When the report was written.
    pub generated: Timestamp,
    /// The hits the report lists, filtered, deduplicated, in time order: all of them, or the
    /// most severe when there are too many ([`Overview::shown`] of [`Overview::hits`]).
    pub hits: &'a [Hit],
    /// The overview.
    pub overview: Overview,
    /// Detections by rule: most severe first, then most hits.
    pub rules: Vec<RuleGroup<'a>>,
    /// Process lineages of the process-creation hits.
    pub lineages: Vec<Lineage>,
    /// Processes that fired but are not shown (over [`MAX_LINEAGES`]).
    pub lineages_more: usize,
    /// Reassembled script blocks of the 4104 hits.
    pub scripts: Vec<Script>,
    /// 4104 hits whose script block could not be found or shown.
    pub scripts_unresolved: usize,
    /// Damaged files.
    pub damaged: Vec<&'a FileReport>,
    /// Every scanned file.
    pub files: &'a [FileReport],
    /// Notes on what the report could not show (caps reached).
    pub notes: Vec<String>,
}

/// The last time a hit covers (an aggregate's last time, else its time).
pub fn last_time(h: &Hit) -> Timestamp {
    h.aggregate
        .as_ref()
        .and_then(|a| a.last_time)
        .unwrap_or_else(|| h.time())
}

/// Compute the report.
pub fn build<'a>(ctx: &ReportContext<'a>, context: &IncidentContext) -> Report<'a> {
    let hits = ctx.hits.most_severe();
    let (lineages, lineages_more) = lineage::build(hits, context, MAX_LINEAGES);
    let (scripts, scripts_unresolved) = scripts::build(hits, context, MAX_SCRIPTS);
    let mut notes = context.notes.clone();
    let (overview, fired) = overview(ctx, hits.len());
    let (rules, unlisted_rules) = rule_groups(hits, fired);
    if overview.shown < overview.hits {
        notes.push(format!(
            "{} of {} hits are listed (the most severe, then the earliest); the timeline outputs have every hit",
            overview.shown, overview.hits
        ));
    }
    if unlisted_rules > 0 {
        notes.push(format!(
            "{unlisted_rules} more rules fired whose hits are not listed (less severe than those listed)"
        ));
    }
    if lineages_more > 0 {
        notes.push(format!(
            "{lineages_more} more processes fired than the {MAX_LINEAGES} lineages shown"
        ));
    }
    Report {
        generated: Timestamp::now(),
        hits,
        overview,
        rules,
        lineages,
        lineages_more,
        scripts,
        scripts_unresolved,
        damaged: ctx.result.files.iter().filter(|f| f.is_damaged()).collect(),
        files: &ctx.result.files,
        notes,
    }
}

/// What every hit of one rule (by id and title) adds up to.
struct RuleTally {
    total: usize,
    hosts: BTreeSet<String>,
    first: Timestamp,
    last: Timestamp,
}

/// The overview and the tally of each rule, counted over every hit in one pass; `shown` hits are
/// listed.
fn overview(
    ctx: &ReportContext<'_>,
    shown: usize,
) -> (Overview, BTreeMap<(String, String), RuleTally>) {
    let mut fired: BTreeMap<(String, String), RuleTally> = BTreeMap::new();
    let mut o = Overview {
        shown,
        files_scanned: ctx.result.files.len(),
        bytes: ctx.result.discovery.total_bytes(),
        files_skipped: ctx.result.discovery.skipped.len(),
        paths_missing: ctx.result.discovery.missing.len(),
        records: ctx.result.records(),
        rules_loaded: ctx.rules.len(),
        rules_rejected: ctx.rules_rejected,
        ..Overview::default()
    };
    let mut hosts: BTreeMap<std::sync::Arc<str>, HostRow> = BTreeMap::new();
    let mut tactics: BTreeMap<String, u64> = BTreeMap::new();
    let mut techniques: BTreeMap<String, u64> = BTreeMap::new();
    for h in ctx.hits.iter() {
        let h = &h;
        o.hits += 1;
        let (t0, t1) = (h.time(), last_time(h));
        o.first = Some(o.first.map_or(t0, |f| f.min(t0)));
        o.last = Some(o.last.map_or(t1, |l| l.max(t1)));
        o.levels[h.rule.level as usize] += 1;
        if !h.also_in.is_empty() {
            o.folded_copies += 1;
        }
        let row = hosts
            .entry(std::sync::Arc::clone(&h.event.computer))
            .or_insert_with(|| HostRow {
                name: h.event.computer.to_string(),
                hits: 0,
                levels: [0; 5],
                first: t0,
                last: t1,
            });
        row.hits += 1;
        let tally = fired
            .entry((h.rule.id.clone(), h.rule.title.clone()))
            .or_insert_with(|| RuleTally {
                total: 0,
                hosts: BTreeSet::new(),
                first: t0,
                last: t1,
            });
        tally.total += 1;
        if !tally.hosts.contains(&*h.event.computer) {
            tally.hosts.insert(h.event.computer.to_string());
        }
        tally.first = tally.first.min(t0);
        tally.last = tally.last.max(t1);
        row.levels[h.rule.level as usize] += 1;
        row.first = row.first.min(t0);
        row.last = row.last.max(t1);
        if h.rule.tactics.is_empty() {
            *tactics.entry("(none)".to_string()).or_default() += 1;
        }
        for t in &h.rule.tactics {
            *tactics.entry(t.to_ascii_lowercase()).or_default() += 1;
        }
        for t in &h.rule.techniques {
            *techniques.entry(t.clone()).or_default() += 1;
        }
    }
    let mut hosts: Vec<HostRow> = hosts.into_values().collect();
    hosts.sort_by(|a, b| b.hits.cmp(&a.hits).then_with(|| a.name.cmp(&b.name)));
    o.hosts = hosts;
    let rank = |t: &str| {
        crate::rules::attack::tactic_rank(t).unwrap_or(if t == "(none)" { 99 } else { 50 })
    };
    let mut tactics: Vec<(String, u64)> = tactics.into_iter().collect();
    tactics.sort_by(|a, b| rank(&a.0).cmp(&rank(&b.0)).then_with(|| a.0.cmp(&b.0)));
    o.tactics = tactics;
    let mut techniques: Vec<(String, u64)> = techniques.into_iter().collect();
    techniques.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    o.techniques = techniques;
    (o, fired)
}

/// The listed hits grouped by rule, with each rule's counts over every hit (`fired`); and how
/// many rules that fired have no listed hit.
fn rule_groups(
    hits: &[Hit],
    mut fired: BTreeMap<(String, String), RuleTally>,
) -> (Vec<RuleGroup<'_>>, usize) {
    let mut groups: BTreeMap<(&str, &str), RuleGroup<'_>> = BTreeMap::new();
    for (n, h) in hits.iter().enumerate() {
        let g = groups
            .entry((&h.rule.id, &h.rule.title))
            .or_insert_with(|| RuleGroup {
                rule: &h.rule,
                hits: Vec::new(),
                total: 0,
                hosts: BTreeSet::new(),
                first: h.time(),
                last: last_time(h),
            });
        g.hits.push(n);
        g.hosts.insert(h.event.computer.to_string());
        g.first = g.first.min(h.time());
        g.last = g.last.max(last_time(h));
    }
    let mut list: Vec<RuleGroup<'_>> = groups.into_values().collect();
    for g in &mut list {
        g.total = g.hits.len();
        let key = (g.rule.id.clone(), g.rule.title.clone());
        if let Some(t) = fired.remove(&key) {
            g.total = t.total.max(g.hits.len());
            g.hosts.extend(t.hosts);
            g.first = g.first.min(t.first);
            g.last = g.last.max(t.last);
        }
    }
    list.sort_by(|a, b| {
        b.rule
            .level
            .cmp(&a.rule.level)
            .then_with(|| b.total.cmp(&a.total))
            .then_with(|| a.rule.title.cmp(&b.rule.title))
    });
    (list, fired.len())
}
