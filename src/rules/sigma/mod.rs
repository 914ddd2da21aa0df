//! Sigma rules: SigmaHQ YAML (detection rules, correlations, filters) compiled into [`Rule`]s.
//!
//! The layers follow pySigma's: the rule model (`document`: documents, metadata, tags), the
//! processing data (`logsource`: log source → channels and event ids, as a bundled table;
//! `fields`: the Security 4688 view under Sysmon names) and the matcher that runs it
//! (`detection`, `item`, `matcher`, `condition`). `correlation` builds the Sigma v2
//! correlation rules over the compiled detection rules; filters are folded into the rules they
//! name as `and not (...)`. `docs/SIGMA.md` describes the supported language and the choices.

mod anchored;
mod casefold;
mod condition;
mod correlation;
mod detection;
mod document;
mod event_ids;
mod fields;
mod item;
mod logsource;
mod matcher;
mod needles;
mod regex_literals;
mod requirement;
mod rule;
mod substrings;
mod timepart;
mod value;

#[cfg(test)]
mod tests;

pub use logsource::TABLE_YAML as LOGSOURCE_TABLE;
pub use rule::SigmaRule;

use crate::rules::loader::{LoadOptions, RuleFile, RuleStatus, RuleVerdict, MAX_RULE_FILE_BYTES};
use crate::rules::{EngineKind, Rule};
use document::{Doc, DocKind};
use item::Placeholders;
use rayon::prelude::*;
use serde_yaml_ng::Value as Yaml;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// Compile Sigma rule files (rules, correlations, filters) into rules, with one verdict per
/// rule document.
pub fn compile_files(
    files: Vec<RuleFile>,
    options: &LoadOptions,
) -> (Vec<Arc<dyn Rule>>, Vec<RuleVerdict>) {
    let mut verdicts = Vec::new();
    let placeholders = match &options.placeholders {
        None => None,
        Some(p) => match load_placeholders(p) {
            Ok(map) => Some(map),
            Err(e) => {
                verdicts.push(RuleVerdict::file_error(p, e));
                None
            }
        },
    };
    let split: Vec<_> = files
        .par_iter()
        .map(|f| document::split(&f.path, &f.text))
        .collect();
    let mut docs: Vec<Doc> = Vec::new();
    for (f, result) in files.iter().zip(split) {
        match result {
            Ok(d) => docs.extend(d),
            Err(e) => verdicts.push(sigma_file_error(&f.path, e)),
        }
    }
    let (rule_docs, rest): (Vec<Doc>, Vec<Doc>) =
        docs.into_iter().partition(|d| d.kind == DocKind::Rule);
    let (corr_docs, filter_docs): (Vec<Doc>, Vec<Doc>) = rest
        .into_iter()
        .partition(|d| d.kind == DocKind::Correlation);

    let filters = filters(
        &filter_docs,
        &rule_docs,
        placeholders.as_ref(),
        &mut verdicts,
    );
    let compiled: Vec<Result<Arc<SigmaRule>, String>> = rule_docs
        .par_iter()
        .enumerate()
        .map(|(i, doc)| {
            let applied: Vec<&Yaml> = filters
                .iter()
                .filter(|f| f.targets.contains(&i))
                .map(|f| &f.block)
                .collect();
            compile_rule(doc, &applied, placeholders.as_ref()).map(Arc::new)
        })
        .collect();

    let built = correlation::build(&corr_docs, &rule_docs, &compiled);
    verdicts.extend(built.verdicts);
    let mut rules: Vec<Arc<dyn Rule>> = Vec::new();
    for (i, (doc, result)) in rule_docs.iter().zip(compiled).enumerate() {
        match result {
            Ok(rule) => match built.suppressed.get(&i) {
                Some(by) => verdicts.push(verdict(
                    doc,
                    RuleStatus::Warning,
                    format!("used by correlation `{by}` (generate: false): it reports only through the correlation"),
                )),
                None => {
                    verdicts.push(verdict(doc, RuleStatus::Loaded, String::new()));
                    rules.push(rule);
                }
            },
            Err(reason) => verdicts.push(verdict(doc, RuleStatus::Rejected, reason)),
        }
    }
    rules.extend(built.rules);
    (rules, verdicts)
}

/// Compile one detection rule document with the filters that name it.
fn compile_rule(
    doc: &Doc,
    filters: &[&Yaml],
    placeholders: Option<&Placeholders>,
) -> Result<SigmaRule, String> {
    let detection = doc
        .map
        .get("detection")
        .ok_or("the document has no `detection`, `correlation` or `filter`")?;
    let ls = doc.logsource().ok_or("the rule has no `logsource`")?;
    let source = logsource::resolve(&ls)?;
    let info = doc.info();
    if info.title.is_empty() {
        return Err("the rule has no `title`".into());
    }
    SigmaRule::compile(info, source, detection, filters, placeholders)
}

/// A filter document resolved to the rules it applies to.
struct Filter {
    targets: Vec<usize>,
    block: Yaml,
}

fn filters(
    docs: &[Doc],
    rules: &[Doc],
    placeholders: Option<&Placeholders>,
    verdicts: &mut Vec<RuleVerdict>,
) -> Vec<Filter> {
    let mut out = Vec::new();
    for doc in docs {
        let Some(block @ Yaml::Mapping(m)) = doc.map.get("filter") else {
            verdicts.push(verdict(
                doc,
                RuleStatus::Rejected,
                "`filter` is not a map".into(),
            ));
            continue;
        };
        let refs: Vec<String> = match m.get("rules") {
            Some(Yaml::Sequence(v)) => v
                .iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect(),
            Some(Yaml::String(s)) => vec![s.clone()],
            _ => {
                verdicts.push(verdict(
                    doc,
                    RuleStatus::Rejected,
                    "the filter names no `rules`".into(),
                ));
                continue;
            }
        };
        let mut check = rule::Compiler::new(placeholders);
        if let Err(e) = detection::compile(block, &mut check) {
            verdicts.push(verdict(doc, RuleStatus::Rejected, format!("filter: {e}")));
            continue;
        }
        let fl = doc.logsource().unwrap_or_default();
        let mut targets = Vec::new();
        let mut problems = Vec::new();
        for r in &refs {
            let found: Vec<usize> = rules
                .iter()
                .enumerate()
                .filter(|(_, d)| d.id() == *r || d.name().as_deref() == Some(r.as_str()))
                .map(|(i, _)| i)
                .collect();
            if found.is_empty() {
                problems.push(format!("rule `{r}` is not in this load"));
            }
            for i in found {
                let rl = rules[i].logsource().unwrap_or_default();
                let same = |a: &Option<String>, b: &Option<String>| a.is_none() || a == b;
                if same(&fl.category, &rl.category)
                    && same(&fl.product, &rl.product)
                    && same(&fl.service, &rl.service)
                {
                    targets.push(i);
                } else {
                    problems.push(format!(
                        "rule `{r}` has another logsource; not applied to it"
                    ));
                }
            }
        }
        let (status, reason) = if problems.is_empty() {
            (RuleStatus::Loaded, String::new())
        } else {
            (RuleStatus::Warning, problems.join("; "))
        };
        verdicts.push(verdict(doc, status, reason));
        out.push(Filter {
            targets,
            block: block.clone(),
        });
    }
    out
}

/// Read a placeholder file: a YAML map of name → list of values.
fn load_placeholders(path: &Path) -> Result<Placeholders, String> {
    let size = std::fs::metadata(path)
        .map_err(|e| format!("placeholder file: {e}"))?
        .len();
    if size > MAX_RULE_FILE_BYTES {
        return Err(format!("placeholder file is {size} bytes, over the limit"));
    }
    let text = std::fs::read_to_string(path).map_err(|e| format!("placeholder file: {e}"))?;
    parse_placeholders(&text)
}

/// Parse placeholder YAML: `name: [values]` (a single value is a one-item list).
fn parse_placeholders(text: &str) -> Result<Placeholders, String> {
    let v: Yaml =
        serde_yaml_ng::from_str(text).map_err(|e| format!("placeholder file: YAML error: {e}"))?;
    let Yaml::Mapping(m) = v else {
        return Err("placeholder file: not a map of name → values".into());
    };
    let mut out = HashMap::new();
    for (k, v) in m {
        let Some(name) = k.as_str() else { continue };
        let scalar = |x: &Yaml| match x {
            Yaml::String(s) => Some(s.clone()),
            Yaml::Number(n) => Some(n.to_string()),
            Yaml::Bool(b) => Some(b.to_string()),
            _ => None,
        };
        let values = match &v {
            Yaml::Sequence(items) => items.iter().filter_map(scalar).collect(),
            other => scalar(other).into_iter().collect(),
        };
        out.insert(name.to_string(), values);
    }
    Ok(out)
}

fn verdict(doc: &Doc, status: RuleStatus, reason: String) -> RuleVerdict {
    let title = doc.title();
    let id = doc.id();
    RuleVerdict {
        path: doc.path.clone(),
        id: if id.is_empty() { title.clone() } else { id },
        title,
        engine: Some(EngineKind::Sigma),
        status,
        reason,
    }
}

fn sigma_file_error(path: &Path, reason: String) -> RuleVerdict {
    let mut v = RuleVerdict::file_error(path, reason);
    v.engine = Some(EngineKind::Sigma);
    v
}
