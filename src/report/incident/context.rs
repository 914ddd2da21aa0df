//! The incident report's second, targeted pass over the scanned logs: the events that did not
//! fire but explain the ones that did.
//!
//! Only four kinds of event are kept, and only from the computers that have hits: process
//! creations (Sysmon 1, Security 4688) to rebuild process lineage, DNS queries (Sysmon 22) of the
//! processes that fired, and the PowerShell 4104 fragments of the script blocks that fired. Each
//! is cut down to the few fields the report shows, and every collection is capped (per computer
//! and in total), so a hostile or huge log cannot exhaust memory; what the caps left out is
//! counted in [`IncidentContext::notes`].

use crate::event::{Event, Source};
use crate::hit::Hit;
use crate::read::{read_log, FileControl, ReadOptions};
use crate::util::sanitize::truncate_chars;
use jiff::Timestamp;
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Sysmon's channel.
pub const SYSMON_CHANNEL: &str = "Microsoft-Windows-Sysmon/Operational";
/// Most process creations kept per computer.
pub const MAX_PROCESSES_PER_COMPUTER: usize = 200_000;
/// Most DNS queries kept per process.
pub const MAX_DNS_PER_PROCESS: usize = 500;
/// Most characters kept of a command line or image path.
pub const MAX_VALUE_CHARS: usize = 8_192;
/// Most bytes of script text kept in all.
pub const MAX_SCRIPT_BYTES: usize = 64 * 1024 * 1024;

/// Which log a process creation came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProcessSource {
    /// Sysmon event 1.
    Sysmon,
    /// Security event 4688.
    Security,
}

/// A process creation, cut down to what lineage needs.
#[derive(Debug, Clone)]
pub struct ProcessRecord {
    /// `Computer`.
    pub computer: Arc<str>,
    /// `TimeCreated`.
    pub time: Timestamp,
    /// Sysmon 1 or Security 4688.
    pub kind: ProcessSource,
    /// `EventRecordID`.
    pub record_id: u64,
    /// The log file.
    pub source: Arc<Source>,
    /// Sysmon `ProcessGuid`.
    pub guid: Option<Box<str>>,
    /// Sysmon `ParentProcessGuid`.
    pub parent_guid: Option<Box<str>>,
    /// Sysmon `ProcessId`, 4688 `NewProcessId` (hex in the log).
    pub pid: Option<u64>,
    /// Sysmon `ParentProcessId`, 4688 `ProcessId` (the creator).
    pub ppid: Option<u64>,
    /// `Image` / `NewProcessName`.
    pub image: Box<str>,
    /// `CommandLine`.
    pub command_line: Box<str>,
    /// `ParentImage` / `ParentProcessName`.
    pub parent_image: Box<str>,
    /// `ParentCommandLine` (Sysmon only).
    pub parent_command_line: Box<str>,
    /// `User`, or the 4688 target (else subject) account as `DOMAIN\name`.
    pub user: Box<str>,
}

/// A DNS query (Sysmon 22).
#[derive(Debug, Clone)]
pub struct DnsRecord {
    /// `Computer`.
    pub computer: Arc<str>,
    /// `TimeCreated`.
    pub time: Timestamp,
    /// `ProcessGuid`.
    pub guid: Option<Box<str>>,
    /// `ProcessId`.
    pub pid: Option<u64>,
    /// `Image`.
    pub image: Box<str>,
    /// `QueryName`.
    pub query: Box<str>,
    /// `QueryResults`.
    pub results: Box<str>,
    /// `QueryStatus`.
    pub status: Box<str>,
    /// `EventRecordID`.
    pub record_id: u64,
}

/// One 4104 fragment of a script block.
#[derive(Debug, Clone)]
pub struct ScriptFragment {
    /// `Computer`.
    pub computer: Arc<str>,
    /// `ScriptBlockId`.
    pub script_id: Box<str>,
    /// `MessageNumber` (1-based).
    pub number: u32,
    /// `MessageTotal`.
    pub total: u32,
    /// `ScriptBlockText`.
    pub text: Box<str>,
    /// `Path` (the script file, when there is one).
    pub path: Box<str>,
    /// `TimeCreated`.
    pub time: Timestamp,
    /// `EventRecordID`.
    pub record_id: u64,
}

/// The events gathered for the report.
#[derive(Debug, Default, Clone)]
pub struct IncidentContext {
    /// Process creations on the computers with hits (copies of one record folded).
    pub processes: Vec<ProcessRecord>,
    /// DNS queries of the processes that fired.
    pub dns: Vec<DnsRecord>,
    /// 4104 fragments of the script blocks that fired.
    pub fragments: Vec<ScriptFragment>,
    /// What the caps left out, for the report to say.
    pub notes: Vec<String>,
}

/// What to keep, derived from the hits.
#[derive(Debug, Default, Clone)]
pub struct Wanted {
    /// Computers with hits.
    pub computers: HashSet<String>,
    /// (computer, ProcessGuid) of the processes that fired: their DNS queries are kept.
    pub process_guids: HashSet<(String, String)>,
    /// (computer, pid) of 4688 processes that fired: DNS of that pid is kept.
    pub process_pids: HashSet<(String, u64)>,
    /// (computer, ScriptBlockId) of the script blocks that fired.
    pub script_ids: HashSet<(String, String)>,
    /// (computer, record id) of 4104 hits whose ScriptBlockId is not in the hit.
    pub script_records: HashSet<(String, u64)>,
}

/// Whether an event is a Sysmon process creation.
pub fn is_sysmon(ev_channel: &str, event_id: u32, wanted: u32) -> bool {
    event_id == wanted && ev_channel.eq_ignore_ascii_case(SYSMON_CHANNEL)
}

/// Whether a hit's event is a process creation (Sysmon 1 or Security 4688).
pub fn is_process_creation(channel: &str, event_id: u32) -> bool {
    is_sysmon(channel, event_id, 1)
        || (event_id == 4688 && channel.eq_ignore_ascii_case("Security"))
}

/// Whether a hit's event is a PowerShell script block (4104).
pub fn is_script_block(channel: &str, event_id: u32) -> bool {
    event_id == 4104 && channel.to_ascii_lowercase().contains("powershell")
}

fn hit_field<'a>(h: &'a Hit, name: &str) -> Option<&'a str> {
    super::super::columns::field(h, name).filter(|v| !v.is_empty())
}

impl Wanted {
    /// What the hits need.
    pub fn from_hits(hits: &[Hit]) -> Wanted {
        let mut w = Wanted::default();
        for h in hits {
            let computer = h.event.computer.to_string();
            w.computers.insert(computer.clone());
            let records: Vec<(u32, &str, u64)> = match &h.aggregate {
                Some(a) if !a.records.is_empty() => a
                    .records
                    .iter()
                    .map(|r| (r.event_id, &*r.channel, r.record_id))
                    .collect(),
                _ => vec![(h.event.event_id, &*h.event.channel, h.event.record_id)],
            };
            for (event_id, channel, record_id) in records {
                if is_process_creation(channel, event_id) {
                    if let Some(g) = hit_field(h, "ProcessGuid") {
                        w.process_guids.insert((computer.clone(), g.to_string()));
                    }
                    if event_id == 4688 {
                        if let Some(pid) = hit_field(h, "NewProcessId").and_then(parse_pid) {
                            w.process_pids.insert((computer.clone(), pid));
                        }
                    }
                } else if is_script_block(channel, event_id) {
                    match hit_field(h, "ScriptBlockId") {
                        Some(id) if h.aggregate.is_none() => {
                            w.script_ids.insert((computer.clone(), id.to_string()));
                        }
                        _ => {
                            w.script_records.insert((computer.clone(), record_id));
                        }
                    }
                }
            }
        }
        w
    }
}

/// A process id as Windows writes it (decimal, or `0x` hex in 4688).
pub fn parse_pid(s: &str) -> Option<u64> {
    crate::util::parse_int(s).and_then(|v| u64::try_from(v).ok())
}

fn text(ev: &Event, name: &str) -> Box<str> {
    ev.get_str(name)
        .map(|v| {
            truncate_chars(&v, MAX_VALUE_CHARS)
                .into_owned()
                .into_boxed_str()
        })
        .unwrap_or_default()
}

fn opt_text(ev: &Event, name: &str) -> Option<Box<str>> {
    ev.get_str(name).filter(|v| !v.is_empty()).map(|v| {
        truncate_chars(&v, MAX_VALUE_CHARS)
            .into_owned()
            .into_boxed_str()
    })
}

/// The 4688 account of the new process (`TargetDomainName\TargetUserName`), else its creator.
fn account_4688(ev: &Event) -> Box<str> {
    let pick = |user: &str, domain: &str| -> Option<String> {
        let u = ev.get_str(user)?;
        if u.is_empty() || u == "-" {
            return None;
        }
        Some(
            match ev.get_str(domain).filter(|d| !d.is_empty() && d != "-") {
                Some(d) => format!("{d}\\{u}"),
                None => u.into_owned(),
            },
        )
    };
    pick("TargetUserName", "TargetDomainName")
        .or_else(|| pick("SubjectUserName", "SubjectDomainName"))
        .unwrap_or_default()
        .into_boxed_str()
}

/// A process creation record from an event, if it is one.
pub fn process_record(ev: &Event) -> Option<ProcessRecord> {
    let computer: Arc<str> = Arc::from(&*ev.computer);
    if is_sysmon(&ev.channel, ev.event_id, 1) {
        return Some(ProcessRecord {
            computer,
            time: ev.time,
            kind: ProcessSource::Sysmon,
            record_id: ev.record_id,
            source: Arc::clone(&ev.source),
            guid: opt_text(ev, "ProcessGuid"),
            parent_guid: opt_text(ev, "ParentProcessGuid"),
            pid: ev.get_str("ProcessId").and_then(|v| parse_pid(&v)),
            ppid: ev.get_str("ParentProcessId").and_then(|v| parse_pid(&v)),
            image: text(ev, "Image"),
            command_line: text(ev, "CommandLine"),
            parent_image: text(ev, "ParentImage"),
            parent_command_line: text(ev, "ParentCommandLine"),
            user: text(ev, "User"),
        });
    }
    if is_process_creation(&ev.channel, ev.event_id) {
        return Some(ProcessRecord {
            computer,
            time: ev.time,
            kind: ProcessSource::Security,
            record_id: ev.record_id,
            source: Arc::clone(&ev.source),
            guid: None,
            parent_guid: None,
            pid: ev.get_str("NewProcessId").and_then(|v| parse_pid(&v)),
            ppid: ev.get_str("ProcessId").and_then(|v| parse_pid(&v)),
            image: text(ev, "NewProcessName"),
            command_line: text(ev, "CommandLine"),
            parent_image: text(ev, "ParentProcessName"),
            parent_command_line: Box::from(""),
            user: account_4688(ev),
        });
    }
    None
}

/// Gathers context events from the scanned logs; fed by the reader's sink from several threads.
pub struct ContextCollector {
    wanted: Wanted,
    state: Mutex<Gathered>,
}

#[derive(Default)]
struct Gathered {
    processes: Vec<ProcessRecord>,
    per_computer: HashMap<Arc<str>, usize>,
    processes_dropped: u64,
    dns: Vec<DnsRecord>,
    dns_per_process: HashMap<(Arc<str>, String), usize>,
    dns_dropped: u64,
    fragments: Vec<ScriptFragment>,
    script_bytes: usize,
    script_dropped: u64,
    /// ScriptBlockIds learnt from 4104 hit records whose hit did not carry them.
    learnt_script_ids: HashSet<(String, String)>,
}

/// Whether a channel can hold any event the context keeps.
pub fn relevant_channel(channel: &str) -> bool {
    channel.eq_ignore_ascii_case(SYSMON_CHANNEL)
        || channel.eq_ignore_ascii_case("Security")
        || channel.to_ascii_lowercase().contains("powershell")
}

impl ContextCollector {
    /// A collector for what `wanted` asks for.
    pub fn new(wanted: Wanted) -> ContextCollector {
        ContextCollector {
            wanted,
            state: Mutex::new(Gathered::default()),
        }
    }

    /// Offer one batch of events; the ones the report needs are kept, cut down.
    pub fn offer(&self, events: &[Event]) {
        let mut kept_processes = Vec::new();
        let mut kept_dns = Vec::new();
        let mut kept_fragments = Vec::new();
        let mut learnt = Vec::new();
        for ev in events {
            if !self.wanted.computers.contains(&*ev.computer) {
                continue;
            }
            if let Some(p) = process_record(ev) {
                kept_processes.push(p);
            } else if is_sysmon(&ev.channel, ev.event_id, 22) {
                if let Some(d) = self.dns_record(ev) {
                    kept_dns.push(d);
                }
            } else if is_script_block(&ev.channel, ev.event_id) {
                let id = ev.get_str("ScriptBlockId").unwrap_or_default();
                let key = (ev.computer.to_string(), id.to_string());
                if self
                    .wanted
                    .script_records
                    .contains(&(key.0.clone(), ev.record_id))
                {
                    learnt.push(key.clone());
                }
                if self.wanted.script_ids.contains(&key) {
                    kept_fragments.push(fragment(ev));
                }
            }
        }
        if kept_processes.is_empty()
            && kept_dns.is_empty()
            && kept_fragments.is_empty()
            && learnt.is_empty()
        {
            return;
        }
        let mut g = self.state.lock().unwrap_or_else(|e| e.into_inner());
        g.learnt_script_ids.extend(learnt);
        for p in kept_processes {
            let n = g.per_computer.entry(Arc::clone(&p.computer)).or_default();
            if *n >= MAX_PROCESSES_PER_COMPUTER {
                g.processes_dropped += 1;
                continue;
            }
            *n += 1;
            g.processes.push(p);
        }
        for d in kept_dns {
            let key = (
                Arc::clone(&d.computer),
                d.guid
                    .as_deref()
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("pid:{}", d.pid.unwrap_or(0))),
            );
            let n = g.dns_per_process.entry(key).or_default();
            if *n >= MAX_DNS_PER_PROCESS {
                g.dns_dropped += 1;
                continue;
            }
            *n += 1;
            g.dns.push(d);
        }
        for f in kept_fragments {
            if g.script_bytes + f.text.len() > MAX_SCRIPT_BYTES {
                g.script_dropped += 1;
                continue;
            }
            g.script_bytes += f.text.len();
            g.fragments.push(f);
        }
    }

    fn dns_record(&self, ev: &Event) -> Option<DnsRecord> {
        let guid = opt_text(ev, "ProcessGuid");
        let pid = ev.get_str("ProcessId").and_then(|v| parse_pid(&v));
        let computer = ev.computer.to_string();
        let by_guid = guid.as_deref().is_some_and(|g| {
            self.wanted
                .process_guids
                .contains(&(computer.clone(), g.to_string()))
        });
        let by_pid = pid.is_some_and(|p| self.wanted.process_pids.contains(&(computer, p)));
        if !by_guid && !by_pid {
            return None;
        }
        Some(DnsRecord {
            computer: Arc::from(&*ev.computer),
            time: ev.time,
            guid,
            pid,
            image: text(ev, "Image"),
            query: text(ev, "QueryName"),
            results: text(ev, "QueryResults"),
            status: text(ev, "QueryStatus"),
            record_id: ev.record_id,
        })
    }

    /// The ScriptBlockIds learnt from hit records that the wanted set did not have yet.
    fn new_script_ids(&self) -> HashSet<(String, String)> {
        let g = self.state.lock().unwrap_or_else(|e| e.into_inner());
        g.learnt_script_ids
            .iter()
            .filter(|k| !self.wanted.script_ids.contains(*k))
            .cloned()
            .collect()
    }

    /// The gathered context: copies of one record folded, sorted by time.
    pub fn finish(self) -> IncidentContext {
        let g = self.state.into_inner().unwrap_or_else(|e| e.into_inner());
        let mut ctx = IncidentContext {
            processes: g.processes,
            dns: g.dns,
            fragments: g.fragments,
            notes: Vec::new(),
        };
        fold_copies(&mut ctx);
        if g.processes_dropped > 0 {
            ctx.notes.push(format!(
                "{} process creations not kept (more than {MAX_PROCESSES_PER_COMPUTER} on one computer): lineage may be incomplete",
                g.processes_dropped
            ));
        }
        if g.dns_dropped > 0 {
            ctx.notes.push(format!(
                "{} DNS queries not kept (more than {MAX_DNS_PER_PROCESS} for one process)",
                g.dns_dropped
            ));
        }
        if g.script_dropped > 0 {
            ctx.notes.push(format!(
                "{} script block fragments not kept (over {} MiB of script text)",
                g.script_dropped,
                MAX_SCRIPT_BYTES / (1024 * 1024)
            ));
        }
        ctx
    }
}

fn fragment(ev: &Event) -> ScriptFragment {
    let num = |name: &str| {
        ev.get_str(name)
            .and_then(|v| crate::util::parse_int(&v))
            .and_then(|v| u32::try_from(v).ok())
            .unwrap_or(1)
    };
    ScriptFragment {
        computer: Arc::from(&*ev.computer),
        script_id: ev.get_str("ScriptBlockId").unwrap_or_default().into(),
        number: num("MessageNumber"),
        total: num("MessageTotal"),
        text: ev.get_str("ScriptBlockText").unwrap_or_default().into(),
        path: text(ev, "Path"),
        time: ev.time,
        record_id: ev.record_id,
    }
}

/// Fold copies of one record (the same log collected twice, VSS copies) and sort by time.
fn fold_copies(ctx: &mut IncidentContext) {
    let mut seen = HashSet::new();
    ctx.processes.sort_by(|a, b| {
        (a.time, &a.computer, a.kind, a.record_id, &a.source.path).cmp(&(
            b.time,
            &b.computer,
            b.kind,
            b.record_id,
            &b.source.path,
        ))
    });
    ctx.processes
        .retain(|p| seen.insert((Arc::clone(&p.computer), p.kind, p.record_id, p.time)));
    let mut seen = HashSet::new();
    ctx.dns.sort_by(|a, b| {
        (a.time, &a.computer, a.record_id).cmp(&(b.time, &b.computer, b.record_id))
    });
    ctx.dns
        .retain(|d| seen.insert((Arc::clone(&d.computer), d.record_id, d.time)));
    let mut seen = HashSet::new();
    ctx.fragments.sort_by(|a, b| {
        (&a.computer, &a.script_id, a.number, a.time).cmp(&(
            &b.computer,
            &b.script_id,
            b.number,
            b.time,
        ))
    });
    ctx.fragments.retain(|f| {
        seen.insert((
            Arc::clone(&f.computer),
            f.script_id.clone(),
            f.number,
            f.record_id,
        ))
    });
}

/// Read the scanned logs again and gather the context for `hits`. Files whose first events are
/// all of one channel that holds nothing the report needs are abandoned after their first
/// chunks, and a file that makes no progress for [`FILE_TIMEOUT`] is abandoned. A second pass
/// runs only when some 4104 hit did not carry its ScriptBlockId. Pass only logs the scan could
/// read (see [`super::gather`]).
pub fn gather(logs: &[crate::discover::LogFile], hits: &[Hit]) -> IncidentContext {
    let wanted = Wanted::from_hits(hits);
    if wanted.computers.is_empty() {
        return IncidentContext::default();
    }
    let collector = ContextCollector::new(wanted.clone());
    read_all(logs, &collector);
    let learnt = collector.new_script_ids();
    let mut ctx = collector.finish();
    if !learnt.is_empty() {
        let second = Wanted {
            computers: learnt.iter().map(|(c, _)| c.clone()).collect(),
            script_ids: learnt,
            ..Wanted::default()
        };
        let collector = ContextCollector::new(second);
        read_all(logs, &collector);
        let more = collector.finish();
        ctx.fragments.extend(more.fragments);
        ctx.notes.extend(more.notes);
    }
    ctx
}

/// A file that makes no progress for this long is abandoned by the context pass.
pub const FILE_TIMEOUT: Duration = Duration::from_secs(120);

fn read_all(logs: &[crate::discover::LogFile], collector: &ContextCollector) {
    let options = ReadOptions::default();
    let controls: Vec<FileControl> = logs.iter().map(|_| FileControl::default()).collect();
    let active: Vec<AtomicBool> = logs.iter().map(|_| AtomicBool::new(false)).collect();
    let done = AtomicBool::new(false);
    std::thread::scope(|scope| {
        scope.spawn(|| watch(&controls, &active, &done, FILE_TIMEOUT));
        let work: Vec<_> = logs.iter().zip(&controls).zip(&active).collect();
        work.par_iter().for_each(|((log, control), active)| {
            active.store(true, Ordering::Relaxed);
            let decided = AtomicBool::new(false);
            let sink = |events: Vec<Event>| {
                if !decided.swap(true, Ordering::Relaxed) {
                    let channels: BTreeMap<&str, ()> =
                        events.iter().map(|e| (&*e.channel, ())).collect();
                    if channels.len() == 1 && !channels.keys().any(|c| relevant_channel(c)) {
                        control.cancel.store(true, Ordering::Relaxed);
                        return;
                    }
                }
                collector.offer(&events);
            };
            let _ = read_log(log, &options, control, &sink);
            active.store(false, Ordering::Relaxed);
        });
        done.store(true, Ordering::Relaxed);
    });
}

/// Cancel any file being read that makes no progress for `timeout`, until `done`.
fn watch(controls: &[FileControl], active: &[AtomicBool], done: &AtomicBool, timeout: Duration) {
    let tick = Duration::from_millis(200).min(timeout);
    let mut last: Vec<(u64, Instant)> = controls
        .iter()
        .map(|c| (c.progress.load(Ordering::Relaxed), Instant::now()))
        .collect();
    while !done.load(Ordering::Relaxed) {
        std::thread::sleep(tick);
        let now = Instant::now();
        for ((c, (seen, since)), active) in controls.iter().zip(last.iter_mut()).zip(active) {
            let p = c.progress.load(Ordering::Relaxed);
            if p != *seen || !active.load(Ordering::Relaxed) {
                (*seen, *since) = (p, now);
            } else if now.duration_since(*since) >= timeout {
                c.cancel.store(true, Ordering::Relaxed);
            }
        }
    }
}
