//! Limits on rule files checked before any YAML parser sees them (rule files are untrusted).
//!
//! The YAML parser needs time quadratic in the nesting depth of flow collections (`[[[[...`):
//! 100,000 brackets take minutes, a 4 MB file of them hours. It stops at 128 levels anyway
//! (its recursion limit), so a file nested deeper is rejected here, in linear time, with the
//! same outcome and a clearer reason.

/// Largest rule text accepted, whatever its source (disk, bundled, tests).
pub const MAX_RULE_TEXT_BYTES: usize = super::loader::MAX_RULE_FILE_BYTES as usize;
/// Deepest nesting of YAML flow collections (`[...]`, `{...}`) accepted.
pub const MAX_FLOW_DEPTH: usize = 128;

/// Why a rule text must not be parsed, if it must not.
pub fn check_text(text: &str) -> Result<(), String> {
    if text.len() > MAX_RULE_TEXT_BYTES {
        return Err(format!(
            "file is {} bytes, larger than the {MAX_RULE_TEXT_BYTES}-byte limit for rule files",
            text.len()
        ));
    }
    let depth = flow_depth(text);
    if depth > MAX_FLOW_DEPTH {
        return Err(format!(
            "YAML nested {depth} levels deep (brackets or braces), over the limit of {MAX_FLOW_DEPTH}"
        ));
    }
    Ok(())
}

/// The deepest nesting of `[`/`{` outside quoted scalars and comments (an approximation of
/// YAML's rules that never undercounts real flow nesting).
pub fn flow_depth(text: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut prev = b'\n';
    while i < bytes.len() {
        let b = bytes[i];
        let starts_scalar = matches!(
            prev,
            b' ' | b'\t' | b'\n' | b'\r' | b'[' | b'{' | b',' | b':'
        );
        match b {
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            b'#' if matches!(prev, b' ' | b'\t' | b'\n' | b'\r') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                prev = b'\n';
                i += 1;
                continue;
            }
            b'\'' if starts_scalar => {
                // Single-quoted: ends at a quote not doubled.
                i += 1;
                while i < bytes.len() {
                    if bytes[i] == b'\'' {
                        if bytes.get(i + 1) == Some(&b'\'') {
                            i += 1;
                        } else {
                            break;
                        }
                    }
                    i += 1;
                }
            }
            b'"' if starts_scalar => {
                // Double-quoted: backslash escapes the next byte.
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            _ => {}
        }
        prev = b;
        i += 1;
    }
    deepest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_flow_nesting_outside_quotes_and_comments() {
        assert_eq!(flow_depth("a: [1, [2, {b: [3]}]]\n"), 4);
        assert_eq!(
            flow_depth("a: '[[[[['\nb: \"{{{\\\"[[\"\n# [[[[[[\nc: x # [[[\n"),
            0
        );
        assert_eq!(flow_depth("a: it's [x]\n"), 1);
        assert_eq!(flow_depth("re: 'a''[[['\n"), 0);
    }

    #[test]
    fn deep_and_huge_texts_are_refused() {
        let deep = format!("a: {}x{}\n", "[".repeat(200), "]".repeat(200));
        assert!(check_text(&deep).unwrap_err().contains("200 levels"));
        let fine = format!("a: {}x{}\n", "[".repeat(20), "]".repeat(20));
        assert!(check_text(&fine).is_ok());
        let huge = "#".repeat(MAX_RULE_TEXT_BYTES + 1);
        assert!(check_text(&huge).unwrap_err().contains("limit"));
    }
}
