//! Small helpers shared by several stages: time formatting, number parsing, text safety.

pub mod block_vec;
pub mod memory;
pub mod sanitize;
pub mod time;

/// Parse an integer written in decimal or as `0x` hex (as Windows writes process ids).
pub fn parse_int(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Some(hex) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        i64::from_str_radix(hex, 16)
            .ok()
            .or_else(|| u64::from_str_radix(hex, 16).ok().map(|v| v as i64))
    } else {
        s.parse().ok()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_decimal_and_hex() {
        assert_eq!(super::parse_int("42"), Some(42));
        assert_eq!(super::parse_int("0xae8"), Some(2792));
        assert_eq!(super::parse_int("x"), None);
    }
}
