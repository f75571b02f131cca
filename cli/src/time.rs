//! UTC timestamps without a date crate: Unix nanoseconds to ISO 8601 and back, and `--since`.

/// Days since 1970-01-01 to (year, month, day), Howard Hinnant's `civil_from_days`.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// (year, month, day) to days since 1970-01-01, Howard Hinnant's `days_from_civil`.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let month = i64::from(month);
    let doy = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `2026-11-28`.
pub(crate) fn day(nanos: u64) -> String {
    let (year, month, day) = civil_from_days((nanos / 1_000_000_000 / 86_400) as i64);
    format!("{year:04}-{month:02}-{day:02}")
}

/// `2026-11-28T07:15:02.123Z`.
pub(crate) fn timestamp(nanos: u64) -> String {
    let seconds = nanos / 1_000_000_000;
    let millis = (nanos / 1_000_000) % 1000;
    let of_day = seconds % 86_400;
    format!(
        "{}T{:02}:{:02}:{:02}.{millis:03}Z",
        day(nanos),
        of_day / 3600,
        (of_day / 60) % 60,
        of_day % 60
    )
}

/// `07:15:02` (UTC), for chart axes.
pub(crate) fn clock(nanos: u64) -> String {
    let of_day = (nanos / 1_000_000_000) % 86_400;
    format!(
        "{:02}:{:02}:{:02}",
        of_day / 3600,
        (of_day / 60) % 60,
        of_day % 60
    )
}

/// Parses `--since`: an RFC 3339 UTC time (`2026-11-28T07:00:00Z`), a date (`2026-11-28`), or
/// an age (`30m`, `24h`, `7d`) before `now_nanos`.
///
/// # Errors
///
/// A message naming the value when it is none of these.
pub(crate) fn parse_since(text: &str, now_nanos: u64) -> Result<u64, String> {
    let invalid = || {
        format!("invalid `--since` value `{text}`; expected a date (2026-11-28), a UTC time (2026-11-28T07:00:00Z) or an age (30m, 24h, 7d)")
    };
    if let Some(unit) = text.chars().last().filter(|c| c.is_ascii_alphabetic()) {
        if let Ok(amount) = text[..text.len() - 1].parse::<u64>() {
            let seconds = match unit {
                's' => 1,
                'm' => 60,
                'h' => 3600,
                'd' => 86_400,
                _ => return Err(invalid()),
            };
            return Ok(now_nanos.saturating_sub(amount * seconds * 1_000_000_000));
        }
    }
    let (date, clock) = match text.split_once('T') {
        Some((date, clock)) => (date, Some(clock.trim_end_matches('Z'))),
        None => (text, None),
    };
    let parts: Vec<&str> = date.split('-').collect();
    let [year, month, day] = parts.as_slice() else {
        return Err(invalid());
    };
    let (year, month, day) = (
        year.parse::<i64>().map_err(|_| invalid())?,
        month.parse::<u32>().map_err(|_| invalid())?,
        day.parse::<u32>().map_err(|_| invalid())?,
    );
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return Err(invalid());
    }
    let mut seconds = days_from_civil(year, month, day) * 86_400;
    if let Some(clock) = clock {
        let fields: Vec<&str> = clock.split(':').collect();
        let numbers: Result<Vec<f64>, _> = fields.iter().map(|f| f.parse::<f64>()).collect();
        match numbers.map_err(|_| invalid())?.as_slice() {
            [h, m] => seconds += (*h as i64) * 3600 + (*m as i64) * 60,
            [h, m, s] => seconds += (*h as i64) * 3600 + (*m as i64) * 60 + (*s as i64),
            _ => return Err(invalid()),
        }
    }
    u64::try_from(seconds)
        .map(|s| s * 1_000_000_000)
        .map_err(|_| invalid())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_a_date() {
        // 2026-11-28T07:15:02Z = 20,420 days (by days_from_civil) + 26,102 s.
        let nanos = parse_since("2026-11-28T07:15:02Z", 0).unwrap();
        assert_eq!(timestamp(nanos), "2026-11-28T07:15:02.000Z");
        assert_eq!(day(nanos), "2026-11-28");
        assert_eq!(parse_since("1970-01-02", 0).unwrap(), 86_400_000_000_000);
        assert_eq!(
            parse_since("2h", 10 * 3600 * 1_000_000_000).unwrap(),
            8 * 3600 * 1_000_000_000
        );
        assert!(parse_since("yesterday", 0).is_err());
    }
}
