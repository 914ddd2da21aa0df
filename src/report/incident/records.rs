//! The context records: process creations, DNS queries and script block fragments, each cut
//! down from an [`Event`] to the few fields the incident report shows.

use crate::event::{Event, Source};
use crate::util::sanitize::truncate_chars;
use jiff::Timestamp;
use std::sync::Arc;

/// Sysmon's channel.
pub const SYSMON_CHANNEL: &str = "Microsoft-Windows-Sysmon/Operational";
/// Most characters kept of a command line or image path.
pub const MAX_VALUE_CHARS: usize = 8_192;
/// Which log a process creation came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProcessSource {
    /// Sysmon event 1.
    Sysmon,
    /// Security event 4688.
    Security,
}

/// A process creation, cut down to what lineage needs.
#[derive(Debug, Clone)]
pub struct ProcessRecord {
    /// `Computer`.
    pub computer: Arc<str>,
    /// `TimeCreated`.
    pub time: Timestamp,
    /// Sysmon 1 or Security 4688.
    pub kind: ProcessSource,
    /// `EventRecordID`.
    pub record_id: u64,
    /// The log file.
    pub source: Arc<Source>,
    /// Sysmon `ProcessGuid`.
    pub guid: Option<Box<str>>,
    /// Sysmon `ParentProcessGuid`.
    pub parent_guid: Option<Box<str>>,
    /// Sysmon `ProcessId`, 4688 `NewProcessId` (hex in the log).
    pub pid: Option<u64>,
    /// Sysmon `ParentProcessId`, 4688 `ProcessId` (the creator).
    pub ppid: Option<u64>,
    /// `Image` / `NewProcessName`.
    pub image: Box<str>,
    /// `CommandLine`.
    pub command_line: Box<str>,
    /// `ParentImage` / `ParentProcessName`.
    pub parent_image: Box<str>,
    /// `ParentCommandLine` (Sysmon only).
    pub parent_command_line: Box<str>,
    /// `User`, or the 4688 target (else subject) account as `DOMAIN\name`.
    pub user: Box<str>,
}

/// A DNS query (Sysmon 22).
#[derive(Debug, Clone)]
pub struct DnsRecord {
    /// `Computer`.
    pub computer: Arc<str>,
    /// `TimeCreated`.
    pub time: Timestamp,
    /// `ProcessGuid`.
    pub guid: Option<Box<str>>,
    /// `ProcessId`.
    pub pid: Option<u64>,
    /// `Image`.
    pub image: Box<str>,
    /// `QueryName`.
    pub query: Box<str>,
    /// `QueryResults`.
    pub results: Box<str>,
    /// `QueryStatus`.
    pub status: Box<str>,
    /// `EventRecordID`.
    pub record_id: u64,
}

/// One 4104 fragment of a script block.
#[derive(Debug, Clone)]
pub struct ScriptFragment {
    /// `Computer`.
    pub computer: Arc<str>,
    /// `ScriptBlockId`.
    pub script_id: Box<str>,
    /// `MessageNumber` (1-based).
    pub number: u32,
    /// `MessageTotal`.
    pub total: u32,
    /// `ScriptBlockText`.
    pub text: Box<str>,
    /// `Path` (the script file, when there is one).
    pub path: Box<str>,
    /// `TimeCreated`.
    pub time: Timestamp,
    /// `EventRecordID`.
    pub record_id: u64,
}

/// Whether an event is a Sysmon process creation.
pub fn is_sysmon(ev_channel: &str, event_id: u32, wanted: u32) -> bool {
    event_id == wanted && ev_channel.eq_ignore_ascii_case(SYSMON_CHANNEL)
}

/// Whether a hit's event is a process creation (Sysmon 1 or Security 4688).
pub fn is_process_creation(channel: &str, event_id: u32) -> bool {
    is_sysmon(channel, event_id, 1)
        || (event_id == 4688 && channel.eq_ignore_ascii_case("Security"))
}

/// Whether a hit's event is a PowerShell script block (4104).
pub fn is_script_block(channel: &str, event_id: u32) -> bool {
    event_id == 4104 && channel.to_ascii_lowercase().contains("powershell")
}

/// A process id as Windows writes it (decimal, or `0x` hex in 4688).
pub fn parse_pid(s: &str) -> Option<u64> {
    crate::util::parse_int(s).and_then(|v| u64::try_from(v).ok())
}

pub(super) fn text(ev: &Event, name: &str) -> Box<str> {
    ev.get_str(name)
        .map(|v| {
            truncate_chars(&v, MAX_VALUE_CHARS)
                .into_owned()
                .into_boxed_str()
        })
        .unwrap_or_default()
}

pub(super) fn opt_text(ev: &Event, name: &str) -> Option<Box<str>> {
    ev.get_str(name).filter(|v| !v.is_empty()).map(|v| {
        truncate_chars(&v, MAX_VALUE_CHARS)
            .into_owned()
            .into_boxed_str()
    })
}

/// The 4688 account of the new process (`TargetDomainName\TargetUserName`), else its creator.
fn account_4688(ev: &Event) -> Box<str> {
    let pick = |user: &str, domain: &str| -> Option<String> {
        let u = ev.get_str(user)?;
        if u.is_empty() || u == "-" {
            return None;
        }
        Some(
            match ev.get_str(domain).filter(|d| !d.is_empty() && d != "-") {
                Some(d) => format!("{d}\\{u}"),
                None => u.into_owned(),
            },
        )
    };
    pick("TargetUserName", "TargetDomainName")
        .or_else(|| pick("SubjectUserName", "SubjectDomainName"))
        .unwrap_or_default()
        .into_boxed_str()
}

/// A process creation record from an event, if it is one.
pub fn process_record(ev: &Event) -> Option<ProcessRecord> {
    let computer: Arc<str> = Arc::from(&*ev.computer);
    if is_sysmon(&ev.channel, ev.event_id, 1) {
        return Some(ProcessRecord {
            computer,
            time: ev.time,
            kind: ProcessSource::Sysmon,
            record_id: ev.record_id,
            source: Arc::clone(&ev.source),
            guid: opt_text(ev, "ProcessGuid"),
            parent_guid: opt_text(ev, "ParentProcessGuid"),
            pid: ev.get_str("ProcessId").and_then(|v| parse_pid(&v)),
            ppid: ev.get_str("ParentProcessId").and_then(|v| parse_pid(&v)),
            image: text(ev, "Image"),
            command_line: text(ev, "CommandLine"),
            parent_image: text(ev, "ParentImage"),
            parent_command_line: text(ev, "ParentCommandLine"),
            user: text(ev, "User"),
        });
    }
    if is_process_creation(&ev.channel, ev.event_id) {
        return Some(ProcessRecord {
            computer,
            time: ev.time,
            kind: ProcessSource::Security,
            record_id: ev.record_id,
            source: Arc::clone(&ev.source),
            guid: None,
            parent_guid: None,
            pid: ev.get_str("NewProcessId").and_then(|v| parse_pid(&v)),
            ppid: ev.get_str("ProcessId").and_then(|v| parse_pid(&v)),
            image: text(ev, "NewProcessName"),
            command_line: text(ev, "CommandLine"),
            parent_image: text(ev, "ParentProcessName"),
            parent_command_line: Box::from(""),
            user: account_4688(ev),
        });
    }
    None
}

/// A script block fragment from a 4104 event.
pub fn fragment(ev: &Event) -> ScriptFragment {
    let num = |name: &str| {
        ev.get_str(name)
            .and_then(|v| crate::util::parse_int(&v))
            .and_then(|v| u32::try_from(v).ok())
            .unwrap_or(1)
    };
    ScriptFragment {
        computer: Arc::from(&*ev.computer),
        script_id: ev.get_str("ScriptBlockId").unwrap_or_default().into(),
        number: num("MessageNumber"),
        total: num("MessageTotal"),
        text: ev.get_str("ScriptBlockText").unwrap_or_default().into(),
        path: text(ev, "Path"),
        time: ev.time,
        record_id: ev.record_id,
    }
}
