//! The Security sample: logons, 4688 process creations (plink and stunnel fire, plinkx does
//! not), the audit log being cleared, and after it iodine (fires) and iodined (does not).

use super::{
    Expect::{Fires, MustNotFire},
    LogBuilder, SampleLog, RULE_DNS_TUNNEL, RULE_SECURITY_CLEARED, RULE_TUNNELING, SECURITY_FILE,
};
use crate::evtxgen::windows::{
    security_log_cleared, security_logon, security_process_create, Account, Host, Logon, Proc,
};

fn account(sid: &str, name: &str, domain: &str, logon_id: &str) -> Account {
    Account {
        sid: sid.to_string(),
        name: name.to_string(),
        domain: domain.to_string(),
        logon_id: logon_id.to_string(),
    }
}

/// A process as 4688 sees it (no GUIDs; ids in hex when written).
fn proc(pid: u32, image: &str, command_line: &str) -> Proc {
    Proc {
        guid: String::new(),
        pid,
        image: image.to_string(),
        command_line: command_line.to_string(),
        current_dir: String::new(),
        user: String::new(),
        integrity: String::new(),
        logon_guid: String::new(),
        logon_id: String::new(),
    }
}

/// Elevated token (`%%1937`) and high integrity (`S-1-16-12288`), as for an administrator.
const ELEVATED: &str = "%%1937";
const HIGH: &str = "S-1-16-12288";

/// The Security log. Record ids are fixed: see `docs/EVTXGEN.md`.
pub(super) fn log() -> SampleLog {
    let mut b = LogBuilder::new(SECURITY_FILE, "2024-06-11T07:55:00Z");
    let host = Host::new("SRV01.corp.example");
    let machine = account("S-1-5-18", "SRV01$", "CORP", "0x3e7");
    let admin = account(
        "S-1-5-21-3623811015-3361044348-30300820-1105",
        "admin01",
        "CORP",
        "0x1b2f4a",
    );
    let backup = account(
        "S-1-5-21-3623811015-3361044348-30300820-1120",
        "svc_backup",
        "CORP",
        "0x1c0e77",
    );
    let nobody = account("S-1-0-0", "-", "-", "0x0");
    let winlogon = (0x2c8, "C:\\Windows\\System32\\winlogon.exe");
    let services = proc(0x29c, "C:\\Windows\\System32\\services.exe", "");
    let explorer = proc(
        0x1e30,
        "C:\\Windows\\explorer.exe",
        "C:\\Windows\\Explorer.EXE",
    );
    let cmd = proc(
        0x1f40,
        "C:\\Windows\\System32\\cmd.exe",
        "\"C:\\Windows\\system32\\cmd.exe\" ",
    );

    // 1-3: service and interactive logons.
    let t = b.after(4);
    b.add(security_logon(
        &host,
        t,
        &machine,
        &account("S-1-5-18", "SYSTEM", "NT AUTHORITY", "0x3e7"),
        &Logon {
            logon_type: 5,
            logon_process: "Advapi  ",
            auth_package: "Negotiate",
            workstation: "-",
            ip: "-",
            port: "-",
            process: (0x29c, "C:\\Windows\\System32\\services.exe"),
        },
    ));
    let t = b.after(120);
    b.add(security_logon(
        &host,
        t,
        &machine,
        &admin,
        &Logon {
            logon_type: 10,
            logon_process: "User32 ",
            auth_package: "Negotiate",
            workstation: "SRV01",
            ip: "10.0.5.23",
            port: "0",
            process: winlogon,
        },
    ));
    let t = b.after(30);
    b.add(security_process_create(
        &host,
        t,
        &admin,
        &explorer,
        &proc(0x1d9c, "C:\\Windows\\System32\\userinit.exe", ""),
        "%%1938",
        "S-1-16-8192",
    ));

    // 4-8: a shell, plink, a network logon, near miss plinkx, stunnel.
    let t = b.after(45);
    b.add(security_process_create(
        &host, t, &admin, &cmd, &explorer, ELEVATED, HIGH,
    ));
    let t = b.after(20);
    b.seed(
        security_process_create(
            &host,
            t,
            &admin,
            &proc(
                0x1a2b,
                "C:\\Tools\\plink.exe",
                "C:\\Tools\\plink.exe -ssh -L 5900:10.0.9.9:5900 admin01@203.0.113.77",
            ),
            &cmd,
            ELEVATED,
            HIGH,
        ),
        RULE_TUNNELING,
        Fires,
        "4688 C:\\Tools\\plink.exe, NewProcessId 0x1a2b, ProcessId 0x1f40",
    );
    let t = b.after(33);
    b.add(security_logon(
        &host,
        t,
        &nobody,
        &backup,
        &Logon {
            logon_type: 3,
            logon_process: "NtLmSsp ",
            auth_package: "NTLM",
            workstation: "BACKUP01",
            ip: "10.0.7.4",
            port: "50112",
            process: (0, "-"),
        },
    ));
    let t = b.after(25);
    b.seed(
        security_process_create(
            &host,
            t,
            &admin,
            &proc(
                0x1b3c,
                "C:\\Tools\\plinkx.exe",
                "C:\\Tools\\plinkx.exe -batch backup.corp.example",
            ),
            &cmd,
            ELEVATED,
            HIGH,
        ),
        RULE_TUNNELING,
        MustNotFire,
        "4688 C:\\Tools\\plinkx.exe (not plink.exe)",
    );
    let t = b.after(18);
    b.seed(
        security_process_create(
            &host,
            t,
            &admin,
            &proc(
                0x1c4d,
                "C:\\Tools\\stunnel.exe",
                "C:\\Tools\\stunnel.exe C:\\Tools\\stunnel.conf",
            ),
            &cmd,
            ELEVATED,
            HIGH,
        ),
        RULE_TUNNELING,
        Fires,
        "4688 C:\\Tools\\stunnel.exe, NewProcessId 0x1c4d",
    );

    // 9-10: a benign service process, then the log is cleared.
    let t = b.after(60);
    b.add(security_process_create(
        &host,
        t,
        &machine,
        &proc(
            0x2e8,
            "C:\\Windows\\System32\\svchost.exe",
            "C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s BITS",
        ),
        &services,
        "%%1936",
        "S-1-16-16384",
    ));
    let t = b.after(90);
    b.seed(
        security_log_cleared(&host, t, &admin),
        RULE_SECURITY_CLEARED,
        Fires,
        "1102 audit log cleared by CORP\\admin01 (UserData LogFileCleared; SigmaHQ rule)",
    );
    let t = b.after(2);
    b.add(security_logon(
        &host,
        t,
        &machine,
        &admin,
        &Logon {
            logon_type: 10,
            logon_process: "User32 ",
            auth_package: "Negotiate",
            workstation: "SRV01",
            ip: "10.0.5.23",
            port: "0",
            process: winlogon,
        },
    ));

    // 12-13 (appended, so the ids above stay): the iodine DNS tunnel client, then a near miss
    // whose name only starts like it (the iodine server, `iodined.exe`).
    let t = b.after(40);
    b.seed(
        security_process_create(
            &host,
            t,
            &admin,
            &proc(
                0x2a10,
                "C:\\Temp\\iodine.exe",
                "C:\\Temp\\iodine.exe -f -P s3cr3t t1.tunnel.example",
            ),
            &cmd,
            ELEVATED,
            HIGH,
        ),
        RULE_DNS_TUNNEL,
        Fires,
        "4688 C:\\Temp\\iodine.exe, NewProcessId 0x2a10",
    );
    let t = b.after(15);
    b.seed(
        security_process_create(
            &host,
            t,
            &admin,
            &proc(
                0x2a24,
                "C:\\Temp\\iodined.exe",
                "C:\\Temp\\iodined.exe -f -P s3cr3t 10.53.0.1 t1.tunnel.example",
            ),
            &cmd,
            ELEVATED,
            HIGH,
        ),
        RULE_DNS_TUNNEL,
        MustNotFire,
        "4688 C:\\Temp\\iodined.exe (not iodine.exe)",
    );
    b.finish()
}
