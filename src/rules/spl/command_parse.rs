//! Argument parsing of the commands with options (`rex`, `regex`, `lookup`, `convert`, `bin`,
//! `sort`, `rename`, field lists).

use super::commands::{Command, LookupCmd, RexMode};
use super::error::{syntax, SplError, SplResult};
use super::functions::compile_regex;
use super::lexer::lex;
use super::lexer::{Tok, Token};
use super::lookup::LookupSet;
use super::pipeline::CompileEnv;
use super::search;

/// Field names of a list (`a, b c`).
pub(super) fn names_of(toks: &[Token]) -> SplResult<Vec<String>> {
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

/// Parse the arguments of `rename`.
pub(super) fn parse_rename(toks: &[Token]) -> SplResult<Command> {
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

/// Parse the arguments of `rex`.
pub(super) fn parse_rex(toks: &[Token]) -> SplResult<Command> {
    let mut field = "_raw".to_string();
    let mut max_match = 1usize;
    let mut sed = false;
    let mut pattern = None;
    let mut i = 0;
    while i < toks.len() {
        if let Some((key, val)) = option_at(toks, i) {
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

/// Parse the arguments of `regex`.
pub(super) fn parse_regex_cmd(toks: &[Token]) -> SplResult<Command> {
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

/// Parse the arguments of `lookup`.
pub(super) fn parse_lookup(toks: &[Token], lookups: &mut LookupSet) -> SplResult<Command> {
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

/// Parse the arguments of `convert`.
pub(super) fn parse_convert(toks: &[Token]) -> SplResult<Command> {
    let mut format = "%m/%d/%Y %H:%M:%S".to_string();
    let mut fields = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let t = &toks[i];
        if let Some((key, val)) = option_at(toks, i) {
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

/// Parse the arguments of `bin`.
pub(super) fn parse_bin(toks: &[Token]) -> SplResult<Command> {
    let mut span = None;
    let mut field = None;
    let mut out = None;
    let mut i = 0;
    while i < toks.len() {
        if let Some((key, val)) = option_at(toks, i) {
            let val = val.as_str();
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

/// Parse the arguments of `sort`.
pub(super) fn parse_sort(toks: &[Token]) -> SplResult<Command> {
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

/// Parse `join [type=inner|left|outer] [max=N] [overwrite=true] f1, f2 [subsearch]`.
pub(super) fn parse_join(text: &str, env: &mut CompileEnv<'_>) -> SplResult<Command> {
    let open = text
        .find('[')
        .ok_or_else(|| SplError::Unsupported("join without a subsearch".into()))?;
    let close = text
        .rfind(']')
        .filter(|c| *c > open)
        .ok_or_else(|| syntax("join subsearch without `]`"))?;
    if !text[close + 1..].trim().is_empty() {
        return Err(syntax("text after the join subsearch"));
    }
    let toks = lex(&text[..open])?;
    let mut fields = Vec::new();
    let mut max = 1usize;
    let mut keep_unmatched = false;
    let mut i = 0;
    while i < toks.len() {
        if let Some((key, val)) = option_at(&toks, i) {
            let val = val.to_ascii_lowercase();
            match key.as_str() {
                "type" => {
                    keep_unmatched = match val.as_str() {
                        "inner" => false,
                        "left" | "outer" => true,
                        other => return Err(SplError::Unsupported(format!("join type `{other}`"))),
                    }
                }
                "max" => max = val.parse().map_err(|_| syntax("bad join max"))?,
                "overwrite" if truthy(&val) => {}
                other => return Err(SplError::Unsupported(format!("join option `{other}`"))),
            }
            i += 3;
            continue;
        }
        match &toks[i].tok {
            Tok::Word(w) | Tok::Quoted(w) => fields.push(w.clone()),
            Tok::Comma => {}
            other => {
                return Err(syntax(format!(
                    "unexpected `{}` in join",
                    search::describe(other)
                )))
            }
        }
        i += 1;
    }
    if fields.is_empty() {
        return Err(SplError::Unsupported("join without fields".into()));
    }
    let branch = env.subsearch(&text[open + 1..close])?;
    Ok(Command::Join {
        fields,
        branch,
        max,
        keep_unmatched,
    })
}

/// Parse `addtotals [row=true] [col=false] [fieldname=F] [fields]`.
pub(super) fn parse_addtotals(toks: &[Token]) -> SplResult<Command> {
    let mut out = "Total".to_string();
    let mut fields = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        if let Some((key, val)) = option_at(toks, i) {
            let truthy = truthy(&val);
            match key.as_str() {
                "fieldname" => out = val,
                "row" if truthy => {}
                "col" if !truthy => {}
                other => {
                    return Err(SplError::Unsupported(format!(
                        "addtotals option `{other}={val}`"
                    )))
                }
            }
            i += 3;
            continue;
        }
        match &toks[i].tok {
            Tok::Word(w) | Tok::Quoted(w) => fields.push(w.clone()),
            Tok::Comma => {}
            other => {
                return Err(syntax(format!(
                    "unexpected `{}` in addtotals",
                    search::describe(other)
                )))
            }
        }
        i += 1;
    }
    Ok(Command::AddTotals { out, fields })
}

/// The `key=value` option that starts at `toks[i]`, if one does: the key lower-cased, the value
/// as written.
pub(super) fn option_at(toks: &[Token], i: usize) -> Option<(String, String)> {
    if !matches!(toks.get(i + 1).map(|t| &t.tok), Some(Tok::Eq)) {
        return None;
    }
    let key = toks.get(i)?.text().unwrap_or("").to_ascii_lowercase();
    let val = toks
        .get(i + 2)
        .and_then(Token::text)
        .unwrap_or("")
        .to_string();
    Some((key, val))
}

/// Whether an option value means true in SPL (`true`, `t` or `1`, any case).
pub(super) fn truthy(val: &str) -> bool {
    matches!(val.to_ascii_lowercase().as_str(), "true" | "t" | "1")
}
