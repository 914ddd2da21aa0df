//! Builders for the events Windows, Sysmon and PowerShell write, with the System values and
//! field lists of the real providers: Sysmon 1/3/5/7/11/13/22, Security 4624/4688/1102,
//! PowerShell 4103/4104 and System 104/6013/7036/7045. The samples and the corpus generator
//! both build their events here.

mod builtin;
mod sysmon;

pub use builtin::{
    powershell_module, powershell_script_block, security_log_cleared, security_logon,
    security_process_create, system_log_cleared, system_service_installed, system_service_state,
    system_uptime, Logon, ScriptBlock,
};
pub use sysmon::{
    sysmon_dns, sysmon_file_create, sysmon_image_load, sysmon_network, sysmon_process_create,
    sysmon_registry_set, sysmon_terminate, Connection,
};

use super::spec::Payload;
use jiff::Timestamp;

/// `Microsoft-Windows-Sysmon/Operational`.
pub const SYSMON_CHANNEL: &str = "Microsoft-Windows-Sysmon/Operational";
/// `Microsoft-Windows-PowerShell/Operational`.
pub const POWERSHELL_CHANNEL: &str = "Microsoft-Windows-PowerShell/Operational";

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

impl Proc {
    /// A process started under `user` (`DOMAIN\name`). An `NT AUTHORITY\...` account makes it a
    /// system process: working directory `C:\Windows\system32\`, integrity `System`, logon id
    /// `0x3e7`; otherwise the user's profile folder, `Medium` and `logon_id`.
    pub fn new(
        guid: String,
        pid: u32,
        image: &str,
        command_line: &str,
        user: &str,
        logon_guid: &str,
        logon_id: &str,
    ) -> Proc {
        let system = user.starts_with("NT AUTHORITY");
        let name = user.rsplit('\\').next().unwrap_or(user);
        Proc {
            guid,
            pid,
            image: image.to_string(),
            command_line: command_line.to_string(),
            current_dir: if system {
                "C:\\Windows\\system32\\".to_string()
            } else {
                format!("C:\\Users\\{name}\\")
            },
            user: user.to_string(),
            integrity: if system { "System" } else { "Medium" }.to_string(),
            logon_guid: logon_guid.to_string(),
            logon_id: if system { "0x3e7" } else { logon_id }.to_string(),
        }
    }
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

pub(crate) fn fields(pairs: &[(&str, &str)]) -> Payload {
    Payload::EventData(
        pairs
            .iter()
            .map(|(n, v)| (Some((*n).to_string()), (*v).to_string()))
            .collect(),
    )
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
