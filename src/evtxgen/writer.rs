//! [`EvtxWriter`]: records into chunks, chunks streamed to the output as they fill, and the
//! file header written last.

use super::chunk::{Chunk, CHUNK_SIZE};
use super::record::{write_record, Scratch};
use super::spec::{filetime, EventSpec, Payload};
use std::io::{Seek, SeekFrom, Write};

/// Size of the file header block.
pub const FILE_HEADER_BLOCK: usize = 4096;
/// The longest string a substitution value or literal can hold, in UTF-16 code units.
pub const MAX_STRING_UNITS: usize = 32767;

/// Why an event could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The output failed.
    #[error("cannot write the EVTX file: {0}")]
    Io(#[from] std::io::Error),
    /// A value or name is longer than a record can hold.
    #[error("{what} is {units} UTF-16 units long; a record holds at most {MAX_STRING_UNITS}")]
    ValueTooLong {
        /// Which value.
        what: String,
        /// Its length.
        units: usize,
    },
    /// An element name that XML does not allow (UserData names).
    #[error("`{0}` is not a valid XML element name")]
    BadElementName(String),
    /// More fields than a template instance can number.
    #[error("{0} fields; a record holds at most 65535")]
    TooManyFields(usize),
    /// A time before 1601, which FILETIME cannot hold.
    #[error("{0} is before 1601 and cannot be stored as a FILETIME")]
    TimeOutOfRange(jiff::Timestamp),
    /// The record does not fit in an empty chunk.
    #[error("record {record_id} does not fit in a 64 KiB chunk")]
    RecordTooLarge {
        /// The id it would have had.
        record_id: u64,
    },
    /// The file would need more chunks than its header can count.
    #[error("more than 65535 chunks: the EVTX header cannot count them")]
    TooManyChunks,
}

/// What a finished file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteSummary {
    /// Records written.
    pub records: u64,
    /// Chunks written.
    pub chunks: u64,
    /// The id of the first record (the next id when nothing was written).
    pub first_record_id: u64,
    /// The id the next record would have.
    pub next_record_id: u64,
    /// The file size in bytes.
    pub bytes: u64,
}

/// Writes an EVTX file: `new`, then `write` for each event, then `finish`.
///
/// Records get consecutive ids from 1 (or from [`EvtxWriter::with_first_record_id`]). A record
/// that does not fit in the current chunk starts the next one; full chunks are written out at
/// once, so memory stays at one chunk whatever the file size. The file header, which counts the
/// chunks, is written by `finish`, which is why the output must be seekable.
pub struct EvtxWriter<W: Write + Seek> {
    out: W,
    chunk: Chunk,
    scratch: Scratch,
    first_record_id: u64,
    next_record_id: u64,
    chunks: u64,
}

impl<W: Write + Seek> EvtxWriter<W> {
    /// A writer whose first record is record 1.
    pub fn new(out: W) -> Result<EvtxWriter<W>, WriteError> {
        EvtxWriter::with_first_record_id(out, 1)
    }

    /// A writer whose first record has id `first` (at least 1).
    pub fn with_first_record_id(mut out: W, first: u64) -> Result<EvtxWriter<W>, WriteError> {
        out.write_all(&[0u8; FILE_HEADER_BLOCK])?;
        let first = first.max(1);
        Ok(EvtxWriter {
            out,
            chunk: Chunk::new(),
            scratch: Scratch::default(),
            first_record_id: first,
            next_record_id: first,
            chunks: 0,
        })
    }

    /// Append one record; returns its record id.
    pub fn write(&mut self, event: &EventSpec) -> Result<u64, WriteError> {
        validate(event)?;
        let id = self.next_record_id;
        write_record(&mut self.chunk, event, id, &mut self.scratch);
        if !self.chunk.fits() {
            self.chunk.rollback();
            if !self.chunk.is_empty() {
                self.flush_chunk()?;
            }
            self.chunk.reset();
            write_record(&mut self.chunk, event, id, &mut self.scratch);
            if !self.chunk.fits() {
                self.chunk.rollback();
                self.chunk.reset();
                return Err(WriteError::RecordTooLarge { record_id: id });
            }
        }
        self.chunk.commit(id);
        self.next_record_id += 1;
        Ok(id)
    }

    /// The id the next record will get.
    pub fn next_record_id(&self) -> u64 {
        self.next_record_id
    }

    fn flush_chunk(&mut self) -> Result<(), WriteError> {
        if self.chunks >= u64::from(u16::MAX) {
            return Err(WriteError::TooManyChunks);
        }
        let bytes = self.chunk.finish();
        self.out.write_all(bytes)?;
        self.chunks += 1;
        self.chunk.reset();
        Ok(())
    }

    /// Write the last chunk and the file header; returns the output and what was written.
    pub fn finish(mut self) -> Result<(W, WriteSummary), WriteError> {
        if !self.chunk.is_empty() {
            self.flush_chunk()?;
        }
        let header = file_header(self.chunks as u16, self.next_record_id);
        self.out.seek(SeekFrom::Start(0))?;
        self.out.write_all(&header)?;
        let bytes = FILE_HEADER_BLOCK as u64 + self.chunks * CHUNK_SIZE as u64;
        self.out.seek(SeekFrom::Start(bytes))?;
        self.out.flush()?;
        let summary = WriteSummary {
            records: self.next_record_id - self.first_record_id,
            chunks: self.chunks,
            first_record_id: self.first_record_id,
            next_record_id: self.next_record_id,
            bytes,
        };
        Ok((self.out, summary))
    }

    /// How many bytes the file will have once the current chunk is written.
    pub fn bytes_so_far(&self) -> u64 {
        let open = u64::from(!self.chunk.is_empty());
        FILE_HEADER_BLOCK as u64 + (self.chunks + open) * CHUNK_SIZE as u64
    }
}

/// The 4096-byte file header block: version 3.1, clean, CRC32 over its first 120 bytes.
fn file_header(chunks: u16, next_record_id: u64) -> Vec<u8> {
    let mut h = vec![0u8; FILE_HEADER_BLOCK];
    h[0..8].copy_from_slice(b"ElfFile\0");
    h[8..16].copy_from_slice(&0u64.to_le_bytes());
    let last_chunk = u64::from(chunks.saturating_sub(1));
    h[16..24].copy_from_slice(&last_chunk.to_le_bytes());
    h[24..32].copy_from_slice(&next_record_id.to_le_bytes());
    h[32..36].copy_from_slice(&128u32.to_le_bytes());
    h[36..38].copy_from_slice(&1u16.to_le_bytes());
    h[38..40].copy_from_slice(&3u16.to_le_bytes());
    h[40..42].copy_from_slice(&(FILE_HEADER_BLOCK as u16).to_le_bytes());
    h[42..44].copy_from_slice(&chunks.to_le_bytes());
    let crc = crc32fast::hash(&h[..120]);
    h[124..128].copy_from_slice(&crc.to_le_bytes());
    h
}

/// Check that an event can be written, before any of it is.
fn validate(ev: &EventSpec) -> Result<(), WriteError> {
    let check = |what: &dyn Fn() -> String, s: &str| match utf16_len_over_limit(s) {
        Some(units) => Err(WriteError::ValueTooLong {
            what: what(),
            units,
        }),
        None => Ok(()),
    };
    check(&|| "Provider".into(), &ev.provider)?;
    check(&|| "Channel".into(), &ev.channel)?;
    check(&|| "Computer".into(), &ev.computer)?;
    if let Some(s) = &ev.event_source_name {
        check(&|| "EventSourceName".into(), s)?;
    }
    for t in [ev.time, ev.record_time()] {
        if filetime(t).is_none() {
            return Err(WriteError::TimeOutOfRange(t));
        }
    }
    match &ev.payload {
        Payload::None => {}
        Payload::EventData(fields) => {
            if fields.len() > usize::from(u16::MAX) {
                return Err(WriteError::TooManyFields(fields.len()));
            }
            for (name, value) in fields {
                let name = name.as_deref().unwrap_or("Data");
                check(&|| format!("Data name {name}"), name)?;
                check(&|| format!("Data {name}"), value)?;
            }
        }
        Payload::UserData(user) => {
            if user.fields.len() > usize::from(u16::MAX) {
                return Err(WriteError::TooManyFields(user.fields.len()));
            }
            element_name(&user.element)?;
            if let Some(ns) = &user.xmlns {
                check(&|| "xmlns".into(), ns)?;
            }
            for (name, value) in &user.fields {
                element_name(name)?;
                check(&|| name.clone(), value)?;
            }
        }
    }
    Ok(())
}

/// The UTF-16 length of `s` when it is over [`MAX_STRING_UNITS`].
fn utf16_len_over_limit(s: &str) -> Option<usize> {
    // UTF-16 never has more units than UTF-8 has bytes.
    if s.len() <= MAX_STRING_UNITS {
        return None;
    }
    let units = s.encode_utf16().count();
    (units > MAX_STRING_UNITS).then_some(units)
}

/// An XML element name: a letter or `_` first, then letters, digits, `_`, `-`, `.`.
fn element_name(name: &str) -> Result<(), WriteError> {
    let mut chars = name.chars();
    let ok = chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && name.len() <= 256;
    if ok {
        Ok(())
    } else {
        Err(WriteError::BadElementName(name.to_string()))
    }
}
