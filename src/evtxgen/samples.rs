//! The bundled sample logs in `samples/`: small, deterministic (fixed times, record ids from 1,
//! no randomness) and seeded with events the bundled rules must fire on, and near misses they
//! must not fire on. `evtxscan samples [OUT]` rewrites them; a test checks that the committed
//! files are byte for byte what this module writes.
//!
//! Every seeded event is listed by [`seeds`] (and in `docs/EVTXGEN.md`), with its file, record
//! id, the rule it concerns and whether that rule must fire.

mod powershell;
mod security;
mod sysmon;
mod system;

use super::spec::EventSpec;
use super::writer::{WriteError, WriteSummary};
use jiff::{SignedDuration, Timestamp};
use std::path::{Path, PathBuf};

/// The Sysmon log (URL-encoded name, as Windows names the file of a `/` channel).
pub const SYSMON_FILE: &str = "Microsoft-Windows-Sysmon%4Operational.evtx";
/// The Security log.
pub const SECURITY_FILE: &str = "Security.evtx";
/// The PowerShell operational log.
pub const POWERSHELL_FILE: &str = "Microsoft-Windows-PowerShell%4Operational.evtx";
/// The System log.
pub const SYSTEM_FILE: &str = "System.evtx";

/// Bundled Sigma rule: plink, socat, stunnel, httptunnel started.
pub const RULE_TUNNELING: &str = "Exfiltration and Tunneling Tools Execution";
/// Bundled Sigma rule: iodine or dnscat2 started.
pub const RULE_DNS_TUNNEL: &str = "DNS Exfiltration and Tunneling Tools Execution";
/// Bundled Sigma rule: a 4104 script block calls Start-Dnscat2.
pub const RULE_DNSCAT: &str = "Dnscat Execution";
/// Bundled Splunk rule: a shell or user-folder program resolves a paste/chat service.
pub const RULE_ABUSE_DNS: &str = "Suspicious Process DNS Query Known Abuse Web Services";
/// SigmaHQ rule (not bundled): a PSEXESVC service installed.
pub const RULE_PSEXEC_SERVICE: &str = "PsExec Service Installation";
/// SigmaHQ rule (not bundled): a service installed from `\Users\Public\` and similar.
pub const RULE_UNCOMMON_SERVICE: &str = "Uncommon Service Installation Image Path";
/// SigmaHQ rule (not bundled): System 104 for an important log.
pub const RULE_EVENTLOG_CLEARED: &str = "Important Windows Eventlog Cleared";
/// SigmaHQ rule (not bundled): Security 1102.
pub const RULE_SECURITY_CLEARED: &str = "Security Eventlog Cleared";

/// Whether a rule must fire on a seeded event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// The rule fires on this record.
    Fires,
    /// A near miss: the rule must not fire on this record.
    MustNotFire,
}

/// One seeded event of the samples.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seed {
    /// File name under `samples/`.
    pub file: &'static str,
    /// Its record id.
    pub record_id: u64,
    /// The rule's title.
    pub rule: &'static str,
    /// Whether it must fire.
    pub expect: Expect,
    /// What the event is.
    pub note: &'static str,
}

/// One sample log: its file name, its events in record order, and its seeds.
#[derive(Debug, Clone)]
pub struct SampleLog {
    /// File name under `samples/`.
    pub file: &'static str,
    /// The events; record `n` is `events[n - 1]`.
    pub events: Vec<EventSpec>,
    /// The seeded events among them.
    pub seeds: Vec<Seed>,
}

/// Collects a log's events, numbering them as the writer will.
pub(crate) struct LogBuilder {
    log: SampleLog,
    clock: Timestamp,
    ticks: i64,
}

impl LogBuilder {
    /// A log whose clock starts at `start`.
    pub(crate) fn new(file: &'static str, start: &str) -> LogBuilder {
        LogBuilder {
            log: SampleLog {
                file,
                events: Vec::new(),
                seeds: Vec::new(),
            },
            clock: start.parse().unwrap_or(Timestamp::UNIX_EPOCH),
            ticks: 0,
        }
    }

    /// Move the clock on by `seconds` and a fixed sub-second step; returns the new time.
    pub(crate) fn after(&mut self, seconds: i64) -> Timestamp {
        self.ticks += 1;
        let frac = (self.ticks * 7_919_371) % 10_000_000;
        let whole = self.clock.as_second() + seconds;
        self.clock = Timestamp::new(whole, 0)
            .unwrap_or(self.clock)
            .checked_add(SignedDuration::from_nanos(frac * 100))
            .unwrap_or(self.clock);
        self.clock
    }

    /// Append a background event; returns its record id.
    pub(crate) fn add(&mut self, e: EventSpec) -> u64 {
        self.log.events.push(e);
        self.log.events.len() as u64
    }

    /// Append a seeded event; returns its record id.
    pub(crate) fn seed(
        &mut self,
        e: EventSpec,
        rule: &'static str,
        expect: Expect,
        note: &'static str,
    ) -> u64 {
        let id = self.add(e);
        self.log.seeds.push(Seed {
            file: self.log.file,
            record_id: id,
            rule,
            expect,
            note,
        });
        id
    }

    pub(crate) fn finish(self) -> SampleLog {
        self.log
    }
}

/// The four sample logs.
pub fn logs() -> Vec<SampleLog> {
    vec![
        sysmon::log(),
        security::log(),
        powershell::log(),
        system::log(),
    ]
}

/// Every seeded event of every sample log.
pub fn seeds() -> Vec<Seed> {
    logs().into_iter().flat_map(|l| l.seeds).collect()
}

/// Write the sample logs into `out` (created if needed).
pub fn write_samples(out: &Path) -> Result<Vec<(PathBuf, WriteSummary)>, WriteError> {
    std::fs::create_dir_all(out)?;
    let mut written = Vec::new();
    for log in logs() {
        let path = out.join(log.file);
        let summary = super::write_file(&path, &log.events)?;
        written.push((path, summary));
    }
    Ok(written)
}

/// `evtxscan samples [OUT]`: write the sample logs into `out`.
pub fn run_cli(out: &Path) -> anyhow::Result<i32> {
    for (path, summary) in write_samples(out)? {
        println!(
            "{}: {} records, {} chunks, {} bytes",
            path.display(),
            summary.records,
            summary.chunks,
            summary.bytes
        );
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn committed_samples_are_what_the_code_writes() {
        let dir = tempfile::tempdir().unwrap();
        let written = write_samples(dir.path()).unwrap();
        assert_eq!(written.len(), 4);
        let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
        for (path, summary) in written {
            let name = path.file_name().unwrap();
            let ours = std::fs::read(&path).unwrap();
            let theirs = std::fs::read(committed.join(name)).unwrap_or_default();
            assert!(
                ours == theirs,
                "samples/{} differs from what the code writes: run `evtxscan samples`",
                name.to_string_lossy()
            );
            assert!(summary.bytes < 1_000_000);
        }
    }

    #[test]
    fn writing_twice_gives_the_same_bytes() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        write_samples(a.path()).unwrap();
        write_samples(b.path()).unwrap();
        for log in logs() {
            let x = std::fs::read(a.path().join(log.file)).unwrap();
            let y = std::fs::read(b.path().join(log.file)).unwrap();
            assert_eq!(x, y, "{}", log.file);
        }
    }

    #[test]
    fn seeds_are_documented() {
        let doc = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/EVTXGEN.md");
        let doc = std::fs::read_to_string(doc).unwrap();
        for seed in seeds() {
            let row = format!("| {} | {} | {} |", seed.file, seed.record_id, seed.rule);
            assert!(doc.contains(&row), "docs/EVTXGEN.md lacks `{row}`");
        }
    }

    #[test]
    fn time_created_increases_with_record_id() {
        for log in logs() {
            for pair in log.events.windows(2) {
                assert!(pair[0].time < pair[1].time, "{}", log.file);
            }
        }
    }
}
