//! The fast path (events read straight from BinXML) against the reference XML path (the evtx
//! crate's XML, normalized): over every record of every log in `../shared/corpus/evtx` (and
//! `samples/` when present), both must give the same events (every field, in order) and the
//! same coverage; the share of records the fast path hands to the XML path is printed.

use evtxscan::discover::discover;
use evtxscan::event::Event;
use evtxscan::read::{read_log, FileControl, FileReport, ReadOptions};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The corpus folders (each subfolder of `../shared/corpus/evtx` on its own, for the counts)
/// and `samples/`.
fn roots() -> Vec<PathBuf> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut roots: Vec<PathBuf> = std::fs::read_dir(manifest.join("../shared/corpus/evtx"))
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    roots.push(manifest.join("samples"));
    roots.retain(|p| p.is_dir());
    roots.sort();
    roots
}

fn read(log: &evtxscan::discover::LogFile, options: &ReadOptions) -> (Vec<Event>, FileReport) {
    let events = Mutex::new(Vec::new());
    let sink = |mut evs: Vec<Event>| events.lock().unwrap().append(&mut evs);
    let report = read_log(log, options, &FileControl::default(), &sink);
    let mut events = events.into_inner().unwrap();
    events.sort_by(|a, b| {
        (a.record_id, a.header_time, a.recovered)
            .cmp(&(b.record_id, b.header_time, b.recovered))
            .then_with(|| format!("{a:?}").cmp(&format!("{b:?}")))
    });
    (events, report)
}

/// The event as the XML path can give it: the evtx crate's XML renderer writes C0 control
/// characters (other than tab, CR, LF) as `_`, which the fast path keeps.
fn as_xml_renders(e: &Event) -> Event {
    let fold = |v: &str| -> Box<str> {
        v.chars()
            .map(|c| {
                if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') {
                    '_'
                } else {
                    c
                }
            })
            .collect::<String>()
            .into()
    };
    let mut e = e.clone();
    for f in e.data.iter_mut().chain(e.system.iter_mut()) {
        f.value = fold(&f.value);
    }
    e
}

/// The first difference between two events, for the failure message.
fn difference(a: &Event, b: &Event) -> String {
    if a.data != b.data {
        for (i, (x, y)) in a.data.iter().zip(&b.data).enumerate() {
            if x != y {
                return format!("data[{i}]: xml {x:?} fast {y:?}");
            }
        }
        return format!("data lengths: xml {} fast {}", a.data.len(), b.data.len());
    }
    if a.system != b.system {
        return format!("system: xml {:?}\nfast {:?}", a.system, b.system);
    }
    format!("xml {a:?}\nfast {b:?}")
}

fn compare(options: impl Fn(bool) -> ReadOptions, label: &str) {
    let roots = roots();
    if roots.is_empty() {
        println!("skipped: ../shared/corpus/evtx not found");
        return;
    }
    let mut mismatches = Vec::new();
    for root in roots {
        let found = discover(std::slice::from_ref(&root));
        let (mut records, mut xml, mut skipped) = (0u64, 0u64, 0u64);
        for log in &found.logs {
            let (xml_events, xml_report) = read(log, &options(false));
            let (fast_events, fast_report) = read(log, &options(true));
            records += fast_report.records_read;
            xml += fast_report.records_xml;
            skipped += fast_report.records_skipped;
            let name = log.path.display();
            let same_coverage = (
                xml_report.records_read,
                xml_report.records_failed,
                xml_report.records_recovered,
                xml_report.first_record_id,
                xml_report.last_record_id,
                xml_report.first_time,
                xml_report.last_time,
                &xml_report.chunks,
            ) == (
                fast_report.records_read,
                fast_report.records_failed,
                fast_report.records_recovered,
                fast_report.first_record_id,
                fast_report.last_record_id,
                fast_report.first_time,
                fast_report.last_time,
                &fast_report.chunks,
            );
            if !same_coverage {
                mismatches.push(format!(
                    "{name}: coverage differs: xml read {} failed {} / fast read {} failed {}",
                    xml_report.records_read,
                    xml_report.records_failed,
                    fast_report.records_read,
                    fast_report.records_failed
                ));
            }
            if xml_events.len() != fast_events.len() {
                mismatches.push(format!(
                    "{name}: {} events by xml, {} by fast",
                    xml_events.len(),
                    fast_events.len()
                ));
                continue;
            }
            for (a, b) in xml_events.iter().zip(&fast_events) {
                if *a != as_xml_renders(b) {
                    mismatches.push(format!(
                        "{name}: record {}: {}",
                        a.record_id,
                        difference(a, b)
                    ));
                    break;
                }
            }
        }
        println!(
            "{label} {}: {} files, {records} records, {xml} by the XML path ({:.3}%), {skipped} skipped",
            root.display(),
            found.logs.len(),
            100.0 * xml as f64 / records.max(1) as f64
        );
    }
    assert!(
        mismatches.is_empty(),
        "{} files differ:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

#[test]
fn fast_path_gives_the_xml_paths_events() {
    compare(
        |fast| ReadOptions {
            fast,
            ..Default::default()
        },
        "plain",
    );
}

#[test]
fn carving_gives_the_same_events_both_ways() {
    compare(
        |fast| ReadOptions {
            fast,
            recover: true,
            ..Default::default()
        },
        "recover",
    );
}

#[test]
fn skipped_records_are_counted_as_read() {
    // Only Security 4688 and Sysmon 1 are wanted: the rest is counted, never normalized.
    let filter: Arc<evtxscan::read::EventFilter> = Arc::new(|channel: &str, id: u32| {
        (channel.eq_ignore_ascii_case("Security") && id == 4688)
            || (channel.eq_ignore_ascii_case("Microsoft-Windows-Sysmon/Operational") && id == 1)
    });
    let roots = roots();
    if roots.is_empty() {
        println!("skipped: ../shared/corpus/evtx not found");
        return;
    }
    let (mut wanted, mut skipped) = (0, 0);
    for root in roots {
        for log in discover(std::slice::from_ref(&root)).logs {
            let (all, full) = read(&log, &ReadOptions::default());
            let options = ReadOptions {
                filter: Some(Arc::clone(&filter)),
                ..Default::default()
            };
            let (some, filtered) = read(&log, &options);
            let expected: Vec<&Event> = all
                .iter()
                .filter(|e| filter(&e.channel, e.event_id))
                .collect();
            assert_eq!(
                some.iter().collect::<Vec<_>>(),
                expected,
                "{}",
                log.path.display()
            );
            assert_eq!(full.records_read, filtered.records_read);
            assert_eq!(full.first_time, filtered.first_time);
            assert_eq!(full.last_time, filtered.last_time);
            assert_eq!(full.first_record_id, filtered.first_record_id);
            assert_eq!(full.last_record_id, filtered.last_record_id);
            assert_eq!(
                filtered.records_skipped,
                (all.len() - expected.len()) as u64
            );
            wanted += expected.len();
            skipped += filtered.records_skipped;
        }
    }
    println!("{wanted} events wanted, {skipped} skipped");
    assert!(wanted > 0 && skipped > 0);
}

/// Damaged copies of corpus files (bytes flipped inside the first chunk's records; every other
/// copy gets its CRCs recomputed, so the fast walk reads the garbage): the fast path must not
/// panic, the same records must be accounted for (read or failed) as by the XML path, and it
/// reads at least the records the XML path reads. (Garbage behind right CRCs can make the crate
/// refuse a record the fast path reads: only then do the two differ.)
#[test]
fn damaged_records_are_accounted_for_both_ways() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/evtx/attack-samples");
    if !corpus.is_dir() {
        println!("skipped: ../shared/corpus/evtx not found");
        return;
    }
    let logs = discover(std::slice::from_ref(&corpus)).logs;
    let dir = tempfile::tempdir().unwrap();
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut compared = 0;
    for log in logs.iter().step_by(9).take(30) {
        let mut bytes = std::fs::read(&log.path).unwrap();
        if bytes.len() < 4096 + 65536 {
            continue;
        }
        // Flip bytes in the first chunk's records (after its 512-byte header).
        for _ in 0..24 {
            let at = 4096 + 512 + (next() as usize % (65536 - 512));
            bytes[at] ^= (next() as u8) | 1;
        }
        if compared % 2 == 0 {
            fix_crcs(&mut bytes[4096..4096 + 65536]);
        }
        let path = dir.path().join(format!("damaged-{compared}.evtx"));
        std::fs::write(&path, &bytes).unwrap();
        let damaged = evtxscan::discover::LogFile {
            path,
            size: bytes.len() as u64,
        };
        let (_, xml) = read(
            &damaged,
            &ReadOptions {
                fast: false,
                ..Default::default()
            },
        );
        let (_, fast) = read(&damaged, &ReadOptions::default());
        assert_eq!(
            xml.records_read + xml.records_failed,
            fast.records_read + fast.records_failed,
            "{}",
            log.path.display()
        );
        assert!(fast.records_read >= xml.records_read);
        if xml.records_failed == fast.records_failed {
            assert_eq!(xml.chunks, fast.chunks);
        }
        compared += 1;
    }
    assert!(compared > 10);
}

/// Recompute a chunk's records and header CRC32s.
fn fix_crcs(chunk: &mut [u8]) {
    let free = u32::from_le_bytes(chunk[48..52].try_into().unwrap()) as usize;
    if (512..=chunk.len()).contains(&free) {
        let crc = crc32fast::hash(&chunk[512..free]);
        chunk[52..56].copy_from_slice(&crc.to_le_bytes());
    }
    let mut h = crc32fast::Hasher::new();
    h.update(&chunk[..120]);
    h.update(&chunk[128..512]);
    let crc = h.finalize();
    chunk[124..128].copy_from_slice(&crc.to_le_bytes());
}
