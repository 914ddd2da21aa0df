//! The record walk of an intact chunk: record headers one after the other, as the evtx crate
//! walks them when nothing is wrong. On anything unexpected it gives up (`None`) and the
//! caller lets the crate walk the chunk, with its resynchronisation and error accounting.

use jiff::Timestamp;

/// Size of a chunk header; the first record follows it.
const CHUNK_HEADER_SIZE: usize = 512;
/// Size of a record header (magic, size, id, time).
const RECORD_HEADER_SIZE: usize = 24;

/// One record found by the walk.
#[derive(Debug, Clone)]
pub(crate) struct RawRecord {
    /// The record's BinXML, a range of the chunk.
    pub binxml: std::ops::Range<usize>,
    /// The header's record id.
    pub id: u64,
    /// The header's time.
    pub time: Timestamp,
}

/// Walk the live records of a chunk from its header up to its free space or its last record
/// (`free_space_offset`, `last_record_id` from the chunk header). `None` when a record header
/// is not where and what it should be.
pub(crate) fn walk_records(
    data: &[u8],
    free_space_offset: u32,
    last_record_id: u64,
) -> Option<Vec<RawRecord>> {
    let live_end = (free_space_offset as usize).min(data.len());
    let mut out = Vec::with_capacity(64);
    let mut offset = CHUNK_HEADER_SIZE;
    while offset < live_end {
        let h = data.get(offset..offset + RECORD_HEADER_SIZE)?;
        if h[..4] != *b"**\0\0" {
            return None;
        }
        let size = u32::from_le_bytes([h[4], h[5], h[6], h[7]]) as usize;
        let id = u64::from_le_bytes(h[8..16].try_into().ok()?);
        let filetime = u64::from_le_bytes(h[16..24].try_into().ok()?);
        let time = super::values::filetime_timestamp(filetime)?;
        if size < RECORD_HEADER_SIZE + 4 {
            return None;
        }
        let start = offset + RECORD_HEADER_SIZE;
        let end = start + (size - RECORD_HEADER_SIZE - 4);
        if end > data.len() {
            return None;
        }
        out.push(RawRecord {
            binxml: start..end,
            id,
            time,
        });
        if id == last_record_id {
            break;
        }
        offset += size;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: u64, body: usize) -> Vec<u8> {
        let size = (RECORD_HEADER_SIZE + body + 4) as u32;
        let mut r = b"**\0\0".to_vec();
        r.extend_from_slice(&size.to_le_bytes());
        r.extend_from_slice(&id.to_le_bytes());
        r.extend_from_slice(&132_000_000_000_000_000u64.to_le_bytes());
        r.extend(std::iter::repeat_n(0xaa, body));
        r.extend_from_slice(&size.to_le_bytes());
        r
    }

    #[test]
    fn walks_to_the_last_record_or_free_space() {
        let mut chunk = vec![0u8; CHUNK_HEADER_SIZE];
        chunk.extend(record(7, 10));
        chunk.extend(record(8, 20));
        chunk.extend(record(9, 30));
        let free = chunk.len() as u32;
        chunk.resize(65536, 0);
        let all = walk_records(&chunk, free, 9).unwrap();
        assert_eq!(all.iter().map(|r| r.id).collect::<Vec<_>>(), vec![7, 8, 9]);
        assert_eq!(all[0].binxml, 536..546);
        let two = walk_records(&chunk, free, 8).unwrap();
        assert_eq!(two.len(), 2);
        // A broken magic is the crate's business.
        chunk[CHUNK_HEADER_SIZE + 38] = b'x';
        assert!(walk_records(&chunk, free, 9).is_none());
    }
}
