//! Events of Windows itself and of PowerShell: Security 4624/4688/1102, System
//! 104/6013/7036/7045, PowerShell 4103/4104.

use super::{fake_hex, fields, guid_text, Account, Host, Proc, POWERSHELL_CHANNEL};
use crate::evtxgen::spec::{EventSpec, Guid, Payload, Sid, UserData};
use jiff::Timestamp;

const SECURITY_GUID: Guid = Guid([
    0x25, 0x96, 0x84, 0x54, 0x78, 0x54, 0x94, 0x49, 0xa5, 0xba, 0x3e, 0x3b, 0x03, 0x28, 0xc3, 0x0d,
]);
const EVENTLOG_GUID: Guid = Guid([
    0xd8, 0xdd, 0x65, 0xfc, 0xef, 0xd6, 0x62, 0x49, 0x83, 0xd5, 0x6e, 0x5c, 0xfe, 0x9c, 0xe1, 0x48,
]);
const POWERSHELL_GUID: Guid = Guid([
    0x3b, 0x85, 0xc1, 0xa0, 0x40, 0x5c, 0x15, 0x4b, 0x87, 0x66, 0x3c, 0xf1, 0xc5, 0x8f, 0x98, 0x5a,
]);
const SCM_GUID: Guid = Guid([
    0xd1, 0x08, 0x59, 0x55, 0xd7, 0xa6, 0x95, 0x46, 0x8e, 0x1e, 0x26, 0x93, 0x1d, 0x20, 0x12, 0xf4,
]);
const EVENTLOG_NS: &str = "http://manifests.microsoft.com/win/2004/08/windows/eventlog";

fn security(host: &Host, event_id: u16, version: u8, task: u16, time: Timestamp) -> EventSpec {
    let mut e = EventSpec::new(
        "Microsoft-Windows-Security-Auditing",
        "Security",
        event_id,
        &host.computer,
        time,
    );
    e.provider_guid = Some(SECURITY_GUID);
    e.version = version;
    e.level = 0;
    e.task = task;
    e.keywords = 0x8020_0000_0000_0000;
    e.process_id = 4;
    e.thread_id = 7000 + u32::from(event_id % 1000);
    e
}

/// What a 4624 logon says besides the accounts.
#[derive(Debug, Clone)]
pub struct Logon<'a> {
    /// Logon type (2 interactive, 3 network, 5 service, 10 remote interactive, ...).
    pub logon_type: u8,
    /// `User32 `, `NtLmSsp `, `Kerberos`, `Advapi  ` (Windows pads some with spaces).
    pub logon_process: &'a str,
    /// `Negotiate`, `NTLM`, `Kerberos`.
    pub auth_package: &'a str,
    /// Source workstation name.
    pub workstation: &'a str,
    /// Source address (`-` when local).
    pub ip: &'a str,
    /// Source port (`-` when local).
    pub port: &'a str,
    /// The process that asked for the logon.
    pub process: (u32, &'a str),
}

/// Security 4624, an account logged on.
pub fn security_logon(
    host: &Host,
    time: Timestamp,
    subject: &Account,
    target: &Account,
    l: &Logon<'_>,
) -> EventSpec {
    let mut e = security(host, 4624, 2, 12544, time);
    let (logon_type, pid) = (l.logon_type.to_string(), format!("{:#x}", l.process.0));
    let logon_guid = format!("{{{}}}", guid_text(&format!("logon{}", target.logon_id)));
    e.payload = fields(&[
        ("SubjectUserSid", &subject.sid),
        ("SubjectUserName", &subject.name),
        ("SubjectDomainName", &subject.domain),
        ("SubjectLogonId", &subject.logon_id),
        ("TargetUserSid", &target.sid),
        ("TargetUserName", &target.name),
        ("TargetDomainName", &target.domain),
        ("TargetLogonId", &target.logon_id),
        ("LogonType", &logon_type),
        ("LogonProcessName", l.logon_process),
        ("AuthenticationPackageName", l.auth_package),
        ("WorkstationName", l.workstation),
        ("LogonGuid", &logon_guid),
        ("TransmittedServices", "-"),
        ("LmPackageName", "-"),
        ("KeyLength", "0"),
        ("ProcessId", &pid),
        ("ProcessName", l.process.1),
        ("IpAddress", l.ip),
        ("IpPort", l.port),
        ("ImpersonationLevel", "%%1833"),
        ("RestrictedAdminMode", "-"),
        ("TargetOutboundUserName", "-"),
        ("TargetOutboundDomainName", "-"),
        ("VirtualAccount", "%%1843"),
        ("TargetLinkedLogonId", "0x0"),
        ("ElevatedToken", "%%1842"),
    ]);
    e
}

/// Security 4688, a process was created (version 2: with the parent and mandatory label).
/// `elevation` is the TokenElevationType (`%%1936` full, `%%1937` elevated, `%%1938` limited).
pub fn security_process_create(
    host: &Host,
    time: Timestamp,
    subject: &Account,
    p: &Proc,
    parent: &Proc,
    elevation: &str,
    label: &str,
) -> EventSpec {
    let mut e = security(host, 4688, 2, 13312, time);
    let (pid, ppid) = (format!("{:#x}", p.pid), format!("{:#x}", parent.pid));
    e.payload = fields(&[
        ("SubjectUserSid", &subject.sid),
        ("SubjectUserName", &subject.name),
        ("SubjectDomainName", &subject.domain),
        ("SubjectLogonId", &subject.logon_id),
        ("NewProcessId", &pid),
        ("NewProcessName", &p.image),
        ("TokenElevationType", elevation),
        ("ProcessId", &ppid),
        ("CommandLine", &p.command_line),
        ("TargetUserSid", "S-1-0-0"),
        ("TargetUserName", "-"),
        ("TargetDomainName", "-"),
        ("TargetLogonId", "0x0"),
        ("ParentProcessName", &parent.image),
        ("MandatoryLabel", label),
    ]);
    e
}

fn eventlog_cleared(host: &Host, channel: &str, event_id: u16, time: Timestamp) -> EventSpec {
    let mut e = EventSpec::new(
        "Microsoft-Windows-Eventlog",
        channel,
        event_id,
        &host.computer,
        time,
    );
    e.provider_guid = Some(EVENTLOG_GUID);
    e.task = 104;
    e.process_id = host.eventlog_pid;
    e.thread_id = 1640;
    e
}

/// Security 1102, the audit log was cleared (UserData `LogFileCleared`).
pub fn security_log_cleared(host: &Host, time: Timestamp, subject: &Account) -> EventSpec {
    let mut e = eventlog_cleared(host, "Security", 1102, time);
    e.keywords = 0x4020_0000_0000_0000;
    e.payload = Payload::UserData(UserData {
        element: "LogFileCleared".to_string(),
        xmlns: Some(EVENTLOG_NS.to_string()),
        fields: vec![
            ("SubjectUserSid".to_string(), subject.sid.clone()),
            ("SubjectUserName".to_string(), subject.name.clone()),
            ("SubjectDomainName".to_string(), subject.domain.clone()),
            ("SubjectLogonId".to_string(), subject.logon_id.clone()),
        ],
    });
    e
}

/// System 104, an event log was cleared (UserData `LogFileCleared`).
pub fn system_log_cleared(
    host: &Host,
    time: Timestamp,
    subject: &Account,
    cleared: &str,
) -> EventSpec {
    let mut e = eventlog_cleared(host, "System", 104, time);
    e.user_sid = subject.sid.parse::<Sid>().ok();
    e.payload = Payload::UserData(UserData {
        element: "LogFileCleared".to_string(),
        xmlns: Some(EVENTLOG_NS.to_string()),
        fields: vec![
            ("SubjectUserName".to_string(), subject.name.clone()),
            ("SubjectDomainName".to_string(), subject.domain.clone()),
            ("Channel".to_string(), cleared.to_string()),
            ("BackupPath".to_string(), String::new()),
        ],
    });
    e
}

fn service_control_manager(host: &Host, event_id: u16, time: Timestamp) -> EventSpec {
    let mut e = EventSpec::new(
        "Service Control Manager",
        "System",
        event_id,
        &host.computer,
        time,
    );
    e.provider_guid = Some(SCM_GUID);
    e.event_source_name = Some("Service Control Manager".to_string());
    e.qualifiers = Some(16384);
    e.keywords = 0x8080_0000_0000_0000;
    e.process_id = host.services_pid;
    e.thread_id = 720;
    e
}

/// System 7045, a service was installed.
pub fn system_service_installed(
    host: &Host,
    time: Timestamp,
    installer_sid: &str,
    name: &str,
    image_path: &str,
    start_type: &str,
    account: &str,
) -> EventSpec {
    let mut e = service_control_manager(host, 7045, time);
    e.user_sid = installer_sid.parse::<Sid>().ok();
    e.payload = fields(&[
        ("ServiceName", name),
        ("ImagePath", image_path),
        ("ServiceType", "user mode service"),
        ("StartType", start_type),
        ("AccountName", account),
    ]);
    e
}

/// System 7036, a service entered a state (`running`, `stopped`).
pub fn system_service_state(host: &Host, time: Timestamp, display: &str, state: &str) -> EventSpec {
    let mut e = service_control_manager(host, 7036, time);
    e.keywords = 0x8080_0000_0000_0000;
    let binary = fake_hex(display, 16);
    e.payload = fields(&[("param1", display), ("param2", state), ("Binary", &binary)]);
    e
}

/// System 6013, system uptime: a classic EventLog event whose `Data` elements have no names.
pub fn system_uptime(host: &Host, time: Timestamp, seconds: u64) -> EventSpec {
    let mut e = EventSpec::new("EventLog", "System", 6013, &host.computer, time);
    e.qualifiers = Some(32768);
    e.keywords = 0x0080_0000_0000_0000;
    let secs = seconds.to_string();
    e.payload = Payload::EventData(
        [
            "",
            "",
            "",
            "",
            secs.as_str(),
            "60",
            "0 Coordinated Universal Time",
        ]
        .iter()
        .map(|v| (None, (*v).to_string()))
        .collect(),
    );
    e
}

fn powershell(
    host: &Host,
    event_id: u16,
    time: Timestamp,
    user_sid: &str,
    pid: u32,
    activity: &str,
) -> EventSpec {
    let mut e = EventSpec::new(
        "Microsoft-Windows-PowerShell",
        POWERSHELL_CHANNEL,
        event_id,
        &host.computer,
        time,
    );
    e.provider_guid = Some(POWERSHELL_GUID);
    e.version = 1;
    e.keywords = 0;
    e.process_id = pid;
    e.thread_id = pid + 312;
    e.user_sid = user_sid.parse::<Sid>().ok();
    e.activity_id = activity.parse::<Guid>().ok();
    e
}

/// One part of a script block for PowerShell 4104.
#[derive(Debug, Clone)]
pub struct ScriptBlock<'a> {
    /// This part's number, from 1.
    pub number: u32,
    /// How many parts the block has.
    pub total: u32,
    /// This part's text.
    pub text: &'a str,
    /// The block's id (a bare lower-case GUID, as PowerShell writes it).
    pub id: &'a str,
    /// The script's path, empty for interactive input.
    pub path: &'a str,
}

/// PowerShell 4104, a script block was logged. Level 3 (warning) for suspicious blocks, 5
/// (verbose) otherwise, as PowerShell does.
#[allow(clippy::too_many_arguments)]
pub fn powershell_script_block(
    host: &Host,
    time: Timestamp,
    user_sid: &str,
    pid: u32,
    activity: &str,
    block: &ScriptBlock<'_>,
    suspicious: bool,
) -> EventSpec {
    let mut e = powershell(host, 4104, time, user_sid, pid, activity);
    e.level = if suspicious { 3 } else { 5 };
    e.task = 2;
    e.opcode = 15;
    let (number, total) = (block.number.to_string(), block.total.to_string());
    e.payload = fields(&[
        ("MessageNumber", &number),
        ("MessageTotal", &total),
        ("ScriptBlockText", block.text),
        ("ScriptBlockId", block.id),
        ("Path", block.path),
    ]);
    e
}

/// PowerShell 4103, module logging: a command was invoked.
pub fn powershell_module(
    host: &Host,
    time: Timestamp,
    user_sid: &str,
    pid: u32,
    activity: &str,
    context_info: &str,
    payload: &str,
) -> EventSpec {
    let mut e = powershell(host, 4103, time, user_sid, pid, activity);
    e.task = 106;
    e.opcode = 20;
    e.payload = fields(&[
        ("ContextInfo", context_info),
        ("UserData", ""),
        ("Payload", payload),
    ]);
    e
}
