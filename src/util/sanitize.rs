//! Making attacker-controlled text safe for terminals and spreadsheets.

/// Text safe to print on a terminal: control characters (C0, DEL, C1, including ESC) become
/// visible `\xNN` / `\u{NNNN}` escapes; newlines and tabs become `\n`, `\r`, `\t`.
pub fn for_terminal(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(is_unsafe_char) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if is_unsafe_char(c) => out.push_str(&format!("\\u{{{:04x}}}", c as u32)),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Characters that must not reach a terminal raw: C0/C1 controls, DEL, and bidi overrides.
fn is_unsafe_char(c: char) -> bool {
    let u = c as u32;
    u < 0x20 || (0x7f..=0x9f).contains(&u) || matches!(u, 0x202a..=0x202e | 0x2066..=0x2069)
}

/// A CSV cell that spreadsheets will not run as a formula, on one physical line: a cell that
/// starts with `=`, `+`, `-`, `@`, tab or CR gets a leading `'`; CR, LF and tab inside are written
/// as `\r`, `\n`, `\t`.
pub fn for_csv(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 1);
    if matches!(s.chars().next(), Some('=' | '+' | '-' | '@' | '\t' | '\r')) {
        out.push('\'');
    }
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn terminal_escapes_are_made_visible() {
        assert_eq!(for_terminal("a\u{1b}[31mred"), "a\\x1b[31mred");
        assert_eq!(for_terminal("x\ny"), "x\\ny");
        assert_eq!(for_terminal("\u{9b}2J"), "\\u{009b}2J");
        assert_eq!(for_terminal("plain"), "plain");
    }
    #[test]
    fn csv_formulas_are_neutralized() {
        assert_eq!(for_csv("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
        assert_eq!(for_csv("+1"), "'+1");
        assert_eq!(for_csv("-2"), "'-2");
        assert_eq!(for_csv("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(for_csv("a\r\nb"), "a\\r\\nb");
        assert_eq!(for_csv("C:\\x.exe"), "C:\\x.exe");
    }
}
