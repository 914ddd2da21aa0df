//! A correlation's definition and its window logic.
//!
//! Each group's occurrences are sorted by time. A window opens at each occurrence in turn and
//! takes every later one within `timespan`; when the condition holds on a window it fires, and
//! the next window opens after it (so one burst gives one hit, a later burst another).

use super::super::document::Doc;
use super::{yaml_strings, Record};
use crate::rules::EventMatch;
use jiff::Timestamp;
use serde_yaml_ng::Value as Yaml;
use std::collections::{BTreeMap, HashMap};

/// The correlation types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Number of events.
    EventCount,
    /// Number of distinct values of `field`.
    ValueCount,
    /// Every referenced rule matched (or the condition's count of them).
    Temporal,
    /// Every referenced rule matched, in the listed order.
    TemporalOrdered,
    /// Sum of `field`.
    ValueSum,
    /// Average of `field`.
    ValueAvg,
}

/// A condition operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `gt`.
    Gt,
    /// `gte`.
    Gte,
    /// `lt`.
    Lt,
    /// `lte`.
    Lte,
    /// `eq`.
    Eq,
    /// `neq`.
    Neq,
}

impl Op {
    fn holds(self, x: f64, v: f64) -> bool {
        match self {
            Op::Gt => x > v,
            Op::Gte => x >= v,
            Op::Lt => x < v,
            Op::Lte => x <= v,
            Op::Eq => x == v,
            Op::Neq => x != v,
        }
    }
}

/// A parsed `correlation:` block.
#[derive(Debug, Clone)]
pub struct Spec {
    /// The type.
    pub kind: Kind,
    /// Referenced rules (ids or names).
    pub rules: Vec<String>,
    /// Group-by fields (or aliases).
    pub group_by: Vec<String>,
    /// Window length in nanoseconds.
    pub timespan_ns: i128,
    /// Conditions, ANDed.
    pub conditions: Vec<(Op, f64)>,
    /// `condition.field` for the value types.
    pub field: Option<String>,
    /// alias → (rule name or id → field).
    pub aliases: HashMap<String, HashMap<String, String>>,
    /// Whether the referenced rules also report on their own.
    pub generate: bool,
}

impl Spec {
    /// Parse a correlation document.
    pub fn parse(doc: &Doc) -> Result<Spec, String> {
        let Some(Yaml::Mapping(c)) = doc.map.get("correlation") else {
            return Err("`correlation` is not a map".into());
        };
        let kind = match c.get("type").and_then(Yaml::as_str).map(str::trim) {
            Some("event_count") => Kind::EventCount,
            Some("value_count") => Kind::ValueCount,
            Some("temporal") => Kind::Temporal,
            Some("temporal_ordered") => Kind::TemporalOrdered,
            Some("value_sum") => Kind::ValueSum,
            Some("value_avg") => Kind::ValueAvg,
            Some(other) => return Err(format!("correlation type `{other}` is not supported")),
            None => return Err("the correlation has no `type`".into()),
        };
        let rules = yaml_strings(c.get("rules"));
        if rules.is_empty() {
            return Err("the correlation names no `rules`".into());
        }
        let timespan_ns = match c.get("timespan").or_else(|| c.get("timeframe")) {
            Some(Yaml::String(s)) => parse_timespan(s)?,
            Some(Yaml::Number(n)) => i128::from(n.as_i64().unwrap_or(0)) * 1_000_000_000,
            _ => return Err("the correlation has no `timespan`".into()),
        };
        let mut conditions = Vec::new();
        let mut field = None;
        if let Some(Yaml::Mapping(m)) = c.get("condition") {
            for (k, v) in m {
                let key = k.as_str().unwrap_or("");
                if key == "field" {
                    field = v.as_str().map(str::to_string);
                    continue;
                }
                let op = match key {
                    "gt" => Op::Gt,
                    "gte" => Op::Gte,
                    "lt" => Op::Lt,
                    "lte" => Op::Lte,
                    "eq" => Op::Eq,
                    "neq" => Op::Neq,
                    other => return Err(format!("unknown correlation condition `{other}`")),
                };
                let n = v
                    .as_f64()
                    .ok_or_else(|| format!("correlation condition `{key}` needs a number"))?;
                conditions.push((op, n));
            }
        }
        let needs_condition = matches!(
            kind,
            Kind::EventCount | Kind::ValueCount | Kind::ValueSum | Kind::ValueAvg
        );
        if needs_condition && conditions.is_empty() {
            return Err("the correlation has no `condition`".into());
        }
        if matches!(kind, Kind::ValueCount | Kind::ValueSum | Kind::ValueAvg) && field.is_none() {
            return Err("this correlation type needs `condition.field`".into());
        }
        let mut aliases = HashMap::new();
        if let Some(Yaml::Mapping(a)) = c.get("aliases") {
            for (alias, per_rule) in a {
                let (Some(alias), Yaml::Mapping(per_rule)) = (alias.as_str(), per_rule) else {
                    return Err("`aliases` must map each alias to rule → field".into());
                };
                let map = per_rule
                    .iter()
                    .filter_map(|(r, f)| Some((r.as_str()?.to_string(), f.as_str()?.to_string())))
                    .collect();
                aliases.insert(alias.to_string(), map);
            }
        }
        let generate = matches!(
            c.get("generate").or_else(|| doc.map.get("generate")),
            Some(Yaml::Bool(true))
        );
        Ok(Spec {
            kind,
            rules,
            group_by: yaml_strings(c.get("group-by")),
            timespan_ns,
            conditions,
            field,
            aliases,
            generate,
        })
    }

    /// The names this node reads from its children: group-by and the value field.
    pub fn needed_fields(&self) -> Vec<String> {
        let mut v = self.group_by.clone();
        if let Some(f) = &self.field {
            if !v.contains(f) {
                v.push(f.clone());
            }
        }
        v
    }

    /// The field a name stands for in one child's events (through `aliases`).
    pub fn resolve(&self, name: &str, child_keys: &[String]) -> String {
        self.aliases
            .get(name)
            .and_then(|per| child_keys.iter().find_map(|k| per.get(k)))
            .cloned()
            .unwrap_or_else(|| name.to_string())
    }
}

fn parse_timespan(s: &str) -> Result<i128, String> {
    let s = s.trim();
    let unit = s.chars().last().ok_or("empty `timespan`")?;
    let n: i128 = s[..s.len() - unit.len_utf8()]
        .trim()
        .parse()
        .map_err(|_| format!("`timespan: {s}` is not a number and a unit (s, m, h, d, w)"))?;
    let secs: i128 = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        'w' => 604_800,
        _ => {
            return Err(format!(
                "`timespan: {s}` has an unknown unit (s, m, h, d, w)"
            ))
        }
    };
    Ok(n * secs * 1_000_000_000)
}

/// One event, or one window of an inner correlation, as seen by the node above.
#[derive(Debug, Clone)]
pub struct Occurrence {
    /// Earliest time.
    pub first: Timestamp,
    /// Latest time.
    pub last: Timestamp,
    /// The records.
    pub records: Vec<Record>,
    /// Field values, in the producing node's (or rule's) names.
    pub values: HashMap<String, String>,
    /// The metric that made a window fire (`distinct User`, `5`).
    pub metric: Option<(String, String)>,
}

impl Occurrence {
    /// An occurrence for one matched event.
    pub fn of_event(m: &EventMatch, values: HashMap<String, String>) -> Occurrence {
        Occurrence {
            first: m.event.time,
            last: m.event.time,
            records: vec![m.event.clone()],
            values,
            metric: None,
        }
    }
}

struct Item {
    child: usize,
    occ: Occurrence,
    value: Option<String>,
}

/// Group, sort and slide the window; every firing window becomes an occurrence.
pub fn evaluate(
    spec: &Spec,
    child_keys: &[Vec<String>],
    extra: &[String],
    occurrences: Vec<(usize, Occurrence)>,
) -> Vec<Occurrence> {
    let mut groups: BTreeMap<Vec<String>, Vec<Item>> = BTreeMap::new();
    'next: for (child, occ) in occurrences {
        let keys = child_keys.get(child).map(Vec::as_slice).unwrap_or(&[]);
        let mut group = Vec::with_capacity(spec.group_by.len());
        for g in &spec.group_by {
            match occ.values.get(&spec.resolve(g, keys)) {
                Some(v) => group.push(v.clone()),
                None => continue 'next,
            }
        }
        let value = spec
            .field
            .as_ref()
            .and_then(|f| occ.values.get(&spec.resolve(f, keys)).cloned());
        groups
            .entry(group)
            .or_default()
            .push(Item { child, occ, value });
    }
    let mut out = Vec::new();
    for (group, mut items) in groups {
        items.sort_by_key(|it| it.occ.first);
        let mut state = State::new(child_keys.len());
        let (mut i, mut end) = (0usize, 0usize);
        while i < items.len() {
            let start = items[i].occ.first.as_nanosecond();
            while end < items.len()
                && items[end].occ.first.as_nanosecond() - start <= spec.timespan_ns
            {
                state.add(&items[end]);
                end += 1;
            }
            let window = &items[i..end];
            if let Some(metric) = state.fires(spec, window) {
                out.push(emit(spec, child_keys, extra, &group, window, metric));
                state = State::new(child_keys.len());
                i = end;
            } else {
                state.remove(&items[i]);
                i += 1;
            }
        }
    }
    out
}

fn emit(
    spec: &Spec,
    child_keys: &[Vec<String>],
    extra: &[String],
    group: &[String],
    window: &[Item],
    metric: f64,
) -> Occurrence {
    let mut values: HashMap<String, String> = spec
        .group_by
        .iter()
        .cloned()
        .zip(group.iter().cloned())
        .collect();
    for e in extra {
        let mut seen: Option<&String> = None;
        let mut uniform = true;
        for it in window {
            let keys = child_keys.get(it.child).map(Vec::as_slice).unwrap_or(&[]);
            match (it.occ.values.get(&spec.resolve(e, keys)), seen) {
                (Some(v), None) => seen = Some(v),
                (Some(v), Some(s)) if v == s => {}
                _ => uniform = false,
            }
        }
        if let (true, Some(v)) = (uniform, seen) {
            values.entry(e.clone()).or_insert_with(|| v.clone());
        }
    }
    let mut records: Vec<Record> = Vec::new();
    for it in window {
        for r in &it.occ.records {
            if !records
                .iter()
                .any(|x| x.record_id == r.record_id && x.source == r.source)
            {
                records.push(r.clone());
            }
        }
    }
    let first = window.iter().map(|it| it.occ.first).min();
    let last = window.iter().map(|it| it.occ.last).max();
    let field = spec.field.clone().unwrap_or_default();
    let name = match spec.kind {
        Kind::EventCount => "events".to_string(),
        Kind::ValueCount => format!("distinct {field}"),
        Kind::ValueSum => format!("sum {field}"),
        Kind::ValueAvg => format!("avg {field}"),
        Kind::Temporal | Kind::TemporalOrdered => "rules".to_string(),
    };
    Occurrence {
        first: first.unwrap_or_default(),
        last: last.unwrap_or_default(),
        records,
        values,
        metric: Some((name, metric.to_string())),
    }
}

/// Running counts over the open window.
struct State {
    n: usize,
    distinct: HashMap<String, usize>,
    per_child: Vec<usize>,
    sum: f64,
    numbers: usize,
}

impl State {
    fn new(children: usize) -> State {
        State {
            n: 0,
            distinct: HashMap::new(),
            per_child: vec![0; children],
            sum: 0.0,
            numbers: 0,
        }
    }

    fn add(&mut self, it: &Item) {
        self.n += 1;
        if let Some(c) = self.per_child.get_mut(it.child) {
            *c += 1;
        }
        if let Some(v) = &it.value {
            *self.distinct.entry(v.clone()).or_insert(0) += 1;
            if let Some(x) = number(v) {
                self.sum += x;
                self.numbers += 1;
            }
        }
    }

    fn remove(&mut self, it: &Item) {
        self.n = self.n.saturating_sub(1);
        if let Some(c) = self.per_child.get_mut(it.child) {
            *c = c.saturating_sub(1);
        }
        if let Some(v) = &it.value {
            if let Some(c) = self.distinct.get_mut(v) {
                *c -= 1;
                if *c == 0 {
                    self.distinct.remove(v);
                }
            }
            if let Some(x) = number(v) {
                self.sum -= x;
                self.numbers = self.numbers.saturating_sub(1);
            }
        }
    }

    /// The metric when the window satisfies the condition.
    fn fires(&self, spec: &Spec, window: &[Item]) -> Option<f64> {
        if self.n == 0 {
            return None;
        }
        let children = self.per_child.iter().filter(|c| **c > 0).count() as f64;
        let metric = match spec.kind {
            Kind::EventCount => self.n as f64,
            Kind::ValueCount => self.distinct.len() as f64,
            Kind::ValueSum => self.sum,
            Kind::ValueAvg if self.numbers == 0 => return None,
            Kind::ValueAvg => self.sum / self.numbers as f64,
            Kind::Temporal | Kind::TemporalOrdered => children,
        };
        let holds = if spec.conditions.is_empty() {
            metric as usize == self.per_child.len()
        } else {
            spec.conditions.iter().all(|(op, v)| op.holds(metric, *v))
        };
        if !holds {
            return None;
        }
        if spec.kind == Kind::TemporalOrdered && !in_order(window, self.per_child.len()) {
            return None;
        }
        Some(metric)
    }
}

fn number(v: &str) -> Option<f64> {
    crate::util::parse_int(v)
        .map(|n| n as f64)
        .or_else(|| v.trim().parse().ok())
}

/// Whether the window holds the children's matches in the listed order.
fn in_order(window: &[Item], children: usize) -> bool {
    let mut next = 0;
    for it in window {
        if it.child == next {
            next += 1;
            if next == children {
                return true;
            }
        }
    }
    children == 0
}
