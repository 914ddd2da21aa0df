//! Evaluating [`Expr`] trees against a row.
//!
//! Comparisons are numeric when both sides are numbers (or numeric text), otherwise
//! case-sensitive text comparisons; a multivalue compares true when any of its values does.
//! Null propagates through arithmetic and comparisons and is false in `where`.

use super::expr::{BinOp, Expr};
use super::search::FieldRef;
use super::value::{format_num, Value};

/// What an expression reads fields from.
pub trait Env {
    /// The value of a field (null when absent).
    fn field(&self, f: &FieldRef) -> Value;
}

impl Expr {
    /// Evaluate.
    pub fn eval(&self, env: &dyn Env) -> Value {
        match self {
            Expr::Lit(v) => v.clone(),
            Expr::Field(f) => env.field(f),
            Expr::Not(e) => match e.eval(env) {
                Value::Null => Value::Null,
                v => Value::Bool(!v.truthy()),
            },
            Expr::Neg(e) => match e.eval(env).num() {
                Some(n) => Value::Num(-n),
                None => Value::Null,
            },
            Expr::Bin(op, a, b) => binary(*op, a, b, env),
            Expr::In(a, list) => {
                let v = a.eval(env);
                if v.is_null() {
                    return Value::Bool(false);
                }
                let hit = list.iter().any(|e| {
                    let w = e.eval(env);
                    values_equal(&v, &w)
                });
                Value::Bool(hit)
            }
            Expr::Call(f, args) => f.call(args, env),
        }
    }
}

fn binary(op: BinOp, a: &Expr, b: &Expr, env: &dyn Env) -> Value {
    match op {
        BinOp::And => {
            let l = a.eval(env);
            if !l.truthy() {
                return Value::Bool(false);
            }
            Value::Bool(b.eval(env).truthy())
        }
        BinOp::Or => {
            if a.eval(env).truthy() {
                return Value::Bool(true);
            }
            Value::Bool(b.eval(env).truthy())
        }
        BinOp::Xor => Value::Bool(a.eval(env).truthy() ^ b.eval(env).truthy()),
        _ => {
            let l = a.eval(env);
            let r = b.eval(env);
            apply(op, &l, &r)
        }
    }
}

/// Apply a non-boolean binary operator to two values.
pub fn apply(op: BinOp, l: &Value, r: &Value) -> Value {
    if l.is_null() || r.is_null() {
        return Value::Null;
    }
    match op {
        BinOp::Add => match (num_of(l), num_of(r)) {
            (Some(x), Some(y)) => Value::Num(x + y),
            _ => concat(l, r),
        },
        BinOp::Concat => concat(l, r),
        BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Mod => {
            let (Some(x), Some(y)) = (num_of(l), num_of(r)) else {
                return Value::Null;
            };
            match op {
                BinOp::Sub => Value::Num(x - y),
                BinOp::Mul => Value::Num(x * y),
                BinOp::Div if y != 0.0 => Value::Num(x / y),
                BinOp::Mod if y != 0.0 => Value::Num(x % y),
                _ => Value::Null,
            }
        }
        BinOp::Eq => Value::Bool(values_equal(l, r)),
        BinOp::Ne => Value::Bool(!values_equal(l, r)),
        BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => Value::Bool(
            each(l)
                .iter()
                .any(|x| each(r).iter().any(|y| ordered(op, x, y))),
        ),
        BinOp::Like => {
            let pat = r.text().map(|t| t.into_owned()).unwrap_or_default();
            match super::functions::like_regex(&pat) {
                Ok(re) => Value::Bool(each(l).iter().any(|x| re.is_match(&x.as_text()))),
                Err(_) => Value::Null,
            }
        }
        BinOp::And | BinOp::Or | BinOp::Xor => Value::Null,
    }
}

/// A single value, as the operators see it.
#[derive(Debug, Clone)]
enum Scalar {
    Num(f64),
    Text(String),
}

impl Scalar {
    fn as_text(&self) -> String {
        match self {
            Scalar::Num(n) => format_num(*n),
            Scalar::Text(t) => t.clone(),
        }
    }
}

fn num_of(v: &Value) -> Option<f64> {
    match v {
        Value::Num(n) => Some(*n),
        Value::Str(s) => super::value::parse_num(s),
        _ => None,
    }
}

fn each(v: &Value) -> Vec<Scalar> {
    match v {
        Value::Num(n) => vec![Scalar::Num(*n)],
        Value::Bool(b) => vec![Scalar::Text(b.to_string())],
        Value::Str(s) => vec![match super::value::parse_num(s) {
            Some(n) => Scalar::Num(n),
            None => Scalar::Text(s.clone()),
        }],
        Value::Multi(m) => m
            .iter()
            .map(|s| match super::value::parse_num(s) {
                Some(n) => Scalar::Num(n),
                None => Scalar::Text(s.clone()),
            })
            .collect(),
        Value::Null => Vec::new(),
    }
}

fn scalar_eq(x: &Scalar, y: &Scalar) -> bool {
    match (x, y) {
        (Scalar::Num(a), Scalar::Num(b)) => a == b,
        _ => x.as_text() == y.as_text(),
    }
}

fn ordered(op: BinOp, x: &Scalar, y: &Scalar) -> bool {
    let ord = match (x, y) {
        (Scalar::Num(a), Scalar::Num(b)) => a.partial_cmp(b),
        _ => Some(x.as_text().cmp(&y.as_text())),
    };
    let Some(ord) = ord else { return false };
    match op {
        BinOp::Lt => ord.is_lt(),
        BinOp::Le => ord.is_le(),
        BinOp::Gt => ord.is_gt(),
        BinOp::Ge => ord.is_ge(),
        _ => false,
    }
}

/// Equality as `==` sees it: any value of one side equals any value of the other.
pub fn values_equal(l: &Value, r: &Value) -> bool {
    if let (Value::Bool(a), Value::Bool(b)) = (l, r) {
        return a == b;
    }
    let rs = each(r);
    each(l).iter().any(|x| rs.iter().any(|y| scalar_eq(x, y)))
}

fn concat(l: &Value, r: &Value) -> Value {
    let mut s = l.text().map(|t| t.into_owned()).unwrap_or_default();
    s.push_str(&r.text().unwrap_or_default());
    Value::Str(s)
}
