//! The project's own EVTX writer, for the bundled samples, tests and benchmarks.
//!
//! It writes what Windows writes, so that the `evtx` crate reads our files through its normal
//! paths: a 4096-byte file header (version 3.1, CRC32), 64 KiB `ElfChnk` chunks (header CRC32,
//! records CRC32, string and template hash tables filled as Windows fills them), and records
//! whose BinXML is a template instance: the `Event`/`System` template with typed substitution
//! values (EventID UInt16, Level/Opcode UInt8, Task UInt16, Keywords HexInt64, TimeCreated
//! FILETIME, EventRecordID UInt64, ProcessID/ThreadID UInt32, UserID SID, Provider Guid GUID),
//! whose last value is a nested fragment instantiating the `EventData` or `UserData` template
//! with UTF-16 string values. Templates and names are defined inline the first time a chunk
//! uses them and referenced by offset after that.
//!
//! - [`EventSpec`] describes one record; [`EvtxWriter`] writes them, streaming full chunks;
//!   [`write_file`] writes a list of events to a path.
//! - [`samples`] regenerates the bundled `samples/` logs; [`corpus`] writes large, realistic
//!   event mixes for benchmarks.
//!
//! `docs/EVTXGEN.md` lists what the writer supports and every seeded event of the samples.

mod binxml;
mod chunk;
pub mod corpus;
mod record;
pub mod samples;
mod spec;
pub mod windows;
mod writer;

#[cfg(test)]
mod tests;

pub use chunk::{name_hash, template_bucket, CHUNK_SIZE};
pub use spec::{filetime, EventSpec, Guid, Payload, Sid, SpecError, UserData};
pub use writer::{EvtxWriter, WriteError, WriteSummary, FILE_HEADER_BLOCK, MAX_STRING_UNITS};

use std::io::Write;
use std::path::Path;

/// Write `events` to a new file at `path` (replacing it), records numbered from 1.
pub fn write_file<'a>(
    path: &Path,
    events: impl IntoIterator<Item = &'a EventSpec>,
) -> Result<WriteSummary, WriteError> {
    let file = std::fs::File::create(path)?;
    let mut writer = EvtxWriter::new(std::io::BufWriter::with_capacity(1 << 17, file))?;
    for event in events {
        writer.write(event)?;
    }
    let (mut out, summary) = writer.finish()?;
    out.flush()?;
    Ok(summary)
}
