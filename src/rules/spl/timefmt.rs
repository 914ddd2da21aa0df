//! Time helpers for eval and `convert`: epoch seconds ↔ text, relative time specifiers. UTC only.

use jiff::{civil::DateTime, tz::TimeZone, Timestamp, Unit};

fn timestamp(epoch: f64) -> Option<Timestamp> {
    if !epoch.is_finite() || epoch.abs() > 1e13 {
        return None;
    }
    Timestamp::from_nanosecond((epoch * 1e9).round() as i128).ok()
}

/// Splunk `%3N`-style subsecond widths become jiff's `%3f`.
fn jiff_format(fmt: &str) -> String {
    let mut out = String::with_capacity(fmt.len());
    let mut chars = fmt.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '%' {
            let mut digits = String::new();
            while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                digits.push(*d);
                chars.next();
            }
            match chars.next() {
                Some('N') if !digits.is_empty() => {
                    out.push_str(&digits);
                    out.push('f');
                }
                Some(other) => {
                    out.push_str(&digits);
                    out.push(other);
                }
                None => out.push_str(&digits),
            }
        }
    }
    out
}

/// Format epoch seconds (UTC) with a strftime format.
pub fn strftime(epoch: f64, fmt: &str) -> Option<String> {
    let ts = timestamp(epoch)?;
    let zoned = ts.to_zoned(TimeZone::UTC);
    jiff::fmt::strtime::format(jiff_format(fmt).as_bytes(), &zoned).ok()
}

/// Parse text with a strptime format into epoch seconds (UTC when the text has no zone).
pub fn strptime(text: &str, fmt: &str) -> Option<f64> {
    let broken = jiff::fmt::strtime::parse(jiff_format(fmt).as_bytes(), text.trim()).ok()?;
    if let Ok(ts) = broken.to_timestamp() {
        return Some(super::view::epoch(ts));
    }
    let dt: DateTime = match broken.to_datetime() {
        Ok(dt) => dt,
        Err(_) => broken
            .to_date()
            .ok()?
            .to_datetime(jiff::civil::Time::midnight()),
    };
    let ts = dt.to_zoned(TimeZone::UTC).ok()?.timestamp();
    Some(super::view::epoch(ts))
}

/// Apply a relative time specifier (`-24h`, `+7d@d`, `@w0`, `now`) to epoch seconds.
pub fn relative_time(epoch: f64, spec: &str) -> Option<f64> {
    let spec = spec.trim();
    if spec.eq_ignore_ascii_case("now") || spec.is_empty() {
        return Some(epoch);
    }
    let (offset, snap) = match spec.split_once('@') {
        Some((o, s)) => (o, Some(s)),
        None => (spec, None),
    };
    let mut t = epoch;
    if !offset.is_empty() {
        let (sign, rest) = match offset.as_bytes()[0] {
            b'-' => (-1.0, &offset[1..]),
            b'+' => (1.0, &offset[1..]),
            _ => (1.0, offset),
        };
        let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
        let n: f64 = if digits.is_empty() {
            1.0
        } else {
            digits.parse().ok()?
        };
        let unit = &rest[digits.len()..];
        t += sign * n * unit_seconds(unit)?;
    }
    if let Some(unit) = snap {
        let unit = unit.trim_end_matches(|c: char| c.is_ascii_digit());
        let ts = timestamp(t)?;
        let zoned = ts.to_zoned(TimeZone::UTC);
        let rounded = match unit_name(unit)? {
            Unit::Second | Unit::Minute | Unit::Hour | Unit::Day => {
                let u = unit_name(unit)?;
                zoned
                    .datetime()
                    .round(
                        jiff::civil::DateTimeRound::new()
                            .smallest(u)
                            .mode(jiff::RoundMode::Floor),
                    )
                    .ok()?
            }
            Unit::Week => {
                let day = zoned.date();
                let back = i64::from(day.weekday().to_sunday_zero_offset());
                day.checked_sub(jiff::Span::new().days(back))
                    .ok()?
                    .to_datetime(jiff::civil::Time::midnight())
            }
            Unit::Month => zoned
                .date()
                .first_of_month()
                .to_datetime(jiff::civil::Time::midnight()),
            Unit::Year => {
                jiff::civil::date(zoned.year(), 1, 1).to_datetime(jiff::civil::Time::midnight())
            }
            _ => return None,
        };
        t = super::view::epoch(rounded.to_zoned(TimeZone::UTC).ok()?.timestamp());
    }
    Some(t)
}

fn unit_name(u: &str) -> Option<Unit> {
    Some(match u.to_ascii_lowercase().as_str() {
        "s" | "sec" | "secs" | "second" | "seconds" => Unit::Second,
        "m" | "min" | "mins" | "minute" | "minutes" => Unit::Minute,
        "h" | "hr" | "hrs" | "hour" | "hours" => Unit::Hour,
        "d" | "day" | "days" => Unit::Day,
        "w" | "week" | "weeks" => Unit::Week,
        "mon" | "month" | "months" => Unit::Month,
        "y" | "yr" | "yrs" | "year" | "years" => Unit::Year,
        _ => return None,
    })
}

/// Seconds in one unit (months are 30 days, years 365 days).
pub fn unit_seconds(u: &str) -> Option<f64> {
    Some(match unit_name(u)? {
        Unit::Second => 1.0,
        Unit::Minute => 60.0,
        Unit::Hour => 3600.0,
        Unit::Day => 86400.0,
        Unit::Week => 7.0 * 86400.0,
        Unit::Month => 30.0 * 86400.0,
        Unit::Year => 365.0 * 86400.0,
        _ => return None,
    })
}

/// Parse a `span=` value (`1m`, `30m`, `1h`, `1d`, `10`) into seconds.
pub fn span_seconds(span: &str) -> Option<f64> {
    let digits: String = span.chars().take_while(|c| c.is_ascii_digit()).collect();
    let n: f64 = digits.parse().ok()?;
    let unit = &span[digits.len()..];
    let secs = if unit.is_empty() {
        n
    } else {
        n * unit_seconds(unit)?
    };
    (secs > 0.0).then_some(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses_utc() {
        assert_eq!(
            strftime(1_700_000_000.5, "%Y-%m-%dT%H:%M:%S").unwrap(),
            "2023-11-14T22:13:20"
        );
        assert_eq!(strptime("2023-11-14", "%Y-%m-%d"), Some(1_699_920_000.0));
        assert_eq!(span_seconds("15m"), Some(900.0));
        assert_eq!(span_seconds("x"), None);
        assert_eq!(
            relative_time(1_700_000_000.0, "-1d@d"),
            Some(1_699_833_600.0)
        );
        assert_eq!(relative_time(100.0, "+7d"), Some(100.0 + 7.0 * 86400.0));
    }
}
