//! Helpers of the eval functions: multivalue handling, replacements, CIDR matching.

use super::eval::Env;
use super::expr::Expr;
use super::search::FieldRef;
use super::value::Value;

/// Apply a text function to each value.
pub(super) fn map_texts(v: Value, f: impl Fn(&str) -> String) -> Value {
    match v {
        Value::Null => Value::Null,
        Value::Multi(m) => Value::Multi(m.iter().map(|s| f(s)).collect()),
        other => match other.text() {
            Some(t) => Value::Str(f(&t)),
            None => Value::Null,
        },
    }
}

/// `min`/`max` over values: numeric when all are numbers, else lexicographic.
pub(super) fn extreme(vals: &[Value], max: bool) -> Value {
    let nums: Option<Vec<f64>> = vals.iter().map(Value::num).collect();
    match nums {
        Some(n) if !n.is_empty() => {
            let it = n.into_iter();
            Value::Num(if max {
                it.fold(f64::MIN, f64::max)
            } else {
                it.fold(f64::MAX, f64::min)
            })
        }
        _ => {
            let texts: Vec<String> = vals
                .iter()
                .filter_map(|v| v.text().map(|t| t.into_owned()))
                .collect();
            let pick = if max {
                texts.into_iter().max()
            } else {
                texts.into_iter().min()
            };
            pick.map(Value::Str).unwrap_or(Value::Null)
        }
    }
}

/// Convert a Splunk replacement (`\1` back-references) to the `regex` crate's (`${1}`).
pub(super) fn splunk_replacement(r: &str) -> String {
    let mut out = String::with_capacity(r.len());
    let mut chars = r.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '$' => out.push_str("$$"),
            '\\' if chars.peek().is_some_and(|d| d.is_ascii_digit()) => {
                let mut n = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    n.push(*d);
                    chars.next();
                }
                out.push_str(&format!("${{{n}}}"));
            }
            c => out.push(c),
        }
    }
    out
}

/// The first field an expression reads (the one `mvfilter` iterates over).
pub(super) fn first_field(e: &Expr) -> Option<FieldRef> {
    match e {
        Expr::Field(f) => Some(f.clone()),
        Expr::Lit(_) => None,
        Expr::Not(x) | Expr::Neg(x) => first_field(x),
        Expr::Bin(_, a, b) => first_field(a).or_else(|| first_field(b)),
        Expr::In(a, v) => first_field(a).or_else(|| v.iter().find_map(first_field)),
        Expr::Call(_, args) => args.iter().find_map(first_field),
    }
}

struct OneValue<'a> {
    inner: &'a dyn Env,
    name: &'a str,
    value: Value,
}

impl Env for OneValue<'_> {
    fn field(&self, f: &FieldRef) -> Value {
        if &*f.name == self.name {
            self.value.clone()
        } else {
            self.inner.field(f)
        }
    }
}

/// `mvfilter(expr)`: the values of the expression's field for which it holds.
pub(super) fn mv_filter(e: &Expr, env: &dyn Env) -> Value {
    let Some(field) = first_field(e) else {
        return Value::Null;
    };
    let kept: Vec<String> = env
        .field(&field)
        .into_texts()
        .into_iter()
        .filter(|v| {
            let one = OneValue {
                inner: env,
                name: &field.name,
                value: Value::Str(v.clone()),
            };
            e.eval(&one).truthy()
        })
        .collect();
    Value::from_texts(kept)
}

/// Whether an IPv4 address is in a CIDR block.
pub(super) fn cidr_match(cidr: &str, ip: &str) -> bool {
    let (net, bits) = match cidr.split_once('/') {
        Some((n, b)) => (n, b.parse::<u32>().unwrap_or(32)),
        None => (cidr, 32),
    };
    match (
        net.parse::<std::net::Ipv4Addr>(),
        ip.trim().parse::<std::net::Ipv4Addr>(),
    ) {
        (Ok(n), Ok(a)) if bits <= 32 => {
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            (u32::from(n) & mask) == (u32::from(a) & mask)
        }
        _ => false,
    }
}
