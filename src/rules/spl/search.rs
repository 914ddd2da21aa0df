//! The search language: base searches, `search` commands and `tstats ... where` clauses.
//!
//! Splunk semantics: `field=value` compares case-insensitively with `*` wildcards; `field!=value`
//! needs the field to exist (`NOT field=value` does not); `field IN (v, ...)` takes wildcards;
//! a bare term matches any value of the event; `OR` binds tighter than `AND`, explicit or
//! implicit, so `A B OR C` is `A AND (B OR C)`. `NOT`, `AND`, `OR`, `IN` are upper-case keywords.

use super::error::{syntax, SplError, SplResult};
use super::lexer::{Tok, Token};
use super::value::parse_num;
use super::view::{self, Ctx, Key, Sys};
use super::wildcard::{WildPattern, WildSet};
use crate::rules::SourceFilter;

/// A field name with its resolved key.
#[derive(Debug, Clone)]
pub struct FieldRef {
    /// The name as written.
    pub name: Box<str>,
    /// Where the event view finds it.
    pub key: Key,
}

impl FieldRef {
    /// Resolve a name in a context.
    pub fn new(name: &str, ctx: Ctx) -> FieldRef {
        FieldRef {
            name: name.into(),
            key: view::resolve(name, ctx),
        }
    }
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

/// The right-hand side of a comparison.
#[derive(Debug, Clone)]
pub struct Operand {
    /// The value as a wildcard pattern.
    pub pat: WildPattern,
    /// The value as a number, when it is one.
    pub num: Option<f64>,
}

impl Operand {
    fn new(text: &str) -> Operand {
        Operand {
            pat: WildPattern::new(text),
            num: parse_num(text),
        }
    }

    /// Whether one value equals the operand (pattern, or numerically equal).
    pub fn equals(&self, v: &str) -> bool {
        if self.pat.matches(v) {
            return true;
        }
        match self.num {
            Some(n) if !self.pat.has_wildcard() => parse_num(v) == Some(n),
            _ => false,
        }
    }

    fn ordered(&self, op: Op, v: &str) -> bool {
        let ord = match (parse_num(v), self.num) {
            (Some(a), Some(b)) => a.partial_cmp(&b),
            _ => Some(
                v.to_lowercase()
                    .as_str()
                    .cmp(&*self.pat.source().to_lowercase()),
            ),
        };
        let Some(ord) = ord else { return false };
        match op {
            Op::Lt => ord.is_lt(),
            Op::Le => ord.is_le(),
            Op::Gt => ord.is_gt(),
            Op::Ge => ord.is_ge(),
            Op::Eq | Op::Ne => false,
        }
    }
}

/// A compiled search expression.
#[derive(Debug, Clone)]
pub enum Search {
    /// Matches everything.
    True,
    /// All must match.
    And(Vec<Search>),
    /// One must match.
    Or(Vec<Search>),
    /// Negation.
    Not(Box<Search>),
    /// `field op value`.
    Cmp {
        /// The field.
        field: FieldRef,
        /// The operator.
        op: Op,
        /// The value.
        value: Operand,
    },
    /// `field IN (values)`.
    In {
        /// The field.
        field: FieldRef,
        /// The values (wildcards allowed).
        values: WildSet,
    },
    /// A bare term: some value of the event contains it.
    Term(WildPattern),
}

/// What a search reads: an event seen through the add-ons, or a result row.
pub trait FieldSource {
    /// Call `f` on each value of the field until it returns true; `None` if the field is absent.
    fn any_value(&self, field: &FieldRef, f: &mut dyn FnMut(&str) -> bool) -> Option<bool>;
    /// Whether some value of the event or row matches the pattern.
    fn any_field_matches(&self, pat: &WildPattern) -> bool;
    /// The event id, when the source is an event (fast path for `EventCode=N`).
    fn event_code(&self) -> Option<u32> {
        None
    }
}

impl Search {
    /// Evaluate against a source.
    pub fn matches(&self, src: &dyn FieldSource) -> bool {
        match self {
            Search::True => true,
            Search::And(v) => v.iter().all(|s| s.matches(src)),
            Search::Or(v) => v.iter().any(|s| s.matches(src)),
            Search::Not(s) => !s.matches(src),
            Search::Cmp { field, op, value } => {
                if field.key == Key::Sys(Sys::EventCode) && !value.pat.has_wildcard() {
                    if let (Some(code), Some(n)) = (src.event_code(), value.num) {
                        let c = f64::from(code);
                        return match op {
                            Op::Eq => c == n,
                            Op::Ne => c != n,
                            Op::Lt => c < n,
                            Op::Le => c <= n,
                            Op::Gt => c > n,
                            Op::Ge => c >= n,
                        };
                    }
                }
                match op {
                    Op::Eq => src
                        .any_value(field, &mut |v| value.equals(v))
                        .unwrap_or(false),
                    Op::Ne => src
                        .any_value(field, &mut |v| !value.equals(v))
                        .unwrap_or(false),
                    _ => src
                        .any_value(field, &mut |v| value.ordered(*op, v))
                        .unwrap_or(false),
                }
            }
            Search::In { field, values } => src
                .any_value(field, &mut |v| values.matches_any(v))
                .unwrap_or(false),
            Search::Term(p) => src.any_field_matches(p),
        }
    }

    /// Every field name the search reads.
    pub fn fields(&self, out: &mut Vec<String>) {
        match self {
            Search::And(v) | Search::Or(v) => v.iter().for_each(|s| s.fields(out)),
            Search::Not(s) => s.fields(out),
            Search::Cmp { field, .. } | Search::In { field, .. } => {
                out.push(field.name.to_string())
            }
            Search::True | Search::Term(_) => {}
        }
    }

    /// Whether the search has bare terms (which read every value).
    pub fn has_terms(&self) -> bool {
        match self {
            Search::And(v) | Search::Or(v) => v.iter().any(Search::has_terms),
            Search::Not(s) => s.has_terms(),
            Search::Term(_) => true,
            _ => false,
        }
    }

    /// The log sources the search can match, from its channel and `EventCode` constraints.
    /// An empty list means unconstrained.
    pub fn scope(&self) -> Vec<SourceFilter> {
        match self {
            Search::Or(v) => {
                let mut all = Vec::new();
                for s in v {
                    let sub = s.scope();
                    if sub.is_empty() {
                        return Vec::new();
                    }
                    all.extend(sub);
                }
                all
            }
            Search::And(v) => {
                let mut filter = SourceFilter::default();
                for s in v {
                    if filter.channels.is_empty() {
                        if let Some(c) = s.exact_values(Sys::Channel) {
                            filter.channels = c;
                            continue;
                        }
                    }
                    if filter.event_ids.is_empty() {
                        if let Some(ids) = s.exact_values(Sys::EventCode) {
                            let nums: Option<Vec<u32>> =
                                ids.iter().map(|i| i.trim().parse().ok()).collect();
                            if let Some(nums) = nums {
                                filter.event_ids = nums;
                            }
                        }
                    }
                }
                if filter.channels.is_empty() && filter.event_ids.is_empty() {
                    Vec::new()
                } else {
                    vec![filter]
                }
            }
            other => Search::And(vec![other.clone()]).scope(),
        }
    }

    /// The exact values a System field must take for this expression to match, if it says so.
    fn exact_values(&self, sys: Sys) -> Option<Vec<String>> {
        match self {
            Search::Cmp {
                field,
                op: Op::Eq,
                value,
            } if field.key == Key::Sys(sys) && !value.pat.has_wildcard() => {
                Some(vec![value.pat.source().to_string()])
            }
            Search::In { field, values }
                if field.key == Key::Sys(sys) && values.iter().all(|v| !v.has_wildcard()) =>
            {
                Some(values.iter().map(|v| v.source().to_string()).collect())
            }
            Search::Or(v) => {
                let mut all = Vec::new();
                for s in v {
                    all.extend(s.exact_values(sys)?);
                }
                Some(all)
            }
            Search::And(v) => v.iter().find_map(|s| s.exact_values(sys)),
            _ => None,
        }
    }
}

/// Fields that never exist offline and are ignored in searches (time range, index).
const IGNORED_FIELDS: &[&str] = &["index", "earliest", "latest", "splunk_server"];

/// Parse a search expression from tokens.
pub fn parse(tokens: &[Token], ctx: Ctx) -> SplResult<Search> {
    let mut p = Parser {
        t: tokens,
        i: 0,
        ctx,
        depth: 0,
    };
    let s = p.and_expr()?;
    if p.i < tokens.len() {
        return Err(syntax(format!(
            "unexpected `{}` in search",
            describe(&tokens[p.i].tok)
        )));
    }
    Ok(s)
}

/// A short description of a token for messages.
pub fn describe(t: &Tok) -> String {
    match t {
        Tok::Word(w) | Tok::Quoted(w) => w.chars().take(40).collect(),
        Tok::LParen => "(".into(),
        Tok::RParen => ")".into(),
        Tok::LBracket => "[".into(),
        Tok::RBracket => "]".into(),
        Tok::Comma => ",".into(),
        Tok::Eq => "=".into(),
        Tok::Ne => "!=".into(),
        Tok::Lt => "<".into(),
        Tok::Le => "<=".into(),
        Tok::Gt => ">".into(),
        Tok::Ge => ">=".into(),
    }
}

/// Deepest parenthesis nesting accepted.
const MAX_NESTING: usize = 100;

struct Parser<'a> {
    t: &'a [Token],
    i: usize,
    ctx: Ctx,
    depth: usize,
}

fn is_upper_kw(t: Option<&Token>, kw: &str) -> bool {
    matches!(t.map(|t| &t.tok), Some(Tok::Word(w)) if w == kw)
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.t.get(self.i)
    }

    fn and_expr(&mut self) -> SplResult<Search> {
        let mut items = Vec::new();
        loop {
            match self.peek().map(|t| &t.tok) {
                None | Some(Tok::RParen) => break,
                _ => {}
            }
            if is_upper_kw(self.peek(), "AND") {
                self.i += 1;
                continue;
            }
            items.push(self.or_expr()?);
        }
        Ok(simplify_and(items))
    }

    fn or_expr(&mut self) -> SplResult<Search> {
        let mut items = vec![self.not_expr()?];
        while is_upper_kw(self.peek(), "OR") {
            self.i += 1;
            items.push(self.not_expr()?);
        }
        Ok(if items.len() == 1 {
            items.pop().unwrap_or(Search::True)
        } else {
            Search::Or(items)
        })
    }

    fn not_expr(&mut self) -> SplResult<Search> {
        if is_upper_kw(self.peek(), "NOT") {
            self.i += 1;
            self.depth += 1;
            if self.depth > MAX_NESTING {
                return Err(syntax("NOT nests too deeply"));
            }
            let inner = self.not_expr()?;
            self.depth -= 1;
            return Ok(Search::Not(Box::new(inner)));
        }
        self.primary()
    }

    fn primary(&mut self) -> SplResult<Search> {
        let Some(tok) = self.peek().cloned() else {
            return Err(syntax("search ends where a term was expected"));
        };
        match &tok.tok {
            Tok::LParen => {
                self.depth += 1;
                if self.depth > MAX_NESTING {
                    return Err(syntax("parentheses nest too deeply"));
                }
                self.i += 1;
                let inner = self.and_expr()?;
                match self.peek().map(|t| &t.tok) {
                    Some(Tok::RParen) => self.i += 1,
                    _ => return Err(syntax("missing `)` in search")),
                }
                self.depth -= 1;
                Ok(inner)
            }
            Tok::LBracket => Err(SplError::Unsupported("subsearch `[...]`".into())),
            Tok::Word(w) | Tok::Quoted(w) => {
                let name = w.clone();
                self.i += 1;
                let next = self.peek().map(|t| t.tok.clone());
                let op = match next {
                    Some(Tok::Eq) => Some(Op::Eq),
                    Some(Tok::Ne) => Some(Op::Ne),
                    Some(Tok::Lt) => Some(Op::Lt),
                    Some(Tok::Le) => Some(Op::Le),
                    Some(Tok::Gt) => Some(Op::Gt),
                    Some(Tok::Ge) => Some(Op::Ge),
                    _ => None,
                };
                if let Some(op) = op {
                    self.i += 1;
                    let value = match self.peek().map(|t| &t.tok) {
                        Some(Tok::Word(v)) if !matches!(v.as_str(), "AND" | "OR" | "NOT") => {
                            let v = v.clone();
                            self.i += 1;
                            v
                        }
                        Some(Tok::Quoted(v)) => {
                            let v = v.clone();
                            self.i += 1;
                            v
                        }
                        Some(Tok::LBracket) => {
                            return Err(SplError::Unsupported("subsearch `[...]`".into()))
                        }
                        _ => String::new(),
                    };
                    if IGNORED_FIELDS.contains(&name.as_str()) {
                        return Ok(Search::True);
                    }
                    return Ok(Search::Cmp {
                        field: FieldRef::new(&name, self.ctx),
                        op,
                        value: Operand::new(&value),
                    });
                }
                if matches!(&tok.tok, Tok::Word(_))
                    && matches!(self.peek().map(|t| &t.tok), Some(Tok::Word(k)) if k.eq_ignore_ascii_case("IN"))
                    && matches!(self.t.get(self.i + 1).map(|t| &t.tok), Some(Tok::LParen))
                {
                    self.i += 2;
                    let mut values = Vec::new();
                    loop {
                        match self.peek().map(|t| t.tok.clone()) {
                            Some(Tok::RParen) => {
                                self.i += 1;
                                break;
                            }
                            Some(Tok::Comma) => self.i += 1,
                            Some(Tok::Word(v)) | Some(Tok::Quoted(v)) => {
                                values.push(WildPattern::new(&v));
                                self.i += 1;
                            }
                            Some(other) => {
                                return Err(syntax(format!(
                                    "unexpected `{}` in IN list",
                                    describe(&other)
                                )))
                            }
                            None => return Err(syntax("unterminated IN list")),
                        }
                    }
                    return Ok(Search::In {
                        field: FieldRef::new(&name, self.ctx),
                        values: WildSet::new(values),
                    });
                }
                if matches!(&tok.tok, Tok::Word(_)) && name == "*" {
                    return Ok(Search::True);
                }
                let pat = if name.starts_with('*') && name.ends_with('*') {
                    name
                } else {
                    format!("*{name}*")
                };
                Ok(Search::Term(WildPattern::new(&pat)))
            }
            other => Err(syntax(format!(
                "unexpected `{}` in search",
                describe(other)
            ))),
        }
    }
}

fn simplify_and(mut items: Vec<Search>) -> Search {
    items.retain(|s| !matches!(s, Search::True));
    match items.len() {
        0 => Search::True,
        1 => items.pop().unwrap_or(Search::True),
        _ => Search::And(items),
    }
}
