//! The detection `condition`: tokenizer, parser and resolution to selection indices.
//!
//! Grammar, loosest to tightest: `or` < `and` < `not` < `x of` < parentheses. Quantifiers are
//! `1 of`, `N of`, `all of`, over a name pattern with `*` wildcards or `them` (every search
//! identifier not starting with `_`). A list of conditions is ORed. Parsing is recursive with a
//! depth limit, so a hostile condition ends in an error, not a stack overflow.

/// Deepest nesting of parentheses and `not` accepted.
pub const MAX_DEPTH: usize = 64;

/// Longest condition text accepted.
pub const MAX_CONDITION_LEN: usize = 16 * 1024;

/// A resolved condition over selection indices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    /// A search identifier.
    Sel(usize),
    /// Negation.
    Not(Box<Expr>),
    /// All of.
    And(Vec<Expr>),
    /// Any of.
    Or(Vec<Expr>),
    /// At least `n` of the selections.
    AtLeast(usize, Vec<usize>),
}

impl Expr {
    /// Evaluate with a selection oracle.
    pub fn eval(&self, sel: &mut impl FnMut(usize) -> bool) -> bool {
        match self {
            Expr::Sel(i) => sel(*i),
            Expr::Not(e) => !e.eval(sel),
            Expr::And(v) => v.iter().all(|e| e.eval(sel)),
            Expr::Or(v) => v.iter().any(|e| e.eval(sel)),
            Expr::AtLeast(n, v) => {
                let mut count = 0;
                for &i in v {
                    if sel(i) {
                        count += 1;
                        if count >= *n {
                            return true;
                        }
                    }
                }
                count >= *n
            }
        }
    }

    /// Shift every selection index (for filters compiled after the rule's own selections).
    pub fn offset(self, by: usize) -> Expr {
        match self {
            Expr::Sel(i) => Expr::Sel(i + by),
            Expr::Not(e) => Expr::Not(Box::new(e.offset(by))),
            Expr::And(v) => Expr::And(v.into_iter().map(|e| e.offset(by)).collect()),
            Expr::Or(v) => Expr::Or(v.into_iter().map(|e| e.offset(by)).collect()),
            Expr::AtLeast(n, v) => Expr::AtLeast(n, v.into_iter().map(|i| i + by).collect()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Open,
    Close,
    And,
    Or,
    Not,
    Of,
    All,
    Them,
    Number(usize),
    Name(String),
    Pipe,
}

fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    if text.len() > MAX_CONDITION_LEN {
        return Err(format!(
            "condition is longer than {MAX_CONDITION_LEN} characters"
        ));
    }
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' => {
                chars.next();
                out.push(Token::Open);
            }
            ')' => {
                chars.next();
                out.push(Token::Close);
            }
            '|' => {
                chars.next();
                out.push(Token::Pipe);
            }
            _ => {
                let mut end = start;
                while let Some(&(i, c)) = chars.peek() {
                    if c.is_whitespace() || matches!(c, '(' | ')' | '|') {
                        break;
                    }
                    end = i + c.len_utf8();
                    chars.next();
                }
                let word = &text[start..end];
                out.push(match word.to_ascii_lowercase().as_str() {
                    "and" => Token::And,
                    "or" => Token::Or,
                    "not" => Token::Not,
                    "of" => Token::Of,
                    "all" => Token::All,
                    "them" => Token::Them,
                    _ => match word.parse::<usize>() {
                        Ok(n) => Token::Number(n),
                        Err(_) => Token::Name(word.to_string()),
                    },
                });
            }
        }
    }
    Ok(out)
}

/// A parsed condition, still naming identifiers.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Ast {
    Name(String),
    Not(Box<Ast>),
    And(Vec<Ast>),
    Or(Vec<Ast>),
    /// `N of pattern` (`None` = `all`); pattern `None` = `them`.
    Of(Option<usize>, Option<String>),
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn enter(&mut self) -> Result<(), String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(format!("condition nests deeper than {MAX_DEPTH} levels"));
        }
        Ok(())
    }

    fn or(&mut self) -> Result<Ast, String> {
        let mut parts = vec![self.and()?];
        while self.peek() == Some(&Token::Or) {
            self.next();
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Ast::Or(parts)
        })
    }

    fn and(&mut self) -> Result<Ast, String> {
        let mut parts = vec![self.not()?];
        while self.peek() == Some(&Token::And) {
            self.next();
            parts.push(self.not()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Ast::And(parts)
        })
    }

    fn not(&mut self) -> Result<Ast, String> {
        if self.peek() == Some(&Token::Not) {
            self.next();
            self.enter()?;
            let inner = self.not()?;
            self.depth -= 1;
            return Ok(Ast::Not(Box::new(inner)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Ast, String> {
        match self.next() {
            Some(Token::Open) => {
                self.enter()?;
                let inner = self.or()?;
                self.depth -= 1;
                match self.next() {
                    Some(Token::Close) => Ok(inner),
                    _ => Err("unbalanced parentheses in condition".into()),
                }
            }
            Some(Token::All) => self.quantified(None),
            Some(Token::Number(n)) => self.quantified(Some(n)),
            Some(Token::Name(n)) => match n.as_str() {
                "near" => Err("the obsolete `near` operator is not supported".into()),
                _ => Ok(Ast::Name(n)),
            },
            Some(Token::Pipe) => Err(
                "legacy aggregation (`| count() ...`) is obsolete: use a correlation rule".into(),
            ),
            Some(t) => Err(format!("unexpected {t:?} in condition")),
            None => Err("condition ends too early".into()),
        }
    }

    fn quantified(&mut self, n: Option<usize>) -> Result<Ast, String> {
        if self.next() != Some(Token::Of) {
            return Err("a quantifier must be followed by `of`".into());
        }
        match self.next() {
            Some(Token::Them) => Ok(Ast::Of(n, None)),
            Some(Token::Name(p)) => Ok(Ast::Of(n, Some(p))),
            _ => Err("`of` must be followed by `them` or a name pattern".into()),
        }
    }
}

/// Parse one condition and resolve it against the search identifiers.
pub fn parse(text: &str, names: &[String]) -> Result<Expr, String> {
    let tokens = tokenize(text)?;
    if tokens.is_empty() {
        return Err("empty condition".into());
    }
    let mut p = Parser {
        tokens,
        pos: 0,
        depth: 0,
    };
    let ast = p.or()?;
    match p.peek() {
        None => {}
        Some(Token::Pipe) => {
            return Err(
                "legacy aggregation (`| count() ...`) is obsolete: use a correlation rule".into(),
            )
        }
        Some(t) => return Err(format!("unexpected {t:?} after the end of the condition")),
    }
    resolve(ast, names)
}

fn resolve(ast: Ast, names: &[String]) -> Result<Expr, String> {
    Ok(match ast {
        Ast::Name(n) => match names.iter().position(|x| *x == n) {
            Some(i) => Expr::Sel(i),
            None => {
                return Err(format!(
                    "condition names `{n}`, which is not in the detection"
                ))
            }
        },
        Ast::Not(e) => Expr::Not(Box::new(resolve(*e, names)?)),
        Ast::And(v) => Expr::And(
            v.into_iter()
                .map(|e| resolve(e, names))
                .collect::<Result<_, _>>()?,
        ),
        Ast::Or(v) => Expr::Or(
            v.into_iter()
                .map(|e| resolve(e, names))
                .collect::<Result<_, _>>()?,
        ),
        Ast::Of(n, pattern) => {
            let sel: Vec<usize> = names
                .iter()
                .enumerate()
                .filter(|(_, name)| match &pattern {
                    None => !name.starts_with('_'),
                    Some(p) => glob(p, name),
                })
                .map(|(i, _)| i)
                .collect();
            if sel.is_empty() {
                return Err(format!(
                    "`of {}` matches no search identifier",
                    pattern.as_deref().unwrap_or("them")
                ));
            }
            match n {
                None => Expr::And(sel.into_iter().map(Expr::Sel).collect()),
                Some(1) => Expr::Or(sel.into_iter().map(Expr::Sel).collect()),
                Some(k) => Expr::AtLeast(k, sel),
            }
        }
    })
}

/// Match an identifier against a pattern where `*` is any run of characters.
pub fn glob(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !name.starts_with(first) || name.len() < first.len() + last.len() || !name.ends_with(last) {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn eval(cond: &str, n: &[&str], truth: &[bool]) -> bool {
        let e = parse(cond, &names(n)).unwrap();
        e.eval(&mut |i| truth[i])
    }

    #[test]
    fn precedence_or_and_not() {
        let n = ["a", "b", "c"];
        // a or (b and (not c))
        assert!(eval("a or b and not c", &n, &[true, false, true]));
        assert!(eval("a or b and not c", &n, &[false, true, false]));
        assert!(!eval("a or b and not c", &n, &[false, true, true]));
        assert!(!eval("(a or b) and not c", &n, &[true, false, true]));
    }

    #[test]
    fn not_binds_tighter_than_and_and_looser_than_of() {
        let n = ["sel", "filter_a", "filter_b"];
        assert!(eval("sel and not 1 of filter_*", &n, &[true, false, false]));
        assert!(!eval("sel and not 1 of filter_*", &n, &[true, false, true]));
        assert!(eval(
            "sel and not all of filter_*",
            &n,
            &[true, false, true]
        ));
    }

    #[test]
    fn quantifiers_and_them() {
        let n = ["sel_a", "sel_b", "_hidden"];
        assert!(eval("all of them", &n, &[true, true, false]));
        assert!(!eval("all of them", &n, &[true, false, true]));
        assert!(eval("1 of them", &n, &[false, true, false]));
        assert!(!eval("1 of them", &n, &[false, false, true]));
        assert!(eval("2 of sel_*", &n, &[true, true, false]));
        assert!(!eval("2 of sel_*", &n, &[true, false, true]));
        assert!(eval("1 of _h*", &n, &[false, false, true]));
    }

    #[test]
    fn errors_are_specific() {
        let n = names(&["a"]);
        assert!(parse("a and b", &n).unwrap_err().contains("`b`"));
        assert!(parse("(a", &n).unwrap_err().contains("parentheses"));
        assert!(parse("a | count() > 5", &n)
            .unwrap_err()
            .contains("aggregation"));
        assert!(parse("1 of x*", &n).unwrap_err().contains("x*"));
        let deep = format!("{}a{}", "(".repeat(5000), ")".repeat(5000));
        assert!(parse(&deep, &n).unwrap_err().contains("deeper"));
        let nots = format!("{}a", "not ".repeat(3000));
        assert!(parse(&nots, &n).unwrap_err().contains("deeper"));
    }

    #[test]
    fn glob_patterns() {
        assert!(glob("selection_*", "selection_img"));
        assert!(glob("*", "x"));
        assert!(glob("a*b*c", "aXbYc"));
        assert!(!glob("a*b*c", "acb"));
        assert!(!glob("sel*", "filter"));
    }
}
