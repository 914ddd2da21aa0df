//! The timeline of a scan: every distinct hit in the timeline order, read as a stream.
//!
//! [`SortedHits`] holds the hits [`super::hits::HitSet`] kept in memory (sorted) and the runs it
//! spilled to disk (each sorted). [`SortedHits::iter`] merges them (k-way, through a heap) and
//! folds equal identities into one hit exactly as [`crate::report::timeline::prepare`] does: the
//! hit from the path that sorts first is kept and the other files join its `also_in`. Each call
//! reads the runs again from the start, so several outputs can each make their own pass, and
//! only one hit per run is in memory at a time. Views that need random access (the incident
//! report) take [`SortedHits::most_severe`], a bounded selection.

use super::codec::Interner;
use super::hit_codec::{self, Tables};
use super::hits::{sort_timeline, tidy_also_in};
use crate::hit::Hit;
use crate::report::filter::HitFilter;
use crate::report::timeline::identity_order;
use crate::rules::Level;
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::sync::atomic::{AtomicBool, Ordering as AtomicOrdering};
use std::sync::OnceLock;

/// Most hits [`SortedHits::most_severe`] selects.
pub const MOST_SEVERE_HITS: usize = 20_000;

/// Most estimated bytes of hits [`SortedHits::most_severe`] selects.
pub const MOST_SEVERE_BYTES: usize = 64 << 20;

/// Every distinct hit of a scan, in the timeline order, re-readable from the start.
pub struct SortedHits {
    /// Hits that stayed in memory, sorted in the timeline order.
    memory: Vec<Hit>,
    /// Spilled runs, each sorted in the timeline order.
    runs: Vec<File>,
    tables: Tables,
    /// Only hits this filter keeps are given out.
    filter: Option<HitFilter>,
    /// Number of hits given out (known after one counting pass).
    count: OnceLock<usize>,
    /// Most hits [`SortedHits::most_severe`] selects.
    sample_limit: usize,
    sample: OnceLock<Vec<Hit>>,
    /// Some run could not be read back to its end.
    lost: AtomicBool,
}

impl Default for SortedHits {
    fn default() -> SortedHits {
        SortedHits::new(Vec::new(), Vec::new(), Tables::default())
    }
}

impl From<Vec<Hit>> for SortedHits {
    fn from(hits: Vec<Hit>) -> SortedHits {
        SortedHits::from_hits(hits)
    }
}

impl<'a> IntoIterator for &'a SortedHits {
    type Item = Hit;
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl SortedHits {
    pub(super) fn new(mut memory: Vec<Hit>, runs: Vec<File>, tables: Tables) -> SortedHits {
        let sorted = memory.is_sorted_by(|a, b| {
            identity_order(a, b).then_with(|| a.event.source.path.cmp(&b.event.source.path))
                != Ordering::Greater
        });
        if !sorted {
            sort_timeline(&mut memory);
        }
        SortedHits {
            memory,
            runs,
            tables,
            filter: None,
            count: OnceLock::new(),
            sample_limit: MOST_SEVERE_HITS,
            sample: OnceLock::new(),
            lost: AtomicBool::new(false),
        }
    }

    /// Hits held in memory (not necessarily sorted or distinct), as a timeline.
    pub fn from_hits(hits: Vec<Hit>) -> SortedHits {
        SortedHits::new(hits, Vec::new(), Tables::default())
    }

    /// Give out only the hits `filter` keeps.
    pub fn set_filter(&mut self, filter: HitFilter) {
        if self.runs.is_empty() {
            self.memory.retain(|h| filter.keeps_hit(h));
        } else {
            self.filter = Some(filter);
        }
        self.count = OnceLock::new();
        self.sample = OnceLock::new();
    }

    /// Select at most `hits` hits in [`SortedHits::most_severe`] (instead of
    /// [`MOST_SEVERE_HITS`]).
    pub fn with_most_severe_limit(mut self, hits: usize) -> SortedHits {
        self.sample_limit = hits;
        self.sample = OnceLock::new();
        self
    }

    /// How many runs were spilled to disk.
    pub fn runs(&self) -> usize {
        self.runs.len()
    }

    /// Whether some spilled hits could not be read back (a temporary file failed).
    pub fn lost_hits(&self) -> bool {
        self.lost.load(AtomicOrdering::Relaxed)
    }

    /// The hits, in the timeline order, equal identities folded, each `also_in` sorted and
    /// without the hit's own file.
    pub fn iter(&self) -> Iter<'_> {
        let mut sources: Vec<Box<dyn Iterator<Item = Hit> + '_>> = Vec::new();
        let tables = &self.tables;
        for file in &self.runs {
            let mut reader = BufReader::with_capacity(64 << 10, RunCursor { file, pos: 0 });
            let lost = &self.lost;
            let mut shared = Interner::default();
            sources.push(Box::new(std::iter::from_fn(
                move || match hit_codec::decode(&mut reader, tables, &mut shared) {
                    Ok(next) => next,
                    Err(_) => {
                        lost.store(true, AtomicOrdering::Relaxed);
                        None
                    }
                },
            )));
        }
        // The hits in memory were added last: among equal hits, they come after the runs'.
        sources.push(Box::new(self.memory.iter().cloned()));
        let mut heap = BinaryHeap::new();
        for (i, s) in sources.iter_mut().enumerate() {
            if let Some(hit) = s.next() {
                heap.push(Head { hit, from: i });
            }
        }
        Iter {
            sources,
            heap,
            filter: self.filter.as_ref(),
        }
    }

    /// Number of hits [`SortedHits::iter`] gives out (the first call counts them when some
    /// were spilled).
    pub fn len(&self) -> usize {
        *self.count.get_or_init(|| {
            if self.runs.is_empty() && self.filter.is_none() {
                // Hits in memory are folded only by the merge: count what it gives out.
                distinct(&self.memory)
            } else {
                self.iter().count()
            }
        })
    }

    /// Whether there is no hit.
    pub fn is_empty(&self) -> bool {
        match self.count.get() {
            Some(&n) => n == 0,
            None => self.iter().next().is_none(),
        }
    }

    /// Every hit in memory at once, in the timeline order (for small results and tests).
    pub fn to_vec(&self) -> Vec<Hit> {
        self.iter().collect()
    }

    /// The most severe hits, in the timeline order, for views that need them all at once: at
    /// most [`MOST_SEVERE_HITS`] hits and about [`MOST_SEVERE_BYTES`] bytes, chosen by level
    /// (most severe first), then earliest first. When everything fits, these are all the hits.
    /// Computed once.
    pub fn most_severe(&self) -> &[Hit] {
        self.sample
            .get_or_init(|| select_most_severe(self.iter(), self.sample_limit, MOST_SEVERE_BYTES))
    }
}

/// How many hits remain once equal neighbours of sorted `hits` are folded.
fn distinct(hits: &[Hit]) -> usize {
    let folded = hits
        .windows(2)
        .filter(|w| identity_order(&w[0], &w[1]) == Ordering::Equal)
        .count();
    hits.len() - folded
}

/// Keep the `max_hits` most severe (then earliest) hits within about `max_bytes`, in the order
/// given.
fn select_most_severe(
    hits: impl Iterator<Item = Hit>,
    max_hits: usize,
    max_bytes: usize,
) -> Vec<Hit> {
    // A max-heap of the kept hits by rank: the top is the first to give up.
    let mut kept: BinaryHeap<Ranked> = BinaryHeap::new();
    let mut bytes = 0usize;
    for (n, hit) in hits.enumerate() {
        let size = super::hits::estimate(&hit);
        kept.push(Ranked {
            key: (Reverse(hit.rule.level), n),
            size,
            hit,
        });
        bytes += size;
        while kept.len() > max_hits || (bytes > max_bytes && kept.len() > 1) {
            if let Some(out) = kept.pop() {
                bytes -= out.size;
            }
        }
    }
    let mut list = kept.into_vec();
    list.sort_by_key(|r| r.key.1);
    list.into_iter().map(|r| r.hit).collect()
}

/// A hit selected by [`select_most_severe`], ranked by level (most severe first), then position.
struct Ranked {
    key: (Reverse<Level>, usize),
    size: usize,
    hit: Hit,
}

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl Eq for Ranked {}
impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key.cmp(&other.key)
    }
}

/// The merged, folded hits of a [`SortedHits`].
pub struct Iter<'a> {
    /// The runs, then the hits in memory.
    sources: Vec<Box<dyn Iterator<Item = Hit> + 'a>>,
    /// The next hit of each source that has one.
    heap: BinaryHeap<Head>,
    filter: Option<&'a HitFilter>,
}

impl Iter<'_> {
    /// The smallest next hit of all sources.
    fn pop(&mut self) -> Option<Hit> {
        let Head { hit, from } = self.heap.pop()?;
        if let Some(next) = self.sources.get_mut(from).and_then(|s| s.next()) {
            self.heap.push(Head { hit: next, from });
        }
        Some(hit)
    }
}

impl Iterator for Iter<'_> {
    type Item = Hit;

    fn next(&mut self) -> Option<Hit> {
        loop {
            let mut kept = self.pop()?;
            while self
                .heap
                .peek()
                .is_some_and(|h| identity_order(&kept, &h.hit) == Ordering::Equal)
            {
                if let Some(dup) = self.pop() {
                    kept.also_in.push(dup.event.source);
                    kept.also_in.extend(dup.also_in);
                }
            }
            tidy_also_in(&mut kept);
            if self.filter.is_none_or(|f| f.keeps_hit(&kept)) {
                return Some(kept);
            }
        }
    }
}

/// The next hit of one source; the heap's top is the smallest in the timeline order (ties: the
/// source added first).
struct Head {
    hit: Hit,
    from: usize,
}

impl PartialEq for Head {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Head {}
impl PartialOrd for Head {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Head {
    fn cmp(&self, other: &Self) -> Ordering {
        // Reversed: `BinaryHeap` is a max-heap.
        identity_order(&other.hit, &self.hit)
            .then_with(|| other.hit.event.source.path.cmp(&self.hit.event.source.path))
            .then_with(|| other.from.cmp(&self.from))
    }
}

/// Reads a run from its start without moving the file's own position, so that several passes
/// can read the same file at once.
struct RunCursor<'a> {
    file: &'a File,
    pos: u64,
}

impl Read for RunCursor<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = read_at(self.file, buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], pos: u64) -> std::io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, pos)
}

#[cfg(windows)]
fn read_at(file: &File, buf: &mut [u8], pos: u64) -> std::io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buf, pos)
}

#[cfg(not(any(unix, windows)))]
fn read_at(_file: &File, _buf: &mut [u8], _pos: u64) -> std::io::Result<usize> {
    Err(std::io::ErrorKind::Unsupported.into())
}
