//! Hits sorted by time in bounded memory: past a byte budget, the hits gathered so far are
//! sorted and written to an anonymous temporary file (a run); at the end the runs and what is
//! left in memory are merged, in the timeline's order (time, then rule id, computer, record id
//! and file, as `report::timeline::prepare` sorts).

use super::codec::*;
use crate::hit::{Aggregate, Hit};
use crate::rules::RuleInfo;
use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, Write};
use std::sync::Arc;

/// Hits in time order, spilled to disk past a budget.
pub struct HitSorter {
    budget: usize,
    buffer: Vec<Hit>,
    bytes: usize,
    runs: Vec<File>,
    sources: Sources,
    rules: Vec<Arc<RuleInfo>>,
    rule_index: HashMap<usize, u32>,
    /// A spill failed: everything stays in memory from then on.
    failed: bool,
}

/// The order of the timeline.
fn order(a: &Hit, b: &Hit) -> Ordering {
    (
        a.time(),
        &a.rule.id,
        &*a.event.computer,
        a.event.record_id,
        &a.event.source.path,
    )
        .cmp(&(
            b.time(),
            &b.rule.id,
            &*b.event.computer,
            b.event.record_id,
            &b.event.source.path,
        ))
}

fn estimate(h: &Hit) -> usize {
    let pairs =
        |v: &[(String, String)]| v.iter().map(|(a, b)| 48 + a.len() + b.len()).sum::<usize>();
    let aggregate = h.aggregate.as_ref().map_or(0, |a| {
        pairs(&a.by) + a.records.len() * std::mem::size_of::<crate::hit::EventRef>()
    });
    std::mem::size_of::<Hit>() + h.event.computer.len() + pairs(&h.fields) + aggregate
}

impl HitSorter {
    /// A sorter keeping at most `budget` bytes of hits in memory.
    pub fn new(budget: usize) -> HitSorter {
        HitSorter {
            budget,
            buffer: Vec::new(),
            bytes: 0,
            runs: Vec::new(),
            sources: Sources::default(),
            rules: Vec::new(),
            rule_index: HashMap::new(),
            failed: false,
        }
    }

    /// Add a hit.
    pub fn push(&mut self, hit: Hit) {
        self.bytes += estimate(&hit);
        self.buffer.push(hit);
        if self.bytes > self.budget && !self.failed && self.spill().is_err() {
            self.failed = true;
        }
    }

    /// How many runs were written to disk.
    pub fn runs(&self) -> usize {
        self.runs.len()
    }

    fn rule(&mut self, r: &Arc<RuleInfo>) -> u32 {
        let key = Arc::as_ptr(r) as usize;
        if let Some(&i) = self.rule_index.get(&key) {
            return i;
        }
        let i = self.rules.len() as u32;
        self.rules.push(Arc::clone(r));
        self.rule_index.insert(key, i);
        i
    }

    fn spill(&mut self) -> std::io::Result<()> {
        let mut buffer = std::mem::take(&mut self.buffer);
        buffer.sort_by(order);
        let mut w = BufWriter::new(tempfile::tempfile()?);
        for h in &buffer {
            let rule = self.rule(&h.rule);
            encode_hit(&mut w, rule, h, &mut self.sources)?;
        }
        self.runs.push(w.into_inner().map_err(|e| e.into_error())?);
        self.bytes = 0;
        Ok(())
    }

    /// Every hit, in the timeline's order. A run that cannot be read back ends early.
    pub fn into_sorted(mut self) -> impl Iterator<Item = Hit> {
        self.buffer.sort_by(order);
        let shared = Arc::new((self.sources, self.rules));
        let mut runs: Vec<Box<dyn Iterator<Item = Hit>>> = Vec::new();
        runs.push(Box::new(std::mem::take(&mut self.buffer).into_iter()));
        for mut file in self.runs {
            if file.rewind().is_err() {
                continue;
            }
            let shared = Arc::clone(&shared);
            let mut reader = BufReader::new(file);
            runs.push(Box::new(std::iter::from_fn(move || {
                decode_hit(&mut reader, &shared.0, &shared.1).ok().flatten()
            })));
        }
        let mut heap = BinaryHeap::new();
        for (i, run) in runs.iter_mut().enumerate() {
            if let Some(hit) = run.next() {
                heap.push(Head { hit, run: i });
            }
        }
        std::iter::from_fn(move || {
            let Head { hit, run } = heap.pop()?;
            if let Some(next) = runs.get_mut(run).and_then(|r| r.next()) {
                heap.push(Head { hit: next, run });
            }
            Some(hit)
        })
    }
}

/// The next hit of a run, first in the heap when earliest (ties: the earlier run).
struct Head {
    hit: Hit,
    run: usize,
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
        // Reversed: the heap's top is the smallest.
        order(&other.hit, &self.hit).then(other.run.cmp(&self.run))
    }
}

fn put_opt_time(w: &mut impl Write, t: Option<jiff::Timestamp>) -> std::io::Result<()> {
    match t {
        Some(t) => {
            w.write_all(&[1])?;
            put_time(w, t)
        }
        None => w.write_all(&[0]),
    }
}

fn get_opt_time(r: &mut impl Read) -> std::io::Result<Option<jiff::Timestamp>> {
    match get::<1>(r)? {
        [0] => Ok(None),
        _ => get_time(r).map(Some),
    }
}

fn encode_hit(
    w: &mut impl Write,
    rule: u32,
    h: &Hit,
    sources: &mut Sources,
) -> std::io::Result<()> {
    put_u32(w, rule)?;
    put_event(w, &h.event, sources)?;
    put_pairs(w, &h.fields)?;
    match &h.aggregate {
        None => w.write_all(&[0])?,
        Some(a) => {
            w.write_all(&[1])?;
            put_u64(w, a.count)?;
            put_opt_time(w, a.first_time)?;
            put_opt_time(w, a.last_time)?;
            put_pairs(w, &a.by)?;
            put_u32(w, a.records.len() as u32)?;
            for e in &a.records {
                put_event(w, e, sources)?;
            }
        }
    }
    put_u32(w, h.also_in.len() as u32)?;
    for s in &h.also_in {
        put_u32(w, sources.index(s))?;
    }
    Ok(())
}

fn decode_hit(
    r: &mut impl Read,
    sources: &Sources,
    rules: &[Arc<RuleInfo>],
) -> std::io::Result<Option<Hit>> {
    let bad = || std::io::Error::from(std::io::ErrorKind::InvalidData);
    let Some(rule) = get_first_u32(r)? else {
        return Ok(None);
    };
    let rule = Arc::clone(rules.get(rule as usize).ok_or_else(bad)?);
    let event = get_event(r, sources)?;
    let fields = get_pairs(r)?;
    let aggregate = match get::<1>(r)? {
        [0] => None,
        _ => {
            let count = get_u64(r)?;
            let first_time = get_opt_time(r)?;
            let last_time = get_opt_time(r)?;
            let by = get_pairs(r)?;
            let n = get_u32(r)? as usize;
            let mut records = Vec::with_capacity(n.min(4096));
            for _ in 0..n {
                records.push(get_event(r, sources)?);
            }
            Some(Aggregate {
                count,
                first_time,
                last_time,
                by,
                records,
            })
        }
    };
    let n = get_u32(r)? as usize;
    let mut also_in = Vec::with_capacity(n.min(4096));
    for _ in 0..n {
        also_in.push(sources.source(get_u32(r)?)?);
    }
    Ok(Some(Hit {
        rule,
        event,
        fields,
        aggregate,
        also_in,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Source;
    use crate::hit::EventRef;

    fn hit(rule: &Arc<RuleInfo>, secs: i64, record: u64, aggregate: bool) -> Hit {
        let source = Arc::new(Source {
            path: format!("f{}.evtx", record % 3).into(),
        });
        let event = EventRef {
            time: jiff::Timestamp::new(secs, 5).unwrap(),
            computer: "HOST".into(),
            channel: "Security".into(),
            provider: "P".into(),
            event_id: 4624,
            record_id: record,
            source: Arc::clone(&source),
        };
        Hit {
            rule: Arc::clone(rule),
            event: event.clone(),
            fields: vec![("TargetUserName".into(), format!("user{record}"))],
            aggregate: aggregate.then(|| Aggregate {
                count: 2,
                first_time: Some(event.time),
                last_time: None,
                by: vec![("IpAddress".into(), "10.0.0.1".into())],
                records: vec![event.clone(), event.clone()],
            }),
            also_in: vec![source],
        }
    }

    fn key(h: &Hit) -> String {
        format!(
            "{} {} {} {:?} {:?} {}",
            h.time(),
            h.rule.id,
            h.event.record_id,
            h.fields,
            h.aggregate
                .as_ref()
                .map(|a| (a.count, &a.by, a.records.len())),
            h.also_in.len()
        )
    }

    #[test]
    fn spilled_hits_come_back_in_timeline_order() {
        let rules: Vec<Arc<RuleInfo>> = ["b", "a"]
            .iter()
            .map(|id| {
                Arc::new(RuleInfo {
                    id: id.to_string(),
                    ..Default::default()
                })
            })
            .collect();
        let mut all = Vec::new();
        let mut spilling = HitSorter::new(2_000);
        let mut memory = HitSorter::new(usize::MAX);
        for i in 0..300u64 {
            // Times go back and forth so every run holds a spread.
            let secs = 1_600_000_000 + ((i * 7919) % 101) as i64;
            let h = hit(&rules[(i % 2) as usize], secs, i, i % 5 == 0);
            all.push(h.clone());
            spilling.push(h.clone());
            memory.push(h);
        }
        assert!(spilling.runs() > 3);
        assert_eq!(memory.runs(), 0);
        all.sort_by(order);
        let expected: Vec<String> = all.iter().map(key).collect();
        let from_memory: Vec<String> = memory.into_sorted().map(|h| key(&h)).collect();
        let from_disk: Vec<Hit> = spilling.into_sorted().collect();
        assert_eq!(from_memory, expected);
        assert_eq!(from_disk.iter().map(key).collect::<Vec<_>>(), expected);
        // Rules come back as the same shared rule.
        assert!(from_disk
            .iter()
            .all(|h| rules.iter().any(|r| Arc::ptr_eq(r, &h.rule))));
    }
}
