//! Operating hours and local time: time zones from the IANA database
//! (bundled, so Lambda needs no zoneinfo files).

use super::model::OperatingHours;
use crate::time::Millis;
use jiff::tz::TimeZone;

const DAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// `HH:MM` -> minutes after midnight; `24:00` is the end of the day.
pub fn parse_hhmm(s: &str) -> Result<u32, String> {
    let bad = || format!("{s:?} is not a time of day such as 09:00 or 17:30");
    let (h, m) = s.split_once(':').ok_or_else(bad)?;
    if h.len() != 2 || m.len() != 2 {
        return Err(bad());
    }
    let h: u32 = h.parse().map_err(|_| bad())?;
    let m: u32 = m.parse().map_err(|_| bad())?;
    if (h < 24 && m < 60) || (h == 24 && m == 0) {
        Ok(h * 60 + m)
    } else {
        Err(bad())
    }
}

pub fn parse_zone(name: &str) -> Result<TimeZone, String> {
    TimeZone::get(name).map_err(|_| {
        format!("{name:?} is not a time zone; use an IANA name such as Europe/Copenhagen")
    })
}

/// The local (weekday index 0 = Monday, minutes after midnight) of `now` in a zone.
pub fn local_minutes(zone: &str, now: Millis) -> Result<(usize, u32), String> {
    let (idx, minutes, _) = local(zone, now)?;
    Ok((idx, minutes))
}

fn local(zone: &str, now: Millis) -> Result<(usize, u32, String), String> {
    let tz = parse_zone(zone)?;
    let ts = jiff::Timestamp::from_millisecond(now.0).map_err(|e| e.to_string())?;
    let z = ts.to_zoned_datetime(tz);
    let idx = usize::from(z.weekday().to_monday_zero_offset().unsigned_abs());
    let minutes = u32::from(z.hour().unsigned_abs()) * 60 + u32::from(z.minute().unsigned_abs());
    Ok((idx, minutes, z.date().to_string()))
}

/// Why operating hours cannot be used (checked when a queue is saved).
pub fn check_hours(h: &OperatingHours) -> Result<(), String> {
    parse_zone(&h.time_zone)?;
    for (day, spans) in &h.weekly {
        if !DAYS.contains(&day.as_str()) {
            return Err(format!(
                "{day:?} is not a day; use monday, tuesday, ... sunday"
            ));
        }
        for s in spans {
            let (a, b) = (parse_hhmm(&s.from)?, parse_hhmm(&s.to)?);
            if a >= b {
                return Err(format!(
                    "on {day}, {} to {} is empty: the start must come before the end",
                    s.from, s.to
                ));
            }
        }
    }
    for d in &h.holidays {
        d.parse::<jiff::civil::Date>()
            .map_err(|_| format!("{d:?} is not a date such as 2026-12-25"))?;
    }
    Ok(())
}

/// Whether the queue is open at `now` (hours that fail to parse count as open,
/// so a bad zone never strands customers; they are checked on the way in).
pub fn is_open(h: &OperatingHours, now: Millis) -> bool {
    let Ok((idx, minutes, date)) = local(&h.time_zone, now) else {
        return true;
    };
    if h.holidays.contains(&date) {
        return false;
    }
    h.weekly.get(DAYS[idx]).is_some_and(|spans| {
        spans.iter().any(|s| {
            matches!((parse_hhmm(&s.from), parse_hhmm(&s.to)), (Ok(a), Ok(b)) if a <= minutes && minutes < b)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routing::model::DaySpan;

    fn office() -> OperatingHours {
        OperatingHours {
            time_zone: "Europe/Copenhagen".into(),
            weekly: ["monday", "tuesday", "wednesday", "thursday", "friday"]
                .into_iter()
                .map(|d| {
                    (
                        d.to_string(),
                        vec![DaySpan {
                            from: "09:00".into(),
                            to: "17:00".into(),
                        }],
                    )
                })
                .collect(),
            holidays: vec!["2026-12-25".into()],
        }
    }

    #[test]
    fn open_on_weekdays_in_the_zone_closed_on_holidays_and_weekends() {
        // Monday 2026-01-05 09:30 Copenhagen = 08:30 UTC.
        assert!(is_open(&office(), Millis(1_767_601_800_000)));
        // Same Monday 08:30 Copenhagen = 07:30 UTC: before opening.
        assert!(!is_open(&office(), Millis(1_767_598_200_000)));
        // Saturday 2026-01-10 12:00 UTC.
        assert!(!is_open(&office(), Millis(1_768_046_400_000)));
        // Friday 2026-12-25 12:00 UTC: a holiday.
        assert!(!is_open(&office(), Millis(1_798_200_000_000)));
        check_hours(&office()).unwrap();
    }

    #[test]
    fn bad_hours_are_explained() {
        let mut h = office();
        h.weekly.insert("funday".into(), vec![]);
        assert!(check_hours(&h).unwrap_err().contains("funday"));
        let mut h = office();
        h.holidays.push("25/12".into());
        assert!(check_hours(&h).unwrap_err().contains("25/12"));
        assert!(parse_hhmm("24:00").is_ok());
        assert!(parse_hhmm("24:01").is_err());
    }
}
