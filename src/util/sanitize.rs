//! Making attacker-controlled text safe for terminals, spreadsheets, HTML and Markdown.
//!
//! Every value that reaches an output came from an event log the attacker may have written:
//! command lines, script blocks, DNS names, even computer names. Each output has its own escaping
//! here, and every writer goes through it:
//! - [`for_terminal`]: control characters (ESC and friends) become visible escapes.
//! - [`for_csv`]: one physical line per cell and no formula a spreadsheet would run.
//! - [`for_html`]: text content and attribute values, with controls made visible.
//! - [`for_markdown`]: table cells and inline text for tickets.

use std::borrow::Cow;

/// Text safe to print on a terminal: control characters (C0, DEL, C1, including ESC) become
/// visible `\xNN` / `\u{NNNN}` escapes; newlines and tabs become `\n`, `\r`, `\t`.
pub fn for_terminal(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe_char) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        push_visible(&mut out, c);
    }
    Cow::Owned(out)
}

/// Characters that must not reach a terminal raw: C0/C1 controls, DEL, and bidi overrides.
fn is_unsafe_char(c: char) -> bool {
    let u = c as u32;
    // C0, DEL and C1 controls; bidi marks, embeddings, overrides and isolates (which can make
    // a command line read backwards); line and paragraph separators (which break a line).
    u < 0x20
        || (0x7f..=0x9f).contains(&u)
        || matches!(u, 0x061c | 0x200e | 0x200f | 0x2028 | 0x2029 | 0x202a..=0x202e | 0x2066..=0x2069)
}

/// Append `c`, written as a visible escape when it is unsafe.
fn push_visible(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if (c as u32) < 0x20 || c == '\u{7f}' => out.push_str(&format!("\\x{:02x}", c as u32)),
        c if is_unsafe_char(c) => out.push_str(&format!("\\u{{{:04x}}}", c as u32)),
        c => out.push(c),
    }
}

/// The characters that make a spreadsheet read a cell as a formula when they come first.
fn starts_like_formula(s: &str) -> bool {
    matches!(
        s.trim_start_matches(' ').chars().next(),
        Some('=' | '+' | '-' | '@' | '\t' | '\r' | '\n')
    )
}

/// The longest CSV cell written: spreadsheets cut cells at 32,767 characters.
pub const CSV_CELL_MAX_CHARS: usize = 32_000;

/// A CSV cell that spreadsheets will not run as a formula, on one physical line: a cell whose
/// first non-space character is `=`, `+`, `-`, `@`, tab, CR or LF gets a leading `'`; CR, LF and
/// tab inside are written as `\r`, `\n`, `\t`, other control characters (ESC...) as `\xNN`; a
/// cell longer than [`CSV_CELL_MAX_CHARS`] is cut with a note of how much was left out.
pub fn for_csv(s: &str) -> String {
    let mut out = String::with_capacity(s.len().min(CSV_CELL_MAX_CHARS) + 1);
    if starts_like_formula(s) {
        out.push('\'');
    }
    for (n, c) in s.chars().enumerate() {
        if n >= CSV_CELL_MAX_CHARS {
            let rest = s.chars().count() - n;
            out.push_str(&format!("…[{rest} more characters]"));
            break;
        }
        push_visible(&mut out, c);
    }
    out
}

/// Text safe inside HTML element content and quoted attribute values: `& < > " '` become
/// entities; control characters other than newline and tab, and bidi overrides, become visible
/// escapes (`\x1b`), so nothing from an event can open a tag, end an attribute or reorder text.
pub fn for_html(s: &str) -> Cow<'_, str> {
    let needs = |c: char| matches!(c, '&' | '<' | '>' | '"' | '\'') || html_unsafe(c);
    if !s.chars().any(needs) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if html_unsafe(c) => push_visible(&mut out, c),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Characters shown as escapes in HTML: controls except newline and tab, and bidi overrides.
fn html_unsafe(c: char) -> bool {
    c != '\n' && c != '\t' && is_unsafe_char(c)
}

/// Text safe in a Markdown table cell or paragraph (CommonMark/GFM): control characters become
/// visible escapes (so a cell stays on one line), the characters Markdown gives meaning to
/// (`\ ` * _ [ ] < > | ~ #`) are backslash-escaped, and `&` is written `&amp;` so no entity or
/// HTML tag from an event is rendered.
pub fn for_markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '&' => out.push_str("&amp;"),
            c => push_visible(&mut out, c),
        }
    }
    out
}

/// A fenced Markdown code block holding `text` verbatim: the fence is longer than any run of
/// backticks inside, and control characters other than newline and tab are made visible.
pub fn markdown_code_block(text: &str, language: &str) -> String {
    let mut longest = 0usize;
    let mut run = 0usize;
    for c in text.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let fence = "`".repeat((longest + 1).max(3));
    let mut body = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' | '\t' => body.push(c),
            '\r' => {}
            c => push_visible(&mut body, c),
        }
    }
    if !body.ends_with('\n') {
        body.push('\n');
    }
    format!("{fence}{language}\n{body}{fence}\n")
}

/// At most `max` characters of `s`, with `…` when something was cut.
pub fn truncate_chars(s: &str, max: usize) -> Cow<'_, str> {
    match s.char_indices().nth(max) {
        None => Cow::Borrowed(s),
        Some((at, _)) => {
            let mut t = s[..at].to_string();
            t.push('…');
            Cow::Owned(t)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn bidi_marks_and_line_separators_are_made_visible() {
        for c in [
            '\u{200e}', '\u{200f}', '\u{061c}', '\u{2028}', '\u{2029}', '\u{202e}',
        ] {
            let s = format!("a{c}b");
            let out = for_terminal(&s);
            assert!(!out.contains(c), "{:?} reached the terminal", c);
        }
    }

    #[test]
    fn terminal_escapes_are_made_visible() {
        assert_eq!(for_terminal("a\u{1b}[31mred"), "a\\x1b[31mred");
        assert_eq!(for_terminal("x\ny"), "x\\ny");
        assert_eq!(for_terminal("\u{9b}2J"), "\\u{009b}2J");
        assert_eq!(for_terminal("a\u{202e}b"), "a\\u{202e}b");
        assert_eq!(for_terminal("plain"), "plain");
    }

    #[test]
    fn csv_formulas_are_neutralized() {
        assert_eq!(for_csv("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
        assert_eq!(for_csv("+1"), "'+1");
        assert_eq!(for_csv("-2"), "'-2");
        assert_eq!(for_csv("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(for_csv("  =1+1"), "'  =1+1");
        assert_eq!(for_csv("\tx"), "'\\tx");
        assert_eq!(for_csv("\r=x"), "'\\r=x");
        assert_eq!(for_csv("a\r\nb"), "a\\r\\nb");
        assert_eq!(for_csv("a\u{1b}[2Jb"), "a\\x1b[2Jb");
        assert_eq!(for_csv("C:\\x.exe"), "C:\\x.exe");
        assert_eq!(for_csv("a=b"), "a=b");
    }

    #[test]
    fn csv_cells_are_capped() {
        let long = "x".repeat(CSV_CELL_MAX_CHARS + 10);
        let cell = for_csv(&long);
        assert!(cell.starts_with(&"x".repeat(CSV_CELL_MAX_CHARS)));
        assert!(
            cell.ends_with("…[10 more characters]"),
            "{}",
            &cell[cell.len() - 40..]
        );
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            for_html("<script>alert(1)</script>"),
            "&lt;script&gt;alert(1)&lt;/script&gt;"
        );
        assert_eq!(for_html("a\"b'c&d"), "a&quot;b&#39;c&amp;d");
        assert_eq!(for_html("l1\nl2\u{1b}[0m"), "l1\nl2\\x1b[0m");
        assert_eq!(for_html("plain"), "plain");
    }

    #[test]
    fn markdown_is_escaped() {
        assert_eq!(for_markdown("a|b`c"), "a\\|b\\`c");
        assert_eq!(for_markdown("<img src=x>"), "\\<img src=x\\>");
        assert_eq!(for_markdown("C:\\W\n"), "C:\\\\W\\n");
        assert_eq!(for_markdown("&lt;"), "&amp;lt;");
        assert_eq!(for_markdown("\u{1b}[31m"), "\\x1b\\[31m");
    }

    #[test]
    fn code_blocks_outlast_backtick_runs() {
        let block = markdown_code_block("a ```` b\r\nc\u{7}", "powershell");
        assert!(block.starts_with("`````powershell\n"), "{block}");
        assert!(block.ends_with("\n`````\n"));
        assert!(block.contains("a ```` b\nc\\x07"));
    }

    #[test]
    fn truncation_counts_characters() {
        assert_eq!(truncate_chars("ééé", 2), "éé…");
        assert_eq!(truncate_chars("abc", 3), "abc");
    }
}
