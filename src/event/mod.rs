//! The normalized event: one EVTX record as every detector sees it.
//!
//! A record's `System` block becomes typed fields (time, ids, provider, channel, computer, user,
//! level); every `EventData/Data[@Name]` and every `UserData` leaf becomes a named [`Field`], and
//! unnamed `Data` elements are kept under the name `Data`, in document order. Lookups go through
//! [`Event::get`], a linear scan over a few dozen borrowed strings: no JSON value is built per
//! record.

mod normalize;

pub(crate) use normalize::windows_rendering_str;
pub use normalize::{normalize_xml, NormalizeError};

use jiff::Timestamp;
use std::path::PathBuf;
use std::sync::Arc;

/// Where an event came from: the evidence file it was read from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Source {
    /// The path of the EVTX file as it was discovered.
    pub path: PathBuf,
}

impl Source {
    /// The path as text, lossy for non-UTF-8 names.
    pub fn display(&self) -> String {
        self.path.to_string_lossy().into_owned()
    }
}

/// One named value of a record (EventData, UserData or an extra System attribute).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// The field name: `Data/@Name`, the UserData leaf element, or `Tag_Attr` for System extras.
    /// Shared between the events of one template.
    pub name: Arc<str>,
    /// The value as Windows renders it (GUIDs in braces, SIDs as `S-1-...`, hex as `0x..`).
    pub value: Box<str>,
}

/// A normalized EVTX record.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// The evidence file this record was read from.
    pub source: Arc<Source>,
    /// `System/EventRecordID` (falls back to the record header's id).
    pub record_id: u64,
    /// `System/TimeCreated/@SystemTime` in UTC; the record header time when absent.
    pub time: Timestamp,
    /// The record header's timestamp, which can differ from `time`.
    pub header_time: Timestamp,
    /// `System/Provider/@Name`.
    pub provider: Arc<str>,
    /// `System/Channel`.
    pub channel: Arc<str>,
    /// `System/EventID`.
    pub event_id: u32,
    /// `System/Computer`.
    pub computer: Arc<str>,
    /// `System/Security/@UserID` (empty when absent).
    pub user_id: Arc<str>,
    /// `System/Level`.
    pub level: u8,
    /// Carved from chunk slack space (`--recover`).
    pub recovered: bool,
    /// EventData and UserData values, in document order; unnamed `Data` elements are named `Data`.
    pub data: Vec<Field>,
    /// The other System values, named `Tag` or `Tag_Attr` (`Version`, `Execution_ProcessID`, ...).
    pub system: Vec<Field>,
}

/// The System field names [`Event::get`] answers from typed members.
pub const SYSTEM_FIELDS: &[&str] = &[
    "EventID",
    "Channel",
    "Provider_Name",
    "Provider",
    "Computer",
    "EventRecordID",
    "Level",
    "Security_UserID",
    "UserID",
    "TimeCreated",
    "TimeCreated_SystemTime",
];

/// Store a System leaf element (`<EventID>`, `<Channel>`, ...) the way every reader must: the
/// known ones into typed members, nothing for the elements whose values are attributes
/// (`Provider`, `TimeCreated`, ...), and `false` for any other leaf, which the caller keeps as a
/// System field. `intern` turns the channel (slot 2) and computer (slot 3) into shared strings.
pub(crate) fn store_system_leaf(
    ev: &mut Event,
    name: &str,
    text: &str,
    mut intern: impl FnMut(usize, &str) -> Arc<str>,
) -> bool {
    match name {
        "EventID" => ev.event_id = text.trim().parse().unwrap_or(0),
        "Channel" => ev.channel = intern(2, text),
        "Computer" => ev.computer = intern(3, text),
        "EventRecordID" => {
            if let Ok(id) = text.trim().parse() {
                ev.record_id = id;
            }
        }
        "Level" => ev.level = text.trim().parse().unwrap_or(0),
        "Provider" | "TimeCreated" | "Security" | "Correlation" | "Execution" => {}
        _ => return false,
    }
    true
}

impl Event {
    /// The value of a field by its name: System fields first (`EventID`, `Channel`,
    /// `Provider_Name`, `Computer`, `EventRecordID`, `Level`, `Security_UserID`, `TimeCreated`),
    /// then EventData/UserData, then other System values. Exact name first, then ASCII
    /// case-insensitive.
    pub fn get(&self, name: &str) -> Option<FieldValue<'_>> {
        if let Some(v) = self.get_system(name) {
            return Some(v);
        }
        // One pass per list: an exact name answers at once; the first name equal but for
        // ASCII case is kept in case no exact one follows.
        let mut folded: Option<&Field> = None;
        for list in [&self.data, &self.system] {
            for f in list.iter() {
                if f.name.len() != name.len() {
                    continue;
                }
                if &*f.name == name {
                    return Some(FieldValue::Str(&f.value));
                }
                if folded.is_none() && f.name.eq_ignore_ascii_case(name) {
                    folded = Some(f);
                }
            }
        }
        folded.map(|f| FieldValue::Str(&f.value))
    }

    /// The value of a field as text (numbers formatted in decimal).
    pub fn get_str(&self, name: &str) -> Option<std::borrow::Cow<'_, str>> {
        self.get(name).map(|v| v.as_text())
    }

    /// Every value of a field name (unnamed `Data` elements and repeated names give several).
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.data
            .iter()
            .filter(move |f| &*f.name == name)
            .map(|f| &*f.value)
    }

    fn get_system(&self, name: &str) -> Option<FieldValue<'_>> {
        Some(match name {
            "EventID" => FieldValue::Num(self.event_id as i64),
            "Channel" => FieldValue::Str(&self.channel),
            "Provider_Name" | "Provider" => FieldValue::Str(&self.provider),
            "Computer" => FieldValue::Str(&self.computer),
            "EventRecordID" => FieldValue::Num(self.record_id as i64),
            "Level" => FieldValue::Num(self.level as i64),
            "Security_UserID" | "UserID" if !self.user_id.is_empty() => {
                FieldValue::Str(&self.user_id)
            }
            "TimeCreated" | "TimeCreated_SystemTime" => FieldValue::Time(self.time),
            _ => return None,
        })
    }

    /// Every value of the event, System and data, for keyword (field-less) matching.
    pub fn all_values(&self) -> impl Iterator<Item = FieldValue<'_>> + '_ {
        [
            FieldValue::Num(self.event_id as i64),
            FieldValue::Str(&self.channel),
            FieldValue::Str(&self.provider),
            FieldValue::Str(&self.computer),
        ]
        .into_iter()
        .chain(self.data.iter().map(|f| FieldValue::Str(&f.value)))
    }

    /// The fields that say what happened, for reports: for process creation the image, command
    /// line, parent and user; for DNS the query and image; for script blocks the script text;
    /// otherwise the first data fields.
    pub fn key_fields(&self) -> Vec<(String, String)> {
        let names: &[&str] = match (&*self.channel, self.event_id) {
            ("Microsoft-Windows-Sysmon/Operational", 1) => &[
                "Image",
                "CommandLine",
                "ParentImage",
                "ParentCommandLine",
                "User",
                "ProcessGuid",
                "ParentProcessGuid",
                "ProcessId",
                "Hashes",
            ],
            ("Security", 4688) => &[
                "NewProcessName",
                "CommandLine",
                "ParentProcessName",
                "SubjectUserName",
                "SubjectDomainName",
                "NewProcessId",
                "ProcessId",
            ],
            ("Microsoft-Windows-Sysmon/Operational", 22) => &[
                "QueryName",
                "QueryStatus",
                "QueryResults",
                "Image",
                "ProcessGuid",
                "ProcessId",
            ],
            (_, 4104) => &[
                "ScriptBlockText",
                "ScriptBlockId",
                "MessageNumber",
                "MessageTotal",
                "Path",
            ],
            _ => &[],
        };
        if names.is_empty() {
            return self
                .data
                .iter()
                .take(12)
                .map(|f| (f.name.to_string(), f.value.to_string()))
                .collect();
        }
        names
            .iter()
            .filter_map(|n| self.get_str(n).map(|v| (n.to_string(), v.into_owned())))
            .collect()
    }
}

/// A field value as stored: text, a number or a time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FieldValue<'a> {
    /// Text as rendered.
    Str(&'a str),
    /// An integer System value (EventID, EventRecordID, Level).
    Num(i64),
    /// A timestamp (TimeCreated).
    Time(Timestamp),
}

impl<'a> FieldValue<'a> {
    /// The value as text; numbers in decimal, times in RFC 3339 UTC.
    pub fn as_text(&self) -> std::borrow::Cow<'a, str> {
        match self {
            FieldValue::Str(s) => std::borrow::Cow::Borrowed(s),
            FieldValue::Num(n) => std::borrow::Cow::Owned(n.to_string()),
            FieldValue::Time(t) => std::borrow::Cow::Owned(crate::util::time::rfc3339(*t)),
        }
    }

    /// The value as an integer when it is one (decimal, or `0x` hex).
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            FieldValue::Num(n) => Some(*n),
            FieldValue::Str(s) => crate::util::parse_int(s),
            FieldValue::Time(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_prefers_exact_names_then_folds_case() {
        let mut ev = crate::dispatch::tests::event(
            "Security",
            4688,
            &[("commandline", "lower"), ("Image", "data image")],
        );
        ev.system.push(Field {
            name: "CommandLine".into(),
            value: "system exact".into(),
        });
        ev.system.push(Field {
            name: "Version".into(),
            value: "2".into(),
        });
        // An exact name in System wins over a case-folded one in EventData.
        assert_eq!(ev.get_str("CommandLine").unwrap(), "system exact");
        assert_eq!(ev.get_str("COMMANDLINE").unwrap(), "lower");
        assert_eq!(ev.get_str("image").unwrap(), "data image");
        assert_eq!(ev.get_str("version").unwrap(), "2");
        assert_eq!(ev.get("EventID"), Some(FieldValue::Num(4688)));
        assert!(ev.get("ParentImage").is_none());
    }
}
