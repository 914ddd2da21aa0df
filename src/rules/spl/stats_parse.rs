//! Parsing the arguments of `stats`, `eventstats` and the aggregation part of `tstats`.

use super::error::{syntax, SplError, SplResult};
use super::expr::parse_expr;
use super::lexer::{Tok, Token};
use super::stats::{Agg, AggArg, AggFunc, StatsCmd, StatsKind};
use super::view::Ctx;

/// Parse the aggregations and by-clause of a stats-like command (`tokens` after the command
/// name, with `text` the command text the token spans point into). For tstats, the caller has
/// removed the `from ... where ...` part.
pub fn parse_aggs(kind: StatsKind, tokens: &[Token], text: &str) -> SplResult<StatsCmd> {
    let mut cmd = StatsCmd {
        kind,
        aggs: Vec::new(),
        by: Vec::new(),
        span: None,
        fill_null: None,
    };
    let mut i = 0;
    let mut in_by = false;
    while i < tokens.len() {
        let t = &tokens[i];
        match &t.tok {
            Tok::Comma => {
                i += 1;
            }
            Tok::Word(w) | Tok::Quoted(w) => {
                let next = tokens.get(i + 1).map(|t| &t.tok);
                if matches!(next, Some(Tok::Eq)) {
                    let value = tokens
                        .get(i + 2)
                        .and_then(Token::text)
                        .unwrap_or("")
                        .to_string();
                    match w.to_ascii_lowercase().as_str() {
                        "span" => {
                            cmd.span = Some(
                                super::timefmt::span_seconds(&value)
                                    .ok_or_else(|| syntax(format!("bad span `{value}`")))?,
                            )
                        }
                        "fillnull_value" => cmd.fill_null = Some(value),
                        "summariesonly"
                        | "allow_old_summaries"
                        | "prestats"
                        | "local"
                        | "chunk_size"
                        | "allnum"
                        | "delim"
                        | "partitions"
                        | "dedup_splitvals"
                        | "append"
                        | "include_reduced_buckets" => {}
                        other => {
                            return Err(SplError::Unsupported(format!(
                                "{} option `{other}`",
                                kind_name(kind)
                            )))
                        }
                    }
                    i += 3;
                    continue;
                }
                if t.is_kw("by") && matches!(t.tok, Tok::Word(_)) {
                    in_by = true;
                    i += 1;
                    continue;
                }
                if in_by {
                    cmd.by.push(w.clone());
                    i += 1;
                    continue;
                }
                if t.is_kw("as") && matches!(t.tok, Tok::Word(_)) {
                    let name = tokens
                        .get(i + 1)
                        .and_then(Token::text)
                        .ok_or_else(|| syntax("`as` without a name"))?;
                    let last = cmd
                        .aggs
                        .last_mut()
                        .ok_or_else(|| syntax("`as` before any aggregation"))?;
                    last.out = name.to_string();
                    i += 2;
                    continue;
                }
                let func = AggFunc::parse(w)
                    .ok_or_else(|| SplError::UnsupportedFunction(w.to_ascii_lowercase()))?;
                if matches!(next, Some(Tok::LParen)) {
                    let close = matching_paren(tokens, i + 1)?;
                    let inner_start = tokens[i + 1].end;
                    let inner_end = tokens[close].start;
                    let inner = text.get(inner_start..inner_end).unwrap_or("").trim();
                    let arg = if let Some(body) = inner
                        .strip_prefix("eval")
                        .map(str::trim_start)
                        .and_then(|s| s.strip_prefix('('))
                        .and_then(|s| s.strip_suffix(')'))
                    {
                        AggArg::Eval(Box::new(parse_expr(body, Ctx::Raw)?))
                    } else {
                        let field: String = tokens[i + 2..close]
                            .iter()
                            .filter_map(|t| t.text())
                            .collect::<Vec<_>>()
                            .join("");
                        if field.is_empty() {
                            return Err(syntax(format!("{w}() without a field")));
                        }
                        AggArg::Field(field)
                    };
                    let written = format!("{w}({inner})");
                    cmd.aggs.push(Agg {
                        func,
                        arg,
                        out: written,
                    });
                    i = close + 1;
                } else {
                    if func != AggFunc::Count {
                        return Err(syntax(format!("{w} needs a field")));
                    }
                    cmd.aggs.push(Agg {
                        func,
                        arg: AggArg::None,
                        out: w.to_string(),
                    });
                    i += 1;
                }
            }
            other => {
                return Err(syntax(format!(
                    "unexpected `{}` in {}",
                    super::search::describe(other),
                    kind_name(kind)
                )))
            }
        }
    }
    if cmd.aggs.is_empty() {
        return Err(syntax(format!("{} without aggregations", kind_name(kind))));
    }
    Ok(cmd)
}

fn kind_name(k: StatsKind) -> &'static str {
    match k {
        StatsKind::Stats => "stats",
        StatsKind::Tstats => "tstats",
        StatsKind::EventStats => "eventstats",
    }
}

/// Index of the `)` that closes the `(` at `open`.
pub fn matching_paren(tokens: &[Token], open: usize) -> SplResult<usize> {
    let mut depth = 0usize;
    for (j, t) in tokens.iter().enumerate().skip(open) {
        match t.tok {
            Tok::LParen => depth += 1,
            Tok::RParen => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Ok(j);
                }
            }
            _ => {}
        }
    }
    Err(syntax("missing `)`"))
}
