//! One chunk: integrity checks, the record walk, and each record to an event.
//!
//! An intact chunk (both CRCs right, no carving asked) is walked by the fast path's own record
//! walk ([`fast::walk_records`]) and its records read without the evtx crate; records the fast
//! path does not understand are then rendered by the crate (one crate pass over the chunk,
//! only for them). Any other chunk is walked by the crate, which resynchronises after damage
//! and carves slack space; its records still go through the fast path first.

use super::fast::{self, ChunkReader, EventFilter, Header, Outcome};
use super::{ChunkState, FileControl};
use crate::event::{normalize_xml, Event, Source};
use evtx::{EvtxChunkData, ParserSettings};
use std::sync::Arc;

/// Counts from one chunk.
#[derive(Debug, Default, Clone)]
pub(crate) struct ChunkStats {
    pub records_read: u64,
    pub records_failed: u64,
    pub records_recovered: u64,
    /// Records read through the evtx crate's XML (the fast path could not).
    pub records_xml: u64,
    /// Records counted but not normalized: no rule can see them.
    pub records_skipped: u64,
    pub first_record_id: Option<u64>,
    pub last_record_id: Option<u64>,
    pub first_time: Option<jiff::Timestamp>,
    pub last_time: Option<jiff::Timestamp>,
}

impl ChunkStats {
    /// Count one record read, with its id and time.
    fn read(&mut self, id: u64, time: jiff::Timestamp, recovered: bool) {
        self.records_read += 1;
        if recovered {
            self.records_recovered += 1;
        }
        self.first_record_id = Some(self.first_record_id.map_or(id, |v| v.min(id)));
        self.last_record_id = Some(self.last_record_id.map_or(id, |v| v.max(id)));
        self.first_time = Some(self.first_time.map_or(time, |v| v.min(time)));
        self.last_time = Some(self.last_time.map_or(time, |v| v.max(time)));
    }
}

/// What reading one chunk gave.
pub(crate) struct ChunkOutcome {
    pub state: ChunkState,
    pub stats: ChunkStats,
    pub errors: Vec<String>,
}

impl ChunkOutcome {
    /// A free (all-zero) chunk.
    pub(crate) fn empty() -> ChunkOutcome {
        ChunkOutcome {
            state: ChunkState::Empty,
            stats: ChunkStats::default(),
            errors: Vec::new(),
        }
    }

    pub(crate) fn unreadable(reason: String) -> ChunkOutcome {
        ChunkOutcome {
            state: ChunkState::Unreadable,
            stats: ChunkStats::default(),
            errors: vec![reason],
        }
    }
}

/// Everything a chunk read needs besides the chunk.
pub(crate) struct ChunkContext<'a> {
    pub settings: &'a Arc<ParserSettings>,
    pub source: &'a Arc<Source>,
    pub control: &'a FileControl,
    pub sink: &'a (dyn Fn(Vec<Event>) + Sync),
    /// Use the fast path.
    pub fast: bool,
    /// Carve slack space.
    pub recover: bool,
    /// Skip the records no rule can see.
    pub filter: Option<&'a EventFilter>,
}

/// Parse one chunk and hand its events to the sink. Gives the chunk's buffer back when it can.
pub(crate) fn read_chunk(
    number: u64,
    buf: Vec<u8>,
    cx: &ChunkContext<'_>,
) -> (ChunkOutcome, Option<Vec<u8>>) {
    if super::is_zeroed(&buf) {
        return (ChunkOutcome::empty(), Some(buf));
    }
    let mut data = match EvtxChunkData::new(buf, false) {
        Ok(d) => d,
        Err(e) => {
            let outcome = ChunkOutcome::unreadable(format!("chunk {number}: {e}"));
            return (outcome, None);
        }
    };
    let outcome = read_parsed(number, &mut data, cx);
    (outcome, Some(std::mem::take(&mut data.data)))
}

/// [`read_chunk`] once the chunk header is read.
fn read_parsed(number: u64, data: &mut EvtxChunkData, cx: &ChunkContext<'_>) -> ChunkOutcome {
    let mut errors = Vec::new();
    data.number = Some(number);
    let mut damaged = false;
    if !data.validate_header_checksum() {
        damaged = true;
        errors.push(format!("chunk {number}: header CRC32 mismatch"));
    }
    let no_crc = data.header.flags.contains(evtx::ChunkFlags::NO_CRC32);
    if !no_crc && !data.validate_data_checksum() {
        damaged = true;
        errors.push(format!("chunk {number}: records CRC32 mismatch"));
    }
    let declared = {
        let h = &data.header;
        if h.last_event_record_id >= h.first_event_record_id {
            Some(h.last_event_record_id - h.first_event_record_id + 1)
        } else {
            None
        }
    };
    let mut stats = ChunkStats::default();
    let mut events = Vec::with_capacity(declared.unwrap_or(64).min(1024) as usize);
    // The fast walk reads the chunks the crate would read without trouble; the crate also
    // refuses a chunk whose string table does not read.
    let walked = (cx.fast && !damaged && !cx.recover && fast::string_table_readable(&data.data))
        .then(|| {
            fast::walk_records(
                &data.data,
                data.header.free_space_offset,
                data.header.last_event_record_id,
            )
        })
        .flatten();
    let outcome = match walked {
        Some(records) => read_walked(number, data, &records, cx, &mut events, &mut stats),
        None => Err(()),
    };
    if let Ok(errs) = outcome {
        errors.extend(errs);
    } else {
        events.clear();
        stats = ChunkStats::default();
        match read_with_crate(number, data, cx, &mut events, &mut stats) {
            Ok(errs) => {
                damaged |= !errs.is_empty();
                errors.extend(errs);
            }
            Err(e) => return ChunkOutcome::unreadable(format!("chunk {number}: {e}")),
        }
    }
    damaged |= stats.records_failed > 0;
    // Records the chunk header declares but the walk never reached.
    if let Some(declared) = declared {
        let live = stats.records_read - stats.records_recovered + stats.records_failed;
        if declared > live && declared < 100_000 && !cx.control.cancelled() {
            let missing = declared - live;
            stats.records_failed += missing;
            damaged = true;
            errors.push(format!(
                "chunk {number}: {missing} of {declared} declared records not found"
            ));
        }
    }
    if !events.is_empty() {
        (cx.sink)(events);
    }
    let state = if damaged {
        ChunkState::Damaged
    } else {
        ChunkState::Ok
    };
    ChunkOutcome {
        state,
        stats,
        errors,
    }
}

/// The records of an intact chunk, by the fast walk. `Err` when the crate's walk disagrees
/// with the fast one (the caller then reads the chunk with the crate alone).
fn read_walked(
    number: u64,
    data: &mut EvtxChunkData,
    records: &[fast::RawRecord],
    cx: &ChunkContext<'_>,
    events: &mut Vec<Event>,
    stats: &mut ChunkStats,
) -> Result<Vec<String>, ()> {
    let mut errors = Vec::new();
    // Per record: its place in `events` (when it made one) or the XML path still to do.
    let mut xml: Vec<usize> = Vec::new();
    {
        let mut reader = ChunkReader::new(&data.data);
        for (i, r) in records.iter().enumerate() {
            if cx.control.cancelled() {
                return Ok(errors);
            }
            cx.control.tick();
            let header = Header {
                id: r.id,
                time: r.time,
                recovered: false,
            };
            match reader.record(r.binxml.clone(), header, cx.source, cx.filter, events) {
                Outcome::Event => {
                    let ev = events.last().ok_or(())?;
                    stats.read(ev.record_id, ev.time, false);
                }
                Outcome::Skipped { record_id, time } => {
                    stats.records_skipped += 1;
                    stats.read(record_id, time, false);
                }
                Outcome::Xml => xml.push(i),
            }
        }
    }
    if xml.is_empty() {
        return Ok(errors);
    }
    let mut chunk = data.parse(Arc::clone(cx.settings)).map_err(|_| ())?;
    let mut wanted = xml.iter().copied().peekable();
    let mut seen = 0usize;
    for (i, record) in chunk.iter().enumerate() {
        seen = i + 1;
        if wanted.peek() != Some(&i) {
            continue;
        }
        wanted.next();
        let expected = records.get(i).ok_or(())?;
        match record {
            Ok(record) => {
                if record.binxml_offset as usize != expected.binxml.start {
                    return Err(());
                }
                xml_record(number, record, cx, events, stats, &mut errors);
            }
            Err(e) => {
                stats.records_failed += 1;
                errors.push(format!("chunk {number}: {e}"));
            }
        }
    }
    if seen != records.len() && wanted.peek().is_some() {
        return Err(());
    }
    Ok(errors)
}

/// Render one record with the crate and normalize its XML.
fn xml_record(
    number: u64,
    record: evtx::EvtxRecord<'_>,
    cx: &ChunkContext<'_>,
    events: &mut Vec<Event>,
    stats: &mut ChunkStats,
    errors: &mut Vec<String>,
) {
    let (id, header_time, recovered) = (record.event_record_id, record.timestamp, record.recovered);
    // A record carved from slack space (`--recover`) that does not render is noise left over
    // from overwritten data, not a failure of an intact log: it is dropped without counting.
    let xml = match record.into_xml() {
        Ok(x) => x.data,
        Err(_) if recovered => return,
        Err(e) => {
            stats.records_failed += 1;
            errors.push(format!("chunk {number}, record {id}: {e}"));
            return;
        }
    };
    match normalize_xml(&xml, cx.source, id, header_time, recovered) {
        Ok(ev) => {
            stats.records_xml += 1;
            stats.read(ev.record_id, ev.time, recovered);
            if cx.filter.is_some_and(|f| !f(&ev.channel, ev.event_id)) {
                stats.records_skipped += 1;
            } else {
                events.push(ev);
            }
        }
        Err(_) if recovered => {}
        Err(e) => {
            stats.records_failed += 1;
            errors.push(format!("chunk {number}, record {id}: {e}"));
        }
    }
}

/// The records of a chunk by the crate's walk (damaged chunks, carving, the XML path).
fn read_with_crate(
    number: u64,
    data: &mut EvtxChunkData,
    cx: &ChunkContext<'_>,
    events: &mut Vec<Event>,
    stats: &mut ChunkStats,
) -> Result<Vec<String>, evtx::err::ChunkError> {
    let mut errors = Vec::new();
    let mut chunk = data.parse(Arc::clone(cx.settings))?;
    let chunk_data: &[u8] = chunk.data;
    let mut reader = ChunkReader::new(chunk_data);
    for record in chunk.iter() {
        if cx.control.cancelled() {
            break;
        }
        cx.control.tick();
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                stats.records_failed += 1;
                errors.push(format!("chunk {number}: {e}"));
                continue;
            }
        };
        if cx.fast {
            let start = record.binxml_offset as usize;
            let header = Header {
                id: record.event_record_id,
                time: record.timestamp,
                recovered: record.recovered,
            };
            let range = start..start + record.binxml_size as usize;
            match reader.record(range, header, cx.source, cx.filter, events) {
                Outcome::Event => {
                    if let Some(ev) = events.last() {
                        stats.read(ev.record_id, ev.time, header.recovered);
                    }
                    continue;
                }
                Outcome::Skipped { record_id, time } => {
                    stats.records_skipped += 1;
                    stats.read(record_id, time, header.recovered);
                    continue;
                }
                Outcome::Xml => {}
            }
        }
        xml_record(number, record, cx, events, stats, &mut errors);
    }
    Ok(errors)
}
