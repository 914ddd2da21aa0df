//! Large, realistic event logs for benchmarks: a deterministic mix of Sysmon 1/3/7/11/13/22,
//! Security 4624/4688, PowerShell 4104 and System 7036/7045 events from several computers,
//! mostly benign, with a few percent that common SigmaHQ rules (and the bundled ones) flag.
//!
//! [`generate`] writes one file holding every channel, like a Windows Event Collector's
//! `ForwardedEvents` log; [`generate_split`] writes one file per channel. The same seed gives the
//! same bytes.

mod catalog;
mod machine;

use super::spec::EventSpec;
use super::windows::{
    powershell_script_block, security_logon, security_process_create, sysmon_dns,
    sysmon_file_create, sysmon_image_load, sysmon_network, sysmon_process_create,
    sysmon_registry_set, system_service_installed, system_service_state, Account, Connection,
    Logon, Proc, ScriptBlock,
};
use super::writer::{EvtxWriter, WriteError, WriteSummary};
use catalog::Program;
use jiff::{SignedDuration, Timestamp};
use machine::{Machine, Rng};
use std::fs::File;
use std::io::{BufWriter, Seek, Write};
use std::path::{Path, PathBuf};

/// How many computers the corpus has.
pub const HOSTS: usize = 12;

/// Write about `target_bytes` (rounded up to whole chunks) of mixed events to `path`.
pub fn generate(path: &Path, target_bytes: u64, seed: u64) -> Result<WriteSummary, WriteError> {
    let out = BufWriter::with_capacity(1 << 20, File::create(path)?);
    let (mut out, summary) = generate_to(out, target_bytes, seed)?;
    out.flush()?;
    Ok(summary)
}

/// [`generate`] into any seekable output.
pub fn generate_to<W: Write + Seek>(
    out: W,
    target_bytes: u64,
    seed: u64,
) -> Result<(W, WriteSummary), WriteError> {
    let mut writer = EvtxWriter::new(out)?;
    let mut generator = Generator::new(seed);
    while writer.bytes_so_far() < target_bytes {
        let event = generator.next_event();
        writer.write(&event)?;
    }
    writer.finish()
}

/// The file each channel goes to in [`generate_split`].
pub const SPLIT_FILES: [(&str, &str); 4] = [
    (
        "Microsoft-Windows-Sysmon/Operational",
        "Microsoft-Windows-Sysmon%4Operational.evtx",
    ),
    ("Security", "Security.evtx"),
    (
        "Microsoft-Windows-PowerShell/Operational",
        "Microsoft-Windows-PowerShell%4Operational.evtx",
    ),
    ("System", "System.evtx"),
];

/// Write about `target_bytes` in total, one file per channel (see [`SPLIT_FILES`]), into `dir`.
pub fn generate_split(
    dir: &Path,
    target_bytes: u64,
    seed: u64,
) -> Result<Vec<(PathBuf, WriteSummary)>, WriteError> {
    std::fs::create_dir_all(dir)?;
    let mut writers = Vec::new();
    for (_, name) in SPLIT_FILES {
        let out = BufWriter::with_capacity(1 << 20, File::create(dir.join(name))?);
        writers.push(EvtxWriter::new(out)?);
    }
    let mut generator = Generator::new(seed);
    while writers.iter().map(|w| w.bytes_so_far()).sum::<u64>() < target_bytes {
        let event = generator.next_event();
        let index = SPLIT_FILES
            .iter()
            .position(|(channel, _)| *channel == event.channel)
            .unwrap_or(0);
        if let Some(w) = writers.get_mut(index) {
            w.write(&event)?;
        }
    }
    let mut written = Vec::new();
    for (w, (_, name)) in writers.into_iter().zip(SPLIT_FILES) {
        let (mut out, summary) = w.finish()?;
        out.flush()?;
        written.push((dir.join(name), summary));
    }
    Ok(written)
}

/// Produces the event stream.
struct Generator {
    rng: Rng,
    machines: Vec<Machine>,
    clock: Timestamp,
    n: u64,
}

impl Generator {
    fn new(seed: u64) -> Generator {
        let mut rng = Rng(seed ^ 0x005e_ed0f_e77a_9e11);
        let machines = (0..HOSTS).map(|i| Machine::new(i, &mut rng)).collect();
        let start = Timestamp::new(1_717_200_000 + (seed % 1000) as i64 * 3600, 0)
            .unwrap_or(Timestamp::UNIX_EPOCH);
        Generator {
            rng,
            machines,
            clock: start,
            n: 0,
        }
    }

    fn next_event(&mut self) -> EventSpec {
        self.n += 1;
        let ticks = 1 + self.rng.below(1_500_000) as i64;
        self.clock = self
            .clock
            .checked_add(SignedDuration::from_nanos(ticks * 100))
            .unwrap_or(self.clock);
        let t = self.clock;
        let m = self.rng.below(self.machines.len());
        let roll = self.rng.below(1000);
        match roll {
            0..100 => self.process_create(m, t, false),
            100..240 => self.network(m, t),
            240..440 => self.image_load(m, t),
            440..540 => self.file_create(m, t),
            540..650 => self.registry(m, t),
            650..770 => self.dns(m, t),
            770..840 => self.logon(m, t),
            840..920 => self.process_create(m, t, true),
            920..960 => self.script_block(m, t),
            _ => self.service(m, t),
        }
    }

    fn any_proc(&mut self, m: usize) -> Proc {
        let procs = &self.machines[m].procs;
        procs[self.rng.below(procs.len())].clone()
    }

    /// Sysmon 1 (or Security 4688): a new process, 3% of them suspicious.
    fn process_create(&mut self, m: usize, t: Timestamp, security: bool) -> EventSpec {
        let program: &Program = if self.rng.chance(30) {
            self.rng.pick(catalog::SUSPICIOUS)
        } else {
            self.rng.pick(catalog::BENIGN)
        };
        let n = self.rng.below(100_000).to_string();
        let command_line = program.command_line.replace("{n}", &n);
        let image = program.image.replace("{n}", &n);
        let parent = if program.interactive {
            self.machines[m].procs[2].clone()
        } else {
            self.machines[m].procs[self.rng.below(2)].clone()
        };
        let machine = &mut self.machines[m];
        let child = machine.new_proc(&image, &command_line, !program.interactive);
        let event = if security {
            let elevated = self.rng.chance(200);
            security_process_create(
                &machine.host,
                t,
                &machine.subject(),
                &child,
                &parent,
                if elevated { "%%1937" } else { "%%1938" },
                if elevated {
                    "S-1-16-12288"
                } else {
                    "S-1-16-8192"
                },
            )
        } else {
            sysmon_process_create(&machine.host, t, &child, &parent)
        };
        machine.remember(child);
        event
    }

    fn network(&mut self, m: usize, t: Timestamp) -> EventSpec {
        let p = self.any_proc(m);
        let port = 49152 + self.rng.below(16000) as u16;
        let octet = self.rng.below(250) + 2;
        let destination = format!("13.107.{}.{}", self.rng.below(250), octet);
        let https = self.rng.chance(800);
        sysmon_network(
            &self.machines[m].host,
            t,
            &p,
            &Connection {
                protocol: "tcp",
                initiated: true,
                source: ("10.0.1.21", port),
                destination: (&destination, if https { 443 } else { 80 }),
                destination_host: "-",
            },
        )
    }

    fn image_load(&mut self, m: usize, t: Timestamp) -> EventSpec {
        let p = self.any_proc(m);
        let dll = *self.rng.pick(catalog::DLLS);
        sysmon_image_load(&self.machines[m].host, t, &p, dll)
    }

    fn file_create(&mut self, m: usize, t: Timestamp) -> EventSpec {
        let p = self.any_proc(m);
        let user = self.machines[m].user;
        let target = match self.rng.below(3) {
            0 => format!("C:\\Windows\\Temp\\~DF{:04X}.tmp", self.rng.below(0xffff)),
            1 => format!(
                "C:\\Users\\{user}\\AppData\\Local\\Google\\Chrome\\User Data\\Default\\Cache\\f_{:06x}",
                self.rng.below(0xffffff)
            ),
            _ => format!(
                "C:\\Users\\{user}\\Downloads\\invoice-{}.pdf",
                self.rng.below(10_000)
            ),
        };
        sysmon_file_create(&self.machines[m].host, t, &p, &target)
    }

    fn registry(&mut self, m: usize, t: Timestamp) -> EventSpec {
        let p = self.any_proc(m);
        let (key, details) = *self.rng.pick(catalog::REGISTRY);
        let details = details.replace("{n}", &format!("{:04x}", self.rng.below(0xffff)));
        sysmon_registry_set(&self.machines[m].host, t, &p, key, &details)
    }

    /// Sysmon 22; 1% resolve a paste or chat service (from PowerShell, a hit).
    fn dns(&mut self, m: usize, t: Timestamp) -> EventSpec {
        if self.rng.chance(10) {
            let machine = &mut self.machines[m];
            let ps = machine.new_proc(
                "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
                "powershell.exe -NoProfile",
                false,
            );
            let name = *self.rng.pick(catalog::DNS_ABUSED);
            return sysmon_dns(&machine.host, t, &ps, name, "0", "::ffff:104.20.68.143;");
        }
        let p = self.any_proc(m);
        let name = *self.rng.pick(catalog::DNS_BENIGN);
        let (status, results) = if name.starts_with("wpad") {
            ("9003", "-".to_string())
        } else {
            (
                "0",
                format!(
                    "::ffff:13.107.{}.{};",
                    self.rng.below(250),
                    self.rng.below(250)
                ),
            )
        };
        sysmon_dns(&self.machines[m].host, t, &p, name, status, &results)
    }

    fn logon(&mut self, m: usize, t: Timestamp) -> EventSpec {
        let network = self.rng.chance(600);
        let machine = &self.machines[m];
        let system = Account {
            sid: "S-1-5-18".to_string(),
            name: format!(
                "{}$",
                machine.host.computer.split('.').next().unwrap_or("HOST")
            ),
            domain: "CORP".to_string(),
            logon_id: "0x3e7".to_string(),
        };
        let ip = format!("10.0.{}.{}", self.rng.below(20), self.rng.below(250) + 2);
        let port = (49152 + self.rng.below(16000)).to_string();
        let logon = if network {
            Logon {
                logon_type: 3,
                logon_process: "NtLmSsp ",
                auth_package: "NTLM",
                workstation: "WKS-0107",
                ip: &ip,
                port: &port,
                process: (0, "-"),
            }
        } else {
            Logon {
                logon_type: 2,
                logon_process: "User32 ",
                auth_package: "Negotiate",
                workstation: "-",
                ip: "127.0.0.1",
                port: "0",
                process: (0x2c8, "C:\\Windows\\System32\\winlogon.exe"),
            }
        };
        security_logon(&machine.host, t, &system, &machine.subject(), &logon)
    }

    /// PowerShell 4104; 3% suspicious, some long.
    fn script_block(&mut self, m: usize, t: Timestamp) -> EventSpec {
        let suspicious = self.rng.chance(30);
        let n = self.rng.below(10_000).to_string();
        let mut text = if suspicious {
            self.rng
                .pick(catalog::SCRIPTS_SUSPICIOUS)
                .replace("{n}", &n)
        } else {
            (*self.rng.pick(catalog::SCRIPTS)).to_string()
        };
        if self.rng.chance(100) {
            // A long module body, as scripts loaded from disk produce.
            let lines = 20 + self.rng.below(200);
            for i in 0..lines {
                text.push_str(&format!(
                    "\r\nfunction Get-Item{i} {{ param($Path) Get-Content -Path $Path | Select-Object -Skip {i} }}"
                ));
            }
        }
        let id = super::windows::guid_text(&format!("{}-{}", self.n, n));
        let machine = &self.machines[m];
        let pid = machine.procs.get(2).map_or(4242, |p| p.pid + 8);
        powershell_script_block(
            &machine.host,
            t,
            &machine.user_sid,
            pid,
            "{0F6E3A2B-9C41-0003-84D2-6E0F2B9CDA01}",
            &ScriptBlock {
                number: 1,
                total: 1,
                text: &text,
                id: &id,
                path: "",
            },
            suspicious,
        )
    }

    /// System 7036, or a 7045 install now and then (a fifth of those from a user folder).
    fn service(&mut self, m: usize, t: Timestamp) -> EventSpec {
        let machine = &self.machines[m];
        if self.rng.chance(150) {
            let n = self.rng.below(1000);
            let (name, path) = if self.rng.chance(200) {
                (
                    format!("svc{n}"),
                    format!("C:\\Users\\Public\\svc{n}.exe -service"),
                )
            } else {
                (
                    format!("AgentUpdate{n}"),
                    format!("\"C:\\Program Files\\Vendor\\Agent\\agent{n}.exe\" /service"),
                )
            };
            return system_service_installed(
                &machine.host,
                t,
                "S-1-5-18",
                &name,
                &path,
                "auto start",
                "LocalSystem",
            );
        }
        let service = *self.rng.pick(catalog::SERVICES);
        let state = if self.rng.chance(500) {
            "running"
        } else {
            "stopped"
        };
        system_service_state(&machine.host, t, service, state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use evtx::EvtxParser;
    use std::collections::BTreeMap;
    use std::io::Cursor;

    fn corpus(bytes: u64, seed: u64) -> Vec<u8> {
        let (out, _) = generate_to(Cursor::new(Vec::new()), bytes, seed).unwrap();
        out.into_inner()
    }

    #[test]
    fn same_seed_same_bytes() {
        assert_eq!(corpus(300_000, 7), corpus(300_000, 7));
        assert_ne!(corpus(300_000, 7), corpus(300_000, 8));
    }

    #[test]
    fn mix_reads_back_with_every_kind() {
        let bytes = corpus(2_000_000, 1);
        assert!(bytes.len() >= 2_000_000 && bytes.len() < 2_000_000 + 70_000);
        let mut parser = EvtxParser::from_buffer(bytes).unwrap();
        let mut kinds: BTreeMap<(String, u64), usize> = BTreeMap::new();
        let mut computers = std::collections::BTreeSet::new();
        let mut suspicious = 0;
        for r in parser.records_json_value() {
            let v = r.unwrap().data;
            let system = &v["Event"]["System"];
            let channel = system["Channel"].as_str().unwrap().to_string();
            let id = system["EventID"]
                .as_u64()
                .or_else(|| system["EventID"]["#text"].as_u64())
                .unwrap();
            *kinds.entry((channel, id)).or_default() += 1;
            computers.insert(system["Computer"].as_str().unwrap().to_string());
            let image = v["Event"]["EventData"]["Image"].as_str().unwrap_or("");
            if id == 1 && (image.ends_with("\\plink.exe") || image.ends_with("\\whoami.exe")) {
                suspicious += 1;
            }
        }
        for (channel, id) in [
            ("Microsoft-Windows-Sysmon/Operational", 1),
            ("Microsoft-Windows-Sysmon/Operational", 3),
            ("Microsoft-Windows-Sysmon/Operational", 7),
            ("Microsoft-Windows-Sysmon/Operational", 11),
            ("Microsoft-Windows-Sysmon/Operational", 13),
            ("Microsoft-Windows-Sysmon/Operational", 22),
            ("Security", 4624),
            ("Security", 4688),
            ("Microsoft-Windows-PowerShell/Operational", 4104),
            ("System", 7036),
        ] {
            let n = kinds.get(&(channel.to_string(), id)).copied().unwrap_or(0);
            assert!(n > 10, "{channel} {id}: {n} in {kinds:?}");
        }
        assert_eq!(computers.len(), HOSTS);
        assert!(suspicious > 0);
        let sysmon_1 = kinds[&("Microsoft-Windows-Sysmon/Operational".to_string(), 1)];
        assert!(suspicious * 10 < sysmon_1, "most process starts are benign");
    }

    #[test]
    fn split_writes_one_file_per_channel() {
        let dir = tempfile::tempdir().unwrap();
        let written = generate_split(dir.path(), 600_000, 3).unwrap();
        assert_eq!(written.len(), 4);
        for ((path, summary), (channel, _)) in written.iter().zip(SPLIT_FILES) {
            assert!(summary.records > 0, "{channel}");
            let mut parser = EvtxParser::from_path(path).unwrap();
            for r in parser.records_json_value() {
                let v = r.unwrap().data;
                assert_eq!(v["Event"]["System"]["Channel"], channel);
            }
        }
    }
}
