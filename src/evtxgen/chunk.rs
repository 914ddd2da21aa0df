//! One 64 KiB chunk being filled: its bytes, its string table (names inline, chained in 64
//! hash buckets) and its template table (definitions inline, chained in 32 buckets), and the
//! 512-byte `ElfChnk` header with both CRC32s once it is full.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// FNV-1a over 8-byte words: template signatures and names are short keys hashed on every
/// record, where SipHash's DoS resistance buys nothing (the writer hashes its own keys).
#[derive(Default)]
pub(crate) struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            let mut word = [0u8; 8];
            word.copy_from_slice(w);
            h = (h ^ u64::from_le_bytes(word)).wrapping_mul(0x0000_0100_0000_01b3);
            h ^= h >> 29;
        }
        for &b in words.remainder() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
        self.0 = h;
    }

    fn finish(&self) -> u64 {
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^ (h >> 33)
    }
}

type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<KeyHasher>>;

/// Size of a chunk.
pub const CHUNK_SIZE: usize = 65536;
/// Size of the chunk header; records start here.
pub const CHUNK_HEADER_SIZE: usize = 512;

/// The hash Windows stores with a name and uses for its string bucket: for each UTF-16 code
/// unit, `hash = hash * 65599 + unit` (wrapping, 32 bits).
pub fn name_hash(units: impl IntoIterator<Item = u16>) -> u32 {
    units.into_iter().fold(0u32, |h, u| {
        h.wrapping_mul(65599).wrapping_add(u32::from(u))
    })
}

/// The template bucket Windows files a template under: [`name_hash`] of its GUID read as eight
/// little-endian code units, modulo 32.
pub fn template_bucket(guid: &[u8; 16]) -> usize {
    let units = guid
        .chunks_exact(2)
        .map(|p| u16::from_le_bytes([p[0], p[1]]));
    (name_hash(units) % 32) as usize
}

/// A chunk under construction. Offsets are relative to the chunk start, as BinXML wants them.
pub(crate) struct Chunk {
    /// The chunk bytes so far (header placeholder, committed records, the record being written).
    pub(crate) data: Vec<u8>,
    /// Where the committed records end (the free space offset).
    committed: usize,
    names: FastMap<String, u32>,
    name_heads: [u32; 64],
    /// Every name written: (offset, bucket), to rebuild the table over committed names only.
    names_log: Vec<(u32, usize)>,
    templates: FastMap<Vec<u8>, u32>,
    template_heads: [u32; 32],
    templates_log: Vec<(u32, usize)>,
    first_id: u64,
    last_id: u64,
    last_record_offset: u32,
    records: u64,
}

impl Chunk {
    pub(crate) fn new() -> Chunk {
        let mut data = Vec::with_capacity(CHUNK_SIZE + 4096);
        data.resize(CHUNK_HEADER_SIZE, 0);
        Chunk {
            data,
            committed: CHUNK_HEADER_SIZE,
            names: FastMap::default(),
            name_heads: [0; 64],
            names_log: Vec::new(),
            templates: FastMap::default(),
            template_heads: [0; 32],
            templates_log: Vec::new(),
            first_id: 0,
            last_id: 0,
            last_record_offset: 0,
            records: 0,
        }
    }

    /// Empty the chunk for reuse, keeping its allocations.
    pub(crate) fn reset(&mut self) {
        self.data.clear();
        self.data.resize(CHUNK_HEADER_SIZE, 0);
        self.committed = CHUNK_HEADER_SIZE;
        self.names.clear();
        self.name_heads = [0; 64];
        self.names_log.clear();
        self.templates.clear();
        self.template_heads = [0; 32];
        self.templates_log.clear();
        self.records = 0;
    }

    /// The current write position.
    pub(crate) fn pos(&self) -> u32 {
        self.data.len() as u32
    }

    /// Whether no record is committed yet.
    pub(crate) fn is_empty(&self) -> bool {
        self.records == 0
    }

    /// Where the record being written starts.
    pub(crate) fn record_start(&self) -> usize {
        self.committed
    }

    /// Keep the record written since the last commit.
    pub(crate) fn commit(&mut self, record_id: u64) {
        if self.records == 0 {
            self.first_id = record_id;
        }
        self.last_id = record_id;
        self.last_record_offset = self.committed as u32;
        self.committed = self.data.len();
        self.records += 1;
    }

    /// Drop the record written since the last commit. The name and template maps may still
    /// refer to what it wrote, so the chunk must be [`Chunk::reset`] before more records.
    pub(crate) fn rollback(&mut self) {
        self.data.truncate(self.committed);
    }

    /// Whether what is written (committed or not) fits in a chunk.
    pub(crate) fn fits(&self) -> bool {
        self.data.len() <= CHUNK_SIZE
    }

    /// Write a name reference: the offset of the name, followed by the name itself when this is
    /// its first use in the chunk (`next` link, hash, length, UTF-16 text, NUL).
    pub(crate) fn name_ref(&mut self, name: &str) {
        if let Some(&offset) = self.names.get(name) {
            put_u32(&mut self.data, offset);
            return;
        }
        let offset = self.pos() + 4;
        put_u32(&mut self.data, offset);
        let units: Vec<u16> = name.encode_utf16().collect();
        let hash = name_hash(units.iter().copied());
        let bucket = (hash % 64) as usize;
        put_u32(&mut self.data, self.name_heads[bucket]);
        put_u16(&mut self.data, hash as u16);
        put_u16(&mut self.data, units.len() as u16);
        for u in units {
            put_u16(&mut self.data, u);
        }
        put_u16(&mut self.data, 0);
        self.name_heads[bucket] = offset;
        self.names_log.push((offset, bucket));
        self.names.insert(name.to_string(), offset);
    }

    /// The definition offset of the template with this signature, if the chunk has it.
    pub(crate) fn template(&self, signature: &[u8]) -> Option<u32> {
        self.templates.get(signature).copied()
    }

    /// Note a template definition written at `offset`, returning the `next` link to store in
    /// its header (the previous head of its bucket).
    pub(crate) fn add_template(&mut self, signature: &[u8], offset: u32, guid: &[u8; 16]) -> u32 {
        let bucket = template_bucket(guid);
        let next = self.template_heads[bucket];
        self.template_heads[bucket] = offset;
        self.templates_log.push((offset, bucket));
        self.templates.insert(signature.to_vec(), offset);
        next
    }

    /// The finished chunk: header with tables and CRC32s, committed records, zeroed free space.
    pub(crate) fn finish(&mut self) -> &[u8] {
        self.data.truncate(self.committed);
        let free = self.committed;
        self.data.resize(CHUNK_SIZE, 0);
        let mut header = [0u8; CHUNK_HEADER_SIZE];
        header[0..8].copy_from_slice(b"ElfChnk\0");
        // Record numbers are the record ids: the log never wrapped.
        header[8..16].copy_from_slice(&self.first_id.to_le_bytes());
        header[16..24].copy_from_slice(&self.last_id.to_le_bytes());
        header[24..32].copy_from_slice(&self.first_id.to_le_bytes());
        header[32..40].copy_from_slice(&self.last_id.to_le_bytes());
        header[40..44].copy_from_slice(&128u32.to_le_bytes());
        header[44..48].copy_from_slice(&self.last_record_offset.to_le_bytes());
        header[48..52].copy_from_slice(&(free as u32).to_le_bytes());
        let records_crc = crc32fast::hash(&self.data[CHUNK_HEADER_SIZE..free]);
        header[52..56].copy_from_slice(&records_crc.to_le_bytes());
        // Rebuild the bucket heads from committed entries only (the log is in write order and
        // every chain links to older entries, so the last committed entry is each head).
        let mut names = [0u32; 64];
        for &(offset, bucket) in &self.names_log {
            if (offset as usize) < free {
                names[bucket] = offset;
            }
        }
        let mut templates = [0u32; 32];
        for &(offset, bucket) in &self.templates_log {
            if (offset as usize) < free {
                templates[bucket] = offset;
            }
        }
        for (i, offset) in names.iter().enumerate() {
            header[128 + 4 * i..132 + 4 * i].copy_from_slice(&offset.to_le_bytes());
        }
        for (i, offset) in templates.iter().enumerate() {
            header[384 + 4 * i..388 + 4 * i].copy_from_slice(&offset.to_le_bytes());
        }
        let mut hasher = crc32fast::Hasher::new();
        hasher.update(&header[..120]);
        hasher.update(&header[128..]);
        header[124..128].copy_from_slice(&hasher.finalize().to_le_bytes());
        self.data[..CHUNK_HEADER_SIZE].copy_from_slice(&header);
        &self.data
    }
}

/// Append a little-endian u16.
pub(crate) fn put_u16(buf: &mut Vec<u8>, v: u16) {
    buf.extend_from_slice(&v.to_le_bytes());
}

/// Append a little-endian u32.
pub(crate) fn put_u32(buf: &mut Vec<u8>, v: u32) {
    buf.extend_from_slice(&v.to_le_bytes());
}

/// Overwrite a little-endian u32 at `at`.
pub(crate) fn patch_u32(buf: &mut [u8], at: usize, v: u32) {
    if let Some(slot) = buf.get_mut(at..at + 4) {
        slot.copy_from_slice(&v.to_le_bytes());
    }
}

/// Overwrite a little-endian u16 at `at`.
pub(crate) fn patch_u16(buf: &mut [u8], at: usize, v: u16) {
    if let Some(slot) = buf.get_mut(at..at + 2) {
        slot.copy_from_slice(&v.to_le_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_hashes_match_windows() {
        // Hashes stored beside these names in a Sysmon log written by Windows.
        let h = |s: &str| name_hash(s.encode_utf16()) as u16;
        assert_eq!(h("Event"), 0x0cba);
        assert_eq!(h("System"), 0x546f);
        assert_eq!(h("Provider"), 0x7bf1);
        assert_eq!(h("Name"), 0x954b);
        assert_eq!(h("Computer"), 0x6e3b);
        assert_eq!(name_hash("Computer".encode_utf16()) % 64, 0x3b);
    }

    #[test]
    fn template_bucket_matches_windows() {
        // A Sysmon event template that Windows filed in bucket 24.
        let guid = [
            0x75, 0xf5, 0x93, 0x74, 0x8c, 0x51, 0xe2, 0xa5, 0x71, 0xc2, 0x7a, 0x5a, 0x6e, 0x67,
            0x29, 0xe0,
        ];
        assert_eq!(template_bucket(&guid), 24);
    }
}
