//! One detection item (`Field|modifier|...: values`) compiled into a test.
//!
//! Modifiers are read left to right. Transforming modifiers (`contains`, `startswith`,
//! `endswith`, `windash`, `expand`, `utf16*`/`wide`, `base64`, `base64offset`) rewrite the
//! values; typing modifiers (`re`, `cidr`, `lt`..`gte`, `exists`, `fieldref`, the time parts)
//! choose how they are compared; `all`, `cased` and `neq` change how the results combine.

use super::matcher::{ascii_classes, build_regex, StrSet, Value};
use super::value::{base64, base64_offsets, utf16_bytes, Piece, SigmaStr, Utf16, MAX_EXPANSION};
use regex::Regex;
use serde_yaml_ng::Value as Yaml;
use std::collections::HashMap;
use std::net::IpAddr;

/// Most values one item may hold after expansion.
pub const MAX_VALUES: usize = 100_000;

/// Placeholder name → values, for `expand`.
pub type Placeholders = HashMap<String, Vec<String>>;

/// A numeric comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    /// `lt`.
    Lt,
    /// `lte`.
    Lte,
    /// `gt`.
    Gt,
    /// `gte`.
    Gte,
}

impl Cmp {
    /// Apply to `field OP value`.
    pub fn holds(self, field: f64, value: f64) -> bool {
        match self {
            Cmp::Lt => field < value,
            Cmp::Lte => field <= value,
            Cmp::Gt => field > value,
            Cmp::Gte => field >= value,
        }
    }
}

/// A date part for the time modifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimePart {
    /// 0-59.
    Minute,
    /// 0-23.
    Hour,
    /// 1-31.
    Day,
    /// ISO week, 1-53.
    Week,
    /// 1-12.
    Month,
    /// The year.
    Year,
}

/// How a field reference compares the two fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefMode {
    /// Equal.
    Equal,
    /// This field contains the other.
    Contains,
    /// This field starts with the other.
    StartsWith,
    /// This field ends with the other.
    EndsWith,
}

/// An IP network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    net: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Parse `a.b.c.d/n`, `x::/n` or a bare address.
    pub fn parse(s: &str) -> Option<Cidr> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p.parse::<u8>().ok()?)),
            None => (s, None),
        };
        let net: IpAddr = addr.parse().ok()?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(Cidr { net, prefix })
    }

    /// Whether an address text lies in the network (IPv4-mapped IPv6 counts as IPv4).
    pub fn contains_text(&self, text: &str) -> bool {
        let t = text.trim().trim_start_matches('[').trim_end_matches(']');
        let t = t.split('%').next().unwrap_or(t);
        let Ok(ip) = t.parse::<IpAddr>() else {
            return false;
        };
        self.contains(ip)
    }

    fn contains(&self, ip: IpAddr) -> bool {
        match (self.net, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX.checked_shl(32 - self.prefix as u32).unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX.checked_shl(128 - self.prefix as u32).unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            (IpAddr::V4(_), IpAddr::V6(a)) => a
                .to_ipv4_mapped()
                .is_some_and(|v4| self.contains(IpAddr::V4(v4))),
            (IpAddr::V6(_), IpAddr::V4(_)) => false,
        }
    }
}

/// A compiled test on one field's values.
#[derive(Debug, Clone)]
pub enum ItemTest {
    /// String values (with wildcards) and numbers.
    Strings(StrSet),
    /// `re`.
    Regex {
        /// The regexes.
        res: Vec<Regex>,
        /// Per regex, lower-case literals one of which occurs in every match (for the
        /// pre-filter), when a small set of them is known.
        literals: Vec<Option<Vec<String>>>,
        /// AND instead of OR.
        all: bool,
    },
    /// `lt`, `lte`, `gt`, `gte`.
    Compare {
        /// The comparison.
        op: Cmp,
        /// The values.
        values: Vec<f64>,
        /// AND instead of OR.
        all: bool,
    },
    /// `cidr`.
    Cidr {
        /// The networks.
        nets: Vec<Cidr>,
        /// AND instead of OR.
        all: bool,
    },
    /// `exists: true|false`.
    Exists(bool),
    /// `null`: the field is absent.
    Null,
    /// `fieldref`: compare with other fields of the same event.
    FieldRef {
        /// Slots of the other fields.
        others: Vec<usize>,
        /// The comparison.
        mode: RefMode,
        /// Case-sensitive.
        cased: bool,
        /// AND instead of OR.
        all: bool,
    },
    /// `neq`: the field is present and equals none of the values.
    Neq(Box<ItemTest>),
    /// A date part of the field, tested as a number.
    TimePart(TimePart, Box<ItemTest>),
    /// `null` listed with other values: absent, or one of them.
    NullOr(Box<ItemTest>),
}

/// The modifiers of one key.
#[derive(Debug, Default)]
struct Mods {
    transforms: Vec<String>,
    all: bool,
    cased: bool,
    neq: bool,
    re: Option<(bool, bool, bool)>,
    cidr: bool,
    exists: bool,
    fieldref: bool,
    cmp: Option<Cmp>,
    time: Option<TimePart>,
}

fn parse_mods(mods: &[&str]) -> Result<Mods, String> {
    let mut m = Mods::default();
    for (i, raw) in mods.iter().enumerate() {
        let name = raw.trim();
        let after_re = m.re.is_some() && i > 0;
        match name {
            "contains" | "startswith" | "endswith" | "windash" | "base64" | "base64offset"
            | "utf16le" | "wide" | "utf16be" | "utf16" | "expand" => {
                m.transforms.push(name.to_string())
            }
            "all" => m.all = true,
            "cased" => m.cased = true,
            "neq" => m.neq = true,
            "re" => m.re = Some((false, false, false)),
            "i" | "m" | "s" if after_re => {
                if let Some(flags) = m.re.as_mut() {
                    match name {
                        "i" => flags.0 = true,
                        "m" => flags.1 = true,
                        _ => flags.2 = true,
                    }
                }
            }
            "cidr" => m.cidr = true,
            "exists" => m.exists = true,
            "fieldref" => m.fieldref = true,
            "lt" => m.cmp = Some(Cmp::Lt),
            "lte" => m.cmp = Some(Cmp::Lte),
            "gt" => m.cmp = Some(Cmp::Gt),
            "gte" => m.cmp = Some(Cmp::Gte),
            "minute" => m.time = Some(TimePart::Minute),
            "hour" => m.time = Some(TimePart::Hour),
            "day" => m.time = Some(TimePart::Day),
            "week" => m.time = Some(TimePart::Week),
            "month" => m.time = Some(TimePart::Month),
            "year" => m.time = Some(TimePart::Year),
            "" => return Err("empty modifier (`||`)".into()),
            other => return Err(format!("unknown modifier `{other}`")),
        }
    }
    let typed = [
        m.re.is_some(),
        m.cidr,
        m.exists,
        m.fieldref,
        m.cmp.is_some(),
    ]
    .iter()
    .filter(|x| **x)
    .count();
    if typed > 1 {
        return Err(format!("modifiers `{}` cannot be combined", mods.join("|")));
    }
    let string_only = m
        .transforms
        .iter()
        .any(|t| t != "contains" && t != "startswith" && t != "endswith");
    if (m.re.is_some() || m.cidr || m.exists || m.cmp.is_some()) && !m.transforms.is_empty() {
        return Err(format!("modifiers `{}` cannot be combined", mods.join("|")));
    }
    if m.fieldref && string_only {
        return Err(format!(
            "`fieldref` cannot be combined with `{}`",
            m.transforms.join("|")
        ));
    }
    Ok(m)
}

/// A YAML value as one scalar item, or an error naming what it is.
enum Scalar {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Null,
}

fn scalars(v: &Yaml) -> Result<Vec<Scalar>, String> {
    let one = |v: &Yaml| -> Result<Scalar, String> {
        Ok(match v {
            Yaml::String(s) => Scalar::Str(s.clone()),
            Yaml::Number(n) => match n.as_i64() {
                Some(i) => Scalar::Int(i),
                None => Scalar::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            Yaml::Bool(b) => Scalar::Bool(*b),
            Yaml::Null => Scalar::Null,
            Yaml::Sequence(_) => return Err("a value list nested in a value list".into()),
            Yaml::Mapping(_) => return Err("a map where a value was expected".into()),
            Yaml::Tagged(_) => return Err("a tagged YAML value".into()),
        })
    };
    match v {
        Yaml::Sequence(items) => {
            if items.is_empty() {
                return Err("an empty value list".into());
            }
            items.iter().map(one).collect()
        }
        other => Ok(vec![one(other)?]),
    }
}

fn scalar_text(s: &Scalar) -> String {
    match s {
        Scalar::Str(s) => s.clone(),
        Scalar::Int(i) => i.to_string(),
        Scalar::Float(f) => f.to_string(),
        Scalar::Bool(b) => b.to_string(),
        Scalar::Null => String::new(),
    }
}

/// What the compiler needs from its caller: field slots and placeholder values.
pub trait Context {
    /// The slot of a field name, allocated on first use.
    fn slot(&mut self, name: &str) -> usize;
    /// Placeholder values for `expand`; `None` when no placeholder file was given.
    fn placeholders(&self) -> Option<&Placeholders>;
}

/// Compile the modifiers and values of one key. `keyword` is true for field-less items,
/// which match as substrings unless a modifier says otherwise.
pub fn compile(
    mods: &[&str],
    value: &Yaml,
    keyword: bool,
    ctx: &mut dyn Context,
) -> Result<ItemTest, String> {
    let m = parse_mods(mods)?;
    let values = scalars(value)?;
    if m.exists {
        return match values.as_slice() {
            [Scalar::Bool(b)] => Ok(ItemTest::Exists(*b)),
            [Scalar::Str(s)] if s.eq_ignore_ascii_case("true") => Ok(ItemTest::Exists(true)),
            [Scalar::Str(s)] if s.eq_ignore_ascii_case("false") => Ok(ItemTest::Exists(false)),
            _ => Err("`exists` takes one boolean".into()),
        };
    }
    let has_null = values.iter().any(|v| matches!(v, Scalar::Null));
    let values: Vec<Scalar> = values
        .into_iter()
        .filter(|v| !matches!(v, Scalar::Null))
        .collect();
    if values.is_empty() {
        return if m.neq {
            Ok(ItemTest::Exists(true))
        } else {
            Ok(ItemTest::Null)
        };
    }
    if has_null && m.all {
        return Err("`null` in a value list with `all`".into());
    }
    let mut test = typed(&m, values, keyword, ctx)?;
    if let Some(part) = m.time {
        test = ItemTest::TimePart(part, Box::new(test));
    }
    if m.neq {
        test = ItemTest::Neq(Box::new(test));
    }
    if has_null {
        test = ItemTest::NullOr(Box::new(test));
    }
    Ok(test)
}

fn typed(
    m: &Mods,
    values: Vec<Scalar>,
    keyword: bool,
    ctx: &mut dyn Context,
) -> Result<ItemTest, String> {
    if let Some((i, ml, s)) = m.re {
        let patterns: Vec<String> = values
            .iter()
            .map(|v| ascii_classes(&scalar_text(v)))
            .collect();
        let res = patterns
            .iter()
            .map(|p| build_regex(p, i, ml, s))
            .collect::<Result<_, _>>()?;
        let literals = patterns
            .iter()
            .map(|p| super::regex_literals::required(p, i, ml, s))
            .collect();
        return Ok(ItemTest::Regex {
            res,
            literals,
            all: m.all,
        });
    }
    if m.cidr {
        let nets = values
            .iter()
            .map(|v| {
                let t = scalar_text(v);
                Cidr::parse(&t).ok_or_else(|| format!("`{t}` is not a CIDR network"))
            })
            .collect::<Result<_, _>>()?;
        return Ok(ItemTest::Cidr { nets, all: m.all });
    }
    if let Some(op) = m.cmp {
        let nums = values
            .iter()
            .map(|v| match v {
                Scalar::Int(i) => Ok(*i as f64),
                Scalar::Float(f) => Ok(*f),
                Scalar::Str(s) => s
                    .trim()
                    .parse::<f64>()
                    .map_err(|_| format!("`{s}` is not a number for a numeric comparison")),
                _ => Err("a numeric comparison needs numbers".to_string()),
            })
            .collect::<Result<_, _>>()?;
        return Ok(ItemTest::Compare {
            op,
            values: nums,
            all: m.all,
        });
    }
    if m.fieldref {
        let mut mode = RefMode::Equal;
        for t in &m.transforms {
            mode = match t.as_str() {
                "contains" => RefMode::Contains,
                "startswith" => RefMode::StartsWith,
                _ => RefMode::EndsWith,
            };
        }
        let others = values.iter().map(|v| ctx.slot(&scalar_text(v))).collect();
        return Ok(ItemTest::FieldRef {
            others,
            mode,
            cased: m.cased,
            all: m.all,
        });
    }
    let mut transforms: Vec<&str> = m.transforms.iter().map(String::as_str).collect();
    let explicit_shape = transforms
        .iter()
        .any(|t| matches!(*t, "contains" | "startswith" | "endswith"));
    if keyword && !explicit_shape {
        transforms.push("contains");
    }
    let mut out = Vec::new();
    for v in values {
        match v {
            Scalar::Int(n) if transforms.is_empty() => out.push(Value::Number(n)),
            other => {
                let s = SigmaStr::parse(&scalar_text(&other));
                for s in transform(s, &transforms, ctx)? {
                    out.push(Value::Str(s));
                }
            }
        }
        if out.len() > MAX_VALUES {
            return Err(format!("more than {MAX_VALUES} values in one item"));
        }
    }
    Ok(ItemTest::Strings(StrSet::new(out, m.cased, m.all)?))
}

/// The value being transformed: text with wildcards, or bytes after a UTF-16 encoding.
enum Stage {
    Text(SigmaStr),
    Bytes(Vec<u8>),
}

fn transform(
    start: SigmaStr,
    transforms: &[&str],
    ctx: &dyn Context,
) -> Result<Vec<SigmaStr>, String> {
    let mut stages = vec![Stage::Text(start)];
    for t in transforms {
        let mut next = Vec::with_capacity(stages.len());
        for stage in stages {
            match (*t, stage) {
                ("contains", Stage::Text(s)) => next.push(Stage::Text(s.contains())),
                ("startswith", Stage::Text(s)) => next.push(Stage::Text(s.startswith())),
                ("endswith", Stage::Text(s)) => next.push(Stage::Text(s.endswith())),
                ("windash", Stage::Text(s)) => {
                    next.extend(s.windash()?.into_iter().map(Stage::Text))
                }
                ("expand", Stage::Text(s)) => {
                    next.extend(expand(&s, ctx.placeholders())?.into_iter().map(Stage::Text))
                }
                ("utf16le" | "wide" | "utf16be" | "utf16", Stage::Text(s)) => {
                    let kind = match *t {
                        "utf16be" => Utf16::Be,
                        "utf16" => Utf16::Bom,
                        _ => Utf16::Le,
                    };
                    let plain = plain(&s, t)?;
                    next.push(Stage::Bytes(utf16_bytes(&plain, kind)));
                }
                ("base64" | "base64offset", stage) => {
                    let bytes = match stage {
                        Stage::Text(s) => plain(&s, t)?.into_bytes(),
                        Stage::Bytes(b) => b,
                    };
                    if *t == "base64" {
                        next.push(Stage::Text(SigmaStr::literal(&base64(&bytes))));
                    } else {
                        next.extend(
                            base64_offsets(&bytes)
                                .iter()
                                .map(|e| Stage::Text(SigmaStr::literal(e))),
                        );
                    }
                }
                (t, Stage::Bytes(_)) => {
                    return Err(format!(
                        "`{t}` after a UTF-16 encoding: only `base64`/`base64offset` may follow it"
                    ))
                }
                (t, Stage::Text(_)) => return Err(format!("unknown modifier `{t}`")),
            }
            if next.len() > MAX_EXPANSION {
                return Err(format!(
                    "the values expand to more than {MAX_EXPANSION} patterns"
                ));
            }
        }
        stages = next;
    }
    stages
        .into_iter()
        .map(|s| match s {
            Stage::Text(s) => Ok(s),
            Stage::Bytes(_) => Err(
                "a UTF-16 encoded value must be base64-encoded (`wide|base64offset`) to match event text"
                    .to_string(),
            ),
        })
        .collect()
}

fn plain(s: &SigmaStr, modifier: &str) -> Result<String, String> {
    s.as_plain()
        .ok_or_else(|| format!("`{modifier}` cannot encode a value with wildcards"))
}

/// Replace `%name%` placeholders with every value listed for them.
fn expand(s: &SigmaStr, placeholders: Option<&Placeholders>) -> Result<Vec<SigmaStr>, String> {
    let mut variants = vec![SigmaStr::default()];
    for piece in &s.pieces {
        let Piece::Lit(text) = piece else {
            for v in &mut variants {
                v.pieces.push(piece.clone());
            }
            continue;
        };
        let mut rest = text.as_str();
        while let Some(open) = rest.find('%') {
            let Some(len) = rest[open + 1..].find('%') else {
                break;
            };
            let name = &rest[open + 1..open + 1 + len];
            append_literal(&mut variants, &rest[..open]);
            let values =
                placeholders
                    .and_then(|p| p.get(name))
                    .ok_or_else(|| match placeholders {
                        None => format!(
                            "placeholder `%{name}%` is unresolved: no placeholder file was given"
                        ),
                        Some(_) => format!("placeholder `%{name}%` is not in the placeholder file"),
                    })?;
            if values.is_empty() || variants.len() * values.len() > MAX_EXPANSION {
                return Err(format!(
                    "placeholder `%{name}%` has no values or too many combinations"
                ));
            }
            let mut next = Vec::with_capacity(variants.len() * values.len());
            for v in &variants {
                for value in values {
                    let mut w = v.clone();
                    w.pieces.extend(SigmaStr::parse(value).pieces);
                    next.push(w);
                }
            }
            variants = next;
            rest = &rest[open + len + 2..];
        }
        append_literal(&mut variants, rest);
    }
    Ok(variants.into_iter().map(|v| normalize(v.pieces)).collect())
}

fn append_literal(variants: &mut [SigmaStr], text: &str) {
    if text.is_empty() {
        return;
    }
    for v in variants {
        v.pieces.push(Piece::Lit(text.to_string()));
    }
}

/// Merge adjacent literals and stars after pieces were appended directly.
fn normalize(pieces: Vec<Piece>) -> SigmaStr {
    let mut out: Vec<Piece> = Vec::with_capacity(pieces.len());
    for p in pieces {
        match (out.last_mut(), p) {
            (Some(Piece::Lit(a)), Piece::Lit(b)) => a.push_str(&b),
            (Some(Piece::Star), Piece::Star) => {}
            (_, p) => out.push(p),
        }
    }
    SigmaStr { pieces: out }
}
