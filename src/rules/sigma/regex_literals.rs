//! Literals a Sigma `re` value needs, for the pre-filter: every match of a regex starts with
//! one of the literal prefixes `regex-syntax` extracts from it, so the text contains one.

use regex_syntax::hir::literal::Extractor;
use regex_syntax::ParserBuilder;

/// Most literals kept for one regex (beyond that, the regex runs ungated).
const MAX_LITERALS: usize = 64;

/// The lower-case literals one of which starts every match of `pattern` (compiled with the
/// given flags), or `None` when there is no small such set or one of them is empty.
///
/// Case-insensitive patterns are read case-sensitively (so that letters do not multiply the
/// literals) and the literals then compared with ASCII case folding, as the pre-filter does;
/// a literal with letters whose Unicode folding goes beyond ASCII (`k`, `s`, Cyrillic...) is
/// spelled out in each of its cases.
pub fn prefixes(
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
    let seq = Extractor::new().extract(&hir);
    let mut out: Vec<String> = Vec::new();
    for lit in seq.literals()? {
        // Literals are bytes of UTF-8 text; one cut inside a character is no use as a needle.
        let text = std::str::from_utf8(lit.as_bytes()).ok()?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alternations_and_case_give_their_literals() {
        let l = prefixes(r"(?i)(invoke-mimikatz|lsadump::\w+)", false, false, false)
            .unwrap_or_default();
        // `k` also folds with KELVIN SIGN and `s` with LONG S: both spellings of each.
        assert_eq!(l.len(), 6, "{l:?}");
        assert!(l.contains(&"invoke-mimikatz".to_string()));
        assert!(l.contains(&"invo\u{212a}e-mimikatz".to_string()));
        assert!(l.contains(&"lsadump::".to_string()));
        let cased = prefixes(r"(invoke-mimikatz|lsadump::\w+)", false, false, false);
        assert_eq!(
            cased,
            Some(vec!["invoke-mimikatz".to_string(), "lsadump::".to_string()])
        );
    }

    #[test]
    fn patterns_without_a_required_start_give_none() {
        assert_eq!(prefixes(r".*\$\{?env", false, false, false), None);
        assert_eq!(prefixes(r"\w+\.exe", false, false, false), None);
        assert_eq!(prefixes(r"(a|)", false, false, false), None);
    }

    /// The needles never miss a match: every text the regex matches contains one of them.
    #[test]
    fn every_match_contains_a_literal() {
        let cases = [
            (r"(?:cmd|powershell)\.exe\s+/c", true),
            (r"\$env:(temp|appdata)", true),
            (r"iex\s*\(", false),
        ];
        for (p, ci) in cases {
            let lits = prefixes(p, ci, false, false).unwrap_or_default();
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
