//! `stats`, `tstats` and `eventstats`: grouping rows by fields and aggregating.
//!
//! Groups come out sorted by their by-values (numbers numerically). A multivalue by-field puts
//! the row in one group per value. A null by-field drops the row from `stats`, while `tstats`
//! with `fillnull_value=X` (set by `security_content_summariesonly`) groups it under `X`.

use super::expr::Expr;
use super::row::{field_name, FieldName, Row};
use super::value::{format_num, order_mixed, parse_num, Value};
use crate::util::block_vec::BlockVec;
use hashbrown::HashTable;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::hash::BuildHasher;

pub use super::stats_parse::{matching_paren, parse_aggs};

/// Most values `values()` keeps per group; `list()` keeps 100 as Splunk does.
pub const MAX_VALUES: usize = 10_000;
/// Most values `list()` keeps.
pub const MAX_LIST: usize = 100;
/// Most groups one multivalue row may fan out to.
const MAX_FANOUT: usize = 1_000;

/// An aggregation function.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AggFunc {
    /// `count`, `c`
    Count,
    /// `dc`, `distinct_count`, `estdc`
    DistinctCount,
    /// `values`
    Values,
    /// `list`
    List,
    /// `min`
    Min,
    /// `max`
    Max,
    /// `avg`, `mean`
    Avg,
    /// `sum`
    Sum,
    /// `sumsq`
    SumSq,
    /// `stdev`
    Stdev,
    /// `stdevp`
    Stdevp,
    /// `var`
    Var,
    /// `varp`
    Varp,
    /// `range`
    Range,
    /// `earliest`
    Earliest,
    /// `latest`
    Latest,
    /// `earliest_time`
    EarliestTime,
    /// `latest_time`
    LatestTime,
    /// `first`
    First,
    /// `last`
    Last,
    /// `median`
    Median,
    /// `mode`
    Mode,
    /// `pN`, `percN`, `exactpercN`, `upperpercN`
    Perc(f64),
}

impl AggFunc {
    /// The function a name stands for (`count`, `dc`, `values`, `p95`...), any case.
    pub fn parse(name: &str) -> Option<AggFunc> {
        let n = name.to_ascii_lowercase();
        Some(match n.as_str() {
            "count" | "c" => AggFunc::Count,
            "dc" | "distinct_count" | "estdc" => AggFunc::DistinctCount,
            "values" => AggFunc::Values,
            "list" => AggFunc::List,
            "min" => AggFunc::Min,
            "max" => AggFunc::Max,
            "avg" | "mean" => AggFunc::Avg,
            "sum" => AggFunc::Sum,
            "sumsq" => AggFunc::SumSq,
            "stdev" => AggFunc::Stdev,
            "stdevp" => AggFunc::Stdevp,
            "var" => AggFunc::Var,
            "varp" => AggFunc::Varp,
            "range" => AggFunc::Range,
            "earliest" => AggFunc::Earliest,
            "latest" => AggFunc::Latest,
            "earliest_time" => AggFunc::EarliestTime,
            "latest_time" => AggFunc::LatestTime,
            "first" => AggFunc::First,
            "last" => AggFunc::Last,
            "median" => AggFunc::Median,
            "mode" => AggFunc::Mode,
            _ => {
                let digits = n
                    .strip_prefix("exactperc")
                    .or_else(|| n.strip_prefix("upperperc"))
                    .or_else(|| n.strip_prefix("perc"))
                    .or_else(|| n.strip_prefix('p'))?;
                let p: f64 = digits.parse().ok()?;
                if !(0.0..=100.0).contains(&p) {
                    return None;
                }
                AggFunc::Perc(p)
            }
        })
    }
}

/// What an aggregation reads.
#[derive(Debug, Clone)]
pub enum AggArg {
    /// Nothing (`count`).
    None,
    /// A field.
    Field(String),
    /// `eval(expr)`.
    Eval(Box<Expr>),
}

/// One aggregation and the name of its output field.
#[derive(Debug, Clone)]
pub struct Agg {
    /// The function.
    pub func: AggFunc,
    /// Its argument.
    pub arg: AggArg,
    /// The output field name.
    pub out: String,
}

/// Which command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatsKind {
    /// `stats`: one row per group.
    Stats,
    /// `tstats`: like stats, over the datamodel.
    Tstats,
    /// `eventstats`: adds the group's aggregates to every row.
    EventStats,
}

/// A compiled stats-like command.
#[derive(Debug, Clone)]
pub struct StatsCmd {
    /// Which command.
    pub kind: StatsKind,
    /// Aggregations.
    pub aggs: Vec<Agg>,
    /// Group-by fields.
    pub by: Vec<String>,
    /// `span=` for `_time` in the by-list, in seconds.
    pub span: Option<f64>,
    /// The value null by-fields take (`fillnull_value`), if any.
    pub fill_null: Option<String>,
}

impl StatsCmd {
    /// Every field the command reads.
    pub fn fields(&self, out: &mut Vec<String>) {
        for a in &self.aggs {
            match &a.arg {
                AggArg::Field(f) => out.push(f.clone()),
                AggArg::Eval(e) => e.fields(out),
                AggArg::None => {}
            }
            if matches!(
                a.func,
                AggFunc::Earliest | AggFunc::Latest | AggFunc::EarliestTime | AggFunc::LatestTime
            ) {
                out.push("_time".into());
            }
        }
        out.extend(self.by.iter().cloned());
    }

    /// Whether an aggregation takes a wildcard field (`values(*)`).
    pub fn has_wildcards(&self) -> bool {
        self.aggs
            .iter()
            .any(|a| matches!(&a.arg, AggArg::Field(f) if f.contains('*')))
            || self.by.iter().any(|b| b.contains('*'))
    }
}

/// Most texts [`SortedTexts`] keeps in a vector.
const SMALL_SET: usize = 32;

/// The distinct texts of `values()`, in order: a sorted vector while small (most groups hold
/// one or a few, and a B-tree node costs ~280 bytes however few it holds), a B-tree past that.
#[derive(Debug, Clone)]
enum SortedTexts {
    Small(Vec<String>),
    Large(BTreeSet<String>),
}

impl SortedTexts {
    fn len(&self) -> usize {
        match self {
            SortedTexts::Small(v) => v.len(),
            SortedTexts::Large(s) => s.len(),
        }
    }

    /// Add a text (nothing is copied when it is already there).
    fn insert(&mut self, t: std::borrow::Cow<'_, str>) {
        match self {
            SortedTexts::Small(v) => {
                if let Err(at) = v.binary_search_by(|x| x.as_str().cmp(&t)) {
                    if v.len() < SMALL_SET {
                        // Most sets hold one text: room for one, not a Vec's first four.
                        v.reserve_exact(usize::from(v.is_empty()));
                        v.insert(at, t.into_owned());
                    } else {
                        let mut set: BTreeSet<String> = std::mem::take(v).into_iter().collect();
                        set.insert(t.into_owned());
                        *self = SortedTexts::Large(set);
                    }
                }
            }
            SortedTexts::Large(s) => {
                if !s.contains(t.as_ref()) {
                    s.insert(t.into_owned());
                }
            }
        }
    }

    fn to_vec(&self) -> Vec<String> {
        match self {
            SortedTexts::Small(v) => v.clone(),
            SortedTexts::Large(s) => s.iter().cloned().collect(),
        }
    }
}

/// The running state of one aggregation in one group.
#[derive(Debug, Clone)]
enum Acc {
    Count(u64),
    Distinct(HashSet<String>),
    Values(SortedTexts),
    List(Vec<String>),
    Extreme {
        num: Option<f64>,
        text: Option<String>,
    },
    Moments {
        n: u64,
        sum: f64,
        sumsq: f64,
        mean: f64,
        m2: f64,
        min: f64,
        max: f64,
    },
    Timed(Option<(f64, Value)>),
    Ordered(Option<Value>),
    Collect(Vec<f64>),
    Mode(HashMap<String, u64>),
}

fn new_acc(f: AggFunc) -> Acc {
    match f {
        AggFunc::Count => Acc::Count(0),
        AggFunc::DistinctCount => Acc::Distinct(HashSet::new()),
        AggFunc::Values => Acc::Values(SortedTexts::Small(Vec::new())),
        AggFunc::List => Acc::List(Vec::new()),
        AggFunc::Min | AggFunc::Max => Acc::Extreme {
            num: None,
            text: None,
        },
        AggFunc::Avg
        | AggFunc::Sum
        | AggFunc::SumSq
        | AggFunc::Stdev
        | AggFunc::Stdevp
        | AggFunc::Var
        | AggFunc::Varp
        | AggFunc::Range => Acc::Moments {
            n: 0,
            sum: 0.0,
            sumsq: 0.0,
            mean: 0.0,
            m2: 0.0,
            min: f64::MAX,
            max: f64::MIN,
        },
        AggFunc::Earliest | AggFunc::Latest | AggFunc::EarliestTime | AggFunc::LatestTime => {
            Acc::Timed(None)
        }
        AggFunc::First | AggFunc::Last => Acc::Ordered(None),
        AggFunc::Median | AggFunc::Perc(_) => Acc::Collect(Vec::new()),
        AggFunc::Mode => Acc::Mode(HashMap::new()),
    }
}

fn feed(acc: &mut Acc, func: AggFunc, value: &Value, time: f64) {
    match acc {
        Acc::Count(c) => *c += value.count() as u64,
        Acc::Distinct(s) => {
            for t in value.texts() {
                s.insert(t.into_owned());
            }
        }
        Acc::Values(s) => {
            for t in value.texts() {
                if s.len() < MAX_VALUES {
                    s.insert(t);
                }
            }
        }
        Acc::List(l) => {
            for t in value.texts() {
                if l.len() < MAX_LIST {
                    l.push(t.into_owned());
                }
            }
        }
        Acc::Extreme { num, text } => {
            let max = func == AggFunc::Max;
            for t in value.texts() {
                match parse_num(&t) {
                    Some(n) => {
                        *num = Some(match *num {
                            Some(m) if max => m.max(n),
                            Some(m) => m.min(n),
                            None => n,
                        })
                    }
                    None => {
                        let better = match text {
                            Some(cur) => (max && *t > **cur) || (!max && *t < **cur),
                            None => true,
                        };
                        if better {
                            *text = Some(t.into_owned());
                        }
                    }
                }
            }
        }
        Acc::Moments {
            n,
            sum,
            sumsq,
            mean,
            m2,
            min,
            max,
        } => {
            for t in value.texts() {
                if let Some(x) = parse_num(&t) {
                    *n += 1;
                    *sum += x;
                    *sumsq += x * x;
                    let d = x - *mean;
                    *mean += d / *n as f64;
                    *m2 += d * (x - *mean);
                    *min = min.min(x);
                    *max = max.max(x);
                }
            }
        }
        Acc::Timed(cur) => {
            if value.is_null() {
                return;
            }
            let later = matches!(func, AggFunc::Latest | AggFunc::LatestTime);
            let replace = match cur {
                None => true,
                Some((t, _)) => (later && time > *t) || (!later && time < *t),
            };
            if replace {
                *cur = Some((time, value.clone()));
            }
        }
        Acc::Ordered(cur) => {
            if value.is_null() {
                return;
            }
            if func == AggFunc::Last || cur.is_none() {
                *cur = Some(value.clone());
            }
        }
        Acc::Collect(v) => v.extend(value.texts().iter().filter_map(|t| parse_num(t))),
        Acc::Mode(m) => {
            for t in value.texts() {
                *m.entry(t.into_owned()).or_default() += 1;
            }
        }
    }
}

fn result(acc: &Acc, func: AggFunc) -> Value {
    match acc {
        Acc::Count(c) => Value::Num(*c as f64),
        Acc::Distinct(s) => Value::Num(s.len() as f64),
        Acc::Values(s) => Value::from_texts(s.to_vec()),
        Acc::List(l) => Value::from_texts(l.clone()),
        Acc::Extreme { num, text } => match (num, text) {
            (Some(n), _) => Value::Num(*n),
            (None, Some(t)) => Value::Str(t.clone()),
            _ => Value::Null,
        },
        Acc::Moments {
            n,
            sum,
            sumsq,
            mean,
            m2,
            min,
            max,
        } => {
            if *n == 0 {
                return Value::Null;
            }
            let nf = *n as f64;
            Value::Num(match func {
                AggFunc::Avg => *mean,
                AggFunc::Sum => *sum,
                AggFunc::SumSq => *sumsq,
                AggFunc::Range => max - min,
                AggFunc::Stdev | AggFunc::Var if *n < 2 => 0.0,
                AggFunc::Stdev => (m2 / (nf - 1.0)).sqrt(),
                AggFunc::Var => m2 / (nf - 1.0),
                AggFunc::Stdevp => (m2 / nf).sqrt(),
                AggFunc::Varp => m2 / nf,
                _ => return Value::Null,
            })
        }
        Acc::Timed(cur) => match (cur, func) {
            (Some((t, _)), AggFunc::EarliestTime | AggFunc::LatestTime) => Value::Num(*t),
            (Some((_, v)), _) => v.clone(),
            (None, _) => Value::Null,
        },
        Acc::Ordered(cur) => cur.clone().unwrap_or(Value::Null),
        Acc::Collect(v) => {
            if v.is_empty() {
                return Value::Null;
            }
            let mut s = v.clone();
            s.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
            let p = match func {
                AggFunc::Perc(p) => p,
                _ => 50.0,
            };
            let idx = ((p / 100.0) * (s.len() as f64 - 1.0)).round() as usize;
            Value::Num(s[idx.min(s.len() - 1)])
        }
        Acc::Mode(m) => m
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
            .map(|(k, _)| Value::Str(k.clone()))
            .unwrap_or(Value::Null),
    }
}

#[derive(Default)]
struct Group {
    key: Vec<String>,
    accs: Vec<Acc>,
    prov: Vec<u32>,
    members: Vec<usize>,
}

/// The group keys of one row (several for multivalue by-fields); empty when it has none.
pub(crate) fn keys_of(cmd: &StatsCmd, row: &Row<'_>) -> Vec<Vec<String>> {
    keys_from(cmd, |i| row.get(&cmd.by[i]))
}

/// [`keys_of`] with the by-values given by position.
pub(crate) fn keys_from(cmd: &StatsCmd, value: impl Fn(usize) -> Value) -> Vec<Vec<String>> {
    let mut keys: Vec<Vec<String>> = vec![Vec::with_capacity(cmd.by.len())];
    for (i, b) in cmd.by.iter().enumerate() {
        let mut v = value(i);
        if b == "_time" {
            if let (Some(span), Some(t)) = (cmd.span, v.num()) {
                v = Value::Num((t / span).floor() * span);
            }
        }
        let mut texts: Vec<String> = match v {
            Value::Num(n) => vec![format_num(n)],
            Value::Null => match &cmd.fill_null {
                Some(f) => vec![f.clone()],
                None => return Vec::new(),
            },
            other => other.into_texts(),
        };
        if texts.len() == 1 {
            // The common case: one value, added to every key without building new ones.
            let t = texts.pop().unwrap_or_default();
            if let [only] = keys.as_mut_slice() {
                only.push(t);
            } else {
                for k in &mut keys {
                    k.push(t.clone());
                }
            }
            continue;
        }
        let mut next = Vec::new();
        for k in &keys {
            for t in &texts {
                if next.len() >= MAX_FANOUT {
                    break;
                }
                let mut k2 = k.clone();
                k2.push(t.clone());
                next.push(k2);
            }
        }
        keys = next;
    }
    keys
}

fn compare_keys(a: &[String], b: &[String]) -> std::cmp::Ordering {
    for (x, y) in a.iter().zip(b) {
        let o = order_mixed(parse_num(x), parse_num(y), || x.cmp(y));
        if o.is_ne() {
            return o;
        }
    }
    std::cmp::Ordering::Equal
}

/// The by-fields of a group with key `key`, as the grouping outputs them.
/// Room is made for the aggregates' results as well.
pub(crate) fn group_fields(cmd: &StatsCmd, key: Vec<String>) -> Vec<(FieldName, Value)> {
    let mut fields = Vec::with_capacity(cmd.by.len() + cmd.aggs.len());
    fields.extend(cmd.by.iter().zip(key).map(|(b, k)| {
        let v = match (b.as_str(), parse_num(&k)) {
            ("_time", Some(n)) => Value::Num(n),
            _ => Value::Str(k),
        };
        (field_name(b), v)
    }));
    fields
}

/// Run a stats-like command over rows (in Splunk's order: newest first).
pub fn run<'e>(cmd: &StatsCmd, rows: Vec<Row<'e>>) -> Vec<Row<'e>> {
    match cmd.kind {
        StatsKind::Stats | StatsKind::Tstats => {
            let mut out = Vec::new();
            run_each(cmd, rows, &mut |r| out.push(r));
            out
        }
        StatsKind::EventStats => {
            let mut grouper = Grouper::new(cmd);
            for (ri, row) in rows.iter().enumerate() {
                grouper.add(ri, row);
            }
            grouper.spread(rows)
        }
    }
}

/// Run `stats` or `tstats` over rows, handing each result row to `out` as it is made. Each
/// input row is dropped once it is in its groups, and each group once it is a row: the rows
/// and the groups are never both whole in memory.
pub fn run_each<'e>(
    cmd: &StatsCmd,
    rows: impl IntoIterator<Item = Row<'e>>,
    out: &mut dyn FnMut(Row<'e>),
) {
    let mut grouper = Grouper::new(cmd);
    for (ri, row) in rows.into_iter().enumerate() {
        grouper.add(ri, &row);
    }
    grouper.into_rows().for_each(out);
}

impl AggFunc {
    /// Whether the result is the same whatever order the rows come in (`first`, `list`,
    /// `earliest`... are not; float sums may differ in their last bits, as in Splunk).
    pub fn order_free(self) -> bool {
        !matches!(
            self,
            AggFunc::List
                | AggFunc::First
                | AggFunc::Last
                | AggFunc::Earliest
                | AggFunc::Latest
                | AggFunc::Mode
        )
    }
}

/// The groups of a stats-like command, fed one row at a time.
pub struct Grouper<'c> {
    cmd: &'c StatsCmd,
    /// Group positions by the hash of their key (each key is kept once, in its group).
    index: HashTable<usize>,
    hasher: foldhash::fast::RandomState,
    /// In blocks: a grouping by a field as varied as a command line has as many groups as
    /// rows, and a doubling `Vec` of them would hold two copies while it grows.
    groups: BlockVec<Group>,
}

impl<'c> Grouper<'c> {
    /// No groups yet.
    pub fn new(cmd: &'c StatsCmd) -> Grouper<'c> {
        Grouper {
            cmd,
            index: HashTable::new(),
            hasher: foldhash::fast::RandomState::default(),
            groups: BlockVec::new(),
        }
    }

    /// Add row number `ri` to its groups (its fields are read, not kept).
    pub fn add(&mut self, ri: usize, row: &Row<'_>) {
        let cmd = self.cmd;
        let time = row.get("_time").num().unwrap_or(0.0);
        let inputs: Vec<Value> = cmd
            .aggs
            .iter()
            .map(|a| match &a.arg {
                AggArg::None => Value::Num(1.0),
                AggArg::Field(f) => row.get(f),
                AggArg::Eval(e) => match e.eval(row) {
                    Value::Bool(true) => Value::Num(1.0),
                    Value::Bool(false) => Value::Null,
                    v => v,
                },
            })
            .collect();
        let spread = cmd.kind == StatsKind::EventStats;
        for key in keys_of(cmd, row) {
            let groups = &mut self.groups;
            let hash = self.hasher.hash_one(&key);
            let key_of = |i: usize| groups.get(i).map(|g| g.key.as_slice());
            let gi = match self
                .index
                .find(hash, |&i| key_of(i) == Some(key.as_slice()))
            {
                Some(&i) => i,
                None => {
                    let i = groups.push(Group {
                        key,
                        accs: cmd.aggs.iter().map(|a| new_acc(a.func)).collect(),
                        prov: Vec::new(),
                        members: Vec::new(),
                    });
                    let hasher = &self.hasher;
                    self.index.insert_unique(hash, i, |&j| {
                        groups.get(j).map_or(0, |g| hasher.hash_one(&g.key))
                    });
                    i
                }
            };
            let Some(g) = self.groups.get_mut(gi) else {
                continue;
            };
            for ((acc, agg), input) in g.accs.iter_mut().zip(&cmd.aggs).zip(&inputs) {
                feed(acc, agg.func, input, time);
            }
            g.prov.extend_from_slice(&row.prov);
            if spread {
                g.members.push(ri);
            }
        }
    }

    /// One row per group (`stats`, `tstats`), sorted by by-values, each made as it is taken (a
    /// group's key moves into its row).
    pub fn into_rows<'e>(self) -> impl Iterator<Item = Row<'e>> + 'c {
        let cmd = self.cmd;
        // The index is not needed past this point.
        let Grouper { groups, index, .. } = self;
        drop(index);
        let mut groups = groups;
        let mut order: Vec<usize> = (0..groups.len()).collect();
        order.sort_by(|&a, &b| match (groups.get(a), groups.get(b)) {
            (Some(a), Some(b)) => compare_keys(&a.key, &b.key),
            _ => std::cmp::Ordering::Equal,
        });
        order.into_iter().map(move |i| {
            let g = groups.get_mut(i).map(std::mem::take).unwrap_or_default();
            let mut fields = group_fields(cmd, g.key);
            for (acc, agg) in g.accs.iter().zip(&cmd.aggs) {
                let v = result(acc, agg.func);
                match fields.iter_mut().find(|(n, _)| **n == *agg.out) {
                    Some((_, old)) => *old = v,
                    None => fields.push((field_name(&agg.out), v)),
                }
            }
            let mut prov = g.prov;
            prov.sort_unstable();
            prov.dedup();
            Row::plain(fields, prov)
        })
    }

    /// The rows that were added, each given its groups' results (`eventstats`).
    fn spread<'e>(self, mut rows: Vec<Row<'e>>) -> Vec<Row<'e>> {
        let cmd = self.cmd;
        for g in self.groups.iter() {
            let outs: Vec<(String, Value)> = g
                .accs
                .iter()
                .zip(&cmd.aggs)
                .map(|(acc, agg)| (agg.out.clone(), result(acc, agg.func)))
                .collect();
            for &m in &g.members {
                if let Some(row) = rows.get_mut(m) {
                    for (n, v) in &outs {
                        row.set(n, v.clone());
                    }
                }
            }
        }
        rows
    }
}
