//! The matches and hits of a scan, kept in bounded memory and folded across copies of a log.
//!
//! Rules' per-event matches ([`EventMatch`]) pile up while files are read and are turned into
//! hits only at the end (a rule's `finish` sees all its matches). [`MatchStore`] keeps them in
//! memory up to a byte budget; past it, the buffered matches are sorted and written to an
//! anonymous temporary file (a run). At the end, [`MatchStore::drain`] hands each rule its
//! matches in turn, merging the runs in step, so only one rule's matches are in memory at once.
//!
//! Copies of a log (VSS snapshots, a file collected twice) hold the same records. A record is
//! known by its computer, channel, record id and `TimeCreated`; the store keeps one match per
//! rule and record and lists the other files that held it, both while buffering and when
//! merging runs. So memory holds distinct matches only, and aggregates count a record once
//! however many copies of it were scanned. The kept match names the file whose path sorts
//! first. Matches of an aggregating rule keep only their `state` (its `finish` reads nothing
//! else). [`hits::HitSet`] then folds hits the same way the timeline does (see
//! [`crate::report::timeline`]) and caps the records an aggregate lists.

mod codec;
mod hit_codec;
pub mod hits;
pub mod sorted;

pub use sorted::SortedHits;

use crate::event::Source;
use crate::hit::EventRef;
use crate::rules::EventMatch;
use codec::Interner;
use hashbrown::HashTable;
use jiff::Timestamp;
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{BufReader, Seek};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// Match bytes kept in memory before spilling to disk.
pub const DEFAULT_BUDGET: usize = 32 << 20;

/// How long the drain waits for a spill still being written.
const SPILL_WAIT: Duration = Duration::from_secs(30);

/// A match as handed to `finish`, with the other files that held the same record.
#[derive(Debug, Clone)]
pub struct Folded {
    /// The match, from the file whose path sorts first.
    pub m: EventMatch,
    /// The other files, sorted by path.
    pub also_in: Vec<Arc<Source>>,
}

/// The matches of every rule of a scan.
pub struct MatchStore {
    inner: Mutex<Inner>,
    /// Signalled when a spill (written outside the lock) is done.
    spilled: Condvar,
    /// How long the drain waits for a spill still being written (by a reader the watchdog
    /// gave up on) before it counts that run as lost.
    spill_wait: Duration,
    /// Per rule: whether only its `state` is kept (aggregating rules).
    state_only: Vec<bool>,
    budget: usize,
}

/// A buffered or spilled match: rule, the match, and where copies of its record were seen.
#[derive(Debug)]
pub(crate) struct Entry {
    rule: u32,
    m: EventMatch,
    /// Index (into the source table) of the file `m` is reported from.
    primary: u32,
    /// Other files holding the same record.
    copies: Vec<u32>,
}

/// The hash of what makes two matches the same record for the same rule: rule, computer,
/// channel, record id and `TimeCreated`.
fn identity_hash(hasher: &foldhash::fast::RandomState, rule: u32, e: &EventRef) -> u64 {
    use std::hash::BuildHasher;
    hasher.hash_one((rule, &*e.computer, &*e.channel, e.record_id, e.time))
}

/// Whether `entry` is the same record for the same rule as (`rule`, `e`).
fn same_identity(entry: &Entry, rule: u32, e: &EventRef) -> bool {
    let x = &entry.m.event;
    entry.rule == rule
        && x.record_id == e.record_id
        && x.time == e.time
        && x.computer == e.computer
        && x.channel == e.channel
}

/// An entry's place in the order of runs: rule, rank, then the record identity. `S` is `&str`
/// to compare entries in place ([`entry_order`]) and `Arc<str>` to keep a place apart from its
/// entry (the merge's heap); both order the same way.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct OrderKey<S> {
    rule: u32,
    rank: u8,
    computer: S,
    channel: S,
    record_id: u64,
    time: Timestamp,
}

impl<'a> OrderKey<&'a str> {
    fn of(e: &'a Entry) -> OrderKey<&'a str> {
        let x = &e.m.event;
        OrderKey {
            rule: e.rule,
            rank: e.m.rank,
            computer: &x.computer,
            channel: &x.channel,
            record_id: x.record_id,
            time: x.time,
        }
    }
}

impl OrderKey<Arc<str>> {
    fn owned(e: &Entry) -> OrderKey<Arc<str>> {
        let x = &e.m.event;
        OrderKey {
            rule: e.rule,
            rank: e.m.rank,
            computer: Arc::clone(&x.computer),
            channel: Arc::clone(&x.channel),
            record_id: x.record_id,
            time: x.time,
        }
    }
}

/// The order of runs: rule, rank, then the record identity.
fn entry_order(a: &Entry, b: &Entry) -> Ordering {
    OrderKey::of(a).cmp(&OrderKey::of(b))
}

#[derive(Default)]
struct Inner {
    /// Distinct (rule, record) entries in arrival order.
    buffer: Vec<Entry>,
    /// Where each buffered (rule, record) is in `buffer`.
    index: HashTable<usize>,
    /// The hasher of `index`.
    hasher: foldhash::fast::RandomState,
    /// Estimated bytes of `buffer` and `index`.
    bytes: usize,
    /// Spilled runs, each sorted by [`entry_order`].
    runs: Vec<File>,
    /// Evidence files, by index.
    sources: codec::SourceTable,
    /// Shared copies of computer, channel and provider names.
    strings: Interner,
    /// The first spill error; matches are then kept in memory.
    failed: bool,
    /// Whether a run is being written (outside the lock).
    spilling: bool,
}

impl MatchStore {
    /// A store for `rules` rules keeping at most `budget` bytes of matches in memory.
    pub fn new(rules: usize, budget: usize) -> MatchStore {
        MatchStore {
            inner: Mutex::new(Inner::default()),
            spilled: Condvar::new(),
            spill_wait: SPILL_WAIT,
            state_only: vec![false; rules],
            budget,
        }
    }

    /// Keep only the `state` of the matches of the rules marked `true` (rules that aggregate:
    /// their `finish` builds hits from state and event identity alone).
    pub fn with_state_only(mut self, state_only: Vec<bool>) -> MatchStore {
        if state_only.len() == self.state_only.len() {
            self.state_only = state_only;
        }
        self
    }

    /// Add a batch of (rule index, match).
    pub fn add(&self, found: Vec<(usize, EventMatch)>) {
        let full = {
            let mut inner = self.lock();
            for (rule, mut m) in found {
                if self.state_only.get(rule).copied().unwrap_or(false) {
                    m.fields = Vec::new();
                }
                inner.insert(rule as u32, m);
            }
            // One spill at a time: the store holds at most its buffer and one being written.
            while inner.bytes > self.budget && !inner.failed && inner.spilling {
                inner = self.spilled.wait(inner).unwrap_or_else(|e| e.into_inner());
            }
            let full = inner.bytes > self.budget && !inner.failed;
            if full {
                inner.spilling = true;
            }
            full.then(|| inner.take_buffer())
        };
        // Sorted and written without the lock: the other threads go on adding meanwhile.
        if let Some(mut buffer) = full {
            buffer.sort_by(entry_order);
            let written = codec::write_run(&buffer, codec::encode);
            let mut inner = match written {
                Ok(file) => {
                    drop(buffer);
                    let mut inner = self.lock();
                    inner.runs.push(file);
                    inner
                }
                Err(_) => {
                    let mut inner = self.lock();
                    inner.keep_in_memory(buffer);
                    inner
                }
            };
            inner.spilling = false;
            drop(inner);
            self.spilled.notify_all();
        }
    }

    /// Wait at most `wait` for a spill still being written when the store is drained.
    pub fn with_spill_wait(mut self, wait: Duration) -> MatchStore {
        self.spill_wait = wait;
        self
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How many runs were written to disk.
    pub fn runs(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .runs
            .len()
    }

    /// Call `f` with every rule index in order and its folded matches (possibly none, sorted by
    /// rank then record identity), emptying the store. A run that cannot be read back loses the
    /// rest of its matches, and a run still being written after the wait (`with_spill_wait`)
    /// all of them: both are in the returned count of unreadable runs.
    pub fn drain(&self, mut f: impl FnMut(usize, Vec<Folded>)) -> usize {
        self.drain_each(|rule, matches| f(rule, matches.collect()))
    }

    /// [`MatchStore::drain`] as a stream: `f` gets every rule index in order with an iterator
    /// over its folded matches, read from the runs as it advances, so a caller that keeps
    /// only some of them never holds them all. What `f` leaves unread is skipped.
    pub fn drain_each(&self, mut f: impl FnMut(usize, &mut RuleMatches<'_>)) -> usize {
        let mut inner = self.lock();
        // A reader the watchdog gave up on may still be writing a run: wait for it a while,
        // then count it as lost (its matches are in neither the buffer nor the runs).
        let until = Instant::now() + self.spill_wait;
        while inner.spilling {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            inner = self
                .spilled
                .wait_timeout(inner, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        let in_flight = usize::from(inner.spilling);
        let mut buffer = std::mem::take(&mut inner.buffer);
        inner.index = HashTable::new();
        buffer.sort_by(entry_order);
        let sources = std::mem::take(&mut inner.sources).list;
        let strings = std::mem::take(&mut inner.strings);
        let readers: Vec<RunReader> = std::mem::take(&mut inner.runs)
            .into_iter()
            .map(|mut file| {
                let ok = file.rewind().is_ok();
                RunReader {
                    reader: BufReader::new(file),
                    next: None,
                    broken: !ok,
                }
            })
            .collect();
        inner.bytes = 0;
        let rules = self.state_only.len() as u32;
        drop(inner);
        let ranks = path_ranks(&sources);
        let mut merge = Merge {
            readers,
            heads: BinaryHeap::new(),
            memory: buffer.into_iter().peekable(),
            sources,
            ranks,
            strings,
        };
        for i in 0..merge.readers.len() {
            merge.advance(i);
        }
        for rule in 0..rules {
            let mut matches = RuleMatches {
                merge: &mut merge,
                rule,
                pending: None,
            };
            f(rule as usize, &mut matches);
            matches.skip_rest();
        }
        merge.readers.iter().filter(|r| r.broken).count() + in_flight
    }
}

/// The runs and the sorted in-memory buffer being merged by [`MatchStore::drain_each`].
struct Merge {
    readers: Vec<RunReader>,
    /// The order of each reader's head entry, smallest first (a reader without a head has
    /// none here): the next entry is found in log(runs) steps, not by looking at every run.
    heads: BinaryHeap<Reverse<(OrderKey<Arc<str>>, usize)>>,
    memory: std::iter::Peekable<std::vec::IntoIter<Entry>>,
    sources: Vec<Arc<Source>>,
    /// Each source's place in path order (see [`path_ranks`]).
    ranks: Vec<u32>,
    strings: Interner,
}

impl Merge {
    fn advance(&mut self, i: usize) {
        if let Some(r) = self.readers.get_mut(i) {
            r.advance(&self.sources, &mut self.strings);
        }
        self.push_head(i);
    }

    /// Put reader `i`'s head (if any) in the heap.
    fn push_head(&mut self, i: usize) {
        if let Some(e) = self.readers.get(i).and_then(|r| r.next.as_ref()) {
            self.heads.push(Reverse((OrderKey::owned(e), i)));
        }
    }

    /// The reader whose head is the smallest entry of the runs, when it belongs to `rule`
    /// (ties go to the first run, as they always have).
    fn best_run(&self, rule: u32) -> Option<usize> {
        self.heads
            .peek()
            .filter(|Reverse((k, _))| k.rule == rule)
            .map(|Reverse((_, i))| *i)
    }

    /// The smallest entry of `rule` among the runs' heads and the buffer.
    fn next_entry(&mut self, rule: u32) -> Option<Entry> {
        let best = self.best_run(rule);
        let head = best.and_then(|b| self.readers[b].next.as_ref());
        let from_memory = self
            .memory
            .peek()
            .filter(|e| e.rule == rule)
            .is_some_and(|m| head.is_none_or(|b| entry_order(m, b) != Ordering::Greater));
        if from_memory {
            return self.memory.next();
        }
        let b = best?;
        self.heads.pop();
        let e = self.readers[b].next.take();
        self.advance(b);
        e
    }
}

/// One rule's folded matches, streamed out of the store (see [`MatchStore::drain_each`]).
pub struct RuleMatches<'a> {
    merge: &'a mut Merge,
    rule: u32,
    /// The entry read past the end of the previous fold.
    pending: Option<Entry>,
}

impl RuleMatches<'_> {
    /// Pass over the rule's matches not read yet, without building them.
    pub fn skip_rest(&mut self) {
        self.pending = None;
        let rule = self.rule;
        let merge = &mut *self.merge;
        while merge.memory.next_if(|e| e.rule == rule).is_some() {}
        while let Some(i) = merge.best_run(rule) {
            merge.heads.pop();
            if let Some(r) = merge.readers.get_mut(i) {
                r.skip_rule(rule, &merge.sources, &mut merge.strings);
            }
            merge.push_head(i);
        }
    }
}

impl Iterator for RuleMatches<'_> {
    type Item = Folded;

    fn next(&mut self) -> Option<Folded> {
        let mut kept = match self.pending.take() {
            Some(e) => e,
            None => self.merge.next_entry(self.rule)?,
        };
        while let Some(next) = self.merge.next_entry(self.rule) {
            if entry_order(&kept, &next) == Ordering::Equal {
                fold(&mut kept, next, &self.merge.sources);
            } else {
                self.pending = Some(next);
                break;
            }
        }
        Some(finish_entry(kept, &self.merge.sources, &self.merge.ranks))
    }
}

/// Merge the files of `dup` into `kept`: the path that sorts first becomes the primary.
fn fold(kept: &mut Entry, dup: Entry, sources: &[Arc<Source>]) {
    for s in std::iter::once(dup.primary).chain(dup.copies) {
        add_copy(kept, s, sources, &dup.m.event.source);
    }
}

/// Note that file `s` (`arc` when it is the new primary) also holds `kept`'s record.
fn add_copy(kept: &mut Entry, s: u32, sources: &[Arc<Source>], arc: &Arc<Source>) {
    if s == kept.primary || kept.copies.contains(&s) {
        return;
    }
    let path = |i: u32| sources.get(i as usize).map(|x| &x.path);
    if path(s) < path(kept.primary) {
        kept.copies.push(kept.primary);
        kept.primary = s;
        kept.m.event.source = sources
            .get(s as usize)
            .map(Arc::clone)
            .unwrap_or_else(|| Arc::clone(arc));
    } else {
        kept.copies.push(s);
    }
}

/// Each source's place in path order: comparing two ranks is comparing their paths (paths are
/// unique in the table), without walking path components for every pair.
fn path_ranks(sources: &[Arc<Source>]) -> Vec<u32> {
    let mut order: Vec<usize> = (0..sources.len()).collect();
    order.sort_by(|&a, &b| sources[a].path.cmp(&sources[b].path));
    let mut ranks = vec![0; sources.len()];
    for (rank, i) in order.into_iter().enumerate() {
        ranks[i] = rank as u32;
    }
    ranks
}

fn finish_entry(e: Entry, sources: &[Arc<Source>], ranks: &[u32]) -> Folded {
    let mut copies = e.copies;
    copies.sort_by_key(|&c| ranks.get(c as usize).copied().unwrap_or(u32::MAX));
    let also_in = copies
        .iter()
        .filter_map(|&c| sources.get(c as usize).map(Arc::clone))
        .collect();
    Folded { m: e.m, also_in }
}

impl Inner {
    fn source(&mut self, s: &Arc<Source>) -> u32 {
        self.sources.index_of(s)
    }

    /// Buffer a match, or fold it into the buffered match of the same rule and record.
    fn insert(&mut self, rule: u32, mut m: EventMatch) {
        let source = self.source(&m.event.source);
        let hash = identity_hash(&self.hasher, rule, &m.event);
        let buffer = &self.buffer;
        let found = self
            .index
            .find(hash, |&i| same_identity(&buffer[i], rule, &m.event))
            .copied();
        if let Some(i) = found {
            if let Some(kept) = self.buffer.get_mut(i) {
                add_copy(kept, source, &self.sources.list, &m.event.source);
            }
            self.bytes += 4;
            return;
        }
        self.strings.share(&mut m.event);
        // The entry, and its slot in the index (a position and a control byte, with slack).
        self.bytes += estimate(&m) + 16;
        let (buffer, hasher) = (&self.buffer, &self.hasher);
        self.index.insert_unique(hash, buffer.len(), |&i| {
            identity_hash(hasher, buffer[i].rule, &buffer[i].m.event)
        });
        self.buffer.push(Entry {
            rule,
            m,
            primary: source,
            copies: Vec::new(),
        });
    }

    /// Hand over the buffered entries, to be written as a run, and start an empty buffer.
    fn take_buffer(&mut self) -> Vec<Entry> {
        self.index = HashTable::new();
        self.bytes = 0;
        std::mem::take(&mut self.buffer)
    }

    /// A run could not be written: its entries stay in memory for good (no more spills), after
    /// those added meanwhile. The same record may then be buffered twice; the drain folds
    /// equal entries wherever they come from.
    fn keep_in_memory(&mut self, entries: Vec<Entry>) {
        self.failed = true;
        self.buffer.extend(entries);
        self.index = HashTable::new();
        let (buffer, hasher) = (&self.buffer, &self.hasher);
        let hash_of = |i: usize| identity_hash(hasher, buffer[i].rule, &buffer[i].m.event);
        for i in 0..buffer.len() {
            self.index.insert_unique(hash_of(i), i, |&j| hash_of(j));
        }
    }
}

/// Rough heap and inline size of a match.
fn estimate(m: &EventMatch) -> usize {
    let pairs =
        |v: &[(String, String)]| v.iter().map(|(a, b)| 48 + a.len() + b.len()).sum::<usize>();
    // State names are shared by every match of a rule: only their pointer counts.
    let state = m.state.iter().map(|(_, b)| 40 + b.len()).sum::<usize>();
    std::mem::size_of::<Entry>() + pairs(&m.fields) + state
}

struct RunReader {
    reader: BufReader<File>,
    next: Option<Entry>,
    broken: bool,
}

impl RunReader {
    /// Pass over the entries of `rule` (the head is one), stopping at the next rule's first
    /// entry, which becomes the head.
    fn skip_rule(&mut self, rule: u32, sources: &[Arc<Source>], strings: &mut Interner) {
        self.next = None;
        while !self.broken {
            let read = codec::decode_rule(&mut self.reader).and_then(|next| match next {
                None => Ok(true),
                Some(r) if r == rule => codec::skip_body(&mut self.reader).map(|_| false),
                Some(r) => {
                    let e = codec::decode_body(r, &mut self.reader, sources, strings)?;
                    self.next = Some(e);
                    Ok(true)
                }
            });
            match read {
                Ok(true) => return,
                Ok(false) => {}
                Err(_) => self.broken = true,
            }
        }
    }

    fn advance(&mut self, sources: &[Arc<Source>], strings: &mut Interner) {
        self.next = None;
        if self.broken {
            return;
        }
        match codec::decode(&mut self.reader, sources, strings) {
            Ok(next) => self.next = next,
            Err(_) => self.broken = true,
        }
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod spill_tests;
