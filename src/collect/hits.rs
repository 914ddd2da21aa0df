//! Hits as rules produce them, folded across copies of a log as they arrive.
//!
//! [`HitSet`] keeps one hit per identity (the timeline's duplicate identity,
//! [`crate::report::timeline::identity_order`]): a hit equal to one already kept only adds its
//! files to `also_in`, and the kept hit is the one from the path that sorts first, so the result
//! does not depend on which copy was read first. Aggregates keep at most [`MAX_RECORDS`]
//! records; the rest are counted in `records_omitted`.

use super::Folded;
use crate::event::Source;
use crate::hit::{EventRef, Hit};
use crate::report::timeline::identity_order;
use crate::rules::EventMatch;
use jiff::Timestamp;
use std::cmp::Ordering;
use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
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
            if !f.also_in.is_empty() {
                copies.files.insert(record_key(&f.m.event), f.also_in);
            }
            matches.push(f.m);
        }
        (matches, copies)
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

/// Distinct hits, folded as they are added.
#[derive(Default)]
pub struct HitSet {
    hits: Vec<Hit>,
    /// Identity hash → index in `hits` of the hit with that identity.
    index: HashMap<u64, usize>,
}

impl HitSet {
    /// An empty set.
    pub fn new() -> HitSet {
        HitSet::default()
    }

    /// Number of distinct hits.
    pub fn len(&self) -> usize {
        self.hits.len()
    }

    /// Whether no hit was added.
    pub fn is_empty(&self) -> bool {
        self.hits.is_empty()
    }

    /// Add a hit: its records capped, folded into an equal hit already kept if there is one.
    pub fn insert(&mut self, mut hit: Hit) {
        cap_records(&mut hit, MAX_RECORDS);
        let h = identity_hash(&hit);
        match self.index.get(&h).and_then(|&i| self.hits.get_mut(i)) {
            Some(kept) if identity_order(kept, &hit) == Ordering::Equal => merge(kept, hit),
            Some(_) => {
                // A hash collision between different hits: keep both (the timeline's own
                // deduplication still folds any later copy of this one).
                self.hits.push(hit);
            }
            None => {
                self.index.insert(h, self.hits.len());
                self.hits.push(hit);
            }
        }
    }

    /// The distinct hits, unsorted, each with `also_in` sorted and without its own file.
    pub fn into_hits(self) -> Vec<Hit> {
        let mut hits = self.hits;
        for h in &mut hits {
            h.also_in.sort_by(|a, b| a.path.cmp(&b.path));
            h.also_in.dedup_by(|a, b| a.path == b.path);
            let primary = h.event.source.path.clone();
            h.also_in.retain(|s| s.path != primary);
        }
        hits
    }
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
    let mut s = DefaultHasher::new();
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
