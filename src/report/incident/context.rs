//! The incident report's second, targeted pass over the scanned logs: the events that did not
//! fire but explain the ones that did.
//!
//! Only four kinds of event are kept, and only from the computers that have hits: process
//! creations (Sysmon 1, Security 4688) to rebuild process lineage, DNS queries (Sysmon 22) of the
//! processes that fired, and the PowerShell 4104 fragments of the script blocks that fired. Each
//! is cut down to the few fields the report shows, and every collection is capped (per computer
//! and in total), so a hostile or huge log cannot exhaust memory; what the caps left out is
//! counted in [`IncidentContext::notes`].

use super::records::{fragment, opt_text, text};
pub use super::records::{
    is_process_creation, is_script_block, is_sysmon, parse_pid, process_record, DnsRecord,
    ProcessRecord, ProcessSource, ScriptFragment, SYSMON_CHANNEL,
};
use crate::event::Event;
use crate::hit::Hit;
use crate::read::ReadOptions;
use crate::scan::{read_files, FileSink, Progress};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Most process creations kept per computer.
pub const MAX_PROCESSES_PER_COMPUTER: usize = 200_000;
/// Most DNS queries kept per process.
pub const MAX_DNS_PER_PROCESS: usize = 500;
/// Most bytes of script text kept in all.
pub const MAX_SCRIPT_BYTES: usize = 64 * 1024 * 1024;
/// Most bytes (approximately) of process creations and DNS queries kept in all, whatever the
/// number of computers and processes.
pub const MAX_RECORD_BYTES: usize = 512 * 1024 * 1024;

/// The caps of a [`ContextCollector`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContextLimits {
    /// Most process creations kept per computer.
    pub processes_per_computer: usize,
    /// Most DNS queries kept per process.
    pub dns_per_process: usize,
    /// Most bytes of script text kept in all.
    pub script_bytes: usize,
    /// Most bytes (approximately) of process creations and DNS queries kept in all.
    pub record_bytes: usize,
}

impl Default for ContextLimits {
    fn default() -> Self {
        ContextLimits {
            processes_per_computer: MAX_PROCESSES_PER_COMPUTER,
            dns_per_process: MAX_DNS_PER_PROCESS,
            script_bytes: MAX_SCRIPT_BYTES,
            record_bytes: MAX_RECORD_BYTES,
        }
    }
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
    /// Process creations of these computers are kept (for lineage).
    pub lineage: bool,
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

fn hit_field<'a>(h: &'a Hit, name: &str) -> Option<&'a str> {
    super::super::columns::field(h, name).filter(|v| !v.is_empty())
}

impl Wanted {
    /// What the hits need.
    pub fn from_hits(hits: &[Hit]) -> Wanted {
        let mut w = Wanted {
            lineage: true,
            ..Wanted::default()
        };
        for h in hits {
            let computer = h.event.computer.to_string();
            w.computers.insert(computer.clone());
            let records: Vec<(u32, &str, u64)> = match &h.aggregate {
                Some(a) if !a.records.is_empty() => a
                    .records
                    .iter()
                    .map(|r| {
                        w.computers.insert(r.computer.to_string());
                        (r.event_id, &*r.channel, r.record_id)
                    })
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

    /// Whether a record of this channel and event id can hold anything wanted: the reader's
    /// record filter, so that nothing else is ever normalized.
    pub fn may_want(&self, channel: &str, event_id: u32) -> bool {
        match event_id {
            1 | 4688 => self.lineage && is_process_creation(channel, event_id),
            22 => {
                (!self.process_guids.is_empty() || !self.process_pids.is_empty())
                    && is_sysmon(channel, event_id, 22)
            }
            4104 => {
                (!self.script_ids.is_empty() || !self.script_records.is_empty())
                    && is_script_block(channel, event_id)
            }
            _ => false,
        }
    }
}

/// Gathers context events from the scanned logs; fed by the reader's sink from several threads.
pub struct ContextCollector {
    wanted: Wanted,
    limits: ContextLimits,
    state: Mutex<Gathered>,
}

#[derive(Default)]
struct Gathered {
    /// Approximate bytes of the process and DNS records kept.
    record_bytes: usize,
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

impl ContextCollector {
    /// A collector for what `wanted` asks for.
    pub fn new(wanted: Wanted) -> ContextCollector {
        ContextCollector::with_limits(wanted, ContextLimits::default())
    }

    /// A collector with other caps than the defaults.
    pub fn with_limits(wanted: Wanted, limits: ContextLimits) -> ContextCollector {
        ContextCollector {
            wanted,
            limits,
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
            if let Some(p) = process_record(ev).filter(|_| self.wanted.lineage) {
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
        let limits = self.limits;
        for p in kept_processes {
            let size = process_bytes(&p);
            let n = g.per_computer.get(&p.computer).copied().unwrap_or(0);
            if n >= limits.processes_per_computer || g.record_bytes + size > limits.record_bytes {
                g.processes_dropped += 1;
                continue;
            }
            *g.per_computer.entry(Arc::clone(&p.computer)).or_default() += 1;
            g.record_bytes += size;
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
            let size = dns_bytes(&d);
            let n = g.dns_per_process.get(&key).copied().unwrap_or(0);
            if n >= limits.dns_per_process || g.record_bytes + size > limits.record_bytes {
                g.dns_dropped += 1;
                continue;
            }
            *g.dns_per_process.entry(key).or_default() += 1;
            g.record_bytes += size;
            g.dns.push(d);
        }
        for f in kept_fragments {
            if g.script_bytes + f.text.len() > limits.script_bytes {
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

    /// The gathered context: copies of one record folded, sorted by time. What is offered after
    /// this is gathered anew.
    pub fn finish(&self) -> IncidentContext {
        let g = std::mem::take(&mut *self.state.lock().unwrap_or_else(|e| e.into_inner()));
        let limits = self.limits;
        let mut ctx = IncidentContext {
            processes: g.processes,
            dns: g.dns,
            fragments: g.fragments,
            notes: Vec::new(),
        };
        fold_copies(&mut ctx);
        if g.processes_dropped > 0 {
            ctx.notes.push(format!(
                "{} process creations not kept (more than {} on one computer, or over {} MiB of context records): lineage may be incomplete",
                g.processes_dropped,
                limits.processes_per_computer,
                limits.record_bytes / (1024 * 1024)
            ));
        }
        if g.dns_dropped > 0 {
            ctx.notes.push(format!(
                "{} DNS queries not kept (more than {} for one process, or over {} MiB of context records)",
                g.dns_dropped,
                limits.dns_per_process,
                limits.record_bytes / (1024 * 1024)
            ));
        }
        if g.script_dropped > 0 {
            ctx.notes.push(format!(
                "{} script block fragments not kept (over {} MiB of script text)",
                g.script_dropped,
                limits.script_bytes / (1024 * 1024)
            ));
        }
        ctx
    }
}

/// Approximate memory held by a kept process creation.
fn process_bytes(p: &ProcessRecord) -> usize {
    std::mem::size_of::<ProcessRecord>()
        + p.guid.as_deref().map_or(0, str::len)
        + p.parent_guid.as_deref().map_or(0, str::len)
        + p.image.len()
        + p.command_line.len()
        + p.parent_image.len()
        + p.parent_command_line.len()
        + p.user.len()
}

/// Approximate memory held by a kept DNS query.
fn dns_bytes(d: &DnsRecord) -> usize {
    std::mem::size_of::<DnsRecord>()
        + d.guid.as_deref().map_or(0, str::len)
        + d.image.len()
        + d.query.len()
        + d.results.len()
        + d.status.len()
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

/// Read the scanned logs again and gather the context for `hits`. Only Sysmon 1 and 22,
/// Security 4688 and PowerShell 4104 records are normalized (the reader's record filter skips
/// the rest), each file is read under the scan's isolation ([`crate::scan::read_files`]: a panic
/// costs that file only, and a file that makes no progress for [`FILE_TIMEOUT`] is abandoned). A
/// second pass, over 4104 records only, runs when some 4104 hit did not carry its ScriptBlockId.
/// Pass only logs the scan could read (see [`super::gather`]).
pub fn gather(logs: &[crate::discover::LogFile], hits: &[Hit]) -> IncidentContext {
    let wanted = Wanted::from_hits(hits);
    if wanted.computers.is_empty() {
        return IncidentContext::default();
    }
    let collector = Arc::new(ContextCollector::new(wanted));
    read_all(logs, &collector);
    let learnt = collector.new_script_ids();
    let mut ctx = collector.finish();
    if !learnt.is_empty() {
        let second = Wanted {
            computers: learnt.iter().map(|(c, _)| c.clone()).collect(),
            script_ids: learnt,
            ..Wanted::default()
        };
        let collector = Arc::new(ContextCollector::new(second));
        read_all(logs, &collector);
        let more = collector.finish();
        ctx.fragments.extend(more.fragments);
        ctx.notes.extend(more.notes);
    }
    ctx
}

/// A file that makes no progress for this long is abandoned by the context pass.
pub const FILE_TIMEOUT: Duration = Duration::from_secs(120);

/// Offer every wanted record of `logs` to `collector`.
fn read_all(logs: &[crate::discover::LogFile], collector: &Arc<ContextCollector>) {
    let filter_from = Arc::clone(collector);
    let options = ReadOptions {
        filter: Some(Arc::new(move |channel: &str, event_id: u32| {
            filter_from.wanted.may_want(channel, event_id)
        })),
        ..ReadOptions::default()
    };
    let sink_to = Arc::clone(collector);
    let sink: Arc<FileSink> = Arc::new(move |_file: usize, events: Vec<Event>| {
        sink_to.offer(&events);
    });
    read_files(
        logs,
        &options,
        FILE_TIMEOUT,
        &Arc::new(Progress::default()),
        sink,
    );
}
