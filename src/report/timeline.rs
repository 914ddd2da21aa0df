//! The timeline: hits filtered, deduplicated across copies of the same log, sorted by time, and
//! written as CSV ([`super::csv`]), JSON or JSONL ([`super::json`]).
//!
//! Deduplication: the same record seen through several copies of a log (VSS snapshots, a file
//! collected twice, two collections of one host) makes the same rule fire once per copy. Hits are
//! the same when they agree on the rule id, computer, channel, record id, `TimeCreated`, the key
//! fields and (for aggregates) the group; one is kept (the one from the source path that sorts
//! first) and the other files are listed in its `also_in`.

use super::filter::HitFilter;
use crate::hit::Hit;
use std::borrow::Borrow;
use std::cmp::Ordering;
use std::io::Write;

/// Filter, deduplicate and sort hits by time (then rule, computer, channel, record).
pub fn prepare(hits: Vec<Hit>, filter: &HitFilter) -> Vec<Hit> {
    let mut hits: Vec<Hit> = hits.into_iter().filter(|h| filter.keeps_hit(h)).collect();
    hits.sort_by(|a, b| {
        identity_order(a, b).then_with(|| a.event.source.path.cmp(&b.event.source.path))
    });
    let mut out: Vec<Hit> = Vec::with_capacity(hits.len());
    for hit in hits {
        match out.last_mut() {
            Some(kept) if identity_order(kept, &hit) == Ordering::Equal => merge_copy(kept, hit),
            _ => out.push(hit),
        }
    }
    for h in &mut out {
        h.also_in.sort_by(|a, b| a.path.cmp(&b.path));
        h.also_in.dedup_by(|a, b| a.path == b.path);
        let primary = h.event.source.path.clone();
        h.also_in.retain(|s| s.path != primary);
    }
    out
}

/// Fold a duplicate into the hit that is kept: its files join `also_in`.
fn merge_copy(kept: &mut Hit, dup: Hit) {
    kept.also_in.push(dup.event.source);
    kept.also_in.extend(dup.also_in);
}

/// The timeline order, which is also the duplicate identity: time, rule, computer, channel,
/// record id, `TimeCreated`, key fields, and the group of an aggregate. Two hits that compare
/// equal are the same finding seen through different copies of a log.
pub fn identity_order(a: &Hit, b: &Hit) -> Ordering {
    a.time()
        .cmp(&b.time())
        .then_with(|| a.rule.id.cmp(&b.rule.id))
        .then_with(|| a.event.computer.cmp(&b.event.computer))
        .then_with(|| a.event.channel.cmp(&b.event.channel))
        .then_with(|| a.event.record_id.cmp(&b.event.record_id))
        .then_with(|| a.event.time.cmp(&b.event.time))
        .then_with(|| a.fields.cmp(&b.fields))
        .then_with(|| aggregate_order(a, b))
}

fn aggregate_order(a: &Hit, b: &Hit) -> Ordering {
    match (&a.aggregate, &b.aggregate) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(x), Some(y)) => {
            x.by.cmp(&y.by)
                .then_with(|| x.first_time.cmp(&y.first_time))
                .then_with(|| x.last_time.cmp(&y.last_time))
                .then_with(|| x.count.cmp(&y.count))
        }
    }
}

/// Output formats of the timeline.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// A table for people (the default on a terminal).
    Table,
    /// CSV: fixed columns, one line per hit, safe for spreadsheets.
    Csv,
    /// One JSON array.
    Json,
    /// One JSON object per line.
    Jsonl,
}

/// Write hits in a timeline format (`Table`: the table of [`super::table`], without colours),
/// as `hits` gives them (the table makes two passes).
pub fn write<H: Borrow<Hit>, I: IntoIterator<Item = H> + Clone>(
    w: &mut dyn Write,
    format: Format,
    hits: I,
    timesketch: bool,
) -> std::io::Result<()> {
    match format {
        Format::Table => super::table::write(w, hits, false),
        Format::Jsonl => super::json::write_jsonl(w, hits, timesketch),
        Format::Json => super::json::write_array(w, hits, timesketch),
        Format::Csv => super::csv::write(w, hits, timesketch),
    }
}
