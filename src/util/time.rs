//! UTC time formatting and parsing for every output: RFC 3339 with a `Z`, never local time.

use jiff::Timestamp;

/// RFC 3339 in UTC with the stored precision (`2019-03-18T22:15:49.6458894Z`).
pub fn rfc3339(t: Timestamp) -> String {
    t.to_string()
}

/// Parse a user-given time: RFC 3339 (`2024-01-02T03:04:05Z`, with offset) or a date
/// (`2024-01-02`, the start of that day UTC), or a date and time without zone (taken as UTC).
pub fn parse_user_time(s: &str) -> Result<Timestamp, String> {
    let s = s.trim();
    if let Ok(t) = s.parse::<Timestamp>() {
        return Ok(t);
    }
    if let Ok(dt) = s.parse::<jiff::civil::DateTime>() {
        return dt
            .to_zoned(jiff::tz::TimeZone::UTC)
            .map(|z| z.timestamp())
            .map_err(|e| e.to_string());
    }
    if let Ok(d) = s.parse::<jiff::civil::Date>() {
        return d
            .to_zoned(jiff::tz::TimeZone::UTC)
            .map(|z| z.timestamp())
            .map_err(|e| e.to_string());
    }
    Err(format!(
        "`{s}` is not a time: use RFC 3339 (2024-01-02T03:04:05Z) or a date (2024-01-02), UTC"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn user_times_are_utc() {
        assert_eq!(
            parse_user_time("2024-01-02").unwrap().to_string(),
            "2024-01-02T00:00:00Z"
        );
        assert_eq!(
            parse_user_time("2024-01-02T03:04:05").unwrap().to_string(),
            "2024-01-02T03:04:05Z"
        );
        assert_eq!(
            parse_user_time("2024-01-02T03:04:05+01:00")
                .unwrap()
                .to_string(),
            "2024-01-02T02:04:05Z"
        );
        assert!(parse_user_time("yesterday").is_err());
    }
}
