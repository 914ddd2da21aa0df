//! Field resolution: how a rule's field names are read from one kind of event.
//!
//! A compiled rule names its fields once, in a slot table. A [`View`] says, for every slot, how
//! to read it from events of one kind. Most rules have one view, which reads every name as it
//! is. Rules whose log source is `process_creation` also get a view for Security 4688, which
//! presents that event under the Sysmon EID 1 names: `Image` reads `NewProcessName`,
//! `ProcessId` is `NewProcessId` in decimal, `User` is `DOMAIN\name`, and fields 4688 does not
//! record (`OriginalFileName`, `Hashes`, ...) are absent. Nothing is copied: the view only
//! redirects lookups, and derived values are built when a rule asks for them.

use crate::event::{Event, FieldValue, SYSTEM_FIELDS};

/// How one field name is read from events of one kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// A System value answered by [`Event::get`] (`EventID`, `Channel`, `Provider_Name`, ...).
    System(Box<str>),
    /// By name: every EventData/UserData value with this name, else the other System values,
    /// else the same name in any letter case.
    Named(Box<str>),
    /// This kind of event never carries the field.
    Absent,
    /// Another field, its `0x` hex value presented in decimal.
    HexAsDecimal(Box<str>),
    /// 4688: `DOMAIN\name` of the new process's account.
    User4688,
    /// 4688: the logon id of the new process's account.
    LogonId4688,
    /// 4688: the integrity level's name from the mandatory label SID.
    IntegrityFromLabel(Box<str>),
}

impl Access {
    /// Read a name as it is.
    pub fn named(name: &str) -> Access {
        if SYSTEM_FIELDS.contains(&name) {
            Access::System(name.into())
        } else {
            Access::Named(name.into())
        }
    }
}

/// Which reading of field names applies to an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewKind {
    /// Names read as they are.
    Direct,
    /// Security 4688 read under Sysmon process-creation names.
    Security4688AsSysmon,
}

impl ViewKind {
    /// The view for an event, given whether the rule maps 4688.
    pub fn for_event(event: &Event, maps_4688: bool) -> ViewKind {
        if maps_4688 && event.event_id == 4688 && event.channel.eq_ignore_ascii_case("Security") {
            ViewKind::Security4688AsSysmon
        } else {
            ViewKind::Direct
        }
    }
}

/// Sysmon EID 1 fields that Security 4688 does not record.
pub const ABSENT_IN_4688: &[&str] = &[
    "UtcTime",
    "ProcessGuid",
    "FileVersion",
    "Description",
    "Product",
    "Company",
    "OriginalFileName",
    "CurrentDirectory",
    "LogonGuid",
    "TerminalSessionId",
    "Hashes",
    "md5",
    "sha1",
    "sha256",
    "Imphash",
    "ParentProcessGuid",
    "ParentCommandLine",
    "ParentUser",
    "RuleName",
];

/// How a Sysmon EID 1 name reads a 4688 event.
pub fn access_4688(name: &str) -> Access {
    match name {
        "Image" => Access::Named("NewProcessName".into()),
        "ParentImage" => Access::Named("ParentProcessName".into()),
        "ProcessId" => Access::HexAsDecimal("NewProcessId".into()),
        "ParentProcessId" => Access::HexAsDecimal("ProcessId".into()),
        "User" => Access::User4688,
        "LogonId" => Access::LogonId4688,
        "IntegrityLevel" => Access::IntegrityFromLabel("MandatoryLabel".into()),
        n if ABSENT_IN_4688.iter().any(|a| a.eq_ignore_ascii_case(n)) => Access::Absent,
        n => Access::named(n),
    }
}

/// For every field slot of a rule, how to read it from one kind of event.
#[derive(Debug, Clone, Default)]
pub struct View {
    /// By slot.
    pub access: Vec<Access>,
}

impl View {
    /// Names read as they are.
    pub fn direct(names: &[String]) -> View {
        View {
            access: names.iter().map(|n| Access::named(n)).collect(),
        }
    }

    /// Security 4688 under Sysmon EID 1 names.
    pub fn security_4688(names: &[String]) -> View {
        View {
            access: names.iter().map(|n| access_4688(n)).collect(),
        }
    }
}

/// Call `f` on every value of a field until it returns `true`. `None` when the event lacks the
/// field; otherwise whether `f` stopped the walk.
pub fn visit<F>(event: &Event, access: &Access, f: &mut F) -> Option<bool>
where
    F: FnMut(FieldValue<'_>) -> bool,
{
    match access {
        Access::System(name) => match event.get(name) {
            Some(v) => Some(f(v)),
            None => visit_named(event, name, f),
        },
        Access::Named(name) => visit_named(event, name, f),
        Access::Absent => None,
        Access::HexAsDecimal(name) => {
            let raw = first(event, name)?;
            Some(match crate::util::parse_int(raw) {
                Some(n) => f(FieldValue::Num(n)),
                None => f(FieldValue::Str(raw)),
            })
        }
        Access::User4688 => {
            let (domain, user, sid) = account_4688(event)?;
            let text = match well_known_account(sid) {
                Some(name) => name.to_string(),
                None if domain.is_empty() || domain == "-" => user.to_string(),
                None => format!("{domain}\\{user}"),
            };
            Some(f(FieldValue::Str(&text)))
        }
        Access::LogonId4688 => {
            let name = if target_is_set(event) {
                "TargetLogonId"
            } else {
                "SubjectLogonId"
            };
            let raw = first(event, name)?;
            Some(f(FieldValue::Str(raw)))
        }
        Access::IntegrityFromLabel(name) => {
            let raw = first(event, name)?;
            Some(f(FieldValue::Str(integrity_name(raw).unwrap_or(raw))))
        }
    }
}

fn visit_named<F>(event: &Event, name: &str, f: &mut F) -> Option<bool>
where
    F: FnMut(FieldValue<'_>) -> bool,
{
    let mut seen = false;
    for field in &event.data {
        if &*field.name == name {
            seen = true;
            if f(FieldValue::Str(&field.value)) {
                return Some(true);
            }
        }
    }
    if seen {
        return Some(false);
    }
    if let Some(field) = event.system.iter().find(|x| &*x.name == name) {
        return Some(f(FieldValue::Str(&field.value)));
    }
    for field in event.data.iter().chain(event.system.iter()) {
        if field.name.eq_ignore_ascii_case(name) {
            seen = true;
            if f(FieldValue::Str(&field.value)) {
                return Some(true);
            }
        }
    }
    if seen {
        return Some(false);
    }
    // Defender names its fields with spaces (`Threat Name`); Sigma rules write `ThreatName`.
    for field in &event.data {
        if field.name.contains(' ') && same_without_spaces(&field.name, name) {
            seen = true;
            if f(FieldValue::Str(&field.value)) {
                return Some(true);
            }
        }
    }
    seen.then_some(false)
}

/// Whether `spaced` equals `plain` once its spaces are dropped (ASCII case-insensitive).
fn same_without_spaces(spaced: &str, plain: &str) -> bool {
    let mut a = spaced.bytes().filter(|b| *b != b' ');
    let mut b = plain.bytes();
    loop {
        match (a.next(), b.next()) {
            (None, None) => return true,
            (Some(x), Some(y)) if x.eq_ignore_ascii_case(&y) => {}
            _ => return false,
        }
    }
}

fn first<'a>(event: &'a Event, name: &str) -> Option<&'a str> {
    event
        .data
        .iter()
        .find(|f| &*f.name == name)
        .map(|f| &*f.value)
}

/// The 4688 "Target" account describes the new process when it differs from the creator.
fn target_is_set(event: &Event) -> bool {
    first(event, "TargetUserName").is_some_and(|u| !u.is_empty() && u != "-")
}

fn account_4688(event: &Event) -> Option<(&str, &str, &str)> {
    let prefix = if target_is_set(event) {
        "Target"
    } else {
        "Subject"
    };
    let user = first(event, &format!("{prefix}UserName"))?;
    let domain = first(event, &format!("{prefix}DomainName")).unwrap_or("");
    let sid = first(event, &format!("{prefix}UserSid")).unwrap_or("");
    Some((domain, user, sid))
}

/// Sysmon shows the service accounts by their English names whatever the machine's name.
fn well_known_account(sid: &str) -> Option<&'static str> {
    Some(match sid {
        "S-1-5-18" => "NT AUTHORITY\\SYSTEM",
        "S-1-5-19" => "NT AUTHORITY\\LOCAL SERVICE",
        "S-1-5-20" => "NT AUTHORITY\\NETWORK SERVICE",
        _ => return None,
    })
}

/// Mandatory label SIDs to the integrity level names Sysmon writes.
pub fn integrity_name(sid: &str) -> Option<&'static str> {
    Some(match sid.trim() {
        "S-1-16-0" => "Untrusted",
        "S-1-16-4096" => "Low",
        "S-1-16-8192" => "Medium",
        "S-1-16-8448" => "MediumPlus",
        "S-1-16-12288" => "High",
        "S-1-16-16384" => "System",
        "S-1-16-20480" => "Protected",
        _ => return None,
    })
}
