//! Tokens of SPL command arguments and base searches.
//!
//! Words run until blank, parenthesis, comma, quote, bracket or comparison operator; quoted
//! strings are unescaped (`\\` → `\`, `\"` → `"`; other backslashes stay). Every token keeps
//! its byte span so a command can hand a raw slice (an `eval(...)` argument) to another parser.

use super::error::{syntax, SplResult};

/// A token kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// An unquoted run (unescaped).
    Word(String),
    /// A double-quoted string (unescaped, quotes removed).
    Quoted(String),
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `[`
    LBracket,
    /// `]`
    RBracket,
    /// `,`
    Comma,
    /// `=` or `==`
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

/// A token and where it is in the text.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    /// What it is.
    pub tok: Tok,
    /// Byte offset of its first character.
    pub start: usize,
    /// Byte offset after its last character.
    pub end: usize,
}

impl Token {
    /// The text of a word or quoted string.
    pub fn text(&self) -> Option<&str> {
        match &self.tok {
            Tok::Word(s) | Tok::Quoted(s) => Some(s),
            _ => None,
        }
    }

    /// Whether this is the unquoted word `kw` (ASCII case-insensitive).
    pub fn is_kw(&self, kw: &str) -> bool {
        matches!(&self.tok, Tok::Word(w) if w.eq_ignore_ascii_case(kw))
    }
}

/// Most tokens one command may hold (bounded work on hostile rule files).
pub const MAX_TOKENS: usize = 100_000;

/// Undo SPL escaping: `\\` → `\`, `\"` → `"`; any other backslash stays.
pub fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.peek() {
                Some('\\') | Some('"') => {
                    out.push(chars.next().unwrap_or('\\'));
                    continue;
                }
                _ => {}
            }
        }
        out.push(c);
    }
    out
}

/// Split `text` into tokens.
pub fn lex(text: &str) -> SplResult<Vec<Token>> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if out.len() > MAX_TOKENS {
            return Err(syntax("command too long"));
        }
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        let single = |t: Tok, n: usize| (t, n);
        let (tok, len) = match c {
            b'(' => single(Tok::LParen, 1),
            b')' => single(Tok::RParen, 1),
            b'[' => single(Tok::LBracket, 1),
            b']' => single(Tok::RBracket, 1),
            b',' => single(Tok::Comma, 1),
            b'=' if b.get(i + 1) == Some(&b'=') => single(Tok::Eq, 2),
            b'=' => single(Tok::Eq, 1),
            b'!' if b.get(i + 1) == Some(&b'=') => single(Tok::Ne, 2),
            b'<' if b.get(i + 1) == Some(&b'=') => single(Tok::Le, 2),
            b'<' => single(Tok::Lt, 1),
            b'>' if b.get(i + 1) == Some(&b'=') => single(Tok::Ge, 2),
            b'>' => single(Tok::Gt, 1),
            b'"' => {
                let mut j = i + 1;
                loop {
                    match b.get(j) {
                        None => return Err(syntax("unterminated quoted string")),
                        Some(b'\\') => j += 2,
                        Some(b'"') => break,
                        Some(_) => j += 1,
                    }
                }
                let inner = &text[i + 1..j];
                (Tok::Quoted(unescape(inner)), j + 1 - i)
            }
            _ => {
                let mut j = i;
                while j < b.len() {
                    let d = b[j];
                    let stop = d.is_ascii_whitespace()
                        || matches!(
                            d,
                            b'(' | b')' | b'[' | b']' | b',' | b'"' | b'=' | b'<' | b'>'
                        )
                        || (d == b'!' && b.get(j + 1) == Some(&b'='));
                    if stop {
                        break;
                    }
                    if d == b'\\' && j + 1 < b.len() {
                        j += 2;
                        continue;
                    }
                    j += 1;
                }
                let j = j.min(b.len());
                (Tok::Word(unescape(&text[i..j])), j - i)
            }
        };
        i += len;
        out.push(Token {
            tok,
            start,
            end: i.min(b.len()),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str) -> Vec<Tok> {
        lex(s).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn words_operators_and_strings() {
        assert_eq!(
            kinds(r#"EventCode = 1 Image!="*\\temp\\*" x IN (a,"b c")"#),
            vec![
                Tok::Word("EventCode".into()),
                Tok::Eq,
                Tok::Word("1".into()),
                Tok::Word("Image".into()),
                Tok::Ne,
                Tok::Quoted("*\\temp\\*".into()),
                Tok::Word("x".into()),
                Tok::Word("IN".into()),
                Tok::LParen,
                Tok::Word("a".into()),
                Tok::Comma,
                Tok::Quoted("b c".into()),
                Tok::RParen,
            ]
        );
    }

    #[test]
    fn escapes_and_spans() {
        let t = lex(r#"count(eval(x>1)) "a\"b""#).unwrap();
        assert_eq!(t[0].tok, Tok::Word("count".into()));
        assert_eq!(t.last().unwrap().tok, Tok::Quoted("a\"b".into()));
        assert_eq!((t[1].start, t[1].end), (5, 6));
        assert!(lex("\"open").is_err());
    }
}
