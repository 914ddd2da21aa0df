//! Sigma v2 correlation rules: `event_count`, `value_count`, `temporal`, `temporal_ordered`
//! (and the v2.1 `value_sum`, `value_avg`), with `group-by`, `timespan`, `condition`,
//! `aliases`, `generate` and chains of correlations.
//!
//! A correlation is a [`Rule`] whose `check` runs the detection rules it refers to (directly or
//! through inner correlations) and keeps each matching event with the values it will group
//! by; `finish` groups those events, slides the time window over each group and yields one
//! [`Hit`] per window where the condition holds.

use super::document::Doc;
use super::rule::SigmaRule;
use super::verdict;
use crate::hit::{Aggregate, EventRef, Hit};
use crate::rules::loader::{RuleStatus, RuleVerdict};
use crate::rules::{Level, Needle, Rule, RuleInfo, Scope};
use serde_yaml_ng::Value as Yaml;
use std::collections::HashMap;
use std::sync::Arc;

mod window;

use window::{Occurrence, Spec};

/// Deepest chain of correlations referring to correlations.
const MAX_CHAIN: usize = 8;

/// What [`build`] produces.
pub struct Built {
    /// Correlation rules ready to run.
    pub rules: Vec<Arc<dyn Rule>>,
    /// One verdict per correlation document.
    pub verdicts: Vec<RuleVerdict>,
    /// Detection rules (by document index) that report only through a correlation, with the
    /// title of that correlation.
    pub suppressed: HashMap<usize, String>,
}

/// A node of a correlation tree.
struct Node {
    spec: Spec,
    children: Vec<Child>,
    /// Names and ids of each child, for alias lookups.
    child_keys: Vec<Vec<String>>,
    /// Fields the parent needs from this node's windows (in this node's names).
    extra: Vec<String>,
}

enum Child {
    Leaf(usize),
    Node(Box<Node>),
}

/// Which document a reference resolved to.
enum Target {
    Rule(usize),
    Correlation(usize),
}

fn find(r: &str, rules: &[Doc], corrs: &[Doc]) -> Option<Target> {
    let hit = |d: &Doc| d.id() == r || d.name().as_deref() == Some(r);
    if let Some(i) = rules.iter().position(hit) {
        return Some(Target::Rule(i));
    }
    corrs.iter().position(hit).map(Target::Correlation)
}

fn keys(d: &Doc) -> Vec<String> {
    let mut k = vec![d.id()];
    k.extend(d.name());
    k
}

/// Build every correlation document against the compiled detection rules.
pub fn build(corrs: &[Doc], rules: &[Doc], compiled: &[Result<Arc<SigmaRule>, String>]) -> Built {
    let specs: Vec<Result<Spec, String>> = corrs.iter().map(Spec::parse).collect();
    let built: Vec<Result<CorrelationRule, String>> = corrs
        .iter()
        .enumerate()
        .map(|(j, doc)| {
            let mut leaves: Vec<(usize, Arc<SigmaRule>)> = Vec::new();
            node(
                j,
                corrs,
                &specs,
                rules,
                compiled,
                &mut leaves,
                &mut vec![j],
                &[],
            )
            .and_then(|root| CorrelationRule::new(doc, root, leaves))
        })
        .collect();
    // Documents referenced by a loaded correlation with `generate: false` report only through
    // it, unless another correlation asks for them with `generate: true`.
    let mut quiet_rules: HashMap<usize, String> = HashMap::new();
    let mut quiet_corrs: HashMap<usize, String> = HashMap::new();
    let mut loud_rules = Vec::new();
    let mut loud_corrs = Vec::new();
    for ((doc, spec), rule) in corrs.iter().zip(&specs).zip(&built) {
        let (Ok(spec), Ok(_)) = (spec, rule) else {
            continue;
        };
        for r in &spec.rules {
            match (find(r, rules, corrs), spec.generate) {
                (Some(Target::Rule(i)), false) => {
                    quiet_rules.entry(i).or_insert_with(|| doc.title());
                }
                (Some(Target::Correlation(j)), false) => {
                    quiet_corrs.entry(j).or_insert_with(|| doc.title());
                }
                (Some(Target::Rule(i)), true) => loud_rules.push(i),
                (Some(Target::Correlation(j)), true) => loud_corrs.push(j),
                (None, _) => {}
            }
        }
    }
    for i in loud_rules {
        quiet_rules.remove(&i);
    }
    for j in loud_corrs {
        quiet_corrs.remove(&j);
    }
    let mut out = Built {
        rules: Vec::new(),
        verdicts: Vec::new(),
        suppressed: quiet_rules,
    };
    for (j, (doc, result)) in corrs.iter().zip(built).enumerate() {
        match (result, quiet_corrs.get(&j)) {
            (Ok(_), Some(by)) => out.verdicts.push(verdict(
                doc,
                RuleStatus::Warning,
                format!("used by correlation `{by}` (generate: false): it reports only through it"),
            )),
            (Ok(rule), None) => {
                out.verdicts
                    .push(verdict(doc, RuleStatus::Loaded, String::new()));
                out.rules.push(Arc::new(rule));
            }
            (Err(e), _) => out.verdicts.push(verdict(doc, RuleStatus::Rejected, e)),
        }
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn node(
    j: usize,
    corrs: &[Doc],
    specs: &[Result<Spec, String>],
    rules: &[Doc],
    compiled: &[Result<Arc<SigmaRule>, String>],
    leaves: &mut Vec<(usize, Arc<SigmaRule>)>,
    stack: &mut Vec<usize>,
    extra: &[String],
) -> Result<Node, String> {
    let spec = match specs.get(j) {
        Some(Ok(s)) => s.clone(),
        Some(Err(e)) => return Err(e.clone()),
        None => return Err("internal: no such correlation".into()),
    };
    let mut children = Vec::new();
    let mut child_keys = Vec::new();
    for r in &spec.rules {
        match find(r, rules, corrs) {
            Some(Target::Rule(i)) => {
                let rule = match compiled.get(i) {
                    Some(Ok(rule)) => Arc::clone(rule),
                    Some(Err(e)) => return Err(format!("rule `{r}` did not load: {e}")),
                    None => return Err(format!("rule `{r}` is not in this load")),
                };
                let leaf = match leaves.iter().position(|(doc, _)| *doc == i) {
                    Some(l) => l,
                    None => {
                        leaves.push((i, rule));
                        leaves.len() - 1
                    }
                };
                children.push(Child::Leaf(leaf));
                child_keys.push(keys(&rules[i]));
            }
            Some(Target::Correlation(k)) => {
                if stack.contains(&k) {
                    return Err(format!("correlation `{r}` refers to itself"));
                }
                if stack.len() >= MAX_CHAIN {
                    return Err(format!("correlations chain deeper than {MAX_CHAIN}"));
                }
                let ck = keys(&corrs[k]);
                let wanted: Vec<String> = spec
                    .needed_fields()
                    .iter()
                    .map(|g| spec.resolve(g, &ck))
                    .collect();
                stack.push(k);
                let inner = node(k, corrs, specs, rules, compiled, leaves, stack, &wanted)
                    .map_err(|e| format!("correlation `{r}`: {e}"))?;
                stack.pop();
                children.push(Child::Node(Box::new(inner)));
                child_keys.push(ck);
            }
            None => return Err(format!("rule `{r}` is not in this load")),
        }
    }
    Ok(Node {
        spec,
        children,
        child_keys,
        extra: extra.to_vec(),
    })
}

/// A compiled correlation.
pub struct CorrelationRule {
    info: Arc<RuleInfo>,
    scope: Scope,
    root: Node,
    leaves: Vec<Arc<SigmaRule>>,
    /// For each leaf, the fields to keep from its matches.
    leaf_fields: Vec<Vec<String>>,
}

impl CorrelationRule {
    fn new(
        doc: &Doc,
        root: Node,
        leaves: Vec<(usize, Arc<SigmaRule>)>,
    ) -> Result<CorrelationRule, String> {
        let leaves: Vec<Arc<SigmaRule>> = leaves.into_iter().map(|(_, r)| r).collect();
        let mut leaf_fields = vec![Vec::new(); leaves.len()];
        collect_fields(&root, &[], &mut leaf_fields);
        let mut info = doc.info();
        if info.title.is_empty() {
            return Err("the correlation has no `title`".into());
        }
        if doc.str("level").is_none() {
            info.level = leaves
                .iter()
                .map(|l| l.info().level)
                .max()
                .unwrap_or(Level::Informational);
        }
        let mut any_of = Vec::new();
        let mut everything = false;
        for l in &leaves {
            let s = l.scope();
            everything |= s.any_of.is_empty();
            for f in &s.any_of {
                if !any_of.contains(f) {
                    any_of.push(f.clone());
                }
            }
        }
        Ok(CorrelationRule {
            info: Arc::new(info),
            scope: if everything {
                Scope::everything()
            } else {
                Scope { any_of }
            },
            root,
            leaves,
            leaf_fields,
        })
    }
}

/// Record in `out` which fields each leaf must keep: the group-by and value fields of every
/// node above it, translated through the aliases on the way down.
fn collect_fields(node: &Node, extra: &[String], out: &mut [Vec<String>]) {
    let mut wanted = node.spec.needed_fields();
    for e in extra {
        if !wanted.contains(e) {
            wanted.push(e.clone());
        }
    }
    for (child, ck) in node.children.iter().zip(&node.child_keys) {
        let fields: Vec<String> = wanted.iter().map(|g| node.spec.resolve(g, ck)).collect();
        match child {
            Child::Leaf(l) => {
                if let Some(slot) = out.get_mut(*l) {
                    for f in fields {
                        if !slot.contains(&f) {
                            slot.push(f);
                        }
                    }
                }
            }
            Child::Node(n) => collect_fields(n, &fields, out),
        }
    }
}

const LEAF_KEY: &str = "\u{1}leaf";

impl Rule for CorrelationRule {
    fn info(&self) -> &Arc<RuleInfo> {
        &self.info
    }

    fn scope(&self) -> &Scope {
        &self.scope
    }

    fn needles(&self) -> Option<Vec<Needle>> {
        let mut all = Vec::new();
        for l in &self.leaves {
            for n in l.needles()? {
                if !all.contains(&n) {
                    all.push(n);
                }
            }
        }
        Some(all)
    }

    fn check(&self, event: &crate::event::Event) -> Option<crate::rules::EventMatch> {
        let mut state = Vec::new();
        for (i, leaf) in self.leaves.iter().enumerate() {
            if !leaf.matches(event) {
                continue;
            }
            state.push((Arc::from(LEAF_KEY), i.to_string()));
            for f in self.leaf_fields.get(i).into_iter().flatten() {
                if let Some(v) = leaf.field_text(event, f) {
                    state.push((Arc::from(format!("{i}:{f}")), v));
                }
            }
        }
        if state.is_empty() {
            return None;
        }
        let mut m = crate::rules::EventMatch::of(event);
        m.state = state;
        Some(m)
    }

    fn aggregates(&self) -> bool {
        true
    }

    fn finish(&self, matches: Vec<crate::rules::EventMatch>) -> Vec<Hit> {
        // Per leaf: its occurrences, with the fields it kept.
        let mut by_leaf: Vec<Vec<Occurrence>> = vec![Vec::new(); self.leaves.len()];
        for m in &matches {
            for (k, v) in &m.state {
                if &**k != LEAF_KEY {
                    continue;
                }
                let Ok(i) = v.parse::<usize>() else { continue };
                let prefix = format!("{i}:");
                let values: HashMap<String, String> = m
                    .state
                    .iter()
                    .filter_map(|(k, v)| {
                        k.strip_prefix(&prefix).map(|f| (f.to_string(), v.clone()))
                    })
                    .collect();
                if let Some(list) = by_leaf.get_mut(i) {
                    list.push(Occurrence::of_event(m, values));
                }
            }
        }
        let mut hits = Vec::new();
        for w in fire(&self.root, &by_leaf) {
            let mut records = w.records;
            records.sort_by_key(|r| (r.time, r.record_id));
            let Some(first) = records.first().cloned() else {
                continue;
            };
            let by: Vec<(String, String)> = self
                .root
                .spec
                .group_by
                .iter()
                .map(|g| (g.clone(), w.values.get(g).cloned().unwrap_or_default()))
                .collect();
            let mut fields = by.clone();
            fields.push(("count".into(), records.len().to_string()));
            if let Some((name, metric)) = &w.metric {
                fields.push((name.clone(), metric.clone()));
            }
            hits.push(Hit {
                rule: Arc::clone(&self.info),
                event: first,
                fields,
                aggregate: Some(Aggregate {
                    count: records.len() as u64,
                    first_time: Some(w.first),
                    last_time: Some(w.last),
                    by,
                    records,
                    records_omitted: 0,
                }),
                also_in: Vec::new(),
            });
        }
        hits
    }
}

/// The windows where a node's condition holds, as occurrences its parent can use.
fn fire(node: &Node, by_leaf: &[Vec<Occurrence>]) -> Vec<Occurrence> {
    let mut occ: Vec<(usize, Occurrence)> = Vec::new();
    for (k, child) in node.children.iter().enumerate() {
        let list = match child {
            Child::Leaf(l) => by_leaf.get(*l).cloned().unwrap_or_default(),
            Child::Node(n) => fire(n, by_leaf),
        };
        occ.extend(list.into_iter().map(|o| (k, o)));
    }
    window::evaluate(&node.spec, &node.child_keys, &node.extra, occ)
}

/// Read a correlation's `rules`, `group-by`, `timespan`, `condition`, `aliases`, `generate`.
pub(super) fn yaml_strings(v: Option<&Yaml>) -> Vec<String> {
    match v {
        Some(Yaml::Sequence(items)) => items
            .iter()
            .filter_map(|x| x.as_str().map(|s| s.trim().to_string()))
            .collect(),
        Some(Yaml::String(s)) => vec![s.trim().to_string()],
        _ => Vec::new(),
    }
}

/// Keep [`EventRef`] in scope for the window module.
pub(super) type Record = EventRef;
