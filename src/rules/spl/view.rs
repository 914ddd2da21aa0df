//! Events as Splunk sees them: the field names of the Windows and Sysmon add-ons.
//!
//! Raw XML names (`Image`, `QueryName`, `ScriptBlockText`...) read the EventData field of that
//! exact name. Splunk-defined names (`EventCode`, `_time`, `Computer`, `Channel`, `source`,
//! `UserID`...) read the System block. The add-on aliases (`process_name`, `process`, `dest`,
//! `user`, `parent_process_name`, `query`...) are derived per event type. The CIM datamodel
//! `Endpoint.Processes` (`Processes.<field>`) exposes the same derived fields, over Sysmon 1 and
//! Security 4688 only. Names are resolved once, at compile time, to a [`Key`]; empty values
//! count as absent.

use crate::event::Event;
use std::borrow::Cow;

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
}

impl Ctx {
    /// The datamodel of a `tstats from datamodel=` name.
    pub fn of_datamodel(name: &str) -> Option<Ctx> {
        match name.to_ascii_lowercase().as_str() {
            "endpoint.processes" => Some(Ctx::Processes),
            "network_resolution" | "network_resolution.dns" => Some(Ctx::Dns),
            _ => None,
        }
    }

    /// The field prefix of a datamodel context (`Processes.`, `DNS.`).
    pub fn prefix(self) -> &'static str {
        match self {
            Ctx::Raw => "",
            Ctx::Processes => "Processes.",
            Ctx::Dns => "DNS.",
        }
    }

    /// Whether events of a kind belong to this context's datamodel (always, for raw searches).
    pub fn admits(self, kind: Kind) -> bool {
        match self {
            Ctx::Raw => true,
            Ctx::Processes => matches!(kind, Kind::SysmonProcess | Kind::Security4688),
            Ctx::Dns => kind == Kind::SysmonDns,
        }
    }
}

/// A field derived by the add-ons (and the CIM Processes datamodel).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alias {
    /// `dest`, `dvc`, `host`: the computer name.
    Dest,
    /// `process_name`, `process_exec`: the image file name.
    ProcessName,
    /// `process_path`: the full image path.
    ProcessPath,
    /// `process`: the command line.
    Process,
    /// `process_id` (decimal).
    ProcessId,
    /// `process_guid`.
    ProcessGuid,
    /// `parent_process_name`, `parent_process_exec`.
    ParentProcessName,
    /// `parent_process_path`.
    ParentProcessPath,
    /// `parent_process`: the parent's command line (4688: its path).
    ParentProcess,
    /// `parent_process_id` (decimal).
    ParentProcessId,
    /// `parent_process_guid`.
    ParentProcessGuid,
    /// `user`: `DOMAIN\name` of the process account.
    User,
    /// `user_id`: the System security identifier.
    UserId,
    /// `original_file_name`.
    OriginalFileName,
    /// `process_integrity_level`: `low`, `medium`, `high`, `system`.
    IntegrityLevel,
    /// `process_hash`.
    ProcessHash,
    /// `process_current_directory`.
    CurrentDirectory,
    /// `query`: the DNS name queried.
    Query,
    /// `answer`: the DNS results.
    Answer,
    /// `reply_code_id`: the DNS status.
    ReplyCode,
    /// `src` of a DNS query: the computer that asked.
    Src,
    /// `action`: `allowed` for process creation.
    Action,
    /// `vendor_product`.
    VendorProduct,
    /// `os`.
    Os,
    /// `signature_id`, `event_id`: the event id.
    SignatureId,
    /// `MD5`, `SHA1`, `SHA256`, `IMPHASH` from Sysmon `Hashes`.
    Hash(&'static str),
}

const ALIASES: &[(&str, Alias)] = &[
    ("dest", Alias::Dest),
    ("dvc", Alias::Dest),
    ("host", Alias::Dest),
    ("dvc_nt_host", Alias::Dest),
    ("process_name", Alias::ProcessName),
    ("process_exec", Alias::ProcessName),
    ("process_path", Alias::ProcessPath),
    ("process", Alias::Process),
    ("process_id", Alias::ProcessId),
    ("process_guid", Alias::ProcessGuid),
    ("parent_process_name", Alias::ParentProcessName),
    ("parent_process_exec", Alias::ParentProcessName),
    ("parent_process_path", Alias::ParentProcessPath),
    ("parent_process", Alias::ParentProcess),
    ("parent_process_id", Alias::ParentProcessId),
    ("parent_process_guid", Alias::ParentProcessGuid),
    ("user", Alias::User),
    ("user_id", Alias::UserId),
    ("original_file_name", Alias::OriginalFileName),
    ("process_integrity_level", Alias::IntegrityLevel),
    ("process_hash", Alias::ProcessHash),
    ("process_current_directory", Alias::CurrentDirectory),
    ("query", Alias::Query),
    ("answer", Alias::Answer),
    ("reply_code_id", Alias::ReplyCode),
    ("action", Alias::Action),
    ("vendor_product", Alias::VendorProduct),
    ("os", Alias::Os),
    ("signature_id", Alias::SignatureId),
    ("event_id", Alias::SignatureId),
    ("MD5", Alias::Hash("MD5")),
    ("SHA1", Alias::Hash("SHA1")),
    ("SHA256", Alias::Hash("SHA256")),
    ("IMPHASH", Alias::Hash("IMPHASH")),
];

/// The CIM fields of `Network_Resolution.DNS` this view provides over Sysmon 22.
const DNS_FIELDS: &[(&str, Alias)] = &[
    ("query", Alias::Query),
    ("answer", Alias::Answer),
    ("reply_code_id", Alias::ReplyCode),
    ("src", Alias::Src),
    ("process_name", Alias::ProcessName),
    ("process_path", Alias::ProcessPath),
    ("process_id", Alias::ProcessId),
    ("process_guid", Alias::ProcessGuid),
    ("user", Alias::User),
    ("vendor_product", Alias::VendorProduct),
];

/// The CIM field names of a datamodel context, with their alias.
pub fn cim_fields(ctx: Ctx) -> Box<dyn Iterator<Item = (&'static str, Alias)>> {
    match ctx {
        Ctx::Dns => Box::new(DNS_FIELDS.iter().copied()),
        Ctx::Raw | Ctx::Processes => Box::new(ALIASES.iter().copied().filter(|(n, a)| {
            !matches!(
                a,
                Alias::Query
                    | Alias::Answer
                    | Alias::ReplyCode
                    | Alias::Src
                    | Alias::Hash(_)
                    | Alias::SignatureId
            ) && !matches!(*n, "dvc" | "host" | "dvc_nt_host" | "event_id")
        })),
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

/// The alias a name stands for, if any.
pub fn alias_of(name: &str) -> Option<Alias> {
    ALIASES.iter().find(|(n, _)| *n == name).map(|(_, a)| *a)
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
        Ctx::Processes | Ctx::Dns => match name.strip_prefix(ctx.prefix()) {
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

fn non_empty(s: &str) -> Option<&str> {
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

    /// Every value of a field (repeated EventData names give several).
    pub fn get_all(&self, key: &Key) -> Vec<Cow<'e, str>> {
        if let Key::Data { name, .. } = key {
            let vals: Vec<Cow<'e, str>> = self
                .ev
                .data
                .iter()
                .filter(|f| *f.name == **name && !f.value.is_empty())
                .map(|f| Cow::Borrowed(&*f.value))
                .collect();
            if vals.len() > 1 {
                return vals;
            }
        }
        self.get(key).into_iter().collect()
    }

    /// A derived field.
    pub fn alias(&self, a: Alias) -> Option<Cow<'e, str>> {
        use Kind::*;
        let k = self.kind;
        let sysmon = matches!(k, SysmonProcess | SysmonDns | SysmonOther);
        let b = Cow::Borrowed;
        match a {
            Alias::Dest => Some(b(non_empty(&self.ev.computer)?)),
            Alias::ProcessName if sysmon => self.data("Image").map(basename).map(b),
            Alias::ProcessName if k == Security4688 => {
                self.data("NewProcessName").map(basename).map(b)
            }
            Alias::ProcessPath if sysmon => self.data("Image").map(b),
            Alias::ProcessPath if k == Security4688 => self.data("NewProcessName").map(b),
            Alias::Process if k == SysmonProcess || k == Security4688 => {
                self.data("CommandLine").map(b)
            }
            Alias::ProcessId if sysmon => self.data("ProcessId").map(b),
            Alias::ProcessId if k == Security4688 => self.data("NewProcessId").map(hex_to_dec),
            Alias::ProcessGuid if sysmon => self.data("ProcessGuid").map(b),
            Alias::ParentProcessName if k == SysmonProcess => {
                self.data("ParentImage").map(basename).map(b)
            }
            Alias::ParentProcessName if k == Security4688 => {
                self.data("ParentProcessName").map(basename).map(b)
            }
            Alias::ParentProcessPath if k == SysmonProcess => self.data("ParentImage").map(b),
            Alias::ParentProcessPath | Alias::ParentProcess if k == Security4688 => {
                self.data("ParentProcessName").map(b)
            }
            Alias::ParentProcess if k == SysmonProcess => self.data("ParentCommandLine").map(b),
            Alias::ParentProcessId if k == SysmonProcess => self.data("ParentProcessId").map(b),
            Alias::ParentProcessId if k == Security4688 => self.data("ProcessId").map(hex_to_dec),
            Alias::ParentProcessGuid if k == SysmonProcess => self.data("ParentProcessGuid").map(b),
            Alias::User if sysmon => self.data("User").map(b),
            Alias::User if k == Security4688 => self.user_4688(),
            Alias::UserId => Some(b(non_empty(&self.ev.user_id)?)),
            Alias::OriginalFileName if sysmon => self.data("OriginalFileName").map(b),
            Alias::IntegrityLevel if sysmon => self
                .data("IntegrityLevel")
                .map(|v| Cow::Owned(v.to_ascii_lowercase())),
            Alias::IntegrityLevel if k == Security4688 => self
                .data("MandatoryLabel")
                .and_then(integrity_of_label)
                .map(b),
            Alias::ProcessHash if sysmon => self.data("Hashes").map(b),
            Alias::CurrentDirectory if sysmon => self.data("CurrentDirectory").map(b),
            Alias::Query if k == SysmonDns => self.data("QueryName").map(b),
            Alias::Answer if k == SysmonDns => self.data("QueryResults").map(b),
            Alias::ReplyCode if k == SysmonDns => self.data("QueryStatus").map(b),
            Alias::Src if k == SysmonDns => Some(b(non_empty(&self.ev.computer)?)),
            Alias::Action if k == SysmonProcess || k == Security4688 => Some(b("allowed")),
            Alias::VendorProduct if sysmon => Some(b("Microsoft Sysmon")),
            Alias::VendorProduct => Some(b("Microsoft Windows")),
            Alias::Os if k == SysmonProcess || k == Security4688 => Some(b("Microsoft Windows")),
            Alias::SignatureId => Some(Cow::Owned(self.ev.event_id.to_string())),
            Alias::Hash(which) if sysmon => hash_of(self.data("Hashes")?, which).map(b),
            _ => None,
        }
    }

    fn user_4688(&self) -> Option<Cow<'e, str>> {
        let pick = |user: &str, domain: &str| -> Option<Cow<'e, str>> {
            let u = self.data(user).filter(|u| *u != "-")?;
            Some(match self.data(domain).filter(|d| *d != "-") {
                Some(d) => Cow::Owned(format!("{d}\\{u}")),
                None => Cow::Borrowed(u),
            })
        };
        pick("TargetUserName", "TargetDomainName")
            .or_else(|| pick("SubjectUserName", "SubjectDomainName"))
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
            Ctx::Processes | Ctx::Dns => {
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

/// A `0x` hex process id as decimal (unchanged when it is not hex).
fn hex_to_dec(v: &str) -> Cow<'_, str> {
    match v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
        Some(h) => match u64::from_str_radix(h, 16) {
            Ok(n) => Cow::Owned(n.to_string()),
            Err(_) => Cow::Borrowed(v),
        },
        None => Cow::Borrowed(v),
    }
}

/// The integrity level named by a 4688 `MandatoryLabel` (SID or `Mandatory Label\X Mandatory Level`).
fn integrity_of_label(label: &str) -> Option<&'static str> {
    let l = label.to_ascii_lowercase();
    Some(match l.as_str() {
        "s-1-16-0" => "untrusted",
        "s-1-16-4096" => "low",
        "s-1-16-8192" | "s-1-16-8448" => "medium",
        "s-1-16-12288" => "high",
        "s-1-16-16384" | "s-1-16-20480" | "s-1-16-28672" => "system",
        _ if l.contains("system mandatory") => "system",
        _ if l.contains("high mandatory") => "high",
        _ if l.contains("medium") => "medium",
        _ if l.contains("low mandatory") => "low",
        _ if l.contains("untrusted") => "untrusted",
        _ => return None,
    })
}

/// One hash out of Sysmon's `Hashes` (`SHA1=..,MD5=..,SHA256=..,IMPHASH=..`).
fn hash_of<'a>(hashes: &'a str, which: &str) -> Option<&'a str> {
    hashes.split(',').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        k.trim().eq_ignore_ascii_case(which).then_some(v.trim())
    })
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
    fn helpers() {
        assert_eq!(basename("C:\\Windows\\cmd.exe"), "cmd.exe");
        assert_eq!(hex_to_dec("0xf84"), "3972");
        assert_eq!(integrity_of_label("S-1-16-12288"), Some("high"));
        assert_eq!(
            integrity_of_label("Mandatory Label\\System Mandatory Level"),
            Some("system")
        );
        assert_eq!(hash_of("SHA1=AA,MD5=BB", "md5"), Some("BB"));
    }
}
