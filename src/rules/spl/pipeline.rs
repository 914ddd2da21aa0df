//! A whole search: macro-expanded, split at top-level pipes, parsed into a base (an event
//! search, or `tstats` over a datamodel) and the commands after it, and split again into the
//! streaming part that runs per event and the rest that runs once over all matches.

use super::commands::{parse_command, Command};
use super::error::{syntax, SplError, SplResult};
use super::lexer::{lex, Tok, Token};
use super::lookup::LookupSet;
use super::macros::MacroTable;
use super::optimize::optimize;
use super::pushdown::Pushdown;
use super::search::{self, FieldRef, Search};
use super::semijoin::SemiJoin;
use super::stats::{self, StatsKind};
use super::view::{Ctx, SECURITY, SYSMON};
use crate::rules::SourceFilter;

/// Most pipeline commands accepted.
pub const MAX_COMMANDS: usize = 200;

/// The fields the per-event part must keep for the rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Needed {
    /// Only these.
    Some(Vec<String>),
    /// Every field of the event (a wildcard reference or an unrestricted output).
    All,
}

/// A compiled pipeline.
#[derive(Debug, Clone)]
pub struct Pipeline {
    /// Field namespace of the base search.
    pub ctx: Ctx,
    /// The base search (the `where` clause for tstats).
    pub base: Search,
    /// Streaming commands run per event in `check`.
    pub streaming: Vec<Command>,
    /// Commands run in `finish` (empty when nothing aggregates).
    pub rest: Vec<Command>,
    /// Fields each match must carry into `finish`.
    pub needed: Needed,
    /// The `Needed::Some` names, resolved once in the pipeline's namespace.
    pub needed_refs: Vec<FieldRef>,
    /// Final names of the last grouping command's by-fields.
    pub by_names: Vec<String>,
    /// The log sources the base can match (empty: any).
    pub scope: Vec<SourceFilter>,
    /// Filters after the first grouping that `check` can run per event.
    pub pushdown: Option<Pushdown>,
    /// The inner join after the grouping, tested per match before `finish` (super::semijoin).
    pub semijoin: Option<SemiJoin>,
}

/// Split expanded SPL at top-level pipes (outside quotes and brackets).
pub fn split_pipes(text: &str) -> Vec<&str> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    let mut depth = 0i32;
    while i < b.len() {
        match b[i] {
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'[' => depth += 1,
            b']' => depth -= 1,
            b'|' if depth <= 0 => {
                out.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    if start <= text.len() {
        out.push(&text[start.min(text.len())..]);
    }
    out
}

/// Deepest subsearch nesting accepted.
pub const MAX_SUBSEARCH_DEPTH: usize = 3;

/// Compile a detection's search into its pipelines: index 0 is the main search, the others
/// are the subsearches its `join` commands read (a subsearch's index is always larger than
/// the index of the pipeline that joins it).
pub fn compile(
    search: &str,
    macros: &MacroTable,
    lookups: &mut LookupSet,
) -> SplResult<Vec<Pipeline>> {
    let expanded = macros.expand(search)?;
    let mut branches: Vec<Option<Pipeline>> = vec![None];
    let main = compile_text(&expanded, lookups, &mut branches, 0)?;
    branches[0] = Some(main);
    branches
        .into_iter()
        .map(|b| b.ok_or_else(|| syntax("incomplete subsearch")))
        .collect()
}

/// What command parsing needs from the compiler: lookups, and compiling subsearches.
pub struct CompileEnv<'a> {
    /// Lookup tables.
    pub lookups: &'a mut LookupSet,
    branches: &'a mut Vec<Option<Pipeline>>,
    depth: usize,
}

impl CompileEnv<'_> {
    /// Compile a subsearch (the text inside `[...]`) and return its pipeline index.
    pub fn subsearch(&mut self, text: &str) -> SplResult<usize> {
        if self.depth + 1 > MAX_SUBSEARCH_DEPTH {
            return Err(SplError::Unsupported(format!(
                "subsearches nested deeper than {MAX_SUBSEARCH_DEPTH}"
            )));
        }
        let index = self.branches.len();
        self.branches.push(None);
        let mut sub = compile_text(text, self.lookups, self.branches, self.depth + 1)?;
        if sub.rest.is_empty() {
            // Joined rows carry every field of their events.
            sub.rest = std::mem::take(&mut sub.streaming);
            sub.needed = Needed::All;
        }
        self.branches[index] = Some(sub);
        Ok(index)
    }
}

/// Compile one (expanded) search text; subsearches are compiled into `branches`.
fn compile_text(
    expanded: &str,
    lookups: &mut LookupSet,
    branches: &mut Vec<Option<Pipeline>>,
    depth: usize,
) -> SplResult<Pipeline> {
    let trimmed = expanded.trim_start();
    let generating = trimmed.starts_with('|');
    let body = if generating { &trimmed[1..] } else { trimmed };
    let segments = split_pipes(body);
    if segments.len() > MAX_COMMANDS {
        return Err(syntax(format!("more than {MAX_COMMANDS} commands")));
    }
    let mut segs = segments.into_iter();
    let first = segs.next().unwrap_or("").trim();
    let (ctx, base, mut commands, scope) = if generating {
        let (name, rest) = split_name(first);
        if !name.eq_ignore_ascii_case("tstats") {
            return Err(SplError::UnsupportedCommand(name.to_ascii_lowercase()));
        }
        let (dm, where_, stats_cmd) = parse_tstats(rest)?;
        let source = |channel: &str, id: u32| SourceFilter {
            channels: vec![channel.to_string()],
            event_ids: vec![id],
            ..Default::default()
        };
        let mut scope = vec![SourceFilter {
            channels: vec![SYSMON.to_string()],
            event_ids: dm.sysmon_ids().to_vec(),
            ..Default::default()
        }];
        if dm == Ctx::Processes {
            scope.push(source(SECURITY, 4688));
        }
        (dm, where_, vec![Command::Stats(Box::new(stats_cmd))], scope)
    } else {
        let (name, rest) = split_name(first);
        let text = if name.eq_ignore_ascii_case("search") {
            rest
        } else {
            first
        };
        let base = optimize(search::parse(&lex(text)?, Ctx::Raw)?);
        let scope = base.scope();
        (Ctx::Raw, base, Vec::new(), scope)
    };
    let mut env = CompileEnv {
        lookups,
        branches,
        depth,
    };
    for seg in segs {
        if seg.trim().is_empty() {
            continue;
        }
        commands.push(parse_command(seg, &mut env)?);
    }
    let split = commands
        .iter()
        .position(|c| !c.is_streaming())
        .unwrap_or(commands.len());
    let mut rest = commands.split_off(split);
    super::liveness::prune(&mut rest);
    let streaming = commands;
    let needed = needed_fields(&rest);
    let needed_refs = match &needed {
        Needed::Some(names) => names.iter().map(|n| FieldRef::new(n, ctx)).collect(),
        Needed::All => Vec::new(),
    };
    let by_names = final_by_names(&rest);
    let pushdown = Pushdown::plan(&rest, ctx);
    let semijoin = SemiJoin::plan(&rest);
    Ok(Pipeline {
        ctx,
        base,
        streaming,
        rest,
        needed,
        needed_refs,
        by_names,
        scope,
        pushdown,
        semijoin,
    })
}

fn split_name(seg: &str) -> (&str, &str) {
    let seg = seg.trim();
    match seg.find(|c: char| c.is_whitespace()) {
        Some(i) => (&seg[..i], seg[i..].trim_start()),
        None => (seg, ""),
    }
}

/// Parse `tstats <aggs> from datamodel=<dm> [where <search>] [by <fields>]` (datamodels
/// `Endpoint.Processes`, `Network_Resolution`, `Endpoint.Registry`, `Endpoint.Filesystem`).
fn parse_tstats(text: &str) -> SplResult<(Ctx, Search, stats::StatsCmd)> {
    let toks = lex(text)?;
    let from = toks
        .iter()
        .position(|t| t.is_kw("from") && matches!(t.tok, Tok::Word(_)))
        .ok_or_else(|| SplError::Unsupported("tstats without `from datamodel=`".into()))?;
    let dm_ok = matches!(
        (toks.get(from + 1), toks.get(from + 2).map(|t| &t.tok), toks.get(from + 3)),
        (Some(k), Some(Tok::Eq), Some(_)) if k.is_kw("datamodel")
    );
    if !dm_ok {
        return Err(SplError::Unsupported(
            "tstats without `from datamodel=`".into(),
        ));
    }
    let dm_name = toks[from + 3].text().unwrap_or("").to_string();
    let dm = Ctx::of_datamodel(&dm_name)
        .ok_or_else(|| SplError::Unsupported(format!("datamodel `{dm_name}`")))?;
    let after = from + 4;
    let where_at = toks[after..]
        .iter()
        .position(|t| t.is_kw("where") && matches!(t.tok, Tok::Word(_)))
        .map(|p| p + after);
    let by_at = toks[after..]
        .iter()
        .position(|t| t.is_kw("by") && matches!(t.tok, Tok::Word(_)))
        .map(|p| p + after);
    let where_tokens: &[Token] = match (where_at, by_at) {
        (Some(w), Some(b)) if w < b => &toks[w + 1..b],
        (Some(w), None) => &toks[w + 1..],
        _ => &[],
    };
    if let (Some(w), Some(b)) = (where_at, by_at) {
        if b < w {
            return Err(SplError::Unsupported("tstats `by` before `where`".into()));
        }
    }
    let where_ = optimize(search::parse(where_tokens, dm)?);
    let mut agg_tokens: Vec<Token> = toks[..from].to_vec();
    if let Some(b) = by_at {
        agg_tokens.extend_from_slice(&toks[b..]);
    } else if where_at.is_none() && after < toks.len() {
        return Err(syntax("unexpected text after the datamodel"));
    }
    let cmd = stats::parse_aggs(StatsKind::Tstats, &agg_tokens, text)?;
    Ok((dm, where_, cmd))
}

/// The fields the matches must carry: what the commands up to the first grouping read.
fn needed_fields(rest: &[Command]) -> Needed {
    if rest.is_empty() {
        return Needed::Some(Vec::new());
    }
    let mut names = Vec::new();
    for cmd in rest {
        if cmd.reads(&mut names) {
            return Needed::All;
        }
        if cmd.is_grouping() || cmd.restricts() {
            names.sort();
            names.dedup();
            return Needed::Some(names);
        }
    }
    Needed::All
}

/// The by-fields of the last grouping command, renamed by the renames after it.
fn final_by_names(rest: &[Command]) -> Vec<String> {
    let Some(last) = rest.iter().rposition(Command::is_grouping) else {
        return Vec::new();
    };
    let Command::Stats(s) = &rest[last] else {
        return Vec::new();
    };
    let mut names: Vec<String> = s.by.clone();
    for cmd in &rest[last + 1..] {
        if let Command::Rename(pairs) = cmd {
            for n in names.iter_mut() {
                for (from, to) in pairs {
                    if let Some(target) = super::row::renamed(from, to, n) {
                        *n = target;
                        break;
                    }
                }
            }
        }
    }
    names
}
