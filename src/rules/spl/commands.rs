//! The pipeline commands after the first one: parsing each into a [`Command`].

use super::error::{syntax, SplError, SplResult};
use super::expr::{parse_assignments, parse_expr, Expr};
use super::functions::compile_regex;
use super::lexer::{lex, Tok, Token};
use super::lookup::{LookupSet, Matcher, Table};
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
            Command::Dedup { fields, .. } => {
                out.extend(fields.iter().cloned());
                false
            }
            Command::Sort { keys, .. } => {
                out.extend(keys.iter().map(|(k, _)| k.clone()));
                false
            }
            Command::Head(_) => false,
        }
    }

    /// Whether the command leaves only the fields it names (so earlier fields are not needed).
    pub fn restricts(&self) -> bool {
        matches!(self, Command::Table(n) | Command::Fields { remove: false, names: n } if !n.iter().any(|x| x.contains('*')))
    }
}

/// Parse one pipeline segment (not the first).
pub fn parse_command(segment: &str, lookups: &mut LookupSet) -> SplResult<Command> {
    let segment = segment.trim();
    let (name, rest) = match segment.find(|c: char| c.is_whitespace()) {
        Some(i) => (&segment[..i], segment[i..].trim_start()),
        None => (segment, ""),
    };
    let lname = name.to_ascii_lowercase();
    match lname.as_str() {
        "search" => Ok(Command::Search(search::parse(&lex(rest)?, Ctx::Raw)?)),
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
        "lookup" => parse_lookup(&lex(rest)?, lookups),
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
                if matches!(toks.get(i + 1).map(|t| &t.tok), Some(Tok::Eq)) {
                    let key = toks[i].text().unwrap_or("").to_ascii_lowercase();
                    let val = toks
                        .get(i + 2)
                        .and_then(Token::text)
                        .unwrap_or("")
                        .to_ascii_lowercase();
                    match key.as_str() {
                        "keepempty" => keep_empty = val == "true" || val == "t" || val == "1",
                        "consecutive" | "keepevents" => {
                            if val == "true" || val == "t" || val == "1" {
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

fn names_of(toks: &[Token]) -> SplResult<Vec<String>> {
    let mut out = Vec::new();
    for t in toks {
        match &t.tok {
            Tok::Word(w) | Tok::Quoted(w) => out.push(w.clone()),
            Tok::Comma => {}
            Tok::LBracket | Tok::RBracket => {
                return Err(SplError::Unsupported("subsearch `[...]`".into()))
            }
            other => {
                return Err(syntax(format!(
                    "unexpected `{}` in field list",
                    search::describe(other)
                )))
            }
        }
    }
    Ok(out)
}

fn parse_rename(toks: &[Token]) -> SplResult<Command> {
    let mut pairs = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        if matches!(toks[i].tok, Tok::Comma) {
            i += 1;
            continue;
        }
        let from = toks[i]
            .text()
            .ok_or_else(|| syntax("rename expects a field"))?;
        if !toks.get(i + 1).is_some_and(|t| t.is_kw("as")) {
            return Err(syntax("rename expects `a AS b`"));
        }
        let to = toks
            .get(i + 2)
            .and_then(Token::text)
            .ok_or_else(|| syntax("rename expects a new name"))?;
        if from.matches('*').count() != to.matches('*').count() {
            return Err(syntax("rename wildcards must match in number"));
        }
        pairs.push((from.to_string(), to.to_string()));
        i += 3;
    }
    if pairs.is_empty() {
        return Err(syntax("rename without fields"));
    }
    Ok(Command::Rename(pairs))
}

fn parse_rex(toks: &[Token]) -> SplResult<Command> {
    let mut field = "_raw".to_string();
    let mut max_match = 1usize;
    let mut sed = false;
    let mut pattern = None;
    let mut i = 0;
    while i < toks.len() {
        if matches!(toks.get(i + 1).map(|t| &t.tok), Some(Tok::Eq)) {
            let key = toks[i].text().unwrap_or("").to_ascii_lowercase();
            let val = toks
                .get(i + 2)
                .and_then(Token::text)
                .unwrap_or("")
                .to_string();
            match key.as_str() {
                "field" => field = val,
                "max_match" => max_match = val.parse().map_err(|_| syntax("bad max_match"))?,
                "mode" if val == "sed" => sed = true,
                other => return Err(SplError::Unsupported(format!("rex option `{other}`"))),
            }
            i += 3;
            continue;
        }
        match &toks[i].tok {
            Tok::Quoted(p) => pattern = Some(p.clone()),
            _ => return Err(syntax("rex expects a quoted regex")),
        }
        i += 1;
    }
    if field == "_raw" {
        return Err(SplError::Unsupported(
            "rex on _raw (no raw event text offline)".into(),
        ));
    }
    let pattern = pattern.ok_or_else(|| syntax("rex without a regex"))?;
    if sed {
        let (re, replacement, global) = parse_sed(&pattern)?;
        return Ok(Command::Rex {
            field,
            regex: compile_regex(&re)?,
            mode: RexMode::Sed {
                replacement,
                global,
            },
        });
    }
    let regex = compile_regex(&pattern)?;
    let names: Vec<String> = regex
        .capture_names()
        .flatten()
        .map(str::to_string)
        .collect();
    if names.is_empty() {
        return Err(syntax("rex regex has no named group"));
    }
    let max_match = if max_match == 0 {
        1000
    } else {
        max_match.min(1000)
    };
    Ok(Command::Rex {
        field,
        regex,
        mode: RexMode::Extract { names, max_match },
    })
}

fn parse_sed(expr: &str) -> SplResult<(String, String, bool)> {
    let rest = expr
        .strip_prefix("s/")
        .ok_or_else(|| SplError::Unsupported("rex sed expression other than s/…/…/".into()))?;
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    if n != '/' {
                        cur.push('\\');
                    }
                    cur.push(n);
                }
            }
            '/' => parts.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    parts.push(cur);
    if parts.len() != 3 {
        return Err(syntax("bad sed expression"));
    }
    let global = parts[2].contains('g');
    let mut repl = String::new();
    let mut it = parts[1].chars().peekable();
    while let Some(c) = it.next() {
        match c {
            '$' => repl.push_str("$$"),
            '\\' if it.peek().is_some_and(|d| d.is_ascii_digit()) => {
                let d = it.next().unwrap_or('0');
                repl.push_str(&format!("${{{d}}}"));
            }
            c => repl.push(c),
        }
    }
    Ok((parts[0].clone(), repl, global))
}

fn parse_regex_cmd(toks: &[Token]) -> SplResult<Command> {
    match toks {
        [f, op, v] if matches!(op.tok, Tok::Eq | Tok::Ne) => {
            let field = f
                .text()
                .ok_or_else(|| syntax("regex expects a field"))?
                .to_string();
            let pattern = v.text().ok_or_else(|| syntax("regex expects a pattern"))?;
            Ok(Command::Regex {
                field,
                regex: compile_regex(pattern)?,
                negate: op.tok == Tok::Ne,
            })
        }
        [v] if matches!(v.tok, Tok::Quoted(_)) => Err(SplError::Unsupported(
            "regex on _raw (no raw event text offline)".into(),
        )),
        _ => Err(syntax("regex expects `field=\"re\"`")),
    }
}

fn parse_lookup(toks: &[Token], lookups: &mut LookupSet) -> SplResult<Command> {
    let mut i = 0;
    while matches!(toks.get(i + 1).map(|t| &t.tok), Some(Tok::Eq)) {
        i += 3;
    }
    let name = toks
        .get(i)
        .and_then(Token::text)
        .ok_or_else(|| syntax("lookup without a name"))?;
    let table = lookups.table(name)?;
    i += 1;
    let mut inputs = Vec::new();
    let mut outputs = Vec::new();
    let mut only_new = false;
    let mut in_output = false;
    while i < toks.len() {
        let t = &toks[i];
        if matches!(t.tok, Tok::Comma) {
            i += 1;
            continue;
        }
        if t.is_kw("output") || t.is_kw("outputnew") {
            only_new = t.is_kw("outputnew");
            in_output = true;
            i += 1;
            continue;
        }
        let col = t
            .text()
            .ok_or_else(|| syntax("lookup expects field names"))?;
        let (field, step) = if toks.get(i + 1).is_some_and(|t| t.is_kw("as")) {
            let f = toks
                .get(i + 2)
                .and_then(Token::text)
                .ok_or_else(|| syntax("lookup `AS` without a name"))?;
            (f.to_string(), 3)
        } else {
            (col.to_string(), 1)
        };
        let idx = table
            .column(col)
            .ok_or_else(|| SplError::Lookup(format!("`{}` has no column `{col}`", table.name)))?;
        if in_output {
            outputs.push((idx, field));
        } else {
            inputs.push((idx, field));
        }
        i += step;
    }
    if inputs.is_empty() {
        return Err(syntax("lookup without input fields"));
    }
    if outputs.is_empty() {
        outputs = (0..table.columns.len())
            .filter(|c| !inputs.iter().any(|(i, _)| i == c))
            .map(|c| (c, table.columns[c].clone()))
            .collect();
    }
    let cols: Vec<usize> = inputs.iter().map(|(c, _)| *c).collect();
    let matcher = table.matcher(&cols);
    Ok(Command::Lookup(Box::new(LookupCmd {
        table,
        inputs,
        outputs,
        only_new,
        matcher,
    })))
}

fn parse_convert(toks: &[Token]) -> SplResult<Command> {
    let mut format = "%m/%d/%Y %H:%M:%S".to_string();
    let mut fields = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let t = &toks[i];
        if matches!(toks.get(i + 1).map(|t| &t.tok), Some(Tok::Eq)) {
            let key = t.text().unwrap_or("").to_ascii_lowercase();
            let val = toks
                .get(i + 2)
                .and_then(Token::text)
                .unwrap_or("")
                .to_string();
            match key.as_str() {
                "timeformat" => format = val,
                other => return Err(SplError::Unsupported(format!("convert option `{other}`"))),
            }
            i += 3;
            continue;
        }
        if matches!(t.tok, Tok::Comma) {
            i += 1;
            continue;
        }
        let func = t
            .text()
            .ok_or_else(|| syntax("convert expects ctime(field)"))?
            .to_ascii_lowercase();
        if func != "ctime" {
            return Err(SplError::Unsupported(format!("convert function `{func}`")));
        }
        let (Some(Tok::LParen), Some(f), Some(Tok::RParen)) = (
            toks.get(i + 1).map(|t| &t.tok),
            toks.get(i + 2).and_then(Token::text),
            toks.get(i + 3).map(|t| &t.tok),
        ) else {
            return Err(syntax("convert expects ctime(field)"));
        };
        let src = f.to_string();
        i += 4;
        let dst = if toks.get(i).is_some_and(|t| t.is_kw("as")) {
            let d = toks
                .get(i + 1)
                .and_then(Token::text)
                .ok_or_else(|| syntax("convert `as` without a name"))?;
            i += 2;
            d.to_string()
        } else {
            src.clone()
        };
        fields.push((src, dst));
    }
    Ok(Command::Convert { format, fields })
}

fn parse_bin(toks: &[Token]) -> SplResult<Command> {
    let mut span = None;
    let mut field = None;
    let mut out = None;
    let mut i = 0;
    while i < toks.len() {
        if matches!(toks.get(i + 1).map(|t| &t.tok), Some(Tok::Eq)) {
            let key = toks[i].text().unwrap_or("").to_ascii_lowercase();
            let val = toks.get(i + 2).and_then(Token::text).unwrap_or("");
            match key.as_str() {
                "span" => {
                    span = Some(
                        super::timefmt::span_seconds(val)
                            .ok_or_else(|| syntax(format!("bad span `{val}`")))?,
                    )
                }
                other => return Err(SplError::Unsupported(format!("bin option `{other}`"))),
            }
            i += 3;
            continue;
        }
        if toks[i].is_kw("as") {
            out = toks.get(i + 1).and_then(Token::text).map(str::to_string);
            i += 2;
            continue;
        }
        field = toks[i].text().map(str::to_string);
        i += 1;
    }
    let field = field.ok_or_else(|| syntax("bin without a field"))?;
    let span = span.ok_or_else(|| SplError::Unsupported("bin without span=".into()))?;
    let out = out.unwrap_or_else(|| field.clone());
    Ok(Command::Bin { field, span, out })
}

fn parse_sort(toks: &[Token]) -> SplResult<Command> {
    let mut limit = 10_000usize;
    let mut keys = Vec::new();
    let mut desc_next = false;
    for (i, t) in toks.iter().enumerate() {
        match &t.tok {
            Tok::Word(w) if i == 0 && w.chars().all(|c| c.is_ascii_digit()) => {
                limit = w.parse().unwrap_or(limit);
                if limit == 0 {
                    limit = usize::MAX;
                }
            }
            Tok::Word(w) if w == "-" => desc_next = true,
            Tok::Word(w) if w == "+" => desc_next = false,
            Tok::Word(w) | Tok::Quoted(w) => {
                let (name, desc) = match w.strip_prefix('-') {
                    Some(n) => (n.to_string(), true),
                    None => (w.trim_start_matches('+').to_string(), desc_next),
                };
                if name.contains('(') {
                    return Err(SplError::Unsupported("sort with functions".into()));
                }
                keys.push((name, desc));
                desc_next = false;
            }
            Tok::Comma => {}
            _ => return Err(SplError::Unsupported("sort with functions".into())),
        }
    }
    if keys.is_empty() {
        return Err(syntax("sort without fields"));
    }
    Ok(Command::Sort { limit, keys })
}
