//! CSV lookups and their definitions (security_content `lookups/*.yml`: `filename`,
//! `match_type: WILDCARD(field)`, `case_sensitive_match`, `default_match`, `min_matches`,
//! `max_matches`).
//!
//! A lookup name resolves to its definition's file, or else to a CSV whose file stem is the name
//! (or starts with it, for date-suffixed files). Wildcard columns compare case-insensitively;
//! exact columns follow `case_sensitive_match` (default: sensitive).

use super::error::{SplError, SplResult};
use super::lookup_index::{IndexedCell, RowIndex};
use super::wildcard::WildPattern;
use serde::Deserialize;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// Most rows read from one CSV.
pub const MAX_ROWS: usize = 200_000;

/// A lookup definition.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct LookupDef {
    /// The lookup name.
    pub name: String,
    /// The CSV file name.
    #[serde(default)]
    pub filename: Option<String>,
    /// A KV store collection (not available offline).
    #[serde(default)]
    pub collection: Option<String>,
    /// `WILDCARD(col),WILDCARD(col2)`.
    #[serde(default)]
    pub match_type: Option<String>,
    /// `'true'` / `'false'`.
    #[serde(default)]
    pub case_sensitive_match: Option<serde_yaml_ng::Value>,
    /// Output value when nothing matches.
    #[serde(default)]
    pub default_match: Option<serde_yaml_ng::Value>,
    /// Minimum matches (default_match applies when fewer).
    #[serde(default)]
    pub min_matches: Option<u32>,
    /// Maximum matches per row.
    #[serde(default)]
    pub max_matches: Option<u32>,
}

fn yaml_text(v: &Option<serde_yaml_ng::Value>) -> Option<String> {
    match v {
        Some(serde_yaml_ng::Value::String(s)) => Some(s.clone()),
        Some(serde_yaml_ng::Value::Bool(b)) => Some(b.to_string()),
        Some(serde_yaml_ng::Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

/// One cell matcher.
#[derive(Debug, Clone)]
enum Cell {
    Exact(String),
    ExactFold(String),
    Wild(WildPattern),
}

impl Cell {
    fn matches(&self, v: &str) -> bool {
        match self {
            Cell::Exact(s) => s == v,
            Cell::ExactFold(s) => {
                s.eq_ignore_ascii_case(v)
                    || (!(s.is_ascii() && v.is_ascii()) && s.to_lowercase() == v.to_lowercase())
            }
            Cell::Wild(p) => p.matches(v),
        }
    }
}

/// A loaded lookup table.
#[derive(Debug, Clone)]
pub struct Table {
    /// The lookup name.
    pub name: String,
    /// Column names.
    pub columns: Vec<String>,
    rows: Vec<Vec<String>>,
    /// Per column: wildcard matching.
    wildcard: Vec<bool>,
    case_sensitive: bool,
    /// Output when nothing matches.
    pub default_match: Option<String>,
    /// Minimum matches before default_match applies.
    pub min_matches: usize,
    /// Maximum matches kept.
    pub max_matches: usize,
}

impl Table {
    /// Column index by name.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }

    /// Whether a cell of column `col` is a wildcard pattern.
    fn is_wild(&self, col: usize, text: &str) -> bool {
        self.wildcard.get(col).copied().unwrap_or(false) && text.contains('*')
    }

    fn cell(&self, col: usize, text: &str) -> Cell {
        if self.is_wild(col, text) {
            Cell::Wild(WildPattern::new(text))
        } else if self.case_sensitive {
            Cell::Exact(text.to_string())
        } else {
            Cell::ExactFold(text.to_string())
        }
    }

    /// Compile matchers for the given input columns.
    pub fn matcher(&self, inputs: &[usize]) -> Matcher {
        let rows: Vec<(usize, Vec<Cell>)> = self
            .rows
            .iter()
            .enumerate()
            .map(|(ri, r)| {
                let cells = inputs
                    .iter()
                    .map(|&c| self.cell(c, r.get(c).map(String::as_str).unwrap_or("")))
                    .collect();
                (ri, cells)
            })
            .collect();
        let index = (!inputs.is_empty()).then(|| {
            RowIndex::build(rows.iter().map(|(_, cells)| match &cells[0] {
                Cell::Exact(text) => IndexedCell::Exact {
                    text,
                    folded: false,
                },
                Cell::ExactFold(text) => IndexedCell::Exact { text, folded: true },
                Cell::Wild(p) => IndexedCell::Wild(p),
            }))
        });
        Matcher {
            rows,
            index,
            cache: Arc::default(),
        }
    }

    /// Literals of column `col`, lower case, one of which every value a row matches holds:
    /// `None` when some row gives none at least `min_len` bytes long (or one case folding
    /// could change), or there would be more than `max`.
    pub fn key_literals(&self, col: usize, min_len: usize, max: usize) -> Option<Vec<String>> {
        let mut out = Vec::new();
        for r in &self.rows {
            let text = r.get(col).map(String::as_str).unwrap_or("");
            // As `cell` reads the text, without compiling a matcher per row.
            let lit = if self.is_wild(col, text) {
                super::wildcard::longest_literal(text)
            } else {
                text.to_lowercase()
            };
            if lit.len() < min_len || !lit.is_ascii() {
                return None;
            }
            out.push(lit);
        }
        out.sort();
        out.dedup();
        (!out.is_empty() && out.len() <= max).then_some(out)
    }

    /// A cell's text.
    pub fn value(&self, row: usize, col: usize) -> Option<&str> {
        self.rows
            .get(row)
            .and_then(|r| r.get(col))
            .map(String::as_str)
    }
}

/// Precompiled matchers for one `lookup` command's input columns.
#[derive(Debug, Clone)]
pub struct Matcher {
    rows: Vec<(usize, Vec<Cell>)>,
    /// Candidate rows by the first input column (none without inputs).
    index: Option<RowIndex>,
    /// Answers already computed (process names and paths repeat), up to [`CACHE_ENTRIES`].
    cache: Arc<Mutex<HashMap<CacheKey, Vec<usize>>>>,
}

/// The input values of a lookup and the most matches wanted.
type CacheKey = (Vec<Option<String>>, usize);

/// Most answers a lookup keeps; the cache starts over when full.
const CACHE_ENTRIES: usize = 4096;
/// Longest input (bytes of all values) whose answer is cached: at most ~4 MB per lookup.
const CACHE_KEY_BYTES: usize = 1024;

impl Matcher {
    /// Indices of table rows whose input cells match `values` (one per input column).
    pub fn find(&self, values: &[Option<String>], max: usize) -> Vec<usize> {
        let key = (values.to_vec(), max);
        if let Some(found) = self.cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
            return found;
        }
        let found = self.scan(values, max);
        // Values come from evidence: long ones (script blocks, command lines) are not kept.
        let key_bytes: usize = values.iter().flatten().map(String::len).sum();
        if key_bytes > CACHE_KEY_BYTES {
            return found;
        }
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= CACHE_ENTRIES {
                cache.clear();
            }
            cache.insert(key, found.clone());
        }
        found
    }

    fn scan(&self, values: &[Option<String>], max: usize) -> Vec<usize> {
        let mut out = Vec::new();
        let candidates: Box<dyn Iterator<Item = &(usize, Vec<Cell>)>> = match &self.index {
            Some(index) => {
                let Some(Some(first)) = values.first() else {
                    return out;
                };
                let positions = index.candidates(first);
                Box::new(
                    positions
                        .into_iter()
                        .filter_map(|p| self.rows.get(p as usize)),
                )
            }
            None => Box::new(self.rows.iter()),
        };
        for (ri, cells) in candidates {
            let all = cells.iter().zip(values).all(|(c, v)| match v {
                Some(v) => c.matches(v),
                None => false,
            });
            if all {
                out.push(*ri);
                if out.len() >= max {
                    break;
                }
            }
        }
        out
    }
}

/// Lookup definitions and CSV files gathered before compiling.
#[derive(Debug, Default)]
pub struct LookupSet {
    defs: HashMap<String, LookupDef>,
    /// CSV text by file name (file name as given in the path).
    csvs: HashMap<String, String>,
    cache: HashMap<String, Result<Arc<Table>, SplError>>,
}

impl LookupSet {
    /// Add a lookup definition YAML.
    pub fn add_definition(&mut self, text: &str) -> Result<(), String> {
        let def: LookupDef = serde_yaml_ng::from_str(text).map_err(|e| e.to_string())?;
        if def.name.is_empty() {
            return Err("lookup definition without a name".into());
        }
        self.defs.insert(def.name.clone(), def);
        Ok(())
    }

    /// Add a CSV file.
    pub fn add_csv(&mut self, path: &Path, text: String) {
        if let Some(name) = path.file_name() {
            self.csvs.insert(name.to_string_lossy().into_owned(), text);
        }
    }

    /// The table of a lookup name (loaded once).
    pub fn table(&mut self, name: &str) -> SplResult<std::sync::Arc<Table>> {
        if let Some(r) = self.cache.get(name) {
            return r.clone();
        }
        let r = self.load(name).map(std::sync::Arc::new);
        self.cache.insert(name.to_string(), r.clone());
        r
    }

    fn load(&self, name: &str) -> SplResult<Table> {
        let def = self.defs.get(name).cloned();
        if let Some(d) = &def {
            if d.collection.is_some() && d.filename.is_none() {
                return Err(SplError::Lookup(format!(
                    "`{name}` is a KV store collection, not available offline"
                )));
            }
        }
        let file = def.as_ref().and_then(|d| d.filename.clone());
        let text = match &file {
            Some(f) => self.csvs.get(f),
            None => self.csvs.get(&format!("{name}.csv")).or_else(|| {
                let mut cands: Vec<(&String, &String)> = self
                    .csvs
                    .iter()
                    .filter(|(k, _)| k.starts_with(name) && k.ends_with(".csv"))
                    .collect();
                cands.sort();
                cands.last().map(|(_, v)| *v)
            }),
        };
        let Some(text) = text else {
            return Err(SplError::Lookup(format!(
                "`{name}` not found (give its CSV{} with --rules)",
                file.map(|f| format!(" `{f}`")).unwrap_or_default()
            )));
        };
        let def = def.unwrap_or_default();
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(text.as_bytes());
        let columns: Vec<String> = reader
            .headers()
            .map_err(|e| SplError::Lookup(format!("`{name}`: {e}")))?
            .iter()
            .map(|h| h.trim().to_string())
            .collect();
        let mut rows = Vec::new();
        for rec in reader.records() {
            let rec = rec.map_err(|e| SplError::Lookup(format!("`{name}`: {e}")))?;
            rows.push(rec.iter().map(str::to_string).collect::<Vec<_>>());
            if rows.len() > MAX_ROWS {
                return Err(SplError::Lookup(format!(
                    "`{name}` has more than {MAX_ROWS} rows"
                )));
            }
        }
        let wild_cols: Vec<String> = def
            .match_type
            .as_deref()
            .unwrap_or("")
            .split(',')
            .filter_map(|m| {
                let m = m.trim();
                let inner = m.strip_prefix("WILDCARD(")?.strip_suffix(')')?;
                Some(inner.trim().to_string())
            })
            .collect();
        let wildcard = columns.iter().map(|c| wild_cols.contains(c)).collect();
        let case_sensitive = !matches!(
            yaml_text(&def.case_sensitive_match)
                .as_deref()
                .map(str::to_ascii_lowercase)
                .as_deref(),
            Some("false") | Some("0")
        );
        Ok(Table {
            name: name.to_string(),
            columns,
            rows,
            wildcard,
            case_sensitive,
            default_match: yaml_text(&def.default_match),
            min_matches: def.min_matches.unwrap_or(0) as usize,
            max_matches: def
                .max_matches
                .map(|m| m.clamp(1, 1000) as usize)
                .unwrap_or(1000),
        })
    }
}
