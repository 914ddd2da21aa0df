//! Process lineage: for each process-creation hit, its ancestors, the process itself, its
//! children and its DNS queries, rebuilt from the gathered process creations.
//!
//! A Sysmon process's parent is the creation with its `ParentProcessGuid` on the same computer.
//! A 4688 process (or a Sysmon one whose parent GUID is not in the logs) falls back to process
//! ids: the parent is the latest creation on the same computer of a process with the child's
//! parent pid, at or before the child's time. When no creation of the parent is in the logs, the
//! parent named in the child's own event stands in for it, marked as not found.

use super::context::{DnsRecord, IncidentContext, ProcessRecord, ProcessSource};
use crate::hit::{EventRef, Hit};
use jiff::Timestamp;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

/// Deepest ancestry followed.
pub const MAX_DEPTH: usize = 32;
/// Most children listed per process.
pub const MAX_CHILDREN: usize = 30;
/// Most DNS queries listed per process.
pub const MAX_DNS: usize = 100;
/// Most earlier creations of one pid looked at to find a parent.
const MAX_PID_LOOKBACK: usize = 64;

/// One process as the report shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessNode {
    /// Creation time, when its creation is in the logs.
    pub time: Option<Timestamp>,
    /// Process id.
    pub pid: Option<u64>,
    /// Sysmon ProcessGuid.
    pub guid: Option<String>,
    /// Image path.
    pub image: String,
    /// Command line.
    pub command_line: String,
    /// Account.
    pub user: String,
    /// Where the creation was logged: `Sysmon 1 #record` / `4688 #record`; empty when its
    /// creation is not in the logs.
    pub origin: String,
}

/// One DNS query of a process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsLine {
    /// Time of the query.
    pub time: Timestamp,
    /// `QueryName`.
    pub query: String,
    /// `QueryResults`.
    pub results: String,
    /// `QueryStatus`.
    pub status: String,
}

/// The lineage of one process that fired.
#[derive(Debug, Clone)]
pub struct Lineage {
    /// The computer.
    pub computer: String,
    /// Oldest ancestor first, ending with the direct parent.
    pub ancestors: Vec<ProcessNode>,
    /// The process that fired.
    pub process: ProcessNode,
    /// Its children (at most [`MAX_CHILDREN`]).
    pub children: Vec<ProcessNode>,
    /// Children not listed.
    pub children_more: usize,
    /// Its DNS queries (at most [`MAX_DNS`]).
    pub dns: Vec<DnsLine>,
    /// DNS queries not listed.
    pub dns_more: usize,
    /// The hits on this process (indexes into the report's hits).
    pub hits: Vec<usize>,
}

/// An index of the gathered process creations.
pub struct ProcessIndex<'a> {
    processes: &'a [ProcessRecord],
    by_guid: HashMap<(&'a str, &'a str), usize>,
    by_pid: HashMap<(&'a str, u64), Vec<usize>>,
    by_record: HashMap<(&'a str, ProcessSource, u64), usize>,
    parent: Vec<Option<usize>>,
    children: HashMap<usize, Vec<usize>>,
    dns_by_guid: HashMap<(&'a str, &'a str), Vec<&'a DnsRecord>>,
    dns_by_pid: HashMap<(&'a str, u64), Vec<&'a DnsRecord>>,
}

impl<'a> ProcessIndex<'a> {
    /// Index the gathered context (processes sorted by time, as gathered).
    pub fn new(ctx: &'a IncidentContext) -> ProcessIndex<'a> {
        let processes = ctx.processes.as_slice();
        let mut by_guid = HashMap::new();
        let mut by_pid: HashMap<(&str, u64), Vec<usize>> = HashMap::new();
        let mut by_record = HashMap::new();
        for (i, p) in processes.iter().enumerate() {
            if let Some(g) = &p.guid {
                by_guid.entry((&*p.computer, &**g)).or_insert(i);
            }
            if let Some(pid) = p.pid {
                by_pid.entry((&*p.computer, pid)).or_default().push(i);
            }
            by_record.insert((&*p.computer, p.kind, p.record_id), i);
        }
        for list in by_pid.values_mut() {
            list.sort_by_key(|&i| (processes[i].time, i));
        }
        let mut index = ProcessIndex {
            processes,
            by_guid,
            by_pid,
            by_record,
            parent: Vec::new(),
            children: HashMap::new(),
            dns_by_guid: HashMap::new(),
            dns_by_pid: HashMap::new(),
        };
        index.parent = (0..processes.len())
            .map(|i| index.resolve_parent(&processes[i], Some(i)))
            .collect();
        for (child, parent) in index.parent.iter().enumerate() {
            if let Some(p) = parent {
                index.children.entry(*p).or_default().push(child);
            }
        }
        for d in &ctx.dns {
            if let Some(g) = &d.guid {
                index
                    .dns_by_guid
                    .entry((&*d.computer, &**g))
                    .or_default()
                    .push(d);
            }
            if let Some(pid) = d.pid {
                index
                    .dns_by_pid
                    .entry((&*d.computer, pid))
                    .or_default()
                    .push(d);
            }
        }
        index
    }

    /// The creation of `p`'s parent among the gathered ones.
    fn resolve_parent(&self, p: &ProcessRecord, own: Option<usize>) -> Option<usize> {
        if let Some(pg) = &p.parent_guid {
            if let Some(&i) = self.by_guid.get(&(&*p.computer, &**pg)) {
                return (Some(i) != own).then_some(i);
            }
        }
        let ppid = p.ppid?;
        // Candidates are in time order (the context is sorted): look back from the child's time,
        // a bounded number of steps so that hostile pid reuse cannot make this quadratic.
        let candidates = self.by_pid.get(&(&*p.computer, ppid))?;
        let upto = candidates.partition_point(|&i| self.processes[i].time <= p.time);
        candidates[..upto]
            .iter()
            .rev()
            .take(MAX_PID_LOOKBACK)
            .copied()
            .find(|&i| {
                // A Sysmon child with a parent GUID must not take a Sysmon parent with another GUID.
                Some(i) != own
                    && match (&p.parent_guid, &self.processes[i].guid) {
                        (Some(want), Some(have)) => want == have,
                        _ => true,
                    }
            })
    }

    /// The gathered creation a hit stands for, if it was gathered.
    pub fn find_hit(&self, h: &Hit) -> Option<usize> {
        self.find_record(&h.event)
    }

    /// The gathered creation of a record, if it was gathered.
    pub fn find_record(&self, r: &EventRef) -> Option<usize> {
        let kind = if r.event_id == 1 {
            ProcessSource::Sysmon
        } else {
            ProcessSource::Security
        };
        self.by_record
            .get(&(&*r.computer, kind, r.record_id))
            .copied()
            .filter(|&i| self.processes[i].time == r.time)
    }

    fn node(&self, i: usize) -> ProcessNode {
        node_of(&self.processes[i])
    }

    /// The lineage of the process with creation record `i`.
    pub fn lineage_of(&self, i: usize) -> Lineage {
        let p = &self.processes[i];
        let mut ancestors = Vec::new();
        let mut seen = HashSet::from([i]);
        let mut cur = i;
        while ancestors.len() < MAX_DEPTH {
            match self.parent.get(cur).copied().flatten() {
                Some(up) if seen.insert(up) => {
                    ancestors.push(self.node(up));
                    cur = up;
                }
                _ => {
                    let top = &self.processes[cur];
                    if let Some(stand_in) = stand_in_parent(top) {
                        if self.parent.get(cur).copied().flatten().is_none() {
                            ancestors.push(stand_in);
                        }
                    }
                    break;
                }
            }
        }
        ancestors.reverse();
        let kids = self.children.get(&i).map(Vec::as_slice).unwrap_or(&[]);
        let (dns, dns_more) = self.dns_of(p);
        Lineage {
            computer: p.computer.to_string(),
            ancestors,
            process: self.node(i),
            children: kids
                .iter()
                .take(MAX_CHILDREN)
                .map(|&c| self.node(c))
                .collect(),
            children_more: kids.len().saturating_sub(MAX_CHILDREN),
            dns,
            dns_more,
            hits: Vec::new(),
        }
    }

    /// The DNS queries of a process: by GUID, else by pid between its creation and the next
    /// creation of the same pid on that computer.
    fn dns_of(&self, p: &ProcessRecord) -> (Vec<DnsLine>, usize) {
        let mut found: Vec<&DnsRecord> = match &p.guid {
            Some(g) => self
                .dns_by_guid
                .get(&(&*p.computer, &**g))
                .cloned()
                .unwrap_or_default(),
            None => Vec::new(),
        };
        if p.guid.is_none() {
            if let Some(pid) = p.pid {
                let next_reuse = self
                    .by_pid
                    .get(&(&*p.computer, pid))
                    .into_iter()
                    .flatten()
                    .map(|&i| self.processes[i].time)
                    .filter(|t| *t > p.time)
                    .min();
                found = self
                    .dns_by_pid
                    .get(&(&*p.computer, pid))
                    .into_iter()
                    .flatten()
                    .copied()
                    .filter(|d| d.time >= p.time && next_reuse.is_none_or(|n| d.time < n))
                    .collect();
            }
        }
        found.sort_by_key(|d| (d.time, d.record_id));
        let more = found.len().saturating_sub(MAX_DNS);
        let lines = found
            .into_iter()
            .take(MAX_DNS)
            .map(|d| DnsLine {
                time: d.time,
                query: d.query.to_string(),
                results: d.results.to_string(),
                status: d.status.to_string(),
            })
            .collect();
        (lines, more)
    }
}

/// A node for a gathered process creation.
fn node_of(p: &ProcessRecord) -> ProcessNode {
    ProcessNode {
        time: Some(p.time),
        pid: p.pid,
        guid: p.guid.as_deref().map(str::to_string),
        image: p.image.to_string(),
        command_line: p.command_line.to_string(),
        user: p.user.to_string(),
        origin: format!(
            "{} #{}",
            match p.kind {
                ProcessSource::Sysmon => "Sysmon 1",
                ProcessSource::Security => "4688",
            },
            p.record_id
        ),
    }
}

/// The parent as the child's own event names it, when its creation is not in the logs.
fn stand_in_parent(p: &ProcessRecord) -> Option<ProcessNode> {
    if p.parent_image.is_empty() && p.parent_command_line.is_empty() && p.ppid.is_none() {
        return None;
    }
    Some(ProcessNode {
        time: None,
        pid: p.ppid,
        guid: p.parent_guid.as_deref().map(str::to_string),
        image: p.parent_image.to_string(),
        command_line: p.parent_command_line.to_string(),
        user: String::new(),
        origin: String::new(),
    })
}

/// A process record built from a hit's own fields, when its creation was not gathered.
fn record_from_hit(h: &Hit) -> ProcessRecord {
    let f = |n: &str| super::super::columns::field(h, n).unwrap_or_default();
    let sysmon = h.event.event_id == 1;
    let pid = |n: &str| super::context::parse_pid(f(n));
    ProcessRecord {
        computer: Arc::clone(&h.event.computer),
        time: h.event.time,
        kind: if sysmon {
            ProcessSource::Sysmon
        } else {
            ProcessSource::Security
        },
        record_id: h.event.record_id,
        source: Arc::clone(&h.event.source),
        guid: Some(f("ProcessGuid"))
            .filter(|s| !s.is_empty())
            .map(Into::into),
        parent_guid: Some(f("ParentProcessGuid"))
            .filter(|s| !s.is_empty())
            .map(Into::into),
        pid: if sysmon {
            pid("ProcessId")
        } else {
            pid("NewProcessId")
        },
        ppid: if sysmon {
            pid("ParentProcessId")
        } else {
            pid("ProcessId")
        },
        image: super::super::columns::KeyColumn::Image.value(h).into(),
        command_line: f("CommandLine").into(),
        parent_image: super::super::columns::KeyColumn::ParentImage
            .value(h)
            .into(),
        parent_command_line: f("ParentCommandLine").into(),
        user: super::super::columns::KeyColumn::User.value(h).into(),
    }
}

/// Most contributing records of one aggregate hit given a lineage.
pub const MAX_PER_AGGREGATE: usize = 5;

/// The lineage of every process-creation hit, one per process (several rules firing on one
/// process share it), in time order; at most `max` of them. An aggregate hit over process
/// creations gets the lineage of its first few records ([`MAX_PER_AGGREGATE`]) that were
/// gathered. Also returns how many processes that fired are not shown.
pub fn build(hits: &[Hit], ctx: &IncidentContext, max: usize) -> (Vec<Lineage>, usize) {
    let index = ProcessIndex::new(ctx);
    let mut by_process: BTreeMap<(Timestamp, String, u64), Lineage> = BTreeMap::new();
    let mut fired: HashSet<(Timestamp, String, u64)> = HashSet::new();
    let mut add = |key: (Timestamp, String, u64), n: usize, make: &dyn Fn() -> Lineage| {
        fired.insert(key.clone());
        if let Some(l) = by_process.get_mut(&key) {
            l.hits.push(n);
        } else if by_process.len() < max {
            let mut lineage = make();
            lineage.hits.push(n);
            by_process.insert(key, lineage);
        }
    };
    for (n, h) in hits.iter().enumerate() {
        match &h.aggregate {
            None if super::context::is_process_creation(&h.event.channel, h.event.event_id) => {
                let key = (
                    h.event.time,
                    h.event.computer.to_string(),
                    h.event.record_id,
                );
                add(key, n, &|| match index.find_hit(h) {
                    Some(i) => index.lineage_of(i),
                    None => lineage_without_creation(&index, &record_from_hit(h)),
                });
            }
            None => {}
            Some(a) => {
                let gathered = a
                    .records
                    .iter()
                    .filter(|r| super::context::is_process_creation(&r.channel, r.event_id))
                    .filter_map(|r| index.find_record(r).map(|i| (r, i)))
                    .take(MAX_PER_AGGREGATE);
                for (r, i) in gathered {
                    let key = (r.time, r.computer.to_string(), r.record_id);
                    add(key, n, &|| index.lineage_of(i));
                }
            }
        }
    }
    let lineages: Vec<Lineage> = by_process.into_values().collect();
    let more = fired.len().saturating_sub(lineages.len());
    (lineages, more)
}

/// Lineage for a hit whose creation record was not gathered: parents are looked up the same way.
fn lineage_without_creation(index: &ProcessIndex<'_>, p: &ProcessRecord) -> Lineage {
    let (dns, dns_more) = index.dns_of(p);
    let mut lineage = match index.resolve_parent(p, None) {
        Some(parent) => {
            let mut l = index.lineage_of(parent);
            l.ancestors.push(l.process.clone());
            l
        }
        None => Lineage {
            computer: p.computer.to_string(),
            ancestors: stand_in_parent(p).into_iter().collect(),
            process: node_of(p),
            children: Vec::new(),
            children_more: 0,
            dns: Vec::new(),
            dns_more: 0,
            hits: Vec::new(),
        },
    };
    lineage.process = node_of(p);
    lineage.children = Vec::new();
    lineage.children_more = 0;
    lineage.dns = dns;
    lineage.dns_more = dns_more;
    lineage
}
