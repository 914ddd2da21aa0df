//! Case variants of literals with non-ASCII letters, so that case-insensitive `contains` values
//! and pre-filter needles work with an ASCII-case-insensitive substring automaton.
//!
//! Sigma compares case-insensitively. For ASCII, the Aho-Corasick automata fold case
//! themselves; a letter such as Cyrillic `а` also matches `А`, and ASCII `k` and `s` also match
//! KELVIN SIGN and LONG S under Unicode simple case folding (what the regex engine does). A
//! literal is expanded into every spelling its folded letters allow, so that a search for any
//! of the spellings with ASCII folding finds exactly what a case-insensitive regex would.

use regex_syntax::hir::{ClassUnicode, ClassUnicodeRange};

/// Most spellings one literal may expand to.
pub const MAX_VARIANTS: usize = 16;

/// The spellings of `lit` under simple case folding, up to ASCII case (the automaton folds
/// that), or `None` when there are more than [`MAX_VARIANTS`].
pub fn variants(lit: &str) -> Option<Vec<String>> {
    let mut out = vec![String::new()];
    for c in lit.chars() {
        let orbit = orbit(c);
        if out.len() * orbit.len() > MAX_VARIANTS {
            return None;
        }
        out = out
            .iter()
            .flat_map(|prefix| {
                orbit.iter().map(move |&o| {
                    let mut s = prefix.clone();
                    s.push(o);
                    s
                })
            })
            .collect();
    }
    Some(out)
}

/// The characters `c` folds together with, one per ASCII case pair (`k` and KELVIN SIGN for
/// `k`; `а` and `А` for Cyrillic `а`; just `c` for a character without case).
fn orbit(c: char) -> Vec<char> {
    if c.is_ascii() && !matches!(c.to_ascii_lowercase(), 'k' | 's') {
        return vec![c];
    }
    let mut class = ClassUnicode::new([ClassUnicodeRange::new(c, c)]);
    class.case_fold_simple();
    let mut chars: Vec<char> = Vec::new();
    for range in class.iter() {
        for x in range.start()..=range.end() {
            let key = x.to_ascii_lowercase();
            if !chars.iter().any(|y| y.to_ascii_lowercase() == key) {
                chars.push(x);
            }
        }
    }
    if chars.is_empty() {
        chars.push(c);
    }
    chars
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cyrillic_letters_get_both_cases() {
        let mut v = variants("а").unwrap_or_default();
        v.sort();
        assert_eq!(v, vec!["А".to_string(), "а".to_string()]);
    }

    #[test]
    fn ascii_k_and_s_get_their_unicode_partners() {
        let v = variants("sk").unwrap_or_default();
        assert_eq!(v.len(), 4, "{v:?}");
        assert!(v.contains(&"\u{17f}\u{212a}".to_string()));
        assert!(v.iter().any(|x| x.eq_ignore_ascii_case("sk")));
    }

    #[test]
    fn uncased_text_has_one_spelling() {
        assert_eq!(
            variants("🦆.exe").unwrap_or_default(),
            vec!["🦆.exe".to_string()]
        );
    }

    #[test]
    fn too_many_spellings_give_up() {
        assert!(variants("σσσσσσ").is_none());
    }

    /// Every spelling, searched with ASCII folding, matches what the case-insensitive regex
    /// matches.
    #[test]
    fn spellings_agree_with_the_regex_engine() {
        for lit in ["ѕ", "Σ", "к", "ı", "ǅ", "ß"] {
            let re = regex::RegexBuilder::new(&regex::escape(lit))
                .case_insensitive(true)
                .build()
                .unwrap_or_else(|e| panic!("{e}"));
            let v = variants(lit).unwrap_or_default();
            let ac = aho_corasick::AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .build(&v)
                .unwrap_or_else(|e| panic!("{e}"));
            for code in 0..0x3000u32 {
                let Some(c) = char::from_u32(code) else {
                    continue;
                };
                let text = c.to_string();
                assert_eq!(re.is_match(&text), ac.is_match(&text), "{lit:?} vs {c:?}");
            }
        }
    }
}
