use super::hits::{cap_records, Copies, HitSet, MAX_RECORDS};
use super::*;
use crate::hit::{Aggregate, Hit};
use crate::rules::RuleInfo;

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
        rank: 0,
    }
}

/// Per rule: (source, record id, first field value, also_in paths).
type Drained = Vec<Vec<(String, u64, String, Vec<String>)>>;

fn collect(store: &MatchStore) -> Drained {
    let mut out = Vec::new();
    store.drain(|rule, matches| {
        assert_eq!(rule, out.len());
        out.push(
            matches
                .iter()
                .map(|f| {
                    (
                        f.m.event.source.display(),
                        f.m.event.record_id,
                        f.m.fields.first().map(|x| x.1.clone()).unwrap_or_default(),
                        f.also_in.iter().map(|s| s.display()).collect(),
                    )
                })
                .collect(),
        );
    });
    out
}

#[test]
fn spilled_matches_come_back_per_rule_like_buffered_ones() {
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
    // Sorted by record identity within a rule.
    let ids: Vec<u64> = expected[2].iter().map(|x| x.1).collect();
    assert_eq!(ids, vec![0, 2, 10, 12, 20, 22, 30, 32, 40, 42]);
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
    assert_eq!(back.m.event, original.event);
    assert_eq!(back.m.fields, original.fields);
    assert_eq!(back.m.state, original.state);
    assert!(back.also_in.is_empty());
}

/// Copies of one record, in any arrival order and whether buffered or spilled, fold into one
/// match from the smallest path, listing the others.
#[test]
fn copies_of_a_record_fold_into_one_match() {
    for budget in [usize::MAX, 1] {
        let store = MatchStore::new(2, budget);
        store.add(vec![(0, m("c/Security.evtx", 5, "whoami"))]);
        store.add(vec![
            (0, m("a/Security.evtx", 5, "whoami")),
            (1, m("a/Security.evtx", 5, "whoami")),
        ]);
        store.add(vec![(0, m("b/Security.evtx", 5, "whoami"))]);
        // The same file twice (a carved duplicate) is not a copy.
        store.add(vec![(0, m("b/Security.evtx", 5, "whoami"))]);
        store.add(vec![(0, m("b/Security.evtx", 6, "ipconfig"))]);
        let out = collect(&store);
        let copies = vec!["b/Security.evtx".to_string(), "c/Security.evtx".to_string()];
        assert_eq!(
            out[0],
            vec![
                ("a/Security.evtx".into(), 5, "whoami".into(), copies),
                ("b/Security.evtx".into(), 6, "ipconfig".into(), vec![]),
            ],
            "budget {budget}"
        );
        assert_eq!(
            out[1],
            vec![("a/Security.evtx".into(), 5, "whoami".into(), vec![])]
        );
    }
}

#[test]
fn different_hosts_or_channels_are_not_copies() {
    let store = MatchStore::new(1, usize::MAX);
    let mut other_host = m("a.evtx", 5, "x");
    other_host.event.computer = "OTHER".into();
    let mut other_channel = m("a.evtx", 5, "x");
    other_channel.event.channel = "System".into();
    store.add(vec![
        (0, m("a.evtx", 5, "x")),
        (0, other_host),
        (0, other_channel),
    ]);
    assert_eq!(collect(&store)[0].len(), 3);
}

#[test]
fn aggregating_rules_keep_state_only() {
    let store = MatchStore::new(2, 1).with_state_only(vec![true, false]);
    store.add(vec![(0, m("a.evtx", 1, "x")), (1, m("a.evtx", 1, "x"))]);
    let mut seen = Vec::new();
    store.drain(|rule, v| {
        for f in v {
            seen.push((rule, f.m.fields.len(), f.m.state.len()));
        }
    });
    assert_eq!(seen, vec![(0, 0, 1), (1, 1, 1)]);
}

fn rule() -> Arc<RuleInfo> {
    Arc::new(RuleInfo {
        id: "r1".into(),
        title: "Rule".into(),
        ..RuleInfo::default()
    })
}

fn event_hit(path: &str, record: u64) -> Hit {
    Hit::from_match(&rule(), m(path, record, "whoami"))
}

fn aggregate_hit(path: &str, records: &[u64]) -> Hit {
    let refs: Vec<EventRef> = records.iter().map(|&r| m(path, r, "").event).collect();
    let mut h = event_hit(path, records[0]);
    h.aggregate = Some(Aggregate {
        count: refs.len() as u64,
        first_time: refs.first().map(|r| r.time),
        last_time: refs.last().map(|r| r.time),
        by: vec![("Image".into(), "a.exe".into())],
        records: refs,
        records_omitted: 0,
    });
    h
}

#[test]
fn hit_set_folds_duplicates_as_they_arrive() {
    let mut set = HitSet::new();
    set.insert(event_hit("c.evtx", 5));
    set.insert(event_hit("a.evtx", 5));
    set.insert(event_hit("b.evtx", 5));
    set.insert(event_hit("b.evtx", 6));
    assert_eq!(set.len(), 2);
    let mut hits = set.finish().to_vec();
    hits.sort_by_key(|h| h.event.record_id);
    assert_eq!(hits[0].event.source.display(), "a.evtx");
    let also: Vec<String> = hits[0].also_in.iter().map(|s| s.display()).collect();
    assert_eq!(also, vec!["b.evtx", "c.evtx"]);
    assert_eq!(hits[1].event.source.display(), "b.evtx");
    assert!(hits[1].also_in.is_empty());
}

#[test]
fn hit_set_agrees_with_the_timeline() {
    let mut hits = Vec::new();
    for path in ["z.evtx", "m.evtx", "a.evtx"] {
        hits.push(event_hit(path, 1));
        hits.push(event_hit(path, 2));
        hits.push(aggregate_hit(path, &[1, 2]));
        hits.push(aggregate_hit(path, &[1, 2, 3]));
    }
    let mut set = HitSet::new();
    hits.iter().cloned().for_each(|h| set.insert(h));
    let filter = crate::report::filter::HitFilter::default();
    let streamed = set.finish().to_vec();
    let batch = crate::report::timeline::prepare(hits, &filter);
    let view = |v: &[Hit]| {
        v.iter()
            .map(|h| {
                (
                    h.event.record_id,
                    h.aggregate.as_ref().map(|a| a.count),
                    h.event.source.display(),
                    h.also_in.iter().map(|s| s.display()).collect::<Vec<_>>(),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(streamed.len(), 4);
    assert_eq!(view(&streamed), view(&batch));
}

#[test]
fn records_are_capped_and_the_rest_counted() {
    let ids: Vec<u64> = (1..=MAX_RECORDS as u64 + 25).collect();
    let mut h = aggregate_hit("a.evtx", &ids);
    let mut set = HitSet::new();
    set.insert(h.clone());
    let kept = set.finish().to_vec().pop().unwrap();
    let a = kept.aggregate.unwrap();
    assert_eq!(a.count, MAX_RECORDS as u64 + 25);
    assert_eq!(a.records.len(), MAX_RECORDS);
    assert_eq!(a.records_omitted, 25);
    assert_eq!(
        a.records.last().map(|r| r.record_id),
        Some(MAX_RECORDS as u64)
    );
    // Under the cap nothing changes.
    cap_records(&mut h, ids.len());
    assert_eq!(h.aggregate.as_ref().map(|a| a.records_omitted), Some(0));
}

#[test]
fn copies_give_hits_their_also_in() {
    let primary = m("a.evtx", 1, "x");
    let folded = vec![
        Folded {
            m: primary.clone(),
            also_in: vec![Arc::new(Source {
                path: "b.evtx".into(),
            })],
        },
        Folded {
            m: m("a.evtx", 2, "y"),
            also_in: Vec::new(),
        },
    ];
    let (matches, copies) = Copies::split(folded);
    assert_eq!(matches.len(), 2);
    let mut single = Hit::from_match(&rule(), primary);
    copies.attach(&mut single);
    assert_eq!(single.also_in.len(), 1);
    let mut other = Hit::from_match(&rule(), matches[1].clone());
    copies.attach(&mut other);
    assert!(other.also_in.is_empty());
    let mut agg = aggregate_hit("a.evtx", &[1, 2]);
    copies.attach(&mut agg);
    let also: Vec<String> = agg.also_in.iter().map(|s| s.display()).collect();
    assert_eq!(also, vec!["b.evtx"]);
}

#[test]
fn unread_matches_are_skipped_and_the_next_rule_is_whole() {
    // Rule 1 reads one match and leaves the rest; rules 0 and 2 must still get all theirs,
    // whether the matches are buffered or spread over many spilled runs.
    for budget in [usize::MAX, 1, 600] {
        let store = MatchStore::new(3, budget);
        for b in 0..6u64 {
            store.add(vec![
                (1, m("a.evtx", b * 10, "skipped")),
                (0, m("a.evtx", b * 10 + 1, "zero")),
                (2, m("a.evtx", b * 10 + 2, "two")),
                (1, m("b.evtx", b * 10 + 3, "skipped too")),
            ]);
        }
        let mut seen: Vec<(usize, u64)> = Vec::new();
        let lost = store.drain_each(|rule, matches| {
            if rule == 1 {
                let first = matches.next().expect("rule 1 has matches");
                seen.push((rule, first.m.event.record_id));
                return;
            }
            seen.extend(matches.map(|f| (rule, f.m.event.record_id)));
        });
        assert_eq!(lost, 0, "budget {budget}");
        let expected: Vec<(usize, u64)> = (0..6)
            .map(|b| (0, b * 10 + 1))
            .chain([(1, 0)])
            .chain((0..6).map(|b| (2, b * 10 + 2)))
            .collect();
        assert_eq!(seen, expected, "budget {budget}");
    }
}

#[test]
fn a_run_that_cannot_be_written_stays_in_memory_and_folds() {
    let store = MatchStore::new(1, usize::MAX);
    store.add(vec![
        (0, m("a.evtx", 1, "whoami")),
        (0, m("a.evtx", 2, "net")),
    ]);
    // As `add` does when the buffer is full: the entries are handed over for a run...
    let taken = store.lock().take_buffer();
    // ...another thread adds meanwhile, one of them a copy of a taken record...
    store.add(vec![
        (0, m("b.evtx", 1, "whoami")),
        (0, m("a.evtx", 3, "ipconfig")),
    ]);
    // ...and the run cannot be written.
    store.lock().keep_in_memory(taken);
    assert!(store.lock().failed);
    // Nothing is lost, and the two copies of record 1 come back as one match.
    let drained = collect(&store);
    let ids: Vec<u64> = drained[0].iter().map(|x| x.1).collect();
    assert_eq!(ids, vec![1, 2, 3]);
    let copy: Vec<&Vec<String>> = drained[0]
        .iter()
        .filter(|x| x.1 == 1)
        .map(|x| &x.3)
        .collect();
    assert_eq!(copy.len(), 1);
    assert_eq!(copy[0].len(), 1, "the other file of record 1: {copy:?}");
}

#[test]
fn a_run_still_being_written_at_the_drain_is_counted_as_lost() {
    let store =
        MatchStore::new(1, usize::MAX).with_spill_wait(std::time::Duration::from_millis(20));
    store.add(vec![(0, m("a.evtx", 1, "whoami"))]);
    // As `add` does past the budget: the buffer is taken to be written outside the lock...
    {
        let mut inner = store.lock();
        inner.spilling = true;
        let _taken = inner.take_buffer();
    }
    // ...and the writer never comes back (a reader the watchdog gave up on).
    let mut seen = 0;
    let lost = store.drain(|_, matches| seen += matches.len());
    assert_eq!(seen, 0);
    assert_eq!(lost, 1, "the missing run makes the scan partial");
}

#[test]
fn a_spill_finishing_during_the_wait_is_drained() {
    let store = std::sync::Arc::new(MatchStore::new(1, 1));
    let taken = {
        let mut inner = store.lock();
        store_insert(&mut inner, m("a.evtx", 1, "whoami"));
        inner.spilling = true;
        inner.take_buffer()
    };
    let writer = {
        let store = std::sync::Arc::clone(&store);
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(50));
            let file = codec::write_run(&taken, codec::encode).unwrap();
            let mut inner = store.lock();
            inner.runs.push(file);
            inner.spilling = false;
            drop(inner);
            store.spilled.notify_all();
        })
    };
    let mut seen = 0;
    let lost = store.drain(|_, matches| seen += matches.len());
    writer.join().unwrap();
    assert_eq!((seen, lost), (1, 0));
}

fn store_insert(inner: &mut Inner, m: EventMatch) {
    inner.insert(0, m);
}
