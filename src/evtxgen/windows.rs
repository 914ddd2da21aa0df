//! Builders for the events Windows, Sysmon and PowerShell write, with the System values and
//! field lists of the real providers: Sysmon 1/3/5/7/11/13/22, Security 4624/4688/1102,
//! PowerShell 4103/4104 and System 104/6013/7036/7045. The samples and the corpus generator
//! both build their events here.

use super::spec::{EventSpec, Guid, Payload, Sid, UserData};
use jiff::Timestamp;

/// `Microsoft-Windows-Sysmon/Operational`.
pub const SYSMON_CHANNEL: &str = "Microsoft-Windows-Sysmon/Operational";
/// `Microsoft-Windows-PowerShell/Operational`.
pub const POWERSHELL_CHANNEL: &str = "Microsoft-Windows-PowerShell/Operational";
const SYSMON_GUID: Guid = Guid([
    0x5f, 0x38, 0x70, 0x57, 0x2a, 0xc2, 0xe0, 0x43, 0xbf, 0x4c, 0x06, 0xf5, 0x69, 0x8f, 0xfb, 0xd9,
]);
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

/// A machine whose logs the events go to.
#[derive(Debug, Clone)]
pub struct Host {
    /// Fully qualified computer name (`WS01.corp.example`).
    pub computer: String,
    /// Process id of the Sysmon service.
    pub sysmon_pid: u32,
    /// Process id of the Event Log service.
    pub eventlog_pid: u32,
    /// Process id of the Service Control Manager (`services.exe`).
    pub services_pid: u32,
}

impl Host {
    /// A host with typical service process ids.
    pub fn new(computer: &str) -> Host {
        Host {
            computer: computer.to_string(),
            sysmon_pid: 2968,
            eventlog_pid: 1236,
            services_pid: 668,
        }
    }
}

/// A process as Sysmon and Security auditing describe it.
#[derive(Debug, Clone, PartialEq)]
pub struct Proc {
    /// Sysmon's ProcessGuid, in braces.
    pub guid: String,
    /// Process id.
    pub pid: u32,
    /// Full path of the executable.
    pub image: String,
    /// Command line.
    pub command_line: String,
    /// Working directory.
    pub current_dir: String,
    /// `DOMAIN\user`.
    pub user: String,
    /// Mandatory integrity level (`Medium`, `High`, `System`).
    pub integrity: String,
    /// Sysmon's LogonGuid, in braces.
    pub logon_guid: String,
    /// Logon id in hex (`0x4a3f2`).
    pub logon_id: String,
}

/// An account as Security events name it (Subject or Target).
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    /// SID text.
    pub sid: String,
    /// User name.
    pub name: String,
    /// NetBIOS domain.
    pub domain: String,
    /// Logon id in hex.
    pub logon_id: String,
}

/// The file name part of a Windows path.
pub fn base_name(path: &str) -> &str {
    path.rsplit(['\\', '/']).next().unwrap_or(path)
}

/// Version-resource values Sysmon reports for well-known images: (file name, description,
/// product, company).
fn image_metadata(image: &str) -> (&'static str, &'static str, &'static str) {
    const MS: &str = "Microsoft Corporation";
    const OS: &str = "Microsoft® Windows® Operating System";
    let name = base_name(image).to_ascii_lowercase();
    match name.as_str() {
        "cmd.exe" => ("Windows Command Processor", OS, MS),
        "powershell.exe" => ("Windows PowerShell", OS, MS),
        "explorer.exe" => ("Windows Explorer", OS, MS),
        "svchost.exe" => ("Host Process for Windows Services", OS, MS),
        "notepad.exe" => ("Notepad", OS, MS),
        "conhost.exe" => ("Console Window Host", OS, MS),
        "rundll32.exe" => ("Windows host process (Rundll32)", OS, MS),
        "whoami.exe" => ("whoami - displays logged on user information", OS, MS),
        "net.exe" => ("Net Command", OS, MS),
        "taskhostw.exe" => ("Host Process for Windows Tasks", OS, MS),
        "userinit.exe" => ("Userinit Logon Application", OS, MS),
        "services.exe" => ("Services and Controller app", OS, MS),
        "chrome.exe" => ("Google Chrome", "Google Chrome", "Google LLC"),
        "msedge.exe" => ("Microsoft Edge", "Microsoft Edge", "Microsoft Corporation"),
        "onedrive.exe" => ("Microsoft OneDrive", "Microsoft OneDrive", MS),
        "teams.exe" => ("Microsoft Teams", "Microsoft Teams", MS),
        "plink.exe" => (
            "Command-line SSH, Telnet, and Rlogin client",
            "PuTTY suite",
            "Simon Tatham",
        ),
        _ => ("-", "-", "-"),
    }
}

/// A deterministic hex string of `len` digits derived from `seed`, for hashes.
pub fn fake_hex(seed: &str, len: usize) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in seed.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    let mut out = String::with_capacity(len);
    while out.len() < len {
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 29;
        out.push_str(&format!("{h:016X}"));
    }
    out.truncate(len);
    out
}

/// Sysmon's `UtcTime`: `2024-06-11 08:00:01.123`.
pub fn sysmon_utc(t: Timestamp) -> String {
    t.strftime("%Y-%m-%d %H:%M:%S%.3f").to_string()
}

fn sysmon(host: &Host, event_id: u16, version: u8, time: Timestamp) -> EventSpec {
    let mut e = EventSpec::new(
        "Microsoft-Windows-Sysmon",
        SYSMON_CHANNEL,
        event_id,
        &host.computer,
        time,
    );
    e.provider_guid = Some(SYSMON_GUID);
    e.version = version;
    e.task = event_id;
    e.process_id = host.sysmon_pid;
    e.thread_id = 3000 + u32::from(event_id) * 4;
    e.user_sid = "S-1-5-18".parse().ok();
    e
}

fn fields(pairs: &[(&str, &str)]) -> Payload {
    Payload::EventData(
        pairs
            .iter()
            .map(|(n, v)| (Some((*n).to_string()), (*v).to_string()))
            .collect(),
    )
}

/// Sysmon 1, process creation.
pub fn sysmon_process_create(host: &Host, time: Timestamp, p: &Proc, parent: &Proc) -> EventSpec {
    let mut e = sysmon(host, 1, 5, time);
    let (description, product, company) = image_metadata(&p.image);
    let version = if description == "-" {
        "-"
    } else {
        "10.0.19041.1 (WinBuild.160101.0800)"
    };
    let original = if description == "-" {
        "-".to_string()
    } else {
        base_name(&p.image).to_string()
    };
    let hashes = format!(
        "SHA256={},IMPHASH={}",
        fake_hex(&p.image, 64),
        fake_hex(&format!("imp{}", p.image), 32)
    );
    let utc = sysmon_utc(time);
    let pid = p.pid.to_string();
    let ppid = parent.pid.to_string();
    e.payload = fields(&[
        ("RuleName", "-"),
        ("UtcTime", &utc),
        ("ProcessGuid", &p.guid),
        ("ProcessId", &pid),
        ("Image", &p.image),
        ("FileVersion", version),
        ("Description", description),
        ("Product", product),
        ("Company", company),
        ("OriginalFileName", &original),
        ("CommandLine", &p.command_line),
        ("CurrentDirectory", &p.current_dir),
        ("User", &p.user),
        ("LogonGuid", &p.logon_guid),
        ("LogonId", &p.logon_id),
        ("TerminalSessionId", "1"),
        ("IntegrityLevel", &p.integrity),
        ("Hashes", &hashes),
        ("ParentProcessGuid", &parent.guid),
        ("ParentProcessId", &ppid),
        ("ParentImage", &parent.image),
        ("ParentCommandLine", &parent.command_line),
        ("ParentUser", &parent.user),
    ]);
    e
}

/// A network connection for Sysmon 3.
#[derive(Debug, Clone)]
pub struct Connection<'a> {
    /// `tcp` or `udp`.
    pub protocol: &'a str,
    /// Whether the process initiated it.
    pub initiated: bool,
    /// Local address and port.
    pub source: (&'a str, u16),
    /// Remote address and port.
    pub destination: (&'a str, u16),
    /// Remote host name, when resolved.
    pub destination_host: &'a str,
}

/// Sysmon 3, network connection.
pub fn sysmon_network(host: &Host, time: Timestamp, p: &Proc, c: &Connection<'_>) -> EventSpec {
    let mut e = sysmon(host, 3, 5, time);
    let utc = sysmon_utc(time);
    let (pid, sport, dport) = (
        p.pid.to_string(),
        c.source.1.to_string(),
        c.destination.1.to_string(),
    );
    let dport_name = match c.destination.1 {
        443 => "https",
        80 => "http",
        53 => "domain",
        22 => "ssh",
        _ => "-",
    };
    e.payload = fields(&[
        ("RuleName", "-"),
        ("UtcTime", &utc),
        ("ProcessGuid", &p.guid),
        ("ProcessId", &pid),
        ("Image", &p.image),
        ("User", &p.user),
        ("Protocol", c.protocol),
        ("Initiated", if c.initiated { "true" } else { "false" }),
        ("SourceIsIpv6", "false"),
        ("SourceIp", c.source.0),
        ("SourceHostname", &host.computer),
        ("SourcePort", &sport),
        ("SourcePortName", "-"),
        ("DestinationIsIpv6", "false"),
        ("DestinationIp", c.destination.0),
        ("DestinationHostname", c.destination_host),
        ("DestinationPort", &dport),
        ("DestinationPortName", dport_name),
    ]);
    e
}

/// Sysmon 5, process terminated.
pub fn sysmon_terminate(host: &Host, time: Timestamp, p: &Proc) -> EventSpec {
    let mut e = sysmon(host, 5, 3, time);
    let (utc, pid) = (sysmon_utc(time), p.pid.to_string());
    e.payload = fields(&[
        ("RuleName", "-"),
        ("UtcTime", &utc),
        ("ProcessGuid", &p.guid),
        ("ProcessId", &pid),
        ("Image", &p.image),
        ("User", &p.user),
    ]);
    e
}

/// Sysmon 7, image loaded.
pub fn sysmon_image_load(host: &Host, time: Timestamp, p: &Proc, dll: &str) -> EventSpec {
    let mut e = sysmon(host, 7, 3, time);
    let (utc, pid) = (sysmon_utc(time), p.pid.to_string());
    let hashes = format!("SHA256={}", fake_hex(dll, 64));
    let name = base_name(dll);
    e.payload = fields(&[
        ("RuleName", "-"),
        ("UtcTime", &utc),
        ("ProcessGuid", &p.guid),
        ("ProcessId", &pid),
        ("Image", &p.image),
        ("ImageLoaded", dll),
        ("FileVersion", "10.0.19041.1 (WinBuild.160101.0800)"),
        ("Description", name),
        ("Product", "Microsoft® Windows® Operating System"),
        ("Company", "Microsoft Corporation"),
        ("OriginalFileName", name),
        ("Hashes", &hashes),
        ("Signed", "true"),
        ("Signature", "Microsoft Windows"),
        ("SignatureStatus", "Valid"),
        ("User", &p.user),
    ]);
    e
}

/// Sysmon 11, file created.
pub fn sysmon_file_create(host: &Host, time: Timestamp, p: &Proc, target: &str) -> EventSpec {
    let mut e = sysmon(host, 11, 2, time);
    let (utc, pid) = (sysmon_utc(time), p.pid.to_string());
    e.payload = fields(&[
        ("RuleName", "-"),
        ("UtcTime", &utc),
        ("ProcessGuid", &p.guid),
        ("ProcessId", &pid),
        ("Image", &p.image),
        ("TargetFilename", target),
        ("CreationUtcTime", &utc),
        ("User", &p.user),
    ]);
    e
}

/// Sysmon 13, registry value set.
pub fn sysmon_registry_set(
    host: &Host,
    time: Timestamp,
    p: &Proc,
    key: &str,
    details: &str,
) -> EventSpec {
    let mut e = sysmon(host, 13, 2, time);
    let (utc, pid) = (sysmon_utc(time), p.pid.to_string());
    e.payload = fields(&[
        ("RuleName", "-"),
        ("EventType", "SetValue"),
        ("UtcTime", &utc),
        ("ProcessGuid", &p.guid),
        ("ProcessId", &pid),
        ("Image", &p.image),
        ("TargetObject", key),
        ("Details", details),
        ("User", &p.user),
    ]);
    e
}

/// Sysmon 22, DNS query.
pub fn sysmon_dns(
    host: &Host,
    time: Timestamp,
    p: &Proc,
    query: &str,
    status: &str,
    results: &str,
) -> EventSpec {
    let mut e = sysmon(host, 22, 5, time);
    let (utc, pid) = (sysmon_utc(time), p.pid.to_string());
    e.payload = fields(&[
        ("RuleName", "-"),
        ("UtcTime", &utc),
        ("ProcessGuid", &p.guid),
        ("ProcessId", &pid),
        ("QueryName", query),
        ("QueryStatus", status),
        ("QueryResults", results),
        ("Image", &p.image),
        ("User", &p.user),
    ]);
    e
}

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

/// A GUID-shaped lower-case text derived from `seed` (no braces).
pub fn guid_text(seed: &str) -> String {
    let h = fake_hex(seed, 32).to_ascii_lowercase();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}
