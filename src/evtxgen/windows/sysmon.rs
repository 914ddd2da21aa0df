//! Sysmon events: process creation and termination, network connections, image loads, file
//! creation, registry writes, DNS queries.

use super::{base_name, fake_hex, fields, sysmon_utc, Host, Proc, SYSMON_CHANNEL};
use crate::evtxgen::spec::{EventSpec, Guid};
use jiff::Timestamp;

const SYSMON_GUID: Guid = Guid([
    0x5f, 0x38, 0x70, 0x57, 0x2a, 0xc2, 0xe0, 0x43, 0xbf, 0x4c, 0x06, 0xf5, 0x69, 0x8f, 0xfb, 0xd9,
]);

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
