//! Stage 2: read the records of one event log, chunk by chunk, accounting for what is damaged.
//!
//! The reader does its own chunk walk instead of the `evtx` crate's record iterator so that it
//! can say, for every 64 KiB chunk, whether it was read intact, read with errors, unreadable,
//! empty or cut off, and so that chunks of one file can be parsed in parallel: the rayon workers
//! take the file's next chunk as they free up (so one buffer per worker is in flight). Each readable record is read by the fast path ([`fast`]: straight from its BinXML)
//! or, when that cannot, rendered to XML by the `evtx` crate and normalized
//! ([`crate::event::normalize_xml`]); the events of a chunk go to the caller's sink together,
//! then are dropped: nothing holds all records of a file.

mod chunk;
mod fast;
mod report;

pub use fast::EventFilter;
pub use report::{ChunkState, FileReport};

use crate::discover::LogFile;
use crate::event::{Event, Source};
use chunk::{read_chunk, ChunkContext, ChunkOutcome, ChunkStats};
use evtx::ParserSettings;
use rayon::prelude::*;
use std::io::{Read, Seek, SeekFrom};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Size of the EVTX file header block.
pub const FILE_HEADER_SIZE: u64 = 4096;
/// Size of one chunk.
pub const CHUNK_SIZE: u64 = 65536;
/// The most error messages kept per file (the counts are always complete).
pub const MAX_ERRORS_KEPT: usize = 20;

/// How to read.
#[derive(Clone)]
pub struct ReadOptions {
    /// Also carve records from chunk slack space.
    pub recover: bool,
    /// How many chunk buffers a thread keeps for the next chunks and files.
    pub chunk_batch: usize,
    /// Read records straight from their BinXML ([`fast`]); when false, or for a record the
    /// fast path does not understand, render it to XML with the evtx crate and normalize that.
    pub fast: bool,
    /// When set, records for which it answers false (by channel and event id) are counted
    /// but never normalized nor passed to the sink.
    pub filter: Option<Arc<EventFilter>>,
}

impl std::fmt::Debug for ReadOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadOptions")
            .field("recover", &self.recover)
            .field("chunk_batch", &self.chunk_batch)
            .field("fast", &self.fast)
            .field("filter", &self.filter.is_some())
            .finish()
    }
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            recover: false,
            chunk_batch: 8 * rayon::current_num_threads().max(1),
            fast: true,
            filter: None,
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
    pub(crate) fn tick(&self) {
        self.progress.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn cancelled(&self) -> bool {
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
    let cx = ChunkContext {
        settings: &settings,
        source: &source,
        control,
        sink,
        fast: options.fast,
        recover: options.recover,
        filter: options.filter.as_deref(),
    };
    // Chunk buffers, reused from chunk to chunk and file to file.
    let pool = Mutex::new(BUFFERS.with(|b| std::mem::take(&mut *b.borrow_mut())));
    let known = Mutex::new(Vec::new());
    // Workers take the next chunk as they free up (no batch to wait for): the reading itself
    // is serialized by the bridge, the parsing runs on every thread.
    let source = ChunkSource {
        file,
        next: 0,
        end: whole_chunks,
        pool: &pool,
        known: &known,
        control,
    };
    let parsed: Vec<(u64, ChunkOutcome)> = source
        .par_bridge()
        .map(|(n, buf)| {
            let (outcome, buf) = read_chunk(n, buf, &cx);
            if let Some(mut buf) = buf {
                buf.resize(CHUNK_SIZE as usize, 0);
                lock(&pool).push(buf);
            }
            (n, outcome)
        })
        .collect();
    let mut states = known.into_inner().unwrap_or_else(|e| e.into_inner());
    states.extend(parsed);
    let mut pool = pool.into_inner().unwrap_or_else(|e| e.into_inner());
    pool.truncate(options.chunk_batch.max(1));
    BUFFERS.with(|b| *b.borrow_mut() = pool);
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

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The chunks of a file in order, read on demand: those to parse, while the outcomes already
/// known (read errors, free chunks) are set aside.
struct ChunkSource<'a> {
    file: std::fs::File,
    next: u64,
    end: u64,
    pool: &'a Mutex<Vec<Vec<u8>>>,
    known: &'a Mutex<Vec<(u64, ChunkOutcome)>>,
    control: &'a FileControl,
}

impl Iterator for ChunkSource<'_> {
    type Item = (u64, Vec<u8>);

    fn next(&mut self) -> Option<(u64, Vec<u8>)> {
        while self.next < self.end && !self.control.cancelled() {
            let n = self.next;
            self.next += 1;
            let mut buf = lock(self.pool)
                .pop()
                .unwrap_or_else(|| vec![0u8; CHUNK_SIZE as usize]);
            let offset = FILE_HEADER_SIZE + n * CHUNK_SIZE;
            let ok = self.file.seek(SeekFrom::Start(offset)).is_ok()
                && read_up_to(&mut self.file, &mut buf) == buf.len();
            if !ok {
                let outcome = ChunkOutcome::unreadable(format!("chunk {n}: read error"));
                lock(self.known).push((n, outcome));
            } else if is_zeroed(&buf) {
                // Free space: no need to hand it to a worker.
                self.control.tick();
                lock(self.known).push((n, ChunkOutcome::empty()));
                lock(self.pool).push(buf);
            } else {
                return Some((n, buf));
            }
        }
        None
    }
}

thread_local! {
    /// Chunk buffers of the files this thread read, for the next file.
    static BUFFERS: std::cell::RefCell<Vec<Vec<u8>>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Free what this thread kept for reading the next file: chunk buffers and parsed templates.
pub fn release_thread_caches() {
    BUFFERS.with(|b| *b.borrow_mut() = Vec::new());
    fast::release_thread_caches();
}

/// Whether a buffer is all zero bytes (compared 16 bytes at a time).
pub(crate) fn is_zeroed(buf: &[u8]) -> bool {
    let (wide, rest) = buf.as_chunks::<16>();
    wide.iter().all(|c| u128::from_ne_bytes(*c) == 0) && rest.iter().all(|b| *b == 0)
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
