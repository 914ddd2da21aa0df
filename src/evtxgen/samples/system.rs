//! The System sample: uptime (unnamed `Data`), service state changes, three service installs
//! (PsExec and a user-folder binary are suspicious, Google Update is not) and the log being
//! cleared.

use super::{
    Expect::{Fires, MustNotFire},
    LogBuilder, SampleLog, RULE_EVENTLOG_CLEARED, RULE_PSEXEC_SERVICE, RULE_UNCOMMON_SERVICE,
    SYSTEM_FILE,
};
use crate::evtxgen::windows::{
    system_log_cleared, system_service_installed, system_service_state, system_uptime, Account,
    Host,
};

const ADMIN_SID: &str = "S-1-5-21-3623811015-3361044348-30300820-1105";

/// The System log. Record ids are fixed: see `docs/EVTXGEN.md`.
pub(super) fn log() -> SampleLog {
    let mut b = LogBuilder::new(SYSTEM_FILE, "2024-06-11T07:50:00Z");
    let host = Host::new("SRV01.corp.example");
    let admin = Account {
        sid: ADMIN_SID.to_string(),
        name: "admin01".to_string(),
        domain: "CORP".to_string(),
        logon_id: "0x1b2f4a".to_string(),
    };

    let t = b.after(3);
    b.add(system_uptime(&host, t, 86_412));
    let t = b.after(40);
    b.add(system_service_state(&host, t, "Windows Update", "running"));
    let t = b.after(300);
    b.seed(
        system_service_installed(
            &host,
            t,
            ADMIN_SID,
            "PSEXESVC",
            "%SystemRoot%\\PSEXESVC.exe",
            "demand start",
            "LocalSystem",
        ),
        RULE_PSEXEC_SERVICE,
        Fires,
        "7045 PSEXESVC installed (SigmaHQ rule)",
    );
    let t = b.after(1);
    b.add(system_service_state(&host, t, "PSEXESVC", "running"));
    let t = b.after(200);
    b.seed(
        system_service_installed(
            &host,
            t,
            ADMIN_SID,
            "WinUpdateHelper",
            "C:\\Users\\Public\\updater.exe -service",
            "auto start",
            "LocalSystem",
        ),
        RULE_UNCOMMON_SERVICE,
        Fires,
        "7045 service from C:\\Users\\Public\\updater.exe (SigmaHQ rule)",
    );
    let t = b.after(60);
    b.seed(
        system_service_installed(
            &host,
            t,
            "S-1-5-18",
            "Google Update Service (gupdate)",
            "\"C:\\Program Files (x86)\\Google\\Update\\GoogleUpdate.exe\" /svc",
            "auto start",
            "LocalSystem",
        ),
        RULE_UNCOMMON_SERVICE,
        MustNotFire,
        "7045 Google Update service from Program Files",
    );
    let t = b.after(30);
    b.add(system_service_state(&host, t, "PSEXESVC", "stopped"));
    let t = b.after(400);
    b.seed(
        system_log_cleared(&host, t, &admin, "System"),
        RULE_EVENTLOG_CLEARED,
        Fires,
        "104 System log cleared by CORP\\admin01 (UserData LogFileCleared; SigmaHQ rule)",
    );
    let t = b.after(5);
    b.add(system_uptime(&host, t, 87_160));
    b.finish()
}
