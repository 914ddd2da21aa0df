//! Running commands: one row at a time for streaming commands, over all rows otherwise.

use super::commands::{Command, LookupCmd, RexMode};
use super::row::{field_name, name_matches, renamed, FieldName, Row};
use super::search::FieldSource;
use super::stats;
use super::value::Value;
use super::wildcard::WildPattern;

/// Apply a streaming command to one row; `false` drops the row.
pub fn apply(cmd: &Command, row: &mut Row<'_>) -> bool {
    match cmd {
        Command::Search(s) => s.matches(&*row as &dyn FieldSource),
        Command::Where(e) => e.eval(&*row).truthy(),
        Command::Eval(assigns) => {
            for (name, e) in assigns {
                let v = e.eval(&*row);
                row.set(name, v);
            }
            true
        }
        Command::Rename(pairs) => {
            for (from, to) in pairs {
                rename(row, from, to);
            }
            true
        }
        Command::Table(names)
        | Command::Fields {
            remove: false,
            names,
        } => {
            keep_only(row, names);
            true
        }
        Command::Fields {
            remove: true,
            names,
        } => {
            if names.iter().any(|n| n.contains('*')) {
                let present = row.names();
                for n in present {
                    if names.iter().any(|p| name_matches(p, &n)) {
                        row.remove(&n);
                    }
                }
            } else {
                for n in names {
                    row.remove(n);
                }
            }
            true
        }
        Command::Rex { field, regex, mode } => {
            let v = row.get(field);
            let Some(text) = v.text().map(|t| t.into_owned()) else {
                return true;
            };
            match mode {
                RexMode::Extract { names, max_match } => {
                    let mut found: Vec<Vec<String>> = vec![Vec::new(); names.len()];
                    for caps in regex.captures_iter(&text).take(*max_match) {
                        for (i, n) in names.iter().enumerate() {
                            if let Some(m) = caps.name(n) {
                                found[i].push(m.as_str().to_string());
                            }
                        }
                    }
                    for (n, vals) in names.iter().zip(found) {
                        if !vals.is_empty() {
                            row.set(n, Value::from_texts(vals));
                        }
                    }
                }
                RexMode::Sed {
                    replacement,
                    global,
                } => {
                    let out = if *global {
                        regex.replace_all(&text, replacement.as_str())
                    } else {
                        regex.replace(&text, replacement.as_str())
                    };
                    row.set(field, Value::Str(out.into_owned()));
                }
            }
            true
        }
        Command::AddTotals { out, fields } => {
            let wild = fields.is_empty() || fields.iter().any(|f| f.contains('*'));
            let names: Vec<String> = if wild {
                row.names()
                    .into_iter()
                    .filter(|n| fields.is_empty() || fields.iter().any(|p| name_matches(p, n)))
                    .collect()
            } else {
                fields.clone()
            };
            let total: f64 = names
                .iter()
                .filter(|n| *n != out)
                .filter_map(|n| row.get(n).num())
                .sum();
            row.set(out, Value::Num(total));
            true
        }
        Command::Regex {
            field,
            regex,
            negate,
        } => {
            let v = row.get(field);
            let hit = v.texts().iter().any(|t| regex.is_match(t));
            hit != *negate
        }
        Command::Lookup(l) => {
            lookup(l, row);
            true
        }
        Command::Fillnull { value, fields } => {
            for f in fields {
                if row.get(f).is_null() {
                    row.set(f, Value::Str(value.clone()));
                }
            }
            true
        }
        Command::Convert { format, fields } => {
            for (src, dst) in fields {
                if let Some(t) = row.get(src).num() {
                    if let Some(s) = super::timefmt::strftime(t, format) {
                        row.set(dst, Value::Str(s));
                    }
                }
            }
            true
        }
        Command::Bin { field, span, out } => {
            if let Some(t) = row.get(field).num() {
                row.set(out, Value::Num((t / span).floor() * span));
            }
            true
        }
        Command::Stats(_)
        | Command::Dedup { .. }
        | Command::Head(_)
        | Command::Sort { .. }
        | Command::Join { .. }
        | Command::SearchSubsearch { .. }
        | Command::MvExpand { .. } => true,
    }
}

fn rename(row: &mut Row<'_>, from: &str, to: &str) {
    if !from.contains('*') {
        row.rename(from, to);
        return;
    }
    let names = row.names();
    let mut moves = Vec::new();
    for n in &names {
        if let Some(target) = renamed(from, to, n) {
            if target != *n {
                moves.push((n.clone(), target));
            }
        }
    }
    // `names()` detached the row: rewrite the plain field list in place, in one pass, so
    // chained renames (a→b, b→c) read the old values and fields keep their positions.
    let fields = std::mem::take(&mut row.fields);
    row.fields = fields
        .into_iter()
        .filter_map(|(n, v)| match moves.iter().find(|(src, _)| **src == *n) {
            Some((_, dst)) => Some((field_name(dst), v)),
            None if moves.iter().any(|(_, dst)| **dst == *n) => None,
            None => Some((n, v)),
        })
        .collect();
}

fn keep_only(row: &mut Row<'_>, names: &[String]) {
    let mut kept: Vec<(FieldName, Value)> = Vec::new();
    if names.iter().any(|n| n.contains('*')) {
        let present = row.names();
        for p in names {
            for n in &present {
                if name_matches(p, n) && !kept.iter().any(|(k, _)| **k == **n) {
                    kept.push((field_name(n), row.get(n)));
                }
            }
        }
    } else {
        for n in names {
            if kept.iter().any(|(k, _)| **k == **n) {
                continue;
            }
            let v = row.get(n);
            if !v.is_null() {
                kept.push((field_name(n), v));
            }
        }
    }
    row.view = None;
    row.fields = kept;
}

fn lookup(l: &LookupCmd, row: &mut Row<'_>) {
    let values: Vec<Option<String>> = l
        .inputs
        .iter()
        .map(|(_, f)| row.get(f).text().map(|t| t.into_owned()))
        .collect();
    let found = l.matcher.find(&values, l.table.max_matches);
    if found.len() < l.table.min_matches.max(1) {
        if let Some(default) = &l.table.default_match {
            if l.table.min_matches > 0 {
                for (_, f) in &l.outputs {
                    if !l.only_new || row.get(f).is_null() {
                        row.set(f, Value::Str(default.clone()));
                    }
                }
            }
        }
        if found.is_empty() {
            return;
        }
    }
    for (col, f) in &l.outputs {
        if l.only_new && !row.get(f).is_null() {
            continue;
        }
        let mut vals: Vec<String> = Vec::new();
        for &r in &found {
            if let Some(v) = l.table.value(r, *col) {
                if !v.is_empty() && !vals.iter().any(|x| x == v) {
                    vals.push(v.to_string());
                }
            }
        }
        row.set(f, Value::from_texts(vals));
    }
}

/// The join key of a row: the texts of the fields, `None` when one is null.
/// The values of `fields` that `join` matches rows on; `None` when one is null.
pub(super) fn join_key(row: &Row<'_>, fields: &[String]) -> Option<Vec<String>> {
    fields
        .iter()
        .map(|f| {
            let v = row.get(f);
            (!v.is_null()).then(|| super::row::value_text(&v).join("\n"))
        })
        .collect()
}

/// `join`: each row takes the fields of the subsearch rows with the same key values; the
/// joined rows go to `out` one at a time.
fn join_each<'e>(
    rows: impl IntoIterator<Item = Row<'e>>,
    sub: &[Row<'e>],
    fields: &[String],
    max: usize,
    keep_unmatched: bool,
    out: &mut dyn FnMut(Row<'e>),
) {
    let mut index: std::collections::HashMap<Vec<String>, Vec<usize>> = Default::default();
    for (i, r) in sub.iter().enumerate() {
        if let Some(k) = join_key(r, fields) {
            index.entry(k).or_default().push(i);
        }
    }
    let limit = if max == 0 { usize::MAX } else { max };
    for row in rows {
        let found = join_key(&row, fields).and_then(|k| index.get(&k));
        match found {
            Some(list) => {
                for &j in list.iter().take(limit) {
                    let mut r = row.clone();
                    for (n, v) in &sub[j].fields {
                        r.set(n, v.clone());
                    }
                    r.prov.extend_from_slice(&sub[j].prov);
                    out(r);
                }
            }
            None if keep_unmatched => out(row),
            None => {}
        }
    }
}

/// Rows made room for at once when their source says how many it has at most.
/// (131,072 rows of 72 bytes: 9 MB; past it the list grows as usual.)
const MAX_ROWS_RESERVED: usize = 1 << 17;

/// Run `commands` over `rows`, handing each resulting row to `out`. The streaming commands
/// ahead of the first command that needs all rows run on each row as it arrives; everything
/// from there up to the last command that needs all rows runs over all of them; that command's
/// rows (a join's product, one at a time) then pass the streaming commands after it one by one.
/// So when only a join needs all rows (of the subsearch: the main rows stream through it), the
/// main rows are never all held.
pub fn run_all<'e>(
    commands: &[Command],
    rows: impl IntoIterator<Item = Row<'e>>,
    subs: &[Vec<Row<'e>>],
    out: &mut dyn FnMut(Row<'e>),
) {
    let split = commands.iter().rposition(|c| !c.is_streaming());
    let (before, last, after) = match split {
        Some(k) => (&commands[..k], Some(&commands[k]), &commands[k + 1..]),
        None => (&commands[..0], None, commands),
    };
    let lead = before.iter().take_while(|c| c.is_streaming()).count();
    let (lead, before) = before.split_at(lead);
    let mut rows: Box<dyn Iterator<Item = Row<'e>> + '_> = Box::new(
        rows.into_iter()
            .filter_map(move |mut r| lead.iter().all(|c| apply(c, &mut r)).then_some(r)),
    );
    if !before.is_empty() {
        // Room for as many rows as the source can give (a grouping's rows are counted): the
        // list is never copied while it grows, and room not filled is never touched.
        let most = rows.size_hint().1.unwrap_or(0).min(MAX_ROWS_RESERVED);
        let mut all: Vec<Row<'e>> = Vec::with_capacity(most);
        all.extend(rows);
        for cmd in before {
            all = run(cmd, all, subs);
        }
        rows = Box::new(all.into_iter());
    }
    let mut pass = |mut r: Row<'e>| {
        if after.iter().all(|c| apply(c, &mut r)) {
            out(r);
        }
    };
    match last {
        Some(Command::Join {
            fields,
            branch,
            max,
            keep_unmatched,
        }) => {
            let sub = subs.get(*branch).map(Vec::as_slice).unwrap_or(&[]);
            join_each(rows, sub, fields, *max, *keep_unmatched, &mut pass);
        }
        Some(Command::Stats(s)) if s.kind != stats::StatsKind::EventStats => {
            stats::run_each(s, rows, &mut pass)
        }
        Some(cmd) => run(cmd, rows.collect(), subs).into_iter().for_each(pass),
        None => rows.for_each(pass),
    }
}

/// Run any command over all rows; `subs` holds the results of the subsearches, by pipeline index.
pub fn run<'e>(cmd: &Command, rows: Vec<Row<'e>>, subs: &[Vec<Row<'e>>]) -> Vec<Row<'e>> {
    match cmd {
        Command::Join {
            fields,
            branch,
            max,
            keep_unmatched,
        } => {
            let sub = subs.get(*branch).map(Vec::as_slice).unwrap_or(&[]);
            let mut out = Vec::with_capacity(rows.len());
            join_each(rows, sub, fields, *max, *keep_unmatched, &mut |r| {
                out.push(r)
            });
            out
        }
        Command::Stats(s) => stats::run(s, rows),
        Command::Dedup {
            keep,
            fields,
            keep_empty,
        } => {
            let mut seen: std::collections::HashMap<Vec<String>, usize> = Default::default();
            rows.into_iter()
                .filter(|row| {
                    let key: Option<Vec<String>> = fields
                        .iter()
                        .map(|f| {
                            let v = row.get(f);
                            (!v.is_null()).then(|| v.texts().join("\n"))
                        })
                        .collect();
                    match key {
                        None => *keep_empty,
                        Some(k) => {
                            let c = seen.entry(k).or_insert(0);
                            *c += 1;
                            *c <= *keep
                        }
                    }
                })
                .collect()
        }
        Command::SearchSubsearch { branch } => {
            let empty = Vec::new();
            let sub = subs.get(*branch).unwrap_or(&empty);
            let terms: Vec<Vec<(FieldName, Vec<WildPattern>)>> = sub
                .iter()
                .map(|r| {
                    r.fields
                        .iter()
                        .filter(|(n, v)| !n.starts_with('_') && !v.is_null())
                        .map(|(n, v)| {
                            let pats = super::row::value_text(v)
                                .iter()
                                .map(|t| WildPattern::new(t))
                                .collect();
                            (n.clone(), pats)
                        })
                        .collect()
                })
                .collect();
            rows.into_iter()
                .filter(|row| {
                    terms.iter().any(|conj| {
                        !conj.is_empty()
                            && conj.iter().all(|(n, pats)| {
                                let v = row.get(n);
                                v.texts().iter().any(|t| pats.iter().any(|p| p.matches(t)))
                            })
                    })
                })
                .collect()
        }
        Command::Head(n) => rows.into_iter().take(*n).collect(),
        Command::Sort { limit, keys } => {
            let mut rows = rows;
            rows.sort_by(|a, b| {
                for (k, desc) in keys {
                    let (x, y) = (a.get(k), b.get(k));
                    let o = super::value::order_mixed(x.num(), y.num(), || {
                        x.text()
                            .unwrap_or_default()
                            .to_lowercase()
                            .cmp(&y.text().unwrap_or_default().to_lowercase())
                    });
                    let o = if *desc { o.reverse() } else { o };
                    if o.is_ne() {
                        return o;
                    }
                }
                std::cmp::Ordering::Equal
            });
            rows.truncate(*limit);
            rows
        }
        Command::MvExpand { field, limit } => {
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                let v = row.get(field);
                match v {
                    Value::Multi(vals) => {
                        for x in vals.into_iter().take(*limit) {
                            let mut r = row.clone();
                            r.set(field, Value::Str(x));
                            out.push(r);
                        }
                    }
                    _ => out.push(row),
                }
            }
            out
        }
        Command::Fillnull { value, fields } if fields.is_empty() => {
            let mut rows = rows;
            let mut all: Vec<String> = Vec::new();
            for r in rows.iter_mut() {
                for n in r.names() {
                    if !all.contains(&n) {
                        all.push(n);
                    }
                }
            }
            for r in rows.iter_mut() {
                for n in &all {
                    if r.get(n).is_null() {
                        r.set(n, Value::Str(value.clone()));
                    }
                }
            }
            rows
        }
        streaming => rows
            .into_iter()
            .filter_map(|mut r| apply(streaming, &mut r).then_some(r))
            .collect(),
    }
}
