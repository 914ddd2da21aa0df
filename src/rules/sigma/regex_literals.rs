//! Literals a Sigma `re` value needs, for the pre-filter: a set of literals one of which every
//! match of the regex contains. Two candidates are compared: the literal prefixes
//! `regex-syntax` extracts (every match starts with one), and the literals required inside the
//! pattern (`\.exe\s+.{0,64}werfaultsecure\.exe` needs `werfaultsecure.exe`, a much rarer
//! needle than `.exe`). The set whose shortest literal is longest wins.

use regex_syntax::hir::literal::Extractor;
use regex_syntax::hir::{Hir, HirKind};
use regex_syntax::ParserBuilder;

/// Most literals kept for one regex (beyond that, the regex runs ungated).
const MAX_LITERALS: usize = 64;

/// The lower-case literals one of which occurs in every match of `pattern` (compiled with the
/// given flags), or `None` when there is no small such set or one of them is empty.
///
/// Case-insensitive patterns are read case-sensitively (so that letters do not multiply the
/// literals) and the literals then compared with ASCII case folding, as the pre-filter does;
/// a literal with letters whose Unicode folding goes beyond ASCII (`k`, `s`, Cyrillic...) is
/// spelled out in each of its cases.
pub fn required(
    pattern: &str,
    case_insensitive: bool,
    multi_line: bool,
    dot_all: bool,
) -> Option<Vec<String>> {
    let (pattern, case_insensitive) = match pattern.strip_prefix("(?i)") {
        Some(rest) => (rest, true),
        None => (pattern, case_insensitive),
    };
    let hir = ParserBuilder::new()
        .multi_line(multi_line)
        .dot_matches_new_line(dot_all)
        .build()
        .parse(pattern)
        .ok()?;
    let prefixes: Option<Vec<Vec<u8>>> = Extractor::new()
        .extract(&hir)
        .literals()
        .map(|lits| lits.iter().map(|l| l.as_bytes().to_vec()).collect());
    // Each candidate is spelled out first: a set whose case variants exceed the bound is no
    // use, and the other candidate may still be.
    [prefixes, inside(&hir)]
        .into_iter()
        .flatten()
        .filter_map(|set| spelled(set, case_insensitive))
        .max_by_key(|set| score(set))
}

/// The literals as lower-case needles (each Unicode case spelling of a case-insensitive one),
/// or `None` when one is empty or not whole UTF-8, or there are too many.
fn spelled(set: Vec<Vec<u8>>, case_insensitive: bool) -> Option<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for lit in set {
        // Literals are bytes of UTF-8 text; one cut inside a character is no use as a needle.
        let text = std::str::from_utf8(&lit).ok()?;
        if text.is_empty() {
            return None;
        }
        let spellings = if case_insensitive {
            super::casefold::variants(text)?
        } else {
            vec![text.to_string()]
        };
        for s in spellings {
            let lower = s.to_ascii_lowercase();
            if !out.contains(&lower) {
                out.push(lower);
            }
        }
        if out.len() > MAX_LITERALS {
            return None;
        }
    }
    (!out.is_empty()).then_some(out)
}

/// How good a needle set is: its shortest literal's length first, then fewer literals.
fn score<T: AsRef<[u8]>>(set: &[T]) -> (usize, std::cmp::Reverse<usize>) {
    let shortest = set.iter().map(|l| l.as_ref().len()).min().unwrap_or(0);
    (shortest, std::cmp::Reverse(set.len()))
}

/// Literals one of which every match of `hir` contains, when known: a literal itself; the
/// best set of any part of a concatenation (every part occurs in each match); the union over
/// the branches of an alternation; a repeated part when it must occur at least once.
fn inside(hir: &Hir) -> Option<Vec<Vec<u8>>> {
    match hir.kind() {
        HirKind::Literal(lit) => Some(vec![lit.0.to_vec()]),
        HirKind::Capture(c) => inside(&c.sub),
        HirKind::Repetition(r) if r.min >= 1 => inside(&r.sub),
        HirKind::Concat(parts) => parts
            .iter()
            .filter_map(inside)
            .filter(|set| !set.is_empty())
            .max_by_key(|set| score(set)),
        HirKind::Alternation(branches) => {
            let mut all = Vec::new();
            for b in branches {
                all.extend(inside(b)?);
                if all.len() > MAX_LITERALS {
                    return None;
                }
            }
            Some(all)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alternations_and_case_give_their_literals() {
        let l = required(r"(?i)(invoke-mimikatz|lsadump::\w+)", false, false, false)
            .unwrap_or_default();
        // `k` also folds with KELVIN SIGN and `s` with LONG S: both spellings of each.
        assert_eq!(l.len(), 6, "{l:?}");
        assert!(l.contains(&"invoke-mimikatz".to_string()));
        assert!(l.contains(&"invo\u{212a}e-mimikatz".to_string()));
        assert!(l.contains(&"lsadump::".to_string()));
        let cased = required(r"(invoke-mimikatz|lsadump::\w+)", false, false, false);
        assert_eq!(
            cased,
            Some(vec!["invoke-mimikatz".to_string(), "lsadump::".to_string()])
        );
    }

    #[test]
    fn literals_inside_the_pattern_count_too() {
        assert_eq!(
            required(r".*\$\{?env", false, false, false),
            Some(vec!["env".to_string()])
        );
        assert_eq!(
            required(r"\w+\.exe", false, false, false),
            Some(vec![".exe".to_string()])
        );
        // The rarer literal in the middle beats the prefix.
        let wsass = r#"(?i)\.exe[\"\']?\s+[^\"]{0,64}werfaultsecure\.exe[\"\']?\s+\d{2,10}"#;
        // (`s` also folds with LONG S: both spellings.)
        assert_eq!(
            required(wsass, false, false, false),
            Some(vec![
                "werfaultsecure.exe".to_string(),
                "werfault\u{17f}ecure.exe".to_string()
            ])
        );
        // Too many prefixes (`${e`, `${`e`, ...): the required `${` still serves.
        assert_eq!(
            required(r"(?i)\$\{`?e`?n`?v`?:`?p`?a`?t`?h`?\}", false, false, false),
            Some(vec!["${".to_string()])
        );
        assert_eq!(
            required(r"\d(?:ab|cd)+y", false, false, false),
            Some(vec!["ab".to_string(), "cd".to_string()])
        );
    }

    #[test]
    fn patterns_without_a_required_literal_give_none() {
        assert_eq!(required(r"(a|)", false, false, false), None);
        assert_eq!(required(r"\w+\s*\d", false, false, false), None);
        assert_eq!(required(r"(?:abc)?\d+", false, false, false), None);
        assert_eq!(required(r"(?:abc)*x?", false, false, false), None);
    }

    /// The needles never miss a match: every text the regex matches contains one of them.
    #[test]
    fn every_match_contains_a_literal() {
        let cases = [
            (r"(?:cmd|powershell)\.exe\s+/c", true),
            (r"\$env:(temp|appdata)", true),
            (r"iex\s*\(", false),
            (r"\.exe\s+.{0,8}werfault\.exe", true),
            (r"(?:a|b)+\s(cmd|pwsh)\b", true),
        ];
        for (p, ci) in cases {
            let lits = required(p, ci, false, false).unwrap_or_default();
            assert!(!lits.is_empty(), "{p}");
            let re = regex::RegexBuilder::new(p)
                .case_insensitive(ci)
                .build()
                .unwrap_or_else(|e| panic!("{e}"));
            for text in [
                "x CMD.exe /c y",
                "Powershell.EXE   /c",
                "$ENV:Temp\\a",
                "$env:appdata",
                "iex (x)",
                "IEX(",
                "x.EXE  -p WerFault.exe 12",
                "ab CMD",
                "b pwsh",
            ] {
                if re.is_match(text) {
                    let lower = text.to_ascii_lowercase();
                    assert!(
                        lits.iter().any(|l| lower.contains(l.as_str())),
                        "{p} {text}"
                    );
                }
            }
        }
    }
}
