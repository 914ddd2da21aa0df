//! The matches of a scan, kept in bounded memory.
//!
//! Rules' per-event matches ([`EventMatch`]) pile up while files are read and are turned into
//! hits only at the end (a rule's `finish` sees all its matches). [`MatchStore`] keeps them in
//! memory up to a byte budget; past it, the buffered matches are sorted by rule and written to
//! an anonymous temporary file (a run). At the end, [`MatchStore::drain`] hands each rule its
//! matches in turn, reading the runs in step, so only one rule's matches are in memory at once.
//! [`HitSorter`] does the same for the hits themselves: sorted runs on disk, merged by time.

mod codec;
mod hits;

pub use hits::HitSorter;

use codec::{decode_match, encode_match, Sources};

use crate::rules::EventMatch;
use std::fs::File;
use std::io::{BufReader, BufWriter, Seek};
use std::sync::Mutex;

/// Match bytes kept in memory before spilling to disk.
pub const DEFAULT_BUDGET: usize = 48 << 20;

/// The matches of every rule of a scan.
pub struct MatchStore {
    inner: Mutex<Inner>,
    rules: usize,
    budget: usize,
}

#[derive(Default)]
struct Inner {
    /// (rule, match) in arrival order.
    buffer: Vec<(u32, EventMatch)>,
    /// Estimated bytes of `buffer`.
    bytes: usize,
    /// Spilled runs, each sorted by rule.
    runs: Vec<File>,
    /// Evidence files, by index, for the runs.
    sources: Sources,
    /// The first spill error; matches are then kept in memory.
    failed: bool,
}

impl MatchStore {
    /// A store for `rules` rules keeping at most `budget` bytes of matches in memory.
    pub fn new(rules: usize, budget: usize) -> MatchStore {
        MatchStore {
            inner: Mutex::new(Inner::default()),
            rules,
            budget,
        }
    }

    /// Add a batch of (rule index, match).
    pub fn add(&self, found: Vec<(usize, EventMatch)>) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        for (rule, m) in found {
            inner.bytes += estimate(&m);
            inner.buffer.push((rule as u32, m));
        }
        if inner.bytes > self.budget && !inner.failed && inner.spill().is_err() {
            inner.failed = true;
        }
    }

    /// How many runs were written to disk.
    pub fn runs(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .runs
            .len()
    }

    /// Call `f` with every rule index in order and its matches (possibly none), emptying the
    /// store. A run that cannot be read back loses the rest of its matches (reported in the
    /// returned count of unreadable runs).
    pub fn drain(&self, mut f: impl FnMut(usize, Vec<EventMatch>)) -> usize {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let mut buffer = std::mem::take(&mut inner.buffer);
        buffer.sort_by_key(|(r, _)| *r);
        let sources = std::mem::take(&mut inner.sources);
        let mut readers: Vec<RunReader> = std::mem::take(&mut inner.runs)
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
        drop(inner);
        for r in &mut readers {
            r.advance(&sources);
        }
        let mut memory = buffer.into_iter().peekable();
        for rule in 0..self.rules as u32 {
            let mut matches = Vec::new();
            for r in &mut readers {
                while r.next.as_ref().is_some_and(|(k, _)| *k == rule) {
                    if let Some((_, m)) = r.next.take() {
                        matches.push(m);
                    }
                    r.advance(&sources);
                }
            }
            while let Some((_, m)) = memory.next_if(|(k, _)| *k == rule) {
                matches.push(m);
            }
            f(rule as usize, matches);
        }
        readers.iter().filter(|r| r.broken).count()
    }
}

impl Inner {
    /// Write the buffer, sorted by rule, to a new run.
    fn spill(&mut self) -> std::io::Result<()> {
        let mut buffer = std::mem::take(&mut self.buffer);
        buffer.sort_by_key(|(r, _)| *r);
        let mut w = BufWriter::new(tempfile::tempfile()?);
        for (rule, m) in &buffer {
            encode_match(&mut w, *rule, m, &mut self.sources)?;
        }
        let file = w.into_inner().map_err(|e| e.into_error())?;
        self.runs.push(file);
        self.bytes = 0;
        Ok(())
    }
}

/// Rough heap and inline size of a match.
fn estimate(m: &EventMatch) -> usize {
    let pairs =
        |v: &[(String, String)]| v.iter().map(|(a, b)| 48 + a.len() + b.len()).sum::<usize>();
    std::mem::size_of::<(u32, EventMatch)>()
        + m.event.computer.len()
        + pairs(&m.fields)
        + pairs(&m.state)
}

struct RunReader {
    reader: BufReader<File>,
    next: Option<(u32, EventMatch)>,
    broken: bool,
}

impl RunReader {
    fn advance(&mut self, sources: &Sources) {
        self.next = None;
        if self.broken {
            return;
        }
        match decode_match(&mut self.reader, sources) {
            Ok(next) => self.next = next,
            Err(_) => self.broken = true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Source;
    use crate::hit::EventRef;
    use std::sync::Arc;

    fn m(path: &str, record: u64, field: &str) -> EventMatch {
        EventMatch {
            event: EventRef {
                time: jiff::Timestamp::new(1_600_000_000 + record as i64, 123_456_700).unwrap(),
                computer: "HOST".into(),
                channel: "Security".into(),
                provider: "Microsoft-Windows-Security-Auditing".into(),
                event_id: 4688,
                record_id: record,
                source: Arc::new(Source { path: path.into() }),
            },
            fields: vec![("CommandLine".into(), field.into())],
            state: vec![("by".into(), "x".into())],
        }
    }

    fn collect(store: &MatchStore) -> Vec<Vec<(String, u64, String)>> {
        let mut out = Vec::new();
        store.drain(|rule, matches| {
            assert_eq!(rule, out.len());
            out.push(
                matches
                    .iter()
                    .map(|m| {
                        (
                            m.event.source.path.display().to_string(),
                            m.event.record_id,
                            m.fields[0].1.clone(),
                        )
                    })
                    .collect(),
            );
        });
        out
    }

    #[test]
    fn spilled_matches_come_back_per_rule_in_arrival_order() {
        let in_memory = MatchStore::new(3, usize::MAX);
        let spilling = MatchStore::new(3, 1);
        for batch in 0..5u64 {
            let found = |b: u64| {
                vec![
                    (2, m("b.evtx", b * 10, "whoami")),
                    (0, m("a.evtx", b * 10 + 1, "net user")),
                    (2, m("a.evtx", b * 10 + 2, "ipconfig")),
                ]
            };
            in_memory.add(found(batch));
            spilling.add(found(batch));
        }
        assert_eq!(in_memory.runs(), 0);
        assert_eq!(spilling.runs(), 5);
        let expected = collect(&in_memory);
        assert_eq!(expected[0].len(), 5);
        assert!(expected[1].is_empty());
        assert_eq!(expected[2].len(), 10);
        assert_eq!(collect(&spilling), expected);
        // Drained: nothing is left.
        assert!(collect(&spilling).iter().all(|v| v.is_empty()));
    }

    #[test]
    fn spilled_matches_keep_every_value() {
        let store = MatchStore::new(1, 1);
        let original = m("dir/ü.evtx", 7, "cmd /c \"é\"");
        store.add(vec![(0, original.clone())]);
        let mut back = None;
        store.drain(|_, mut v| back = v.pop());
        let back = back.unwrap();
        assert_eq!(back.event, original.event);
        assert_eq!(back.fields, original.fields);
        assert_eq!(back.state, original.state);
    }
}
