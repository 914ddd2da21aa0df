//! Stage 2: read the records of one event log, chunk by chunk, accounting for what is damaged.
//!
//! The reader does its own chunk walk instead of the `evtx` crate's record iterator so that it
//! can say, for every 64 KiB chunk, whether it was read intact, read with errors, unreadable,
//! empty or cut off, and so that chunks of one file can be parsed in parallel (rayon) in bounded
//! batches. Each readable record is rendered to XML by the `evtx` crate and normalized
//! ([`crate::event::normalize_xml`]); the events of a chunk go to the caller's sink together,
//! then are dropped: nothing holds all records of a file.

mod report;

pub use report::{ChunkState, FileReport};

use crate::discover::LogFile;
use crate::event::{normalize_xml, Event, Source};
use evtx::{EvtxChunkData, ParserSettings};
use rayon::prelude::*;
use std::io::{Read, Seek, SeekFrom};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

/// Size of the EVTX file header block.
pub const FILE_HEADER_SIZE: u64 = 4096;
/// Size of one chunk.
pub const CHUNK_SIZE: u64 = 65536;
/// The most error messages kept per file (the counts are always complete).
pub const MAX_ERRORS_KEPT: usize = 20;

/// How to read.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// Also carve records from chunk slack space.
    pub recover: bool,
    /// How many chunks of one file are parsed in parallel at most.
    pub chunk_batch: usize,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            recover: false,
            chunk_batch: 2 * rayon::current_num_threads().max(1),
        }
    }
}

/// Shared state between a file being read and the watchdog that watches it.
#[derive(Debug, Default)]
pub struct FileControl {
    /// Records and chunks processed so far: the watchdog's sign of progress.
    pub progress: AtomicU64,
    /// Set by the watchdog: stop reading this file.
    pub cancel: AtomicBool,
}

impl FileControl {
    fn tick(&self) {
        self.progress.fetch_add(1, Ordering::Relaxed);
    }
    fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }
}

/// Read one log, passing each chunk's events to `sink` (called from several threads).
pub fn read_log(
    log: &LogFile,
    options: &ReadOptions,
    control: &FileControl,
    sink: &(dyn Fn(Vec<Event>) + Sync),
) -> FileReport {
    let mut report = FileReport::new(&log.path, log.size);
    let source = Arc::new(Source {
        path: log.path.clone(),
    });
    let mut file = match std::fs::File::open(&log.path) {
        Ok(f) => f,
        Err(e) => {
            report.fatal = Some(format!("cannot open: {e}"));
            return report;
        }
    };
    let mut header = [0u8; FILE_HEADER_SIZE as usize];
    let header_len = read_up_to(&mut file, &mut header);
    match evtx::EvtxFileHeader::from_bytes(&header[..header_len]) {
        Ok(h) => {
            report.header_chunk_count = h.chunk_count as u64;
            report.dirty = h.flags.contains(evtx::HeaderFlags::DIRTY);
        }
        Err(e) => report.note(format!(
            "file header unreadable ({e}); reading chunks anyway"
        )),
    }
    if (header_len as u64) < FILE_HEADER_SIZE {
        report.note(format!(
            "file is {} bytes, shorter than its 4096-byte header",
            log.size
        ));
        report.truncated = true;
        return report;
    }
    let body = log.size.saturating_sub(FILE_HEADER_SIZE);
    let whole_chunks = body / CHUNK_SIZE;
    if !body.is_multiple_of(CHUNK_SIZE) {
        report.truncated = true;
        report.chunks.push(ChunkState::Truncated);
        report.note(format!(
            "file ends {} bytes into chunk {whole_chunks}: the last chunk is cut off",
            body % CHUNK_SIZE
        ));
    }
    let settings = Arc::new(
        ParserSettings::new()
            .num_threads(1)
            .indent(false)
            .validate_checksums(false)
            .recover_records(options.recover),
    );
    let batch = options.chunk_batch.max(1) as u64;
    let mut next = 0u64;
    let mut states: Vec<(u64, ChunkOutcome)> = Vec::new();
    while next < whole_chunks && !control.cancelled() {
        let end = (next + batch).min(whole_chunks);
        let mut raw: Vec<(u64, Vec<u8>)> = Vec::with_capacity((end - next) as usize);
        for n in next..end {
            let mut buf = vec![0u8; CHUNK_SIZE as usize];
            let offset = FILE_HEADER_SIZE + n * CHUNK_SIZE;
            let ok = file.seek(SeekFrom::Start(offset)).is_ok()
                && read_up_to(&mut file, &mut buf) == buf.len();
            if ok {
                raw.push((n, buf));
            } else {
                states.push((
                    n,
                    ChunkOutcome::unreadable(format!("chunk {n}: read error")),
                ));
            }
        }
        next = end;
        let outcomes: Vec<(u64, ChunkOutcome)> = raw
            .into_par_iter()
            .map(|(n, buf)| {
                let outcome = read_chunk(n, buf, &settings, &source, control, sink);
                (n, outcome)
            })
            .collect();
        states.extend(outcomes);
    }
    if control.cancelled() {
        report.timed_out = true;
        report.note("stopped by the watchdog: no progress within the time limit".to_string());
    }
    states.sort_by_key(|(n, _)| *n);
    let mut chunk_states: Vec<ChunkState> = Vec::with_capacity(states.len() + 1);
    // A zero chunk before one that is not is in use too (headers of unclean logs undercount).
    let last_used = states
        .iter()
        .rev()
        .find(|(_, o)| o.state != ChunkState::Empty);
    let in_use = report
        .header_chunk_count
        .max(last_used.map_or(0, |(n, _)| n + 1));
    for (n, outcome) in states {
        if outcome.state == ChunkState::Empty && n < in_use {
            report.note(format!(
                "chunk {n} is zeroed although the header or a later chunk shows it in use"
            ));
            chunk_states.push(ChunkState::Zeroed);
        } else {
            chunk_states.push(outcome.state);
        }
        report.absorb(outcome.stats);
        for e in outcome.errors {
            report.note(e);
        }
    }
    let truncated_tail = std::mem::take(&mut report.chunks);
    chunk_states.extend(truncated_tail);
    report.chunks = chunk_states;
    report
}

/// Counts from one chunk.
#[derive(Debug, Default, Clone)]
pub(crate) struct ChunkStats {
    pub records_read: u64,
    pub records_failed: u64,
    pub records_recovered: u64,
    pub first_record_id: Option<u64>,
    pub last_record_id: Option<u64>,
    pub first_time: Option<jiff::Timestamp>,
    pub last_time: Option<jiff::Timestamp>,
}

struct ChunkOutcome {
    state: ChunkState,
    stats: ChunkStats,
    errors: Vec<String>,
}

impl ChunkOutcome {
    fn unreadable(reason: String) -> ChunkOutcome {
        ChunkOutcome {
            state: ChunkState::Unreadable,
            stats: ChunkStats::default(),
            errors: vec![reason],
        }
    }
}

/// Parse one chunk and hand its events to the sink.
fn read_chunk(
    number: u64,
    buf: Vec<u8>,
    settings: &Arc<ParserSettings>,
    source: &Arc<Source>,
    control: &FileControl,
    sink: &(dyn Fn(Vec<Event>) + Sync),
) -> ChunkOutcome {
    if buf.iter().all(|b| *b == 0) {
        return ChunkOutcome {
            state: ChunkState::Empty,
            stats: ChunkStats::default(),
            errors: Vec::new(),
        };
    }
    let mut errors = Vec::new();
    let mut data = match EvtxChunkData::new(buf, false) {
        Ok(d) => d,
        Err(e) => return ChunkOutcome::unreadable(format!("chunk {number}: {e}")),
    };
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
    let mut chunk = match data.parse(Arc::clone(settings)) {
        Ok(c) => c,
        Err(e) => return ChunkOutcome::unreadable(format!("chunk {number}: {e}")),
    };
    let mut stats = ChunkStats::default();
    let mut events = Vec::with_capacity(declared.unwrap_or(64).min(1024) as usize);
    for record in chunk.iter() {
        if control.cancelled() {
            break;
        }
        control.tick();
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                stats.records_failed += 1;
                damaged = true;
                errors.push(format!("chunk {number}: {e}"));
                continue;
            }
        };
        let (id, header_time, recovered) =
            (record.event_record_id, record.timestamp, record.recovered);
        let xml = match record.into_xml() {
            Ok(x) => x.data,
            Err(e) => {
                stats.records_failed += 1;
                damaged = true;
                errors.push(format!("chunk {number}, record {id}: {e}"));
                continue;
            }
        };
        match normalize_xml(&xml, source, id, header_time, recovered) {
            Ok(ev) => {
                stats.records_read += 1;
                if recovered {
                    stats.records_recovered += 1;
                }
                stats.first_record_id = Some(
                    stats
                        .first_record_id
                        .map_or(ev.record_id, |v| v.min(ev.record_id)),
                );
                stats.last_record_id = Some(
                    stats
                        .last_record_id
                        .map_or(ev.record_id, |v| v.max(ev.record_id)),
                );
                stats.first_time = Some(stats.first_time.map_or(ev.time, |v| v.min(ev.time)));
                stats.last_time = Some(stats.last_time.map_or(ev.time, |v| v.max(ev.time)));
                events.push(ev);
            }
            Err(e) => {
                stats.records_failed += 1;
                damaged = true;
                errors.push(format!("chunk {number}, record {id}: {e}"));
            }
        }
    }
    // Records the chunk header declares but the walk never reached.
    if let Some(declared) = declared {
        let live = stats.records_read - stats.records_recovered + stats.records_failed;
        if declared > live && declared < 100_000 && !control.cancelled() {
            let missing = declared - live;
            stats.records_failed += missing;
            damaged = true;
            errors.push(format!(
                "chunk {number}: {missing} of {declared} declared records not found"
            ));
        }
    }
    if !events.is_empty() {
        sink(events);
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

/// Read into `buf` until it is full or the reader ends; returns the bytes read.
fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> usize {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    got
}
