//! Values as SPL sees them: null, a number, text, a boolean (only inside expressions) or a
//! multivalue (a list of texts).

use std::borrow::Cow;

/// One field value or expression result.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    /// No value (a missing field).
    #[default]
    Null,
    /// A boolean, the result of a comparison (not storable in a field in Splunk; stored as text here).
    Bool(bool),
    /// A number.
    Num(f64),
    /// Text.
    Str(String),
    /// Several texts (a multivalue field).
    Multi(Vec<String>),
}

/// Format a number the way Splunk prints it: integers without a decimal point.
pub fn format_num(n: f64) -> String {
    if n.is_finite() && n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// The order of two values for `sort` and grouped rows: numbers first, by value, then texts
/// by `text`. A total order, as sorting needs: comparing a number with a text as texts (what
/// two texts get) is not transitive ("9" < "10" numerically, "10" < "1a" < "9" as texts), and
/// Rust's sort may panic on such an order, which hostile event data could choose.
pub fn order_mixed(
    a: Option<f64>,
    b: Option<f64>,
    text: impl FnOnce() -> std::cmp::Ordering,
) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (a.filter(|n| !n.is_nan()), b.filter(|n| !n.is_nan())) {
        (Some(p), Some(q)) => p.partial_cmp(&q).unwrap_or(Ordering::Equal),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => text(),
    }
}

/// Parse text as a number (decimal, optional sign and fraction, surrounding blanks allowed).
pub fn parse_num(s: &str) -> Option<f64> {
    let t = s.trim();
    if t.is_empty() {
        return None;
    }
    let b = t.as_bytes();
    let first = b[0];
    if !(first.is_ascii_digit() || first == b'-' || first == b'+' || first == b'.') {
        return None;
    }
    if t.contains(['e', 'E']) && !looks_scientific(t) {
        return None;
    }
    t.parse::<f64>().ok().filter(|n| n.is_finite())
}

fn looks_scientific(t: &str) -> bool {
    let mut parts = t.splitn(2, ['e', 'E']);
    let mantissa = parts.next().unwrap_or("");
    let exp = parts.next().unwrap_or("");
    !mantissa.is_empty()
        && mantissa
            .trim_start_matches(['-', '+'])
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.')
        && !exp.is_empty()
        && exp
            .trim_start_matches(['-', '+'])
            .chars()
            .all(|c| c.is_ascii_digit())
}

impl Value {
    /// Whether the value is null (an empty multivalue counts as null).
    pub fn is_null(&self) -> bool {
        match self {
            Value::Null => true,
            Value::Multi(v) => v.is_empty(),
            _ => false,
        }
    }

    /// Text value; numbers formatted; a multivalue gives its first value.
    pub fn text(&self) -> Option<Cow<'_, str>> {
        match self {
            Value::Null => None,
            Value::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
            Value::Num(n) => Some(Cow::Owned(format_num(*n))),
            Value::Str(s) => Some(Cow::Borrowed(s)),
            Value::Multi(v) => v.first().map(|s| Cow::Borrowed(s.as_str())),
        }
    }

    /// Every value as text (one for single values, none for null).
    pub fn texts(&self) -> Vec<Cow<'_, str>> {
        match self {
            Value::Multi(v) => v.iter().map(|s| Cow::Borrowed(s.as_str())).collect(),
            other => other.text().into_iter().collect(),
        }
    }

    /// Numeric value: a number, or text that parses as one (first value of a multivalue).
    pub fn num(&self) -> Option<f64> {
        match self {
            Value::Num(n) => Some(*n),
            Value::Str(s) => parse_num(s),
            Value::Multi(v) => v.first().and_then(|s| parse_num(s)),
            Value::Bool(_) | Value::Null => None,
        }
    }

    /// Truth value for `where` and boolean operators: null is false.
    pub fn truthy(&self) -> bool {
        match self {
            Value::Bool(b) => *b,
            Value::Null => false,
            Value::Num(n) => *n != 0.0,
            Value::Str(s) => !s.is_empty(),
            Value::Multi(v) => !v.is_empty(),
        }
    }

    /// Build a value from several texts: null for none, text for one, multivalue otherwise.
    pub fn from_texts(mut v: Vec<String>) -> Value {
        match v.len() {
            0 => Value::Null,
            1 => Value::Str(v.pop().unwrap_or_default()),
            _ => Value::Multi(v),
        }
    }

    /// Number of values (0 for null).
    pub fn count(&self) -> usize {
        match self {
            Value::Null => 0,
            Value::Multi(v) => v.len(),
            _ => 1,
        }
    }

    /// The value converted to owned texts.
    pub fn into_texts(self) -> Vec<String> {
        match self {
            Value::Null => Vec::new(),
            Value::Multi(v) => v,
            Value::Str(s) => vec![s],
            other => other.text().map(|t| t.into_owned()).into_iter().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mixed_values_sort_numbers_first_and_transitively() {
        let order = |a: &str, b: &str| order_mixed(parse_num(a), parse_num(b), || a.cmp(b));
        use std::cmp::Ordering::Less;
        assert_eq!(order("9", "10"), Less);
        assert_eq!(order("10", "1a"), Less);
        assert_eq!(order("9", "1a"), Less);
        assert_eq!(order("1a", "9"), std::cmp::Ordering::Greater);
        // A sort over many such values no longer meets an inconsistent order.
        let mut values: Vec<String> = (0..2000)
            .map(|i| match i % 3 {
                0 => format!("{}", (i * 7919) % 100),
                1 => format!("{}a", (i * 104_729) % 100),
                _ => format!("N{}", i % 17),
            })
            .collect();
        values.sort_by(|a, b| order(a, b));
        let first_text = values.iter().position(|v| parse_num(v).is_none()).unwrap();
        assert!(values[..first_text].iter().all(|v| parse_num(v).is_some()));
        assert!(values[first_text..].iter().all(|v| parse_num(v).is_none()));
        assert!(values[first_text..].windows(2).all(|w| w[0] <= w[1]));
        let nan = order_mixed(Some(f64::NAN), Some(1.0), || std::cmp::Ordering::Equal);
        assert_eq!(nan, std::cmp::Ordering::Greater, "NaN sorts as a text");
    }

    #[test]
    fn numbers_print_like_splunk() {
        assert_eq!(format_num(3.0), "3");
        assert_eq!(format_num(-2.5), "-2.5");
        assert_eq!(parse_num(" 42 "), Some(42.0));
        assert_eq!(parse_num("1e3"), Some(1000.0));
        assert_eq!(parse_num("0x10"), None);
        assert_eq!(parse_num("abc"), None);
        assert_eq!(parse_num("e5"), None);
    }

    #[test]
    fn multivalues_count_and_truth() {
        let v = Value::from_texts(vec!["a".into(), "b".into()]);
        assert_eq!(v.count(), 2);
        assert!(v.truthy());
        assert!(Value::from_texts(vec![]).is_null());
        assert_eq!(Value::Num(7.0).text().unwrap(), "7");
    }
}
