//! Hits as rules produce them, folded across copies of a log as they arrive.
//!
//! [`HitSet`] keeps one hit per identity (the timeline's duplicate identity,
//! [`crate::report::timeline::identity_order`]): a hit equal to one already kept only adds its
//! files to `also_in`, and the kept hit is the one from the path that sorts first, so the result
//! does not depend on which copy was read first. Aggregates keep at most [`MAX_RECORDS`]
//! records; the rest are counted in `records_omitted`. Past a byte budget the hits in memory are
//! sorted and spilled to disk; [`HitSet::finish`] gives the timeline ([`SortedHits`]), which
//! merges the spilled runs and folds equal hits across them.

use super::codec::Interner;
use super::hit_codec::{self, Tables};
use super::sorted::SortedHits;
use super::Folded;
use crate::event::Source;
use crate::hit::{Aggregate, EventRef, Hit};
use crate::report::timeline::identity_order;
use crate::rules::EventMatch;
use jiff::Timestamp;
use std::cmp::Ordering;
use std::collections::HashMap;
use std::fs::File;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// The most records an aggregate hit lists.
pub const MAX_RECORDS: usize = 1000;

/// Keep the first `max` records of an aggregate and count the others in `records_omitted`.
pub fn cap_records(hit: &mut Hit, max: usize) {
    if let Some(a) = &mut hit.aggregate {
        if a.records.len() > max {
            a.records_omitted += (a.records.len() - max) as u64;
            a.records.truncate(max);
            a.records.shrink_to_fit();
        }
    }
}

/// A record's identity without its file: computer, channel, record id, `TimeCreated`.
type RecordKey = (Arc<str>, Arc<str>, u64, Timestamp);

fn record_key(e: &EventRef) -> RecordKey {
    (
        Arc::clone(&e.computer),
        Arc::clone(&e.channel),
        e.record_id,
        e.time,
    )
}

/// The other files of the records of one rule's matches, to give its hits their `also_in`.
#[derive(Default)]
pub struct Copies {
    files: HashMap<RecordKey, Vec<Arc<Source>>>,
}

impl Copies {
    /// Split folded matches into the matches for `finish` and the files of their copies.
    pub fn split(folded: Vec<Folded>) -> (Vec<EventMatch>, Copies) {
        let mut copies = Copies::default();
        let mut matches = Vec::with_capacity(folded.len());
        for f in folded {
            copies.note(&f.m.event, f.also_in);
            matches.push(f.m);
        }
        (matches, copies)
    }

    /// The copies of one record (no allocation when there are none).
    pub fn of_one(event: &EventRef, also_in: Vec<Arc<Source>>) -> Copies {
        let mut copies = Copies::default();
        copies.note(event, also_in);
        copies
    }

    /// Note the other files holding `event`'s record (none: nothing to note).
    pub fn note(&mut self, event: &EventRef, also_in: Vec<Arc<Source>>) {
        if !also_in.is_empty() {
            self.files.insert(record_key(event), also_in);
        }
    }

    /// Add to a hit the other files holding its record (for an aggregate: any of its records).
    pub fn attach(&self, hit: &mut Hit) {
        if self.files.is_empty() {
            return;
        }
        let mut add = |e: &EventRef| {
            if let Some(files) = self.files.get(&record_key(e)) {
                hit.also_in.extend(files.iter().map(Arc::clone));
            }
        };
        match &hit.aggregate {
            Some(a) => a.records.iter().for_each(&mut add),
            None => add(&hit.event),
        }
        let primary = hit.event.source.path.clone();
        hit.also_in.sort_by(|a, b| a.path.cmp(&b.path));
        hit.also_in.dedup_by(|a, b| a.path == b.path);
        hit.also_in.retain(|s| s.path != primary);
    }
}

/// Hit bytes kept in memory before the buffered hits are spilled to disk as a sorted run.
pub const DEFAULT_HIT_BUDGET: usize = 16 << 20;

/// Distinct hits, folded as they are added; past a byte budget, spilled to disk in sorted runs.
/// [`HitSet::finish`] turns them into [`SortedHits`], the timeline.
pub struct HitSet {
    hits: Vec<Hit>,
    /// Identity hash → index in `hits` of the hit with that identity.
    index: HashMap<u64, usize>,
    /// Estimated bytes of `hits` and `index`.
    bytes: usize,
    budget: usize,
    /// Spilled runs, each sorted in the timeline order.
    runs: Vec<File>,
    tables: Tables,
    strings: Interner,
    /// A spill failed: everything stays in memory from then on.
    failed: bool,
}

impl Default for HitSet {
    fn default() -> HitSet {
        HitSet::with_budget(DEFAULT_HIT_BUDGET)
    }
}

impl HitSet {
    /// An empty set with the default memory budget ([`DEFAULT_HIT_BUDGET`]).
    pub fn new() -> HitSet {
        HitSet::default()
    }

    /// An empty set keeping about `budget` bytes of hits in memory.
    pub fn with_budget(budget: usize) -> HitSet {
        HitSet {
            hits: Vec::new(),
            index: HashMap::new(),
            bytes: 0,
            budget,
            runs: Vec::new(),
            tables: Tables::default(),
            strings: Interner::default(),
            failed: false,
        }
    }

    /// Number of hits in memory (distinct among themselves; spilled ones not counted).
    pub fn len(&self) -> usize {
        self.hits.len()
    }

    /// Whether no hit is in memory.
    pub fn is_empty(&self) -> bool {
        self.hits.is_empty()
    }

    /// How many sorted runs were written to disk.
    pub fn runs(&self) -> usize {
        self.runs.len()
    }

    /// Add a hit: its records capped, folded into an equal hit already kept in memory if there
    /// is one (equal hits already spilled are folded when the runs are merged).
    pub fn insert(&mut self, mut hit: Hit) {
        cap_records(&mut hit, MAX_RECORDS);
        let h = identity_hash(&hit);
        match self.index.get(&h).and_then(|&i| self.hits.get_mut(i)) {
            Some(kept) if identity_order(kept, &hit) == Ordering::Equal => {
                self.bytes += 8 * (1 + hit.also_in.len());
                merge(kept, hit);
            }
            Some(_) => {
                // A hash collision between different hits: keep both (the merge that makes the
                // timeline folds any later copy of this one).
                self.add(hit);
            }
            None => {
                self.index.insert(h, self.hits.len());
                self.add(hit);
            }
        }
        if self.bytes > self.budget && !self.failed && self.spill().is_err() {
            self.failed = true;
        }
    }

    fn add(&mut self, mut hit: Hit) {
        self.strings.share(&mut hit.event);
        if let Some(a) = &mut hit.aggregate {
            a.records.iter_mut().for_each(|e| self.strings.share(e));
        }
        self.bytes += estimate(&hit) + std::mem::size_of::<(u64, usize)>() + 16;
        self.hits.push(hit);
    }

    /// Spill the buffered hits when they are a sizable part of the budget, to leave their
    /// memory to something large about to run (a rule's `finish` over many matches).
    pub fn make_room(&mut self) {
        if self.bytes > self.budget / 4 && !self.failed && self.spill().is_err() {
            self.failed = true;
        }
    }

    /// Write the buffered hits, sorted, to a new run. On failure they stay in memory.
    fn spill(&mut self) -> std::io::Result<()> {
        sort_timeline(&mut self.hits);
        self.hits.iter_mut().for_each(tidy_also_in);
        let tables = &mut self.tables;
        let hits = &self.hits;
        let written = super::codec::write_run(hits, |w, h| hit_codec::encode(w, h, tables));
        match written {
            Ok(file) => {
                self.runs.push(file);
                self.hits = Vec::new();
                self.index = HashMap::new();
                self.bytes = 0;
                Ok(())
            }
            Err(e) => {
                // Sorting moved the hits: index them again.
                self.index = self
                    .hits
                    .iter()
                    .enumerate()
                    .map(|(i, h)| (identity_hash(h), i))
                    .collect();
                Err(e)
            }
        }
    }

    /// The hits in the timeline order, equal identities folded (see [`SortedHits`]).
    pub fn finish(mut self) -> SortedHits {
        sort_timeline(&mut self.hits);
        self.tables.freeze();
        SortedHits::new(self.hits, self.runs, self.tables)
    }
}

/// Sort hits in the timeline order: their identity, then the path of their file.
pub(super) fn sort_timeline(hits: &mut [Hit]) {
    hits.sort_by(|a, b| {
        identity_order(a, b).then_with(|| a.event.source.path.cmp(&b.event.source.path))
    });
}

/// Sort a hit's other files by path, once each, without its own.
pub(super) fn tidy_also_in(h: &mut Hit) {
    h.also_in.sort_by(|a, b| a.path.cmp(&b.path));
    h.also_in.dedup_by(|a, b| a.path == b.path);
    let primary = &h.event.source.path;
    h.also_in.retain(|s| &s.path != primary);
}

/// Rough heap and inline size of a hit (its shared strings not counted).
pub(super) fn estimate(h: &Hit) -> usize {
    let pairs =
        |v: &[(String, String)]| v.iter().map(|(a, b)| 48 + a.len() + b.len()).sum::<usize>();
    let aggregate = h.aggregate.as_ref().map_or(0, |a| {
        std::mem::size_of::<Aggregate>()
            + pairs(&a.by)
            + a.records.len() * std::mem::size_of::<EventRef>()
    });
    std::mem::size_of::<Hit>() + pairs(&h.fields) + 8 * h.also_in.len() + aggregate
}

/// Fold `dup` into `kept`; the hit from the path that sorts first is the one kept.
fn merge(kept: &mut Hit, mut dup: Hit) {
    if dup.event.source.path < kept.event.source.path {
        std::mem::swap(kept, &mut dup);
    }
    kept.also_in.push(dup.event.source);
    kept.also_in.append(&mut dup.also_in);
    if kept.also_in.len() > 64 {
        kept.also_in.sort_by(|a, b| a.path.cmp(&b.path));
        kept.also_in.dedup_by(|a, b| a.path == b.path);
    }
}

/// A hash of everything [`identity_order`] compares: equal identities hash equal.
pub fn identity_hash(h: &Hit) -> u64 {
    // A fast, fixed hash: it only picks slots in the in-memory index (equality is checked).
    use std::hash::BuildHasher;
    let mut s = foldhash::fast::FixedState::default().build_hasher();
    h.time().hash(&mut s);
    h.rule.id.hash(&mut s);
    h.event.computer.hash(&mut s);
    h.event.channel.hash(&mut s);
    h.event.record_id.hash(&mut s);
    h.event.time.hash(&mut s);
    h.fields.hash(&mut s);
    if let Some(a) = &h.aggregate {
        a.by.hash(&mut s);
        a.first_time.hash(&mut s);
        a.last_time.hash(&mut s);
        a.count.hash(&mut s);
    }
    s.finish()
}
