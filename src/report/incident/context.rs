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
use crate::read::{read_log, FileControl, ReadOptions};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Most process creations kept per computer.
pub const MAX_PROCESSES_PER_COMPUTER: usize = 200_000;
/// Most DNS queries kept per process.
pub const MAX_DNS_PER_PROCESS: usize = 500;
/// Most bytes of script text kept in all.
pub const MAX_SCRIPT_BYTES: usize = 64 * 1024 * 1024;

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
