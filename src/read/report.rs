//! What reading one file found: the per-file coverage report (chunks and records read, damaged
//! or missing), in the summary and, as JSON, in `--coverage FILE`.

use super::{ChunkStats, MAX_ERRORS_KEPT};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// The state of one 64 KiB chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChunkState {
    /// Header and records intact.
    Ok,
    /// Read, but with CRC mismatches or records that failed.
    Damaged,
    /// No records could be read (bad magic, unparseable header).
    Unreadable,
    /// All zero and not counted in use by the file header: free space.
    Empty,
    /// All zero although the file header counts it in use.
    Zeroed,
    /// Cut off by the end of the file.
    Truncated,
}

/// Coverage of one file.
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    /// The file.
    pub path: PathBuf,
    /// Its size.
    pub size: u64,
    /// Chunks the file header says are in use.
    pub header_chunk_count: u64,
    /// The header's dirty flag (the log was not closed cleanly).
    pub dirty: bool,
    /// The state of each chunk, in file order.
    #[serde(skip)]
    pub chunks: Vec<ChunkState>,
    /// Records read and normalized.
    pub records_read: u64,
    /// Records that failed to parse, or that a chunk header declares but were not found.
    pub records_failed: u64,
    /// Records carved from slack space (`--recover`), included in `records_read`.
    pub records_recovered: u64,
    /// Records read through the evtx crate's XML rendering because the fast path could not
    /// read them, included in `records_read`.
    #[serde(skip)]
    pub records_xml: u64,
    /// Records counted but not normalized because no rule can see them, included in
    /// `records_read`.
    #[serde(skip)]
    pub records_skipped: u64,
    /// Lowest record id read.
    pub first_record_id: Option<u64>,
    /// Highest record id read.
    pub last_record_id: Option<u64>,
    /// Earliest event time read.
    pub first_time: Option<jiff::Timestamp>,
    /// Latest event time read.
    pub last_time: Option<jiff::Timestamp>,
    /// The file ends inside a chunk or inside its header.
    pub truncated: bool,
    /// The watchdog stopped the file.
    pub timed_out: bool,
    /// Why nothing could be read at all.
    pub fatal: Option<String>,
    /// The first error messages (at most 20).
    pub errors: Vec<String>,
    /// How many error messages there were in all.
    pub error_count: u64,
}

impl FileReport {
    /// An empty report for a file.
    pub fn new(path: &Path, size: u64) -> FileReport {
        FileReport {
            path: path.to_path_buf(),
            size,
            header_chunk_count: 0,
            dirty: false,
            chunks: Vec::new(),
            records_read: 0,
            records_failed: 0,
            records_recovered: 0,
            records_xml: 0,
            records_skipped: 0,
            first_record_id: None,
            last_record_id: None,
            first_time: None,
            last_time: None,
            truncated: false,
            timed_out: false,
            fatal: None,
            errors: Vec::new(),
            error_count: 0,
        }
    }

    /// Keep an error message (the first few) and count it.
    pub fn note(&mut self, message: String) {
        self.error_count += 1;
        if self.errors.len() < MAX_ERRORS_KEPT {
            self.errors.push(message);
        }
    }

    pub(crate) fn absorb(&mut self, s: ChunkStats) {
        self.records_read += s.records_read;
        self.records_failed += s.records_failed;
        self.records_recovered += s.records_recovered;
        self.records_xml += s.records_xml;
        self.records_skipped += s.records_skipped;
        self.first_record_id = min_opt(self.first_record_id, s.first_record_id);
        self.last_record_id = max_opt(self.last_record_id, s.last_record_id);
        self.first_time = min_opt(self.first_time, s.first_time);
        self.last_time = max_opt(self.last_time, s.last_time);
    }

    /// Number of chunks in a state.
    pub fn count(&self, state: ChunkState) -> usize {
        self.chunks.iter().filter(|s| **s == state).count()
    }

    /// Whether anything in the file could not be read.
    pub fn is_damaged(&self) -> bool {
        self.fatal.is_some()
            || self.timed_out
            || self.truncated
            || self.records_failed > 0
            || self.chunks.iter().any(|s| {
                matches!(
                    s,
                    ChunkState::Damaged
                        | ChunkState::Unreadable
                        | ChunkState::Zeroed
                        | ChunkState::Truncated
                )
            })
    }
}

/// The serialized chunk counts (the per-chunk list is summarized).
#[derive(Debug, Serialize)]
pub struct ChunkCounts {
    /// Intact chunks.
    pub ok: usize,
    /// Chunks read with errors.
    pub damaged: usize,
    /// Chunks that could not be read.
    pub unreadable: usize,
    /// Free (all-zero) chunks.
    pub empty: usize,
    /// Zeroed chunks the header counts in use.
    pub zeroed: usize,
    /// The cut-off last chunk.
    pub truncated: usize,
}

impl FileReport {
    /// Chunk counts by state.
    pub fn chunk_counts(&self) -> ChunkCounts {
        ChunkCounts {
            ok: self.count(ChunkState::Ok),
            damaged: self.count(ChunkState::Damaged),
            unreadable: self.count(ChunkState::Unreadable),
            empty: self.count(ChunkState::Empty),
            zeroed: self.count(ChunkState::Zeroed),
            truncated: self.count(ChunkState::Truncated),
        }
    }
}

fn min_opt<T: Ord>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, None) => a,
        (None, b) => b,
    }
}

fn max_opt<T: Ord>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, None) => a,
        (None, b) => b,
    }
}
