//! Events as Splunk sees them: the field names of the Windows and Sysmon add-ons.
//!
//! Raw XML names (`Image`, `QueryName`, `ScriptBlockText`...) read the EventData field of that
//! exact name. Splunk-defined names (`EventCode`, `_time`, `Computer`, `Channel`, `source`,
//! `UserID`...) read the System block. The add-on aliases (`process_name`, `process`, `dest`,
//! `user`, `parent_process_name`, `query`...) are derived per event type. The CIM datamodel
//! `Endpoint.Processes` (`Processes.<field>`) exposes the same derived fields, over Sysmon 1 and
//! Security 4688 only. Names are resolved once, at compile time, to a [`Key`]; empty values
//! count as absent.

use super::value::Value;
use crate::event::Event;
use std::borrow::Cow;

pub use super::cim::{alias_of, cim_fields, Alias, ALIASES};

/// Channel names.
pub const SYSMON: &str = "Microsoft-Windows-Sysmon/Operational";
/// PowerShell operational channel.
pub const POWERSHELL: &str = "Microsoft-Windows-PowerShell/Operational";
/// Security channel.
pub const SECURITY: &str = "Security";

/// Which namespace field names are resolved in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ctx {
    /// A raw event search: XML names, System names, add-on aliases.
    Raw,
    /// `tstats ... from datamodel=Endpoint.Processes`: `Processes.<cim field>`, over Sysmon 1
    /// and Security 4688.
    Processes,
    /// `tstats ... from datamodel=Network_Resolution`: `DNS.<cim field>`, over Sysmon 22.
    Dns,
    /// `tstats ... from datamodel=Endpoint.Registry`: `Registry.<cim field>`, over Sysmon
    /// 12, 13, 14.
    Registry,
    /// `tstats ... from datamodel=Endpoint.Filesystem`: `Filesystem.<cim field>`, over Sysmon
    /// 11, 23, 26.
    Filesystem,
}

impl Ctx {
    /// The datamodel of a `tstats from datamodel=` name.
    pub fn of_datamodel(name: &str) -> Option<Ctx> {
        match name.to_ascii_lowercase().as_str() {
            "endpoint.processes" => Some(Ctx::Processes),
            "network_resolution" | "network_resolution.dns" => Some(Ctx::Dns),
            "endpoint.registry" => Some(Ctx::Registry),
            "endpoint.filesystem" => Some(Ctx::Filesystem),
            _ => None,
        }
    }

    /// The field prefix of a datamodel context (`Processes.`, `DNS.`).
    pub fn prefix(self) -> &'static str {
        match self {
            Ctx::Raw => "",
            Ctx::Processes => "Processes.",
            Ctx::Dns => "DNS.",
            Ctx::Registry => "Registry.",
            Ctx::Filesystem => "Filesystem.",
        }
    }

    /// Whether events of a kind belong to this context's datamodel (always, for raw searches).
    pub fn admits(self, kind: Kind) -> bool {
        match self {
            Ctx::Raw => true,
            Ctx::Processes => matches!(kind, Kind::SysmonProcess | Kind::Security4688),
            Ctx::Dns => kind == Kind::SysmonDns,
            Ctx::Registry => kind == Kind::SysmonRegistry,
            Ctx::Filesystem => kind == Kind::SysmonFile,
        }
    }

    /// The Sysmon event ids of a datamodel context (empty for raw searches and Processes,
    /// which also covers Security 4688).
    pub fn sysmon_ids(self) -> &'static [u32] {
        match self {
            Ctx::Raw => &[],
            Ctx::Processes => &[1],
            Ctx::Dns => &[22],
            Ctx::Registry => &[12, 13, 14],
            Ctx::Filesystem => &[11, 23, 26],
        }
    }
}

/// System values with a Splunk name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sys {
    /// `_time`: epoch seconds.
    Time,
    /// `EventCode`, `EventID`.
    EventCode,
    /// `Computer`.
    Computer,
    /// `Channel`.
    Channel,
    /// `source`: `XmlWinEventLog:<Channel>`.
    Source,
    /// `sourcetype`: `xmlwineventlog`.
    SourceType,
    /// `UserID`: the System security identifier.
    UserId,
    /// `Name` (of the provider).
    Provider,
    /// `RecordNumber`, `EventRecordID`.
    RecordNumber,
    /// `Level`.
    Level,
    /// `SystemTime`: RFC 3339.
    SystemTime,
    /// Another System value, by its normalized name (`Execution_ProcessID`, `Opcode`...).
    Other(&'static str),
}

/// A field name resolved for one context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    /// A System value.
    Sys(Sys),
    /// An EventData field, then a System value, then an alias.
    Data {
        /// The XML name.
        name: Box<str>,
        /// System fallback.
        sys: Option<Sys>,
        /// Add-on alias fallback.
        alias: Option<Alias>,
    },
    /// A derived (CIM) field only.
    Alias(Alias),
    /// A name the context never provides.
    Missing,
}

fn sys_name(name: &str) -> Option<(Sys, bool)> {
    // (key, whether an EventData field of the same name takes precedence)
    Some(match name {
        "_time" => (Sys::Time, false),
        "EventCode" | "EventID" => (Sys::EventCode, false),
        "Computer" | "ComputerName" => (Sys::Computer, false),
        "Channel" | "EventChannel" => (Sys::Channel, false),
        "source" => (Sys::Source, false),
        "sourcetype" => (Sys::SourceType, false),
        "UserID" => (Sys::UserId, false),
        "Name" => (Sys::Provider, true),
        "RecordNumber" | "EventRecordID" | "RecordID" => (Sys::RecordNumber, false),
        "Level" => (Sys::Level, true),
        "SystemTime" => (Sys::SystemTime, true),
        "ProcessID" => (Sys::Other("Execution_ProcessID"), true),
        "ThreadID" => (Sys::Other("Execution_ThreadID"), true),
        "Guid" => (Sys::Other("Provider_Guid"), true),
        "ActivityID" => (Sys::Other("Correlation_ActivityID"), true),
        "Opcode" => (Sys::Other("Opcode"), true),
        "Task" => (Sys::Other("Task"), true),
        "Keywords" => (Sys::Other("Keywords"), true),
        "Version" => (Sys::Other("Version"), true),
        _ => return None,
    })
}

/// Resolve a field name in a context.
pub fn resolve(name: &str, ctx: Ctx) -> Key {
    match ctx {
        Ctx::Raw => match sys_name(name) {
            Some((sys, false)) => Key::Sys(sys),
            Some((sys, true)) => Key::Data {
                name: name.into(),
                sys: Some(sys),
                alias: None,
            },
            None => Key::Data {
                name: name.into(),
                sys: None,
                alias: alias_of(name),
            },
        },
        _ => match name.strip_prefix(ctx.prefix()) {
            Some(cim) => cim_fields(ctx)
                .find(|(n, _)| *n == cim)
                .map(|(_, a)| Key::Alias(a))
                .unwrap_or(Key::Missing),
            None => match name {
                "_time" => Key::Sys(Sys::Time),
                "host" => Key::Alias(Alias::Dest),
                "source" => Key::Sys(Sys::Source),
                "sourcetype" => Key::Sys(Sys::SourceType),
                _ => Key::Missing,
            },
        },
    }
}

/// The kind of event, for alias derivation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Sysmon process creation (EID 1).
    SysmonProcess,
    /// Sysmon DNS query (EID 22).
    SysmonDns,
    /// Sysmon registry events (EID 12, 13, 14).
    SysmonRegistry,
    /// Sysmon file create and delete (EID 11, 23, 26).
    SysmonFile,
    /// Another Sysmon event.
    SysmonOther,
    /// Security 4688 process creation.
    Security4688,
    /// PowerShell script block (4104).
    PowerShell4104,
    /// Anything else.
    Other,
}

/// Classify an event.
pub fn kind_of(ev: &Event) -> Kind {
    if ev.channel.eq_ignore_ascii_case(SYSMON) {
        match ev.event_id {
            1 => Kind::SysmonProcess,
            22 => Kind::SysmonDns,
            12..=14 => Kind::SysmonRegistry,
            11 | 23 | 26 => Kind::SysmonFile,
            _ => Kind::SysmonOther,
        }
    } else if ev.event_id == 4688 && ev.channel.eq_ignore_ascii_case(SECURITY) {
        Kind::Security4688
    } else if ev.event_id == 4104 && ev.channel.eq_ignore_ascii_case(POWERSHELL) {
        Kind::PowerShell4104
    } else {
        Kind::Other
    }
}

/// One event seen through the add-ons.
#[derive(Clone, Copy)]
pub struct EventView<'e> {
    /// The event.
    pub ev: &'e Event,
    /// Its kind.
    pub kind: Kind,
}

/// `Some` for a non-empty text.
pub fn non_empty(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

/// The file name part of a Windows or POSIX path.
pub fn basename(path: &str) -> &str {
    path.rsplit(['\\', '/']).next().unwrap_or(path)
}

/// Epoch seconds of a timestamp, with fraction.
pub fn epoch(t: jiff::Timestamp) -> f64 {
    t.as_second() as f64 + f64::from(t.subsec_nanosecond()) / 1e9
}

impl<'e> EventView<'e> {
    /// View an event.
    pub fn new(ev: &'e Event) -> EventView<'e> {
        EventView {
            ev,
            kind: kind_of(ev),
        }
    }

    /// An EventData field by exact name (first value), non-empty.
    pub fn data(&self, name: &str) -> Option<&'e str> {
        self.ev
            .data
            .iter()
            .find(|f| &*f.name == name)
            .and_then(|f| non_empty(&f.value))
    }

    fn system_other(&self, name: &str) -> Option<&'e str> {
        self.ev
            .system
            .iter()
            .find(|f| &*f.name == name)
            .and_then(|f| non_empty(&f.value))
    }

    /// A System value.
    pub fn sys(&self, s: Sys) -> Option<Cow<'e, str>> {
        let ev = self.ev;
        Some(match s {
            Sys::Time => Cow::Owned(super::value::format_num(epoch(ev.time))),
            Sys::EventCode => Cow::Owned(ev.event_id.to_string()),
            Sys::Computer => Cow::Borrowed(non_empty(&ev.computer)?),
            Sys::Channel => Cow::Borrowed(non_empty(&ev.channel)?),
            Sys::Source => Cow::Owned(format!("XmlWinEventLog:{}", ev.channel)),
            Sys::SourceType => Cow::Borrowed("xmlwineventlog"),
            Sys::UserId => Cow::Borrowed(non_empty(&ev.user_id)?),
            Sys::Provider => Cow::Borrowed(non_empty(&ev.provider)?),
            Sys::RecordNumber => Cow::Owned(ev.record_id.to_string()),
            Sys::Level => Cow::Owned(ev.level.to_string()),
            Sys::SystemTime => Cow::Owned(crate::util::time::rfc3339(ev.time)),
            Sys::Other(n) => Cow::Borrowed(self.system_other(n)?),
        })
    }

    /// A field by resolved key (first value).
    pub fn get(&self, key: &Key) -> Option<Cow<'e, str>> {
        match key {
            Key::Sys(s) => self.sys(*s),
            Key::Data { name, sys, alias } => {
                if let Some(v) = self.data(name) {
                    return Some(Cow::Borrowed(v));
                }
                if let Some(s) = sys {
                    if let Some(v) = self.sys(*s) {
                        return Some(v);
                    }
                }
                alias.and_then(|a| self.alias(a))
            }
            Key::Alias(a) => self.alias(*a),
            Key::Missing => None,
        }
    }

    /// A field as a value: its text, or a multivalue when EventData repeats the name (no list
    /// is built for the usual single value).
    pub fn value(&self, key: &Key) -> Value {
        if let Key::Data { name, .. } = key {
            let mut repeated = self
                .ev
                .data
                .iter()
                .filter(|f| *f.name == **name && !f.value.is_empty());
            if let (Some(first), Some(second)) = (repeated.next(), repeated.next()) {
                let mut all = vec![first.value.to_string(), second.value.to_string()];
                all.extend(repeated.map(|f| f.value.to_string()));
                return Value::Multi(all);
            }
        }
        match self.get(key) {
            Some(v) => Value::Str(v.into_owned()),
            None => Value::Null,
        }
    }

    /// Every field this view can give for the event, raw and derived (for wildcard references).
    pub fn all_fields(&self, ctx: Ctx) -> Vec<(String, Vec<String>)> {
        let mut out: Vec<(String, Vec<String>)> = Vec::new();
        let mut push =
            |name: String, v: Cow<'_, str>| match out.iter_mut().find(|(n, _)| *n == name) {
                Some((_, vals)) => vals.push(v.into_owned()),
                None => out.push((name, vec![v.into_owned()])),
            };
        match ctx {
            Ctx::Raw => {
                for f in &self.ev.data {
                    if !f.value.is_empty() {
                        push(f.name.to_string(), Cow::Borrowed(&f.value));
                    }
                }
                for (n, s) in [
                    ("_time", Sys::Time),
                    ("EventCode", Sys::EventCode),
                    ("Computer", Sys::Computer),
                    ("Channel", Sys::Channel),
                    ("source", Sys::Source),
                    ("sourcetype", Sys::SourceType),
                    ("UserID", Sys::UserId),
                    ("RecordNumber", Sys::RecordNumber),
                ] {
                    if let Some(v) = self.sys(s) {
                        push(n.to_string(), v);
                    }
                }
                for (n, a) in ALIASES {
                    if let Some(v) = self.alias(*a) {
                        if !self.ev.data.iter().any(|f| &*f.name == *n) {
                            push(n.to_string(), v);
                        }
                    }
                }
            }
            _ => {
                if let Some(v) = self.sys(Sys::Time) {
                    push("_time".into(), v);
                }
                for (n, a) in cim_fields(ctx) {
                    if let Some(v) = self.alias(a) {
                        push(format!("{}{n}", ctx.prefix()), v);
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_resolve_per_context() {
        assert_eq!(resolve("EventCode", Ctx::Raw), Key::Sys(Sys::EventCode));
        assert_eq!(
            resolve("process_name", Ctx::Raw),
            Key::Data {
                name: "process_name".into(),
                sys: None,
                alias: Some(Alias::ProcessName)
            }
        );
        assert_eq!(
            resolve("Processes.process_name", Ctx::Processes),
            Key::Alias(Alias::ProcessName)
        );
        assert_eq!(resolve("Processes.nope", Ctx::Processes), Key::Missing);
        assert_eq!(resolve("Image", Ctx::Processes), Key::Missing);
        assert_eq!(resolve("DNS.query", Ctx::Dns), Key::Alias(Alias::Query));
        assert_eq!(resolve("host", Ctx::Dns), Key::Alias(Alias::Dest));
    }

    #[test]
    fn basenames() {
        assert_eq!(basename("C:\\Windows\\cmd.exe"), "cmd.exe");
        assert_eq!(basename("/usr/bin/id"), "id");
    }
}
