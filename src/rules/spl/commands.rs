//! The pipeline commands after the first one: parsing each into a [`Command`].

use super::command_parse::{
    names_of, option_at, parse_addtotals, parse_bin, parse_convert, parse_join, parse_lookup,
    parse_regex_cmd, parse_rename, parse_rex, parse_sort, truthy,
};
use super::error::{syntax, SplError, SplResult};
use super::expr::{parse_assignments, parse_expr, Expr};
use super::lexer::{lex, Tok, Token};
use super::lookup::{Matcher, Table};
use super::pipeline::CompileEnv;
use super::search::{self, Search};
use super::stats::{self, StatsCmd, StatsKind};
use super::view::Ctx;
use regex::Regex;
use std::sync::Arc;

/// `rex` in extraction or sed mode.
#[derive(Debug, Clone)]
pub enum RexMode {
    /// Named groups become fields; up to `max_match` matches (multivalue).
    Extract {
        /// Group names.
        names: Vec<String>,
        /// Most matches kept (0 = unlimited, capped).
        max_match: usize,
    },
    /// `s/re/replacement/[g]` applied to the field.
    Sed {
        /// The replacement (regex crate syntax).
        replacement: String,
        /// Replace every match.
        global: bool,
    },
}

/// A compiled `lookup` command.
#[derive(Debug, Clone)]
pub struct LookupCmd {
    /// The table.
    pub table: Arc<Table>,
    /// Input columns and the row fields they read.
    pub inputs: Vec<(usize, String)>,
    /// Output columns and the row fields they set.
    pub outputs: Vec<(usize, String)>,
    /// `OUTPUTNEW`: only set fields that are null.
    pub only_new: bool,
    /// Compiled input matchers.
    pub matcher: Matcher,
}

/// One command of a pipeline.
#[derive(Debug, Clone)]
pub enum Command {
    /// `search <expr>`
    Search(Search),
    /// `where <expr>`
    Where(Expr),
    /// `eval a=expr, ...`
    Eval(Vec<(String, Expr)>),
    /// `rename a AS b, ...` (wildcards allowed)
    Rename(Vec<(String, String)>),
    /// `table f ...`
    Table(Vec<String>),
    /// `fields [+|-] f ...`
    Fields {
        /// `fields -`
        remove: bool,
        /// Field names or patterns.
        names: Vec<String>,
    },
    /// `rex field=f "re"`
    Rex {
        /// The field read.
        field: String,
        /// The regex.
        regex: Regex,
        /// Extraction or sed.
        mode: RexMode,
    },
    /// `regex f="re"` / `regex f!="re"`
    Regex {
        /// The field.
        field: String,
        /// The regex.
        regex: Regex,
        /// `!=`: keep rows that do not match.
        negate: bool,
    },
    /// `lookup ...`
    Lookup(Box<LookupCmd>),
    /// `fillnull value=v [fields]` (no fields: every field of every row).
    Fillnull {
        /// The value.
        value: String,
        /// The fields; empty for all.
        fields: Vec<String>,
    },
    /// `convert [timeformat=F] ctime(f) [as g] ...`
    Convert {
        /// strftime format.
        format: String,
        /// (source, destination).
        fields: Vec<(String, String)>,
    },
    /// `bin|bucket f span=s [as g]`
    Bin {
        /// The field.
        field: String,
        /// Span in seconds (or units of the value).
        span: f64,
        /// Output field.
        out: String,
    },
    /// `mvexpand f [limit=n]`
    MvExpand {
        /// The field.
        field: String,
        /// Most values expanded.
        limit: usize,
    },
    /// `stats`, `tstats` aggregation, `eventstats`
    Stats(Box<StatsCmd>),
    /// `dedup [n] f ... [keepempty=b]`
    Dedup {
        /// Rows kept per combination.
        keep: usize,
        /// The fields.
        fields: Vec<String>,
        /// Keep rows where a field is null.
        keep_empty: bool,
    },
    /// `head [n]`
    Head(usize),
    /// `search [subsearch]`: keep rows that equal, on every field of some subsearch row, that
    /// row's values (case-insensitive, `*` wildcards), as Splunk's implicit `format` does.
    SearchSubsearch {
        /// The subsearch's pipeline index.
        branch: usize,
    },
    /// `addtotals [fieldname=F] [f ...]`: the sum of the numeric fields (all, or those named).
    AddTotals {
        /// Output field.
        out: String,
        /// Fields or patterns summed; empty for every numeric field.
        fields: Vec<String>,
    },
    /// `join [type=] [max=] f ... [subsearch]`
    Join {
        /// The fields both sides must share.
        fields: Vec<String>,
        /// The subsearch's pipeline index.
        branch: usize,
        /// Most subsearch rows joined per row (0: all).
        max: usize,
        /// `type=left|outer`: keep rows without a match.
        keep_unmatched: bool,
    },
    /// `sort [n] [+|-]f ...`
    Sort {
        /// Most rows kept (0: all).
        limit: usize,
        /// (field, descending).
        keys: Vec<(String, bool)>,
    },
}

impl Command {
    /// Whether the command works one row at a time (can run inside `check`).
    pub fn is_streaming(&self) -> bool {
        match self {
            Command::Stats(_)
            | Command::Dedup { .. }
            | Command::Head(_)
            | Command::Sort { .. }
            | Command::Join { .. }
            | Command::SearchSubsearch { .. }
            | Command::MvExpand { .. } => false,
            Command::Fillnull { fields, .. } => !fields.is_empty(),
            _ => true,
        }
    }

    /// Whether the command replaces rows with groups (stats, tstats).
    pub fn is_grouping(&self) -> bool {
        matches!(self, Command::Stats(s) if s.kind != StatsKind::EventStats)
    }

    /// Fields the command reads; `true` when it may read any field (wildcards, all-field ops).
    pub fn reads(&self, out: &mut Vec<String>) -> bool {
        match self {
            Command::Search(s) => {
                s.fields(out);
                s.has_terms()
            }
            Command::Where(e) => {
                e.fields(out);
                false
            }
            Command::Eval(a) => {
                a.iter().for_each(|(_, e)| e.fields(out));
                false
            }
            Command::Rename(pairs) => {
                out.extend(pairs.iter().map(|(a, _)| a.clone()));
                pairs.iter().any(|(a, _)| a.contains('*'))
            }
            Command::Table(names) | Command::Fields { names, .. } => {
                out.extend(names.iter().cloned());
                names.iter().any(|n| n.contains('*'))
            }
            Command::Rex { field, .. } | Command::Regex { field, .. } => {
                out.push(field.clone());
                false
            }
            Command::Lookup(l) => {
                out.extend(l.inputs.iter().map(|(_, f)| f.clone()));
                out.extend(l.outputs.iter().map(|(_, f)| f.clone()));
                false
            }
            Command::Fillnull { fields, .. } => {
                out.extend(fields.iter().cloned());
                fields.is_empty()
            }
            Command::AddTotals { fields, .. } => {
                out.extend(fields.iter().cloned());
                fields.is_empty() || fields.iter().any(|f| f.contains('*'))
            }
            Command::Convert { fields, .. } => {
                out.extend(fields.iter().map(|(a, _)| a.clone()));
                false
            }
            Command::Bin { field, .. } | Command::MvExpand { field, .. } => {
                out.push(field.clone());
                false
            }
            Command::Stats(s) => {
                s.fields(out);
                out.push("_time".into());
                s.has_wildcards()
            }
            Command::Dedup { fields, .. } | Command::Join { fields, .. } => {
                out.extend(fields.iter().cloned());
                false
            }
            Command::Sort { keys, .. } => {
                out.extend(keys.iter().map(|(k, _)| k.clone()));
                false
            }
            Command::Head(_) => false,
            Command::SearchSubsearch { .. } => true,
        }
    }

    /// Whether the command leaves only the fields it names (so earlier fields are not needed).
    pub fn restricts(&self) -> bool {
        matches!(self, Command::Table(n) | Command::Fields { remove: false, names: n } if !n.iter().any(|x| x.contains('*')))
    }
}

/// Parse one pipeline segment (not the first).
pub fn parse_command(segment: &str, env: &mut CompileEnv<'_>) -> SplResult<Command> {
    let segment = segment.trim();
    let (name, rest) = match segment.find(|c: char| c.is_whitespace()) {
        Some(i) => (&segment[..i], segment[i..].trim_start()),
        None => (segment, ""),
    };
    let lname = name.to_ascii_lowercase();
    match lname.as_str() {
        "search" => {
            let t = rest.trim();
            if let Some(inner) = t.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
                return Ok(Command::SearchSubsearch {
                    branch: env.subsearch(inner)?,
                });
            }
            Ok(Command::Search(super::optimize::optimize(search::parse(
                &lex(rest)?,
                Ctx::Raw,
            )?)))
        }
        "where" => Ok(Command::Where(parse_expr(rest, Ctx::Raw)?)),
        "eval" => Ok(Command::Eval(parse_assignments(rest, Ctx::Raw)?)),
        "rename" => parse_rename(&lex(rest)?),
        "table" => Ok(Command::Table(names_of(&lex(rest)?)?)),
        "fields" => {
            let toks = lex(rest)?;
            let (remove, toks) = match toks.first().map(|t| &t.tok) {
                Some(Tok::Word(w)) if w == "-" => (true, &toks[1..]),
                Some(Tok::Word(w)) if w == "+" => (false, &toks[1..]),
                _ => (false, &toks[..]),
            };
            let mut names = names_of(toks)?;
            let mut remove = remove;
            if let Some(first) = names.first_mut() {
                if let Some(stripped) = first.strip_prefix('-') {
                    if !stripped.is_empty() {
                        *first = stripped.to_string();
                        remove = true;
                    }
                }
            }
            Ok(Command::Fields { remove, names })
        }
        "rex" => parse_rex(&lex(rest)?),
        "regex" => parse_regex_cmd(&lex(rest)?),
        "lookup" => parse_lookup(&lex(rest)?, env.lookups),
        "join" => parse_join(rest, env),
        "addtotals" => parse_addtotals(&lex(rest)?),
        "fillnull" => {
            let toks = lex(rest)?;
            let mut value = "0".to_string();
            let mut fields = Vec::new();
            let mut i = 0;
            while i < toks.len() {
                if toks[i].is_kw("value")
                    && matches!(toks.get(i + 1).map(|t| &t.tok), Some(Tok::Eq))
                {
                    value = toks
                        .get(i + 2)
                        .and_then(Token::text)
                        .unwrap_or("")
                        .to_string();
                    i += 3;
                    continue;
                }
                if let Some(t) = toks[i].text() {
                    fields.push(t.to_string());
                }
                i += 1;
            }
            Ok(Command::Fillnull { value, fields })
        }
        "convert" => parse_convert(&lex(rest)?),
        "bin" | "bucket" | "discretize" => parse_bin(&lex(rest)?),
        "mvexpand" => {
            let toks = lex(rest)?;
            let mut field = None;
            let mut limit = 1000usize;
            let mut i = 0;
            while i < toks.len() {
                if toks[i].is_kw("limit")
                    && matches!(toks.get(i + 1).map(|t| &t.tok), Some(Tok::Eq))
                {
                    limit = toks
                        .get(i + 2)
                        .and_then(Token::text)
                        .and_then(|t| t.parse().ok())
                        .unwrap_or(limit);
                    i += 3;
                    continue;
                }
                if let Some(t) = toks[i].text() {
                    field = Some(t.to_string());
                }
                i += 1;
            }
            let field = field.ok_or_else(|| syntax("mvexpand without a field"))?;
            Ok(Command::MvExpand {
                field,
                limit: limit.clamp(1, 10_000),
            })
        }
        "stats" | "eventstats" => {
            let kind = if lname == "stats" {
                StatsKind::Stats
            } else {
                StatsKind::EventStats
            };
            Ok(Command::Stats(Box::new(stats::parse_aggs(
                kind,
                &lex(rest)?,
                rest,
            )?)))
        }
        "dedup" => {
            let toks = lex(rest)?;
            let mut keep = 1usize;
            let mut keep_empty = false;
            let mut fields = Vec::new();
            let mut i = 0;
            while i < toks.len() {
                if let Some((key, val)) = option_at(&toks, i) {
                    let val = val.to_ascii_lowercase();
                    match key.as_str() {
                        "keepempty" => keep_empty = truthy(&val),
                        "consecutive" | "keepevents" => {
                            if truthy(&val) {
                                return Err(SplError::Unsupported(format!(
                                    "dedup option `{key}=true`"
                                )));
                            }
                        }
                        other => {
                            return Err(SplError::Unsupported(format!("dedup option `{other}`")))
                        }
                    }
                    i += 3;
                    continue;
                }
                if toks[i].is_kw("sortby") {
                    return Err(SplError::Unsupported("dedup option `sortby`".into()));
                }
                match &toks[i].tok {
                    Tok::Word(w) if i == 0 && w.chars().all(|c| c.is_ascii_digit()) => {
                        keep = w.parse().unwrap_or(1).max(1);
                    }
                    Tok::Word(w) | Tok::Quoted(w) => fields.push(w.clone()),
                    _ => {}
                }
                i += 1;
            }
            if fields.is_empty() {
                return Err(syntax("dedup without fields"));
            }
            Ok(Command::Dedup {
                keep,
                fields,
                keep_empty,
            })
        }
        "head" => {
            let toks = lex(rest)?;
            let n = toks
                .iter()
                .filter_map(Token::text)
                .find_map(|t| t.parse::<usize>().ok())
                .unwrap_or(10);
            Ok(Command::Head(n))
        }
        "sort" => parse_sort(&lex(rest)?),
        "tstats" => Err(SplError::Unsupported(
            "tstats after the first command".into(),
        )),
        "" => Err(syntax("empty command")),
        _ => Err(SplError::UnsupportedCommand(lname)),
    }
}
