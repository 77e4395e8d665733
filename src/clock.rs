//! Dates as the inspectors see them: China Standard Time (UTC+8, no daylight saving).

use chrono::{FixedOffset, NaiveDate, Offset, Utc};

/// Asia/Shanghai's offset.
pub fn china() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| Utc.fix())
}

/// The time to stamp on a new record: now, unless `today` is another day (`--today`, for
/// training and checks), then noon of that day in China.
pub fn now_on(today: NaiveDate) -> chrono::DateTime<Utc> {
    if today == self::today() {
        return Utc::now();
    }
    let noon = today.and_hms_opt(12, 0, 0).unwrap_or_default();
    noon.and_local_timezone(china())
        .single()
        .map_or_else(Utc::now, |t| t.with_timezone(&Utc))
}

/// A UTC time as shown: China time in `format`.
pub fn local(time: chrono::DateTime<Utc>, format: &str) -> String {
    time.with_timezone(&china()).format(format).to_string()
}

/// A note that starts with an RFC 3339 time (the last export's `time path`), as shown: the time
/// in China to the minute; a note that does not start with one is shown as it is.
pub fn shown_note(note: &str) -> String {
    let (head, rest) = note.split_once(' ').unwrap_or((note, ""));
    match chrono::DateTime::parse_from_rfc3339(head) {
        Ok(t) => {
            let when = local(t.with_timezone(&Utc), "%Y-%m-%d %H:%M");
            if rest.is_empty() {
                when
            } else {
                format!("{when}  {rest}")
            }
        }
        Err(_) => note.to_string(),
    }
}

/// Today's date in China.
pub fn today() -> NaiveDate {
    Utc::now().with_timezone(&china()).date_naive()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_note_shows_its_time_in_china_to_the_minute() {
        assert_eq!(
            super::shown_note("2022-01-28T06:30:12.123456789+00:00 /media/usb/a.fcb"),
            "2022-01-28 14:30  /media/usb/a.fcb"
        );
        assert_eq!(super::shown_note("no time here"), "no time here");
    }
}
