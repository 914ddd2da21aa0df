//! The `detection` block compiled: search identifiers, their items, and the condition.
//!
//! A search identifier holds a map (its items ANDed), a list of maps (ORed), or a list of
//! plain values (keywords, matched as substrings over every value of the event). Items name
//! fields through slots (see [`super::fields`]), so the same compiled detection serves every
//! kind of event the rule reads, each through its own [`View`].

use super::condition::{self, Expr};
use super::fields::{visit, View};
use super::item::{self, Context, ItemTest, RefMode};
use crate::event::{Event, FieldValue};
use serde_yaml_ng::Value as Yaml;
use std::borrow::Cow;

/// Most items one rule may hold (bounded work per event).
pub const MAX_ITEMS: usize = 10_000;

/// What an item looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// One field, by slot.
    Field(usize),
    /// Every value of the event (keywords).
    Keywords,
}

/// One `field|modifiers: values` test.
#[derive(Debug, Clone)]
pub struct Item {
    /// The field or the whole event.
    pub target: Target,
    /// The test.
    pub test: ItemTest,
}

/// A search identifier: branches ORed, each an AND of items.
#[derive(Debug, Clone)]
pub struct Selection {
    /// The identifier.
    pub name: String,
    /// OR of ANDs.
    pub branches: Vec<Vec<Item>>,
}

/// A compiled detection.
#[derive(Debug, Clone)]
pub struct Detection {
    /// Search identifiers, by index.
    pub selections: Vec<Selection>,
    /// The condition over them.
    pub condition: Expr,
}

/// Compile a `detection` map (or a filter's) into selections and a condition.
pub fn compile(block: &Yaml, ctx: &mut dyn Context) -> Result<Detection, String> {
    let Yaml::Mapping(map) = block else {
        return Err("`detection` is not a map".into());
    };
    let mut selections = Vec::new();
    let mut conditions: Vec<String> = Vec::new();
    let mut items = 0usize;
    for (k, v) in map {
        let Some(name) = k.as_str() else {
            return Err("a search identifier that is not text".into());
        };
        match name {
            "condition" => match v {
                Yaml::String(s) => conditions.push(s.clone()),
                Yaml::Sequence(list) => {
                    for c in list {
                        match c.as_str() {
                            Some(s) => conditions.push(s.to_string()),
                            None => return Err("a condition list entry that is not text".into()),
                        }
                    }
                }
                _ => return Err("`condition` is neither text nor a list".into()),
            },
            "timeframe" => {
                return Err(
                    "`timeframe` belongs to obsolete aggregations: use a correlation rule".into(),
                )
            }
            "rules" => {}
            _ => {
                let sel = selection(name, v, ctx)
                    .map_err(|e| format!("search identifier `{name}`: {e}"))?;
                items += sel.branches.iter().map(Vec::len).sum::<usize>();
                if items > MAX_ITEMS {
                    return Err(format!("more than {MAX_ITEMS} detection items"));
                }
                selections.push(sel);
            }
        }
    }
    if conditions.is_empty() {
        return Err("the detection has no condition".into());
    }
    let names: Vec<String> = selections.iter().map(|s| s.name.clone()).collect();
    let mut exprs = conditions
        .iter()
        .map(|c| condition::parse(c, &names))
        .collect::<Result<Vec<_>, _>>()?;
    let condition = if exprs.len() == 1 {
        exprs.remove(0)
    } else {
        Expr::Or(exprs)
    };
    Ok(Detection {
        selections,
        condition,
    })
}

fn selection(name: &str, v: &Yaml, ctx: &mut dyn Context) -> Result<Selection, String> {
    let branches = match v {
        Yaml::Mapping(_) => vec![map_items(v, ctx)?],
        Yaml::Sequence(list) => {
            if list.is_empty() {
                return Err("an empty list".into());
            }
            let (maps, plain): (Vec<&Yaml>, Vec<&Yaml>) =
                list.iter().partition(|x| matches!(x, Yaml::Mapping(_)));
            let mut branches = Vec::new();
            for m in maps {
                branches.push(map_items(m, ctx)?);
            }
            if !plain.is_empty() {
                let values = Yaml::Sequence(plain.into_iter().cloned().collect());
                branches.push(vec![Item {
                    target: Target::Keywords,
                    test: item::compile(&[], &values, true, ctx)?,
                }]);
            }
            branches
        }
        Yaml::String(_) | Yaml::Number(_) => vec![vec![Item {
            target: Target::Keywords,
            test: item::compile(&[], v, true, ctx)?,
        }]],
        Yaml::Null => return Err("no value".into()),
        _ => return Err("neither a map nor a list".into()),
    };
    Ok(Selection {
        name: name.to_string(),
        branches,
    })
}

fn map_items(v: &Yaml, ctx: &mut dyn Context) -> Result<Vec<Item>, String> {
    let Yaml::Mapping(map) = v else {
        return Err("not a map".into());
    };
    if map.is_empty() {
        return Err("an empty map".into());
    }
    let mut items = Vec::with_capacity(map.len());
    for (k, value) in map {
        let key = match k {
            Yaml::String(s) => s.clone(),
            Yaml::Number(n) => n.to_string(),
            _ => return Err("a field name that is not text".into()),
        };
        let mut parts = key.split('|');
        let field = parts.next().unwrap_or("").trim();
        let mods: Vec<&str> = parts.collect();
        let keyword = field.is_empty();
        let test =
            item::compile(&mods, value, keyword, ctx).map_err(|e| format!("`{key}`: {e}"))?;
        let target = if keyword {
            Target::Keywords
        } else {
            Target::Field(ctx.slot(field))
        };
        items.push(Item { target, test });
    }
    // The items are ANDed and free of side effects: test the cheap ones first.
    items.sort_by_key(cost);
    Ok(items)
}

/// A rough cost of one item, for ordering an AND.
fn cost(item: &Item) -> u8 {
    let test = match &item.test {
        ItemTest::Null | ItemTest::Exists(_) => 0,
        ItemTest::Strings(set) => set.cost(),
        ItemTest::Compare { .. } | ItemTest::Cidr { .. } | ItemTest::TimePart(..) => 2,
        ItemTest::Neq(_) | ItemTest::NullOr(_) | ItemTest::FieldRef { .. } => 3,
        ItemTest::Regex { .. } => 4,
    };
    match item.target {
        Target::Field(_) => test,
        Target::Keywords => test + 5,
    }
}

impl Detection {
    /// Whether the event matches, reading fields through `view`.
    pub fn matches(&self, event: &Event, view: &View) -> bool {
        self.condition.eval(&mut |i| {
            self.selections
                .get(i)
                .is_some_and(|s| selection_matches(s, event, view))
        })
    }
}

fn selection_matches(sel: &Selection, event: &Event, view: &View) -> bool {
    sel.branches
        .iter()
        .any(|items| items.iter().all(|it| item_matches(it, event, view)))
}

/// Whether one item holds for the event.
pub fn item_matches(item: &Item, event: &Event, view: &View) -> bool {
    match item.target {
        Target::Keywords => {
            let mut source = |f: &mut dyn FnMut(FieldValue<'_>) -> bool| -> Option<bool> {
                let mut stopped = false;
                for v in event.all_values() {
                    if f(v) {
                        stopped = true;
                        break;
                    }
                }
                Some(stopped)
            };
            test_values(&item.test, &mut source, event, view)
        }
        Target::Field(slot) => {
            let Some(access) = view.access.get(slot) else {
                return false;
            };
            let mut source = |f: &mut dyn FnMut(FieldValue<'_>) -> bool| -> Option<bool> {
                visit(event, access, &mut |v| f(v))
            };
            test_values(&item.test, &mut source, event, view)
        }
    }
}

/// Calls its argument on every value of the item's field until it returns true; `None` when
/// the field is absent.
type Source<'s> = dyn FnMut(&mut dyn FnMut(FieldValue<'_>) -> bool) -> Option<bool> + 's;

fn text<'a>(v: &FieldValue<'a>) -> Cow<'a, str> {
    v.as_text()
}

fn number(v: &FieldValue<'_>) -> Option<i64> {
    match v {
        FieldValue::Num(n) => Some(*n),
        _ => None,
    }
}

fn test_values(test: &ItemTest, source: &mut Source<'_>, event: &Event, view: &View) -> bool {
    match test {
        ItemTest::Null => source(&mut |_| true).is_none(),
        ItemTest::Exists(want) => source(&mut |_| true).is_some() == *want,
        ItemTest::NullOr(inner) => {
            source(&mut |_| true).is_none() || test_values(inner, source, event, view)
        }
        ItemTest::Neq(inner) => {
            source(&mut |_| true).is_some() && !test_values(inner, source, event, view)
        }
        // Each value must be found in some value of the field: check them one by one, most
        // selective first, and stop at the first one that is missing.
        ItemTest::Strings(set) if set.is_all() => set
            .order()
            .iter()
            .all(|&i| source(&mut |v| set.test_one(i, &text(&v), number(&v))).unwrap_or(false)),
        ItemTest::Strings(set) => source(&mut |v| set.any(&text(&v), number(&v))).unwrap_or(false),
        ItemTest::Regex { res, all, .. } => {
            let mut found = vec![false; res.len()];
            source(&mut |v| {
                let t = text(&v);
                if *all {
                    for (i, r) in res.iter().enumerate() {
                        found[i] = found[i] || r.is_match(&t);
                    }
                    found.iter().all(|f| *f)
                } else {
                    res.iter().any(|r| r.is_match(&t))
                }
            })
            .unwrap_or(false)
        }
        ItemTest::Compare { op, values, all } => {
            let mut found = vec![false; values.len()];
            source(&mut |v| {
                let Some(x) = as_f64(&v) else { return false };
                for (i, n) in values.iter().enumerate() {
                    found[i] = found[i] || op.holds(x, *n);
                }
                if *all {
                    found.iter().all(|f| *f)
                } else {
                    found.iter().any(|f| *f)
                }
            })
            .unwrap_or(false)
        }
        ItemTest::Cidr { nets, all } => {
            let mut found = vec![false; nets.len()];
            source(&mut |v| {
                let t = text(&v);
                for (i, n) in nets.iter().enumerate() {
                    found[i] = found[i] || n.contains_text(&t);
                }
                if *all {
                    found.iter().all(|f| *f)
                } else {
                    found.iter().any(|f| *f)
                }
            })
            .unwrap_or(false)
        }
        ItemTest::FieldRef {
            others,
            mode,
            cased,
            all,
        } => {
            let mut refs: Vec<Vec<String>> = Vec::with_capacity(others.len());
            for slot in others {
                let mut vals = Vec::new();
                if let Some(access) = view.access.get(*slot) {
                    visit(event, access, &mut |v| {
                        vals.push(v.as_text().into_owned());
                        false
                    });
                }
                refs.push(vals);
            }
            let mut found = vec![false; refs.len()];
            source(&mut |v| {
                let t = text(&v);
                for (i, r) in refs.iter().enumerate() {
                    found[i] = found[i] || r.iter().any(|o| compare_ref(&t, o, *mode, *cased));
                }
                if *all {
                    found.iter().all(|f| *f)
                } else {
                    found.iter().any(|f| *f)
                }
            })
            .unwrap_or(false)
        }
        ItemTest::TimePart(part, inner) => {
            let mut parts: Vec<i64> = Vec::new();
            source(&mut |v| {
                if let Some(p) = super::timepart::extract(&v, *part) {
                    parts.push(p);
                }
                false
            });
            let mut by_part = |f: &mut dyn FnMut(FieldValue<'_>) -> bool| -> Option<bool> {
                if parts.is_empty() {
                    return None;
                }
                Some(parts.iter().any(|p| f(FieldValue::Num(*p))))
            };
            test_values(inner, &mut by_part, event, view)
        }
    }
}

fn as_f64(v: &FieldValue<'_>) -> Option<f64> {
    match v {
        FieldValue::Num(n) => Some(*n as f64),
        FieldValue::Str(s) => crate::util::parse_int(s)
            .map(|n| n as f64)
            .or_else(|| s.trim().parse::<f64>().ok()),
        FieldValue::Time(_) => None,
    }
}

fn compare_ref(value: &str, other: &str, mode: RefMode, cased: bool) -> bool {
    let (v, o): (Cow<'_, str>, Cow<'_, str>) = if cased {
        (Cow::Borrowed(value), Cow::Borrowed(other))
    } else {
        (
            Cow::Owned(value.to_lowercase()),
            Cow::Owned(other.to_lowercase()),
        )
    };
    match mode {
        RefMode::Equal => v == o,
        RefMode::Contains => v.contains(&*o),
        RefMode::StartsWith => v.starts_with(&*o),
        RefMode::EndsWith => v.ends_with(&*o),
    }
}
