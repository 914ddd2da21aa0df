//! Eval functions: arity checked and regexes compiled when the expression is compiled.

use super::error::{SplError, SplResult};
use super::eval::{values_equal, Env};
use super::expr::Expr;
use super::function_helpers::{
    cidr_match, extreme, first_field, map_texts, mv_filter, splunk_replacement,
};
use super::value::{parse_num, Value};
use regex::Regex;
use std::borrow::Cow;

/// Largest compiled regex accepted (bytes of program).
pub const REGEX_SIZE_LIMIT: usize = 8 << 20;

/// Compile a PCRE-style pattern with the `regex` crate (which has no look-around or
/// back-references: such patterns are rejected).
pub fn compile_regex(pattern: &str) -> SplResult<Regex> {
    regex::RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| {
            let first = e
                .to_string()
                .lines()
                .last()
                .unwrap_or("")
                .trim()
                .to_string();
            SplError::Regex(format!(
                "`{}`: {first}",
                pattern.chars().take(60).collect::<String>()
            ))
        })
}

/// The regex of a SQL `LIKE` pattern (`%` any run, `_` one character), case-insensitive.
pub fn like_regex(pattern: &str) -> SplResult<Regex> {
    let mut re = String::from("(?is)^");
    for c in pattern.chars() {
        match c {
            '%' => re.push_str(".*"),
            '_' => re.push('.'),
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push('$');
    compile_regex(&re)
}

const MANY: usize = usize::MAX;

/// A known function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `if`
    If,
    /// `case`
    Case,
    /// `validate`
    Validate,
    /// `coalesce`
    Coalesce,
    /// `nullif`
    NullIf,
    /// `isnull`
    IsNull,
    /// `isnotnull`
    IsNotNull,
    /// `isnum`
    IsNum,
    /// `isint`
    IsInt,
    /// `isstr`
    IsStr,
    /// `typeof`
    TypeOf,
    /// `null`
    Null,
    /// `true`
    True,
    /// `false`
    False,
    /// `now`, `time`
    Now,
    /// `len`
    Len,
    /// `lower`
    Lower,
    /// `upper`
    Upper,
    /// `trim`
    Trim,
    /// `ltrim`
    LTrim,
    /// `rtrim`
    RTrim,
    /// `substr`
    Substr,
    /// `replace`
    Replace,
    /// `match`
    Match,
    /// `like`
    Like,
    /// `in`
    In,
    /// `split`
    Split,
    /// `mvcount`
    MvCount,
    /// `mvindex`
    MvIndex,
    /// `mvjoin`
    MvJoin,
    /// `mvappend`
    MvAppend,
    /// `mvdedup`
    MvDedup,
    /// `mvsort`
    MvSort,
    /// `mvfilter`
    MvFilter,
    /// `mvfind`
    MvFind,
    /// `mvzip`
    MvZip,
    /// `tostring`
    ToString,
    /// `tonumber`
    ToNumber,
    /// `round`
    Round,
    /// `abs`
    Abs,
    /// `ceil`, `ceiling`
    Ceil,
    /// `floor`
    Floor,
    /// `sqrt`
    Sqrt,
    /// `pow`
    Pow,
    /// `exp`
    Exp,
    /// `ln`
    Ln,
    /// `log`
    Log,
    /// `min`
    Min,
    /// `max`
    Max,
    /// `exact`
    Exact,
    /// `urldecode`
    UrlDecode,
    /// `relative_time`
    RelativeTime,
    /// `strftime`
    Strftime,
    /// `strptime`
    Strptime,
    /// `cidrmatch`
    CidrMatch,
}

/// Function names, kinds and argument counts (min, max).
const FUNCTIONS: &[(&str, Kind, usize, usize)] = &[
    ("if", Kind::If, 3, 3),
    ("case", Kind::Case, 2, MANY),
    ("validate", Kind::Validate, 2, MANY),
    ("coalesce", Kind::Coalesce, 1, MANY),
    ("nullif", Kind::NullIf, 2, 2),
    ("isnull", Kind::IsNull, 1, 1),
    ("isnotnull", Kind::IsNotNull, 1, 1),
    ("isnum", Kind::IsNum, 1, 1),
    ("isint", Kind::IsInt, 1, 1),
    ("isstr", Kind::IsStr, 1, 1),
    ("typeof", Kind::TypeOf, 1, 1),
    ("null", Kind::Null, 0, 0),
    ("true", Kind::True, 0, 0),
    ("false", Kind::False, 0, 0),
    ("now", Kind::Now, 0, 0),
    ("time", Kind::Now, 0, 0),
    ("len", Kind::Len, 1, 1),
    ("lower", Kind::Lower, 1, 1),
    ("upper", Kind::Upper, 1, 1),
    ("trim", Kind::Trim, 1, 2),
    ("ltrim", Kind::LTrim, 1, 2),
    ("rtrim", Kind::RTrim, 1, 2),
    ("substr", Kind::Substr, 2, 3),
    ("replace", Kind::Replace, 3, 3),
    ("match", Kind::Match, 2, 2),
    ("like", Kind::Like, 2, 2),
    ("in", Kind::In, 2, MANY),
    ("split", Kind::Split, 2, 2),
    ("mvcount", Kind::MvCount, 1, 1),
    ("mvindex", Kind::MvIndex, 2, 3),
    ("mvjoin", Kind::MvJoin, 2, 2),
    ("mvappend", Kind::MvAppend, 1, MANY),
    ("mvdedup", Kind::MvDedup, 1, 1),
    ("mvsort", Kind::MvSort, 1, 1),
    ("mvfilter", Kind::MvFilter, 1, 1),
    ("mvfind", Kind::MvFind, 2, 2),
    ("mvzip", Kind::MvZip, 2, 3),
    ("tostring", Kind::ToString, 1, 2),
    ("tonumber", Kind::ToNumber, 1, 2),
    ("round", Kind::Round, 1, 2),
    ("abs", Kind::Abs, 1, 1),
    ("ceil", Kind::Ceil, 1, 1),
    ("ceiling", Kind::Ceil, 1, 1),
    ("floor", Kind::Floor, 1, 1),
    ("sqrt", Kind::Sqrt, 1, 1),
    ("pow", Kind::Pow, 2, 2),
    ("exp", Kind::Exp, 1, 1),
    ("ln", Kind::Ln, 1, 1),
    ("log", Kind::Log, 1, 2),
    ("min", Kind::Min, 1, MANY),
    ("max", Kind::Max, 1, MANY),
    ("exact", Kind::Exact, 1, 1),
    ("urldecode", Kind::UrlDecode, 1, 1),
    ("relative_time", Kind::RelativeTime, 2, 2),
    ("strftime", Kind::Strftime, 2, 2),
    ("strptime", Kind::Strptime, 2, 2),
    ("cidrmatch", Kind::CidrMatch, 2, 2),
];

fn lookup(name: &str) -> Option<(Kind, usize, usize)> {
    FUNCTIONS
        .iter()
        .find(|(n, ..)| n.eq_ignore_ascii_case(name))
        .map(|(_, k, min, max)| (*k, *min, *max))
}

/// A compiled function call.
#[derive(Debug, Clone)]
pub struct Func {
    /// Which function.
    pub kind: Kind,
    /// The regex of a literal pattern argument (match, replace, like, mvfind).
    regex: Option<Regex>,
}

fn literal_text(e: &Expr) -> Option<String> {
    match e {
        Expr::Lit(Value::Str(s)) => Some(s.clone()),
        _ => None,
    }
}

impl Func {
    /// Check a call and compile its literal patterns.
    pub fn compile(name: &str, args: &[Expr]) -> SplResult<Func> {
        let Some((kind, min, max)) = lookup(name) else {
            return Err(SplError::UnsupportedFunction(name.to_ascii_lowercase()));
        };
        if args.len() < min || args.len() > max {
            return Err(SplError::Syntax(format!(
                "{name}() takes {} argument(s), got {}",
                if min == max {
                    min.to_string()
                } else if max == MANY {
                    format!("at least {min}")
                } else {
                    format!("{min} to {max}")
                },
                args.len()
            )));
        }
        if kind == Kind::Case && !args.len().is_multiple_of(2) {
            return Err(SplError::Syntax(
                "case() takes condition/value pairs".into(),
            ));
        }
        let regex = match kind {
            Kind::Match | Kind::Replace | Kind::MvFind => literal_text(&args[1])
                .map(|p| compile_regex(&p))
                .transpose()?,
            Kind::Like => literal_text(&args[1]).map(|p| like_regex(&p)).transpose()?,
            _ => None,
        };
        if kind == Kind::MvFilter && first_field(&args[0]).is_none() {
            return Err(SplError::Syntax(
                "mvfilter() needs an expression over a field".into(),
            ));
        }
        Ok(Func { kind, regex })
    }

    /// The compiled pattern, borrowed: a clone of a `Regex` starts with empty search caches,
    /// so cloning per call would rebuild its lazy DFA on every event.
    fn pattern(&self, arg: &Expr, env: &dyn Env, like: bool) -> Option<Cow<'_, Regex>> {
        if let Some(r) = &self.regex {
            return Some(Cow::Borrowed(r));
        }
        let p = arg.eval(env).text()?.into_owned();
        let compiled = if like {
            like_regex(&p).ok()
        } else {
            compile_regex(&p).ok()
        };
        compiled.map(Cow::Owned)
    }

    /// Call with unevaluated arguments (conditionals evaluate lazily).
    pub fn call(&self, args: &[Expr], env: &dyn Env) -> Value {
        let arg = |i: usize| args.get(i).map(|e| e.eval(env)).unwrap_or(Value::Null);
        let text = |i: usize| arg(i).text().map(|t| t.into_owned());
        let num = |i: usize| arg(i).num();
        let numf = |f: fn(f64) -> f64| num(0).map(|n| Value::Num(f(n))).unwrap_or(Value::Null);
        match self.kind {
            Kind::If => {
                if arg(0).truthy() {
                    arg(1)
                } else {
                    arg(2)
                }
            }
            Kind::Case => args
                .chunks(2)
                .find(|p| p[0].eval(env).truthy())
                .map(|p| p[1].eval(env))
                .unwrap_or(Value::Null),
            Kind::Validate => args
                .chunks(2)
                .find(|p| p.len() == 2 && !p[0].eval(env).truthy())
                .map(|p| p[1].eval(env))
                .unwrap_or(Value::Null),
            Kind::Coalesce => args
                .iter()
                .map(|e| e.eval(env))
                .find(|v| !v.is_null())
                .unwrap_or(Value::Null),
            Kind::NullIf => {
                let (a, b) = (arg(0), arg(1));
                if values_equal(&a, &b) {
                    Value::Null
                } else {
                    a
                }
            }
            Kind::IsNull => Value::Bool(arg(0).is_null()),
            Kind::IsNotNull => Value::Bool(!arg(0).is_null()),
            Kind::IsNum => Value::Bool(arg(0).num().is_some()),
            Kind::IsInt => Value::Bool(arg(0).num().is_some_and(|n| n.fract() == 0.0)),
            Kind::IsStr => {
                let v = arg(0);
                Value::Bool(!v.is_null() && v.num().is_none())
            }
            Kind::TypeOf => Value::Str(
                match arg(0) {
                    Value::Null => "Invalid",
                    Value::Bool(_) => "Boolean",
                    v if v.num().is_some() => "Number",
                    _ => "String",
                }
                .into(),
            ),
            Kind::Null => Value::Null,
            Kind::True => Value::Bool(true),
            Kind::False => Value::Bool(false),
            Kind::Now => Value::Num(super::view::epoch(jiff::Timestamp::now()).floor()),
            Kind::Len => text(0)
                .map(|t| Value::Num(t.chars().count() as f64))
                .unwrap_or(Value::Null),
            Kind::Lower => map_texts(arg(0), |s| s.to_lowercase()),
            Kind::Upper => map_texts(arg(0), |s| s.to_uppercase()),
            Kind::Trim | Kind::LTrim | Kind::RTrim => {
                let Some(s) = text(0) else { return Value::Null };
                let set: Vec<char> = match args.len() {
                    2 => text(1).unwrap_or_default().chars().collect(),
                    _ => vec![' ', '\t', '\n', '\r'],
                };
                let t = match self.kind {
                    Kind::Trim => s.trim_matches(set.as_slice()),
                    Kind::LTrim => s.trim_start_matches(set.as_slice()),
                    _ => s.trim_end_matches(set.as_slice()),
                };
                Value::Str(t.to_string())
            }
            Kind::Substr => {
                let Some(s) = text(0) else { return Value::Null };
                let chars: Vec<char> = s.chars().collect();
                let n = chars.len() as i64;
                let start = num(1).unwrap_or(1.0) as i64;
                let from = if start < 0 {
                    (n + start).max(0)
                } else {
                    (start - 1).max(0)
                };
                let len = if args.len() == 3 {
                    num(2).unwrap_or(0.0).max(0.0) as i64
                } else {
                    n
                };
                let from = from.min(n) as usize;
                let to = (from as i64).saturating_add(len).min(n) as usize;
                Value::Str(chars[from..to].iter().collect())
            }
            Kind::Replace => {
                let v = arg(0);
                if v.is_null() {
                    return Value::Null;
                }
                let Some(re) = self.pattern(&args[1], env, false) else {
                    return Value::Null;
                };
                let repl = splunk_replacement(&text(2).unwrap_or_default());
                map_texts(v, |s| re.replace_all(s, repl.as_str()).into_owned())
            }
            Kind::Match => {
                let v = arg(0);
                let Some(re) = self.pattern(&args[1], env, false) else {
                    return Value::Null;
                };
                Value::Bool(v.texts().iter().any(|t| re.is_match(t)))
            }
            Kind::Like => {
                let v = arg(0);
                let Some(re) = self.pattern(&args[1], env, true) else {
                    return Value::Null;
                };
                Value::Bool(v.texts().iter().any(|t| re.is_match(t)))
            }
            Kind::In => {
                let v = arg(0);
                if v.is_null() {
                    return Value::Bool(false);
                }
                Value::Bool(args[1..].iter().any(|e| values_equal(&v, &e.eval(env))))
            }
            Kind::Split => {
                let Some(s) = text(0) else { return Value::Null };
                let sep = text(1).unwrap_or_default();
                let parts: Vec<String> = if sep.is_empty() {
                    s.chars().map(|c| c.to_string()).collect()
                } else {
                    s.split(sep.as_str()).map(str::to_string).collect()
                };
                Value::from_texts(parts)
            }
            Kind::MvCount => match arg(0) {
                Value::Null => Value::Null,
                v => Value::Num(v.count() as f64),
            },
            Kind::MvIndex => {
                let vals = arg(0).into_texts();
                let n = vals.len() as i64;
                let idx = |x: f64| {
                    let i = x as i64;
                    if i < 0 {
                        n.saturating_add(i)
                    } else {
                        i
                    }
                };
                let Some(start) = num(1).map(idx) else {
                    return Value::Null;
                };
                let end = if args.len() == 3 {
                    match num(2).map(idx) {
                        Some(e) => e,
                        None => return Value::Null,
                    }
                } else {
                    start
                };
                if start < 0 || start >= n || end < start {
                    return Value::Null;
                }
                let end = end.min(n - 1);
                Value::from_texts(vals[start as usize..=end as usize].to_vec())
            }
            Kind::MvJoin => {
                let v = arg(0);
                if v.is_null() {
                    return Value::Null;
                }
                Value::Str(v.into_texts().join(&text(1).unwrap_or_default()))
            }
            Kind::MvAppend => {
                Value::from_texts(args.iter().flat_map(|e| e.eval(env).into_texts()).collect())
            }
            Kind::MvDedup => {
                let mut out: Vec<String> = Vec::new();
                for t in arg(0).into_texts() {
                    if !out.contains(&t) {
                        out.push(t);
                    }
                }
                Value::from_texts(out)
            }
            Kind::MvSort => {
                let mut v = arg(0).into_texts();
                v.sort();
                Value::from_texts(v)
            }
            Kind::MvFilter => mv_filter(&args[0], env),
            Kind::MvFind => {
                let Some(re) = self.pattern(&args[1], env, false) else {
                    return Value::Null;
                };
                arg(0)
                    .into_texts()
                    .iter()
                    .position(|t| re.is_match(t))
                    .map(|i| Value::Num(i as f64))
                    .unwrap_or(Value::Null)
            }
            Kind::MvZip => {
                let delim = if args.len() == 3 {
                    text(2).unwrap_or_default()
                } else {
                    ",".into()
                };
                let (a, b) = (arg(0).into_texts(), arg(1).into_texts());
                Value::from_texts(
                    a.iter()
                        .zip(b.iter())
                        .map(|(x, y)| format!("{x}{delim}{y}"))
                        .collect(),
                )
            }
            Kind::ToString => {
                let v = arg(0);
                match (args.len(), text(1).as_deref(), v.num()) {
                    (2, Some("hex"), Some(n)) => Value::Str(format!("0x{:x}", n as i64)),
                    _ => v
                        .text()
                        .map(|t| Value::Str(t.into_owned()))
                        .unwrap_or(Value::Null),
                }
            }
            Kind::ToNumber => {
                let Some(s) = text(0) else { return Value::Null };
                let base = if args.len() == 2 {
                    num(1).unwrap_or(10.0) as u32
                } else {
                    10
                };
                if base == 10 {
                    parse_num(&s).map(Value::Num).unwrap_or(Value::Null)
                } else if (2..=36).contains(&base) {
                    let t = s.trim();
                    let t = if base == 16 {
                        t.trim_start_matches("0x").trim_start_matches("0X")
                    } else {
                        t
                    };
                    i64::from_str_radix(t, base)
                        .map(|n| Value::Num(n as f64))
                        .unwrap_or(Value::Null)
                } else {
                    Value::Null
                }
            }
            Kind::Round => {
                let Some(x) = num(0) else { return Value::Null };
                let digits = if args.len() == 2 {
                    num(1).unwrap_or(0.0)
                } else {
                    0.0
                };
                let m = 10f64.powi(digits.clamp(0.0, 15.0) as i32);
                Value::Num((x * m).round() / m)
            }
            Kind::Abs => numf(f64::abs),
            Kind::Ceil => numf(f64::ceil),
            Kind::Floor => numf(f64::floor),
            Kind::Sqrt => numf(f64::sqrt),
            Kind::Exp => numf(f64::exp),
            Kind::Ln => numf(f64::ln),
            Kind::Pow => match (num(0), num(1)) {
                (Some(a), Some(b)) => Value::Num(a.powf(b)),
                _ => Value::Null,
            },
            Kind::Log => {
                let Some(x) = num(0) else { return Value::Null };
                let base = if args.len() == 2 {
                    num(1).unwrap_or(10.0)
                } else {
                    10.0
                };
                Value::Num(x.log(base))
            }
            Kind::Min | Kind::Max => {
                let vals: Vec<Value> = args
                    .iter()
                    .map(|e| e.eval(env))
                    .filter(|v| !v.is_null())
                    .collect();
                extreme(&vals, self.kind == Kind::Max)
            }
            Kind::Exact => arg(0),
            Kind::UrlDecode => map_texts(arg(0), |s| {
                percent_encoding::percent_decode_str(&s.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            }),
            Kind::RelativeTime => match (num(0), text(1)) {
                (Some(t), Some(spec)) => super::timefmt::relative_time(t, &spec)
                    .map(Value::Num)
                    .unwrap_or(Value::Null),
                _ => Value::Null,
            },
            Kind::Strftime => match (num(0), text(1)) {
                (Some(t), Some(fmt)) => super::timefmt::strftime(t, &fmt)
                    .map(Value::Str)
                    .unwrap_or(Value::Null),
                _ => Value::Null,
            },
            Kind::Strptime => match (text(0), text(1)) {
                (Some(s), Some(fmt)) => super::timefmt::strptime(&s, &fmt)
                    .map(Value::Num)
                    .unwrap_or(Value::Null),
                _ => Value::Null,
            },
            Kind::CidrMatch => match (text(0), text(1)) {
                (Some(c), Some(ip)) => Value::Bool(cidr_match(&c, &ip)),
                _ => Value::Bool(false),
            },
        }
    }
}
