//! `eval` / `where` expressions: parsing into an [`Expr`] tree.
//!
//! Precedence, loosest first: `OR`, `XOR`, `AND`, `NOT`, comparisons (`=`, `==`, `!=`, `<`, `<=`,
//! `>`, `>=`, `LIKE`, `IN`), `+ - .`, `* / %`, unary minus. Keywords are case-insensitive.
//! Bare names are fields (`'quoted names'` too); `"..."` is a string; `.` concatenates.

use super::error::{syntax, SplError, SplResult};
use super::functions::Func;
use super::lexer::unescape;
use super::search::FieldRef;
use super::value::Value;
use super::view::Ctx;

/// A binary operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    /// `+` (numbers add, texts concatenate)
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Mod,
    /// `.` (concatenation)
    Concat,
    /// `=` / `==`
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
    /// `AND`
    And,
    /// `OR`
    Or,
    /// `XOR`
    Xor,
    /// `LIKE`
    Like,
}

/// An expression.
#[derive(Debug, Clone)]
pub enum Expr {
    /// A literal.
    Lit(Value),
    /// A field reference.
    Field(FieldRef),
    /// `NOT x`
    Not(Box<Expr>),
    /// `-x`
    Neg(Box<Expr>),
    /// `a op b`
    Bin(BinOp, Box<Expr>, Box<Expr>),
    /// `x IN (a, b, ...)`
    In(Box<Expr>, Vec<Expr>),
    /// A function call with compiled extras (regexes).
    Call(Box<Func>, Vec<Expr>),
}

impl Expr {
    /// Every field name the expression reads.
    pub fn fields(&self, out: &mut Vec<String>) {
        match self {
            Expr::Lit(_) => {}
            Expr::Field(f) => out.push(f.name.to_string()),
            Expr::Not(e) | Expr::Neg(e) => e.fields(out),
            Expr::Bin(_, a, b) => {
                a.fields(out);
                b.fields(out);
            }
            Expr::In(a, v) => {
                a.fields(out);
                v.iter().for_each(|e| e.fields(out));
            }
            Expr::Call(_, args) => args.iter().for_each(|e| e.fields(out)),
        }
    }
}

/// An eval token.
#[derive(Debug, Clone, PartialEq)]
pub enum ETok {
    /// A number.
    Num(f64),
    /// A double-quoted string.
    Str(String),
    /// A name (field, function or keyword).
    Ident(String),
    /// A single-quoted field name.
    QuotedField(String),
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `,`
    Comma,
    /// An operator symbol.
    Sym(&'static str),
}

/// Split an expression into tokens.
pub fn lex_expr(text: &str) -> SplResult<Vec<ETok>> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if out.len() > super::lexer::MAX_TOKENS {
            return Err(syntax("expression too long"));
        }
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        match c {
            b'(' => {
                out.push(ETok::LParen);
                i += 1;
            }
            b')' => {
                out.push(ETok::RParen);
                i += 1;
            }
            b',' => {
                out.push(ETok::Comma);
                i += 1;
            }
            b'"' | b'\'' => {
                let mut j = i + 1;
                while j < b.len() && b[j] != c {
                    j += if b[j] == b'\\' { 2 } else { 1 };
                }
                if j >= b.len() {
                    return Err(syntax("unterminated string in expression"));
                }
                let inner = unescape(&text[i + 1..j]);
                out.push(if c == b'"' {
                    ETok::Str(inner)
                } else {
                    ETok::QuotedField(inner)
                });
                i = j + 1;
            }
            b'0'..=b'9' => {
                let mut j = i;
                while j < b.len() && (b[j].is_ascii_digit() || b[j] == b'.') {
                    j += 1;
                }
                if j < b.len() && (b[j].is_ascii_alphabetic() || b[j] == b'_') {
                    // A name that starts with digits (`1st_field`).
                    while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                        j += 1;
                    }
                    out.push(ETok::Ident(text[i..j].to_string()));
                } else {
                    let n = text[i..j]
                        .parse::<f64>()
                        .map_err(|_| syntax(format!("bad number `{}`", &text[i..j])))?;
                    out.push(ETok::Num(n));
                }
                i = j;
            }
            _ if c.is_ascii_alphabetic() || c == b'_' || c == b'@' || c >= 0x80 => {
                let mut j = i;
                while j < b.len()
                    && (b[j].is_ascii_alphanumeric()
                        || matches!(b[j], b'_' | b'@' | b':')
                        || b[j] >= 0x80)
                {
                    j += 1;
                }
                out.push(ETok::Ident(text[i..j].to_string()));
                i = j;
            }
            _ => {
                let two = text.get(i..i + 2).unwrap_or("");
                let sym: &'static str = match two {
                    "==" => "==",
                    "!=" => "!=",
                    "<=" => "<=",
                    ">=" => ">=",
                    _ => match c {
                        b'=' => "=",
                        b'<' => "<",
                        b'>' => ">",
                        b'+' => "+",
                        b'-' => "-",
                        b'*' => "*",
                        b'/' => "/",
                        b'%' => "%",
                        b'.' => ".",
                        b'!' => "!",
                        _ => {
                            return Err(syntax(format!(
                                "unexpected character `{}` in expression",
                                text[i..].chars().next().unwrap_or('?')
                            )))
                        }
                    },
                };
                out.push(ETok::Sym(sym));
                i += sym.len();
            }
        }
    }
    Ok(out)
}

/// Deepest expression nesting accepted.
const MAX_DEPTH: usize = 48;
/// Most binary operators in one expression (chains build deep trees).
const MAX_OPERATORS: usize = 1_000;

/// An expression parser over tokens.
pub struct ExprParser<'a> {
    t: &'a [ETok],
    /// Position of the next token.
    pub i: usize,
    ctx: Ctx,
    depth: usize,
    operators: usize,
}

/// Parse a whole expression.
pub fn parse_expr(text: &str, ctx: Ctx) -> SplResult<Expr> {
    let toks = lex_expr(text)?;
    let mut p = ExprParser::new(&toks, ctx);
    let e = p.expr()?;
    if p.i < toks.len() {
        return Err(syntax(format!(
            "unexpected `{:?}` in expression `{}`",
            toks[p.i],
            text.chars().take(60).collect::<String>()
        )));
    }
    Ok(e)
}

/// Parse `name = expr, name = expr` (the arguments of `eval`).
pub fn parse_assignments(text: &str, ctx: Ctx) -> SplResult<Vec<(String, Expr)>> {
    let toks = lex_expr(text)?;
    let mut p = ExprParser::new(&toks, ctx);
    let mut out = Vec::new();
    while p.i < toks.len() {
        let name = match toks.get(p.i) {
            Some(ETok::Ident(n)) | Some(ETok::QuotedField(n)) | Some(ETok::Str(n)) => n.clone(),
            other => return Err(syntax(format!("eval expects `name=`, found {other:?}"))),
        };
        p.i += 1;
        match toks.get(p.i) {
            Some(ETok::Sym("=")) => p.i += 1,
            other => {
                return Err(syntax(format!(
                    "eval expects `=` after `{name}`, found {other:?}"
                )))
            }
        }
        let e = p.expr()?;
        out.push((name, e));
        match toks.get(p.i) {
            Some(ETok::Comma) => p.i += 1,
            None => break,
            Some(other) => return Err(syntax(format!("unexpected {other:?} in eval"))),
        }
    }
    if out.is_empty() {
        return Err(syntax("eval without assignments"));
    }
    Ok(out)
}

impl<'a> ExprParser<'a> {
    /// A parser at the start of `t`.
    pub fn new(t: &'a [ETok], ctx: Ctx) -> Self {
        ExprParser {
            t,
            i: 0,
            ctx,
            depth: 0,
            operators: 0,
        }
    }

    /// Count one binary operator; too many make the expression too complex.
    fn bin(&mut self, op: BinOp, l: Expr, r: Expr) -> SplResult<Expr> {
        self.operators += 1;
        if self.operators > MAX_OPERATORS {
            return Err(syntax("expression has too many operators"));
        }
        Ok(Expr::Bin(op, Box::new(l), Box::new(r)))
    }

    fn peek(&self) -> Option<&ETok> {
        self.t.get(self.i)
    }

    fn kw(&self, k: &str) -> bool {
        matches!(self.peek(), Some(ETok::Ident(w)) if w.eq_ignore_ascii_case(k))
    }

    /// Parse an expression at the loosest precedence.
    pub fn expr(&mut self) -> SplResult<Expr> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(syntax("expression nests too deeply"));
        }
        let e = self.or();
        self.depth -= 1;
        e
    }

    fn or(&mut self) -> SplResult<Expr> {
        let mut l = self.xor()?;
        while self.kw("OR") {
            self.i += 1;
            let r = self.xor()?;
            l = self.bin(BinOp::Or, l, r)?;
        }
        Ok(l)
    }

    fn xor(&mut self) -> SplResult<Expr> {
        let mut l = self.and()?;
        while self.kw("XOR") {
            self.i += 1;
            let r = self.and()?;
            l = self.bin(BinOp::Xor, l, r)?;
        }
        Ok(l)
    }

    fn and(&mut self) -> SplResult<Expr> {
        let mut l = self.not()?;
        while self.kw("AND") {
            self.i += 1;
            let r = self.not()?;
            l = self.bin(BinOp::And, l, r)?;
        }
        Ok(l)
    }

    fn not(&mut self) -> SplResult<Expr> {
        if self.kw("NOT") || matches!(self.peek(), Some(ETok::Sym("!"))) {
            self.i += 1;
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                return Err(syntax("expression nests too deeply"));
            }
            let e = self.not()?;
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(e)));
        }
        self.cmp()
    }

    fn cmp(&mut self) -> SplResult<Expr> {
        let l = self.add()?;
        let op = match self.peek() {
            Some(ETok::Sym("=")) | Some(ETok::Sym("==")) => BinOp::Eq,
            Some(ETok::Sym("!=")) => BinOp::Ne,
            Some(ETok::Sym("<")) => BinOp::Lt,
            Some(ETok::Sym("<=")) => BinOp::Le,
            Some(ETok::Sym(">")) => BinOp::Gt,
            Some(ETok::Sym(">=")) => BinOp::Ge,
            Some(ETok::Ident(w)) if w.eq_ignore_ascii_case("LIKE") => BinOp::Like,
            Some(ETok::Ident(w)) if w.eq_ignore_ascii_case("IN") => {
                self.i += 1;
                let args = self.call_args()?;
                return Ok(Expr::In(Box::new(l), args));
            }
            _ => return Ok(l),
        };
        self.i += 1;
        let r = self.add()?;
        self.bin(op, l, r)
    }

    fn add(&mut self) -> SplResult<Expr> {
        let mut l = self.mul()?;
        loop {
            let op = match self.peek() {
                Some(ETok::Sym("+")) => BinOp::Add,
                Some(ETok::Sym("-")) => BinOp::Sub,
                Some(ETok::Sym(".")) => BinOp::Concat,
                _ => return Ok(l),
            };
            self.i += 1;
            let r = self.mul()?;
            l = self.bin(op, l, r)?;
        }
    }

    fn mul(&mut self) -> SplResult<Expr> {
        let mut l = self.unary()?;
        loop {
            let op = match self.peek() {
                Some(ETok::Sym("*")) => BinOp::Mul,
                Some(ETok::Sym("/")) => BinOp::Div,
                Some(ETok::Sym("%")) => BinOp::Mod,
                _ => return Ok(l),
            };
            self.i += 1;
            let r = self.unary()?;
            l = self.bin(op, l, r)?;
        }
    }

    fn unary(&mut self) -> SplResult<Expr> {
        if matches!(self.peek(), Some(ETok::Sym("-"))) {
            self.i += 1;
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                return Err(syntax("expression nests too deeply"));
            }
            let e = self.unary()?;
            self.depth -= 1;
            return Ok(Expr::Neg(Box::new(e)));
        }
        if matches!(self.peek(), Some(ETok::Sym("+"))) {
            self.i += 1;
        }
        self.atom()
    }

    /// `( expr, expr, ... )` after a name.
    fn call_args(&mut self) -> SplResult<Vec<Expr>> {
        match self.peek() {
            Some(ETok::LParen) => self.i += 1,
            _ => return Err(syntax("expected `(`")),
        }
        let mut args = Vec::new();
        if matches!(self.peek(), Some(ETok::RParen)) {
            self.i += 1;
            return Ok(args);
        }
        loop {
            args.push(self.expr()?);
            match self.peek() {
                Some(ETok::Comma) => self.i += 1,
                Some(ETok::RParen) => {
                    self.i += 1;
                    return Ok(args);
                }
                other => return Err(syntax(format!("expected `,` or `)`, found {other:?}"))),
            }
        }
    }

    fn atom(&mut self) -> SplResult<Expr> {
        let Some(t) = self.peek().cloned() else {
            return Err(syntax("expression ends early"));
        };
        self.i += 1;
        match t {
            ETok::Num(n) => Ok(Expr::Lit(Value::Num(n))),
            ETok::Str(s) => Ok(Expr::Lit(Value::Str(s))),
            ETok::QuotedField(f) => Ok(Expr::Field(FieldRef::new(&f, self.ctx))),
            ETok::LParen => {
                let e = self.expr()?;
                match self.peek() {
                    Some(ETok::RParen) => {
                        self.i += 1;
                        Ok(e)
                    }
                    _ => Err(syntax("missing `)` in expression")),
                }
            }
            ETok::Ident(name) => {
                if matches!(self.peek(), Some(ETok::LParen)) {
                    let args = self.call_args()?;
                    let func = Func::compile(&name, &args)?;
                    return Ok(Expr::Call(Box::new(func), args));
                }
                Ok(Expr::Field(FieldRef::new(&name, self.ctx)))
            }
            other => Err(SplError::Syntax(format!(
                "unexpected {other:?} in expression"
            ))),
        }
    }
}
