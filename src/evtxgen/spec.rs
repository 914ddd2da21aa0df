//! What one event record says: [`EventSpec`], its payload, and the typed System values (GUIDs,
//! SIDs, times) the writer stores in their binary form.

use jiff::Timestamp;
use std::fmt;
use std::str::FromStr;

/// Why a GUID, SID or time given to the writer is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    /// Not a GUID in `{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}` form (braces optional).
    #[error("`{0}` is not a GUID")]
    Guid(String),
    /// Not a SID in `S-1-<authority>-<sub>...` form.
    #[error("`{0}` is not a SID")]
    Sid(String),
}

/// A GUID as Windows stores it: `Data1` (u32), `Data2`, `Data3` (u16) little-endian, then eight
/// bytes as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Guid(pub [u8; 16]);

impl FromStr for Guid {
    type Err = SpecError;

    fn from_str(s: &str) -> Result<Guid, SpecError> {
        let bad = || SpecError::Guid(s.to_string());
        let inner = s
            .strip_prefix('{')
            .and_then(|t| t.strip_suffix('}'))
            .unwrap_or(s);
        let parts: Vec<&str> = inner.split('-').collect();
        let lens = [8, 4, 4, 4, 12];
        if parts.len() != 5 || parts.iter().zip(lens).any(|(p, n)| p.len() != n) {
            return Err(bad());
        }
        let hex: String = parts.concat();
        let mut raw = [0u8; 16];
        for (i, byte) in raw.iter_mut().enumerate() {
            let pair = hex.get(2 * i..2 * i + 2).ok_or_else(bad)?;
            *byte = u8::from_str_radix(pair, 16).map_err(|_| bad())?;
        }
        // Data1..Data3 are stored little-endian.
        let mut out = raw;
        out[0..4].copy_from_slice(&[raw[3], raw[2], raw[1], raw[0]]);
        out[4..6].copy_from_slice(&[raw[5], raw[4]]);
        out[6..8].copy_from_slice(&[raw[7], raw[6]]);
        Ok(Guid(out))
    }
}

impl fmt::Display for Guid {
    /// Upper-case in braces, as Windows shows GUIDs in event text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = &self.0;
        write!(
            f,
            "{{{:08X}-{:04X}-{:04X}-{:02X}{:02X}-",
            u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            u16::from_le_bytes([b[4], b[5]]),
            u16::from_le_bytes([b[6], b[7]]),
            b[8],
            b[9]
        )?;
        for byte in &b[10..16] {
            write!(f, "{byte:02X}")?;
        }
        f.write_str("}")
    }
}

/// A security identifier in its binary form (revision, count, 48-bit authority, sub-authorities).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Sid(Vec<u8>);

impl Sid {
    /// The binary form, as stored in a record.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl FromStr for Sid {
    type Err = SpecError;

    fn from_str(s: &str) -> Result<Sid, SpecError> {
        let bad = || SpecError::Sid(s.to_string());
        let mut parts = s.split('-');
        if !parts.next().is_some_and(|p| p.eq_ignore_ascii_case("S")) {
            return Err(bad());
        }
        let revision: u8 = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        let authority: u64 = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        if authority >= 1 << 48 {
            return Err(bad());
        }
        let subs: Vec<u32> = parts
            .map(|p| p.parse::<u32>().map_err(|_| bad()))
            .collect::<Result<_, _>>()?;
        if subs.len() > 15 {
            return Err(bad());
        }
        let mut out = Vec::with_capacity(8 + 4 * subs.len());
        out.push(revision);
        out.push(subs.len() as u8);
        out.extend_from_slice(&authority.to_be_bytes()[2..]);
        for sub in subs {
            out.extend_from_slice(&sub.to_le_bytes());
        }
        Ok(Sid(out))
    }
}

/// 100-nanosecond intervals between 1601-01-01 and 1970-01-01.
const FILETIME_UNIX_EPOCH: i128 = 116_444_736_000_000_000;

/// A time as a Windows FILETIME (100 ns units since 1601-01-01 UTC); `None` before 1601.
pub fn filetime(t: Timestamp) -> Option<u64> {
    let ticks = t.as_nanosecond().div_euclid(100) + FILETIME_UNIX_EPOCH;
    u64::try_from(ticks).ok()
}

/// One record to write: its System values and its payload.
///
/// [`EventSpec::new`] fills the values most events share (version 0, level 4 "Information",
/// task and opcode 0, keywords `0x8000000000000000`); set the others directly.
#[derive(Debug, Clone, PartialEq)]
pub struct EventSpec {
    /// `Provider/@Name`.
    pub provider: String,
    /// `Provider/@Guid` (left out when `None`).
    pub provider_guid: Option<Guid>,
    /// `Provider/@EventSourceName`, which classic providers have (left out when `None`).
    pub event_source_name: Option<String>,
    /// `Channel`.
    pub channel: String,
    /// `EventID`.
    pub event_id: u16,
    /// `EventID/@Qualifiers` (left out when `None`).
    pub qualifiers: Option<u16>,
    /// `Version`.
    pub version: u8,
    /// `Level`.
    pub level: u8,
    /// `Task`.
    pub task: u16,
    /// `Opcode`.
    pub opcode: u8,
    /// `Keywords`, written as a 64-bit hex value.
    pub keywords: u64,
    /// `TimeCreated/@SystemTime`: when the event happened.
    pub time: Timestamp,
    /// The record header's timestamp; `None` for the same as `time`.
    pub header_time: Option<Timestamp>,
    /// `Correlation/@ActivityID` (left out when `None`).
    pub activity_id: Option<Guid>,
    /// `Execution/@ProcessID`.
    pub process_id: u32,
    /// `Execution/@ThreadID`.
    pub thread_id: u32,
    /// `Computer`.
    pub computer: String,
    /// `Security/@UserID` (left out when `None`).
    pub user_sid: Option<Sid>,
    /// `EventData` or `UserData`.
    pub payload: Payload,
}

/// The part of a record after `System`.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Payload {
    /// Neither `EventData` nor `UserData`.
    #[default]
    None,
    /// `EventData` with one `Data` element per entry: `(Some(name), value)` is
    /// `<Data Name="name">value</Data>`, `(None, value)` is `<Data>value</Data>`.
    EventData(Vec<(Option<String>, String)>),
    /// `UserData` holding one element of leaf elements.
    UserData(UserData),
}

/// `<UserData><element xmlns="..."><leaf>value</leaf>...</element></UserData>`.
#[derive(Debug, Clone, PartialEq)]
pub struct UserData {
    /// The one child of `UserData` (for example `LogFileCleared`).
    pub element: String,
    /// Its `xmlns` attribute, when it has one.
    pub xmlns: Option<String>,
    /// Its leaf elements, `(name, text)`, in order.
    pub fields: Vec<(String, String)>,
}

impl EventSpec {
    /// An event with the common defaults and no payload.
    pub fn new(
        provider: &str,
        channel: &str,
        event_id: u16,
        computer: &str,
        time: Timestamp,
    ) -> EventSpec {
        EventSpec {
            provider: provider.to_string(),
            provider_guid: None,
            event_source_name: None,
            channel: channel.to_string(),
            event_id,
            qualifiers: None,
            version: 0,
            level: 4,
            task: 0,
            opcode: 0,
            keywords: 0x8000_0000_0000_0000,
            time,
            header_time: None,
            activity_id: None,
            process_id: 0,
            thread_id: 0,
            computer: computer.to_string(),
            user_sid: None,
            payload: Payload::None,
        }
    }

    /// Append `<Data Name="name">value</Data>` to the EventData (replacing another payload kind).
    pub fn data(mut self, name: &str, value: &str) -> EventSpec {
        self.push_data(Some(name), value);
        self
    }

    /// Append an unnamed `<Data>value</Data>` to the EventData.
    pub fn unnamed_data(mut self, value: &str) -> EventSpec {
        self.push_data(None, value);
        self
    }

    fn push_data(&mut self, name: Option<&str>, value: &str) {
        let entry = (name.map(str::to_string), value.to_string());
        match &mut self.payload {
            Payload::EventData(fields) => fields.push(entry),
            other => *other = Payload::EventData(vec![entry]),
        }
    }

    /// The record header time: `header_time`, or `time` when unset.
    pub fn record_time(&self) -> Timestamp {
        self.header_time.unwrap_or(self.time)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guid_round_trips_through_windows_layout() {
        let g: Guid = "{5770385F-C22A-43E0-BF4C-06F5698FFBD9}".parse().unwrap();
        assert_eq!(
            g.0,
            [
                0x5f, 0x38, 0x70, 0x57, 0x2a, 0xc2, 0xe0, 0x43, 0xbf, 0x4c, 0x06, 0xf5, 0x69, 0x8f,
                0xfb, 0xd9
            ]
        );
        assert_eq!(g.to_string(), "{5770385F-C22A-43E0-BF4C-06F5698FFBD9}");
        let bare: Guid = "5770385f-c22a-43e0-bf4c-06f5698ffbd9".parse().unwrap();
        assert_eq!(bare, g);
        assert!("{5770385F-C22A-43E0-BF4C}".parse::<Guid>().is_err());
        assert!("{5770385G-C22A-43E0-BF4C-06F5698FFBD9}"
            .parse::<Guid>()
            .is_err());
    }

    #[test]
    fn sid_binary_form() {
        let s: Sid = "S-1-5-18".parse().unwrap();
        assert_eq!(s.as_bytes(), &[1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0]);
        let long: Sid = "S-1-5-21-1587066498-1489273250-1035260531-1108"
            .parse()
            .unwrap();
        assert_eq!(long.as_bytes().len(), 8 + 5 * 4);
        assert!("S-1".parse::<Sid>().is_err());
        assert!("X-1-5".parse::<Sid>().is_err());
        assert!("S-1-5-x".parse::<Sid>().is_err());
    }

    #[test]
    fn filetime_of_known_instant() {
        let t: Timestamp = "2019-02-16T10:01:46.8840384Z".parse().unwrap();
        // The record header above stored 0x01d4c5dea0a005c0 for this instant.
        assert_eq!(filetime(t), Some(0x01d4_c5de_a0a0_05c0));
        let early: Timestamp = "1600-01-01T00:00:00Z".parse().unwrap();
        assert_eq!(filetime(early), None);
    }

    #[test]
    fn data_builder_appends() {
        let t: Timestamp = "2024-01-01T00:00:00Z".parse().unwrap();
        let e = EventSpec::new("P", "C", 1, "H", t)
            .data("A", "1")
            .unnamed_data("2");
        assert_eq!(
            e.payload,
            Payload::EventData(vec![
                (Some("A".to_string()), "1".to_string()),
                (None, "2".to_string())
            ])
        );
        assert_eq!(e.record_time(), t);
    }
}
