//! Derived fields: the Splunk add-on aliases of raw searches and the CIM datamodel fields of
//! `tstats`, computed per event type from the raw EventData.
//!
//! | datamodel | prefix | events |
//! |---|---|---|
//! | `Endpoint.Processes` | `Processes.` | Sysmon 1, Security 4688 |
//! | `Network_Resolution` | `DNS.` | Sysmon 22 |
//! | `Endpoint.Registry` | `Registry.` | Sysmon 12, 13, 14 |
//! | `Endpoint.Filesystem` | `Filesystem.` | Sysmon 11, 23, 26 |

use super::view::{basename, non_empty, Ctx, EventView, Kind};
use std::borrow::Cow;

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
    /// `registry_path`: Sysmon TargetObject.
    RegistryPath,
    /// `registry_key_name`: the key's last component.
    RegistryKeyName,
    /// `registry_value_name`: the value's name (value events).
    RegistryValueName,
    /// `registry_value_data`: Sysmon Details.
    RegistryValueData,
    /// `registry_hive`: the first path component (`HKLM`, `HKU`...).
    RegistryHive,
    /// `file_path`: Sysmon TargetFilename.
    FilePath,
    /// `file_name`: its last component.
    FileName,
    /// `file_create_time`: Sysmon CreationUtcTime.
    FileCreateTime,
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

impl Alias {
    /// The EventData fields this alias is a verbatim value or slice of, over every kind of
    /// event (`process_name` is the end of Sysmon's `Image` or 4688's `NewProcessName`), so a
    /// literal in the alias is in one of them; `None` for aliases the add-ons compute.
    pub fn raw_sources(self) -> Option<&'static [&'static str]> {
        Some(match self {
            Alias::ProcessName | Alias::ProcessPath => &["Image", "NewProcessName"],
            Alias::Process => &["CommandLine"],
            Alias::ParentProcessName | Alias::ParentProcessPath => {
                &["ParentImage", "ParentProcessName"]
            }
            Alias::ParentProcess => &["ParentCommandLine", "ParentProcessName"],
            Alias::OriginalFileName => &["OriginalFileName"],
            Alias::ProcessGuid => &["ProcessGuid"],
            Alias::ParentProcessGuid => &["ParentProcessGuid"],
            Alias::ProcessHash => &["Hashes"],
            Alias::CurrentDirectory => &["CurrentDirectory"],
            Alias::Query => &["QueryName"],
            Alias::Answer => &["QueryResults"],
            Alias::RegistryPath | Alias::RegistryKeyName | Alias::RegistryValueName => {
                &["TargetObject"]
            }
            Alias::RegistryValueData => &["Details"],
            Alias::FilePath | Alias::FileName => &["TargetFilename"],
            _ => return None,
        })
    }
}

/// The add-on aliases of raw searches (also the `Endpoint.Processes` CIM fields).
pub const ALIASES: &[(&str, Alias)] = &[
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
    ("registry_path", Alias::RegistryPath),
    ("registry_key_name", Alias::RegistryKeyName),
    ("registry_value_name", Alias::RegistryValueName),
    ("registry_value_data", Alias::RegistryValueData),
    ("registry_hive", Alias::RegistryHive),
    ("file_path", Alias::FilePath),
    ("file_name", Alias::FileName),
    ("file_create_time", Alias::FileCreateTime),
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

/// The CIM fields of `Endpoint.Registry` over Sysmon 12, 13, 14.
const REGISTRY_FIELDS: &[(&str, Alias)] = &[
    ("registry_path", Alias::RegistryPath),
    ("registry_key_name", Alias::RegistryKeyName),
    ("registry_value_name", Alias::RegistryValueName),
    ("registry_value_data", Alias::RegistryValueData),
    ("registry_hive", Alias::RegistryHive),
    ("action", Alias::Action),
    ("dest", Alias::Dest),
    ("user", Alias::User),
    ("process_name", Alias::ProcessName),
    ("process_path", Alias::ProcessPath),
    ("process_id", Alias::ProcessId),
    ("process_guid", Alias::ProcessGuid),
    ("vendor_product", Alias::VendorProduct),
];

/// The CIM fields of `Endpoint.Filesystem` over Sysmon 11, 23, 26.
const FILESYSTEM_FIELDS: &[(&str, Alias)] = &[
    ("file_path", Alias::FilePath),
    ("file_name", Alias::FileName),
    ("file_create_time", Alias::FileCreateTime),
    ("action", Alias::Action),
    ("dest", Alias::Dest),
    ("user", Alias::User),
    ("process_name", Alias::ProcessName),
    ("process_path", Alias::ProcessPath),
    ("process_id", Alias::ProcessId),
    ("process_guid", Alias::ProcessGuid),
    ("vendor_product", Alias::VendorProduct),
];

/// The CIM field names of a datamodel context, with their alias.
pub fn cim_fields(ctx: Ctx) -> Box<dyn Iterator<Item = (&'static str, Alias)>> {
    match ctx {
        Ctx::Dns => Box::new(DNS_FIELDS.iter().copied()),
        Ctx::Registry => Box::new(REGISTRY_FIELDS.iter().copied()),
        Ctx::Filesystem => Box::new(FILESYSTEM_FIELDS.iter().copied()),
        Ctx::Raw | Ctx::Processes => Box::new(ALIASES.iter().copied().filter(|(n, a)| {
            !matches!(
                a,
                Alias::Query
                    | Alias::Answer
                    | Alias::ReplyCode
                    | Alias::Src
                    | Alias::RegistryPath
                    | Alias::RegistryKeyName
                    | Alias::RegistryValueName
                    | Alias::RegistryValueData
                    | Alias::RegistryHive
                    | Alias::FilePath
                    | Alias::FileName
                    | Alias::FileCreateTime
                    | Alias::Hash(_)
                    | Alias::SignatureId
            ) && !matches!(*n, "dvc" | "host" | "dvc_nt_host" | "event_id")
        })),
    }
}

/// The alias a name stands for, if any.
pub fn alias_of(name: &str) -> Option<Alias> {
    ALIASES.iter().find(|(n, _)| *n == name).map(|(_, a)| *a)
}

impl<'e> EventView<'e> {
    /// A derived field.
    pub fn alias(&self, a: Alias) -> Option<Cow<'e, str>> {
        use Kind::*;
        let k = self.kind;
        let sysmon = matches!(
            k,
            SysmonProcess | SysmonDns | SysmonRegistry | SysmonFile | SysmonOther
        );
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
            Alias::Action if k == SysmonFile => Some(b(if self.ev.event_id == 11 {
                "created"
            } else {
                "deleted"
            })),
            Alias::Action if k == SysmonRegistry => {
                let t = self.data("EventType").unwrap_or("");
                Some(b(if t.eq_ignore_ascii_case("CreateKey") {
                    "created"
                } else if t.to_ascii_lowercase().starts_with("delete") {
                    "deleted"
                } else {
                    "modified"
                }))
            }
            Alias::RegistryPath if k == SysmonRegistry => self.data("TargetObject").map(b),
            Alias::RegistryKeyName if k == SysmonRegistry => {
                let path = self.data("TargetObject")?;
                Some(b(if self.ev.event_id == 13 {
                    basename(parent_path(path))
                } else {
                    basename(path)
                }))
            }
            Alias::RegistryValueName if k == SysmonRegistry && self.ev.event_id == 13 => {
                self.data("TargetObject").map(basename).map(b)
            }
            Alias::RegistryValueData if k == SysmonRegistry => self.data("Details").map(b),
            Alias::RegistryHive if k == SysmonRegistry => self
                .data("TargetObject")
                .and_then(|p| p.split('\\').next())
                .map(b),
            Alias::FilePath if k == SysmonFile => self.data("TargetFilename").map(b),
            Alias::FileName if k == SysmonFile => self.data("TargetFilename").map(basename).map(b),
            Alias::FileCreateTime if k == SysmonFile => self.data("CreationUtcTime").map(b),
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
}

/// A path without its last component.
fn parent_path(path: &str) -> &str {
    match path.rfind(['\\', '/']) {
        Some(i) => &path[..i],
        None => "",
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
    fn helpers() {
        assert_eq!(hex_to_dec("0xf84"), "3972");
        assert_eq!(integrity_of_label("S-1-16-12288"), Some("high"));
        assert_eq!(
            integrity_of_label("Mandatory Label\\System Mandatory Level"),
            Some("system")
        );
        assert_eq!(hash_of("SHA1=AA,MD5=BB", "md5"), Some("BB"));
        assert_eq!(basename(parent_path("HKLM\\Soft\\Run\\evil")), "Run");
    }
}
