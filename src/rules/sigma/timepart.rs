//! The time modifiers (`minute`, `hour`, `day`, `week`, `month`, `year`): a date part of a
//! field, as a number. Times are read as UTC, as the event stores them.

use super::item::TimePart;
use crate::event::FieldValue;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use jiff::Timestamp;

/// The date part of a time value (`TimeCreated`, or text such as Sysmon's `UtcTime`).
pub fn extract(v: &FieldValue<'_>, part: TimePart) -> Option<i64> {
    let dt: DateTime = match v {
        FieldValue::Time(t) => t.to_zoned(TimeZone::UTC).datetime(),
        FieldValue::Str(s) => parse(s)?,
        FieldValue::Num(_) => return None,
    };
    Some(match part {
        TimePart::Minute => dt.minute() as i64,
        TimePart::Hour => dt.hour() as i64,
        TimePart::Day => dt.day() as i64,
        TimePart::Week => dt.date().iso_week_date().week() as i64,
        TimePart::Month => dt.month() as i64,
        TimePart::Year => dt.year() as i64,
    })
}

fn parse(s: &str) -> Option<DateTime> {
    let s = s.trim();
    if let Ok(t) = s.parse::<Timestamp>() {
        return Some(t.to_zoned(TimeZone::UTC).datetime());
    }
    s.parse::<DateTime>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_of_sysmon_and_system_times() {
        let s = FieldValue::Str("2019-03-18 22:15:49.645");
        assert_eq!(extract(&s, TimePart::Hour), Some(22));
        assert_eq!(extract(&s, TimePart::Minute), Some(15));
        assert_eq!(extract(&s, TimePart::Month), Some(3));
        let t = FieldValue::Time("2020-01-01T05:00:00Z".parse().unwrap());
        assert_eq!(extract(&t, TimePart::Year), Some(2020));
        assert_eq!(extract(&t, TimePart::Week), Some(1));
        assert_eq!(extract(&FieldValue::Str("nope"), TimePart::Day), None);
    }
}
